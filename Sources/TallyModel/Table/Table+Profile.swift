import Foundation

/// What `profile T` shows: one row per column — its type, nulls, distinct values, the most common
/// values with their counts, the range of numbers and dates, and text values that differ only by
/// case or surrounding spaces (a CDE workbook has "No " 8,696 times beside "No" 17 times: a
/// filter on `== "No"` silently keeps 17 rows).
public struct TableProfile {
    public struct Lookalike: Sendable, Equatable {
        public var column: String
        /// The spellings, most frequent first, with their row counts.
        public var values: [(value: String, count: Int)]

        public static func == (a: Lookalike, b: Lookalike) -> Bool {
            a.column == b.column && a.values.map(\.value) == b.values.map(\.value) && a.values.map(\.count) == b.values.map(\.count)
        }
    }

    /// The profile as a table (all text, one row per profiled column).
    public let table: Table
    public let lookalikes: [Lookalike]

    /// Columns of `table` that hold values of the profiled columns (masked with them).
    public static let valueColumns = ["most common", "min", "max", "look-alikes"]
    package static let header = ["column", "type", "nulls", "distinct"] + valueColumns

    public init(_ data: Table, columns names: [String]) {
        var rows: [[String]] = []
        var found: [Lookalike] = []
        for name in names {
            guard let column = data.column(name) else { continue }
            let (grouping, counts) = Table.groupCounts([column], rowCount: data.rowCount)
            var groups: [(value: Value, count: Int, first: Int)] = []
            var nulls = 0
            for (g, row) in grouping.representatives.enumerated() {
                if column.isNull(Int(row)) { nulls = counts[g]; continue }
                groups.append((column.value(Int(row)), counts[g], g))
            }
            let common = groups.sorted { ($0.count, -$0.first) > ($1.count, -$1.first) }.prefix(3)
                .map { "\(TableProfile.shown($0.value)) ×\(Format.count($0.count))" }.joined(separator: " · ")
            var low = "", high = ""
            if column.type != .text, column.type != .boolean, !groups.isEmpty {
                let values = groups.map(\.value)
                if let mn = values.min(by: { Value.compare($0, $1) < 0 }), let mx = values.max(by: { Value.compare($0, $1) < 0 }) {
                    low = mn.display
                    high = mx.display
                }
            }
            var alike: [Lookalike] = []
            if column.type == .text {
                var buckets: [String: [(value: String, count: Int)]] = [:]
                for group in groups {
                    let text = group.value.display
                    let key = text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
                    buckets[key, default: []].append((text, group.count))
                }
                alike = buckets.values.filter { $0.count > 1 }
                    .map { Lookalike(column: name, values: $0.sorted { ($0.count, $1.value) > ($1.count, $0.value) }) }
                    .sorted {
                        ($0.values.reduce(0) { $0 + $1.count }, $1.values[0].value) > (
                            $1.values.reduce(0) { $0 + $1.count }, $0.values[0].value
                        )
                    }
                found += alike.prefix(5)
            }
            let alikeText =
                alike.prefix(3).map { l in
                    l.values.map { "\(TableProfile.shown(.text($0.value))) ×\(Format.count($0.count))" }.joined(separator: " / ")
                }.joined(separator: "; ") + (alike.count > 3 ? "; … \(alike.count) sets in all" : "")
            rows.append([name, column.type.rawValue, Format.count(nulls), Format.count(groups.count), common, low, high, alikeText])
        }
        var builders = TableProfile.header.map { _ in ColumnBuilder(type: .text, capacity: rows.count) }
        for row in rows {
            for (k, cell) in row.enumerated() { builders[k].append(cell.isEmpty ? .null : .text(cell)) }
        }
        table = Table(names: TableProfile.header, columns: builders.map { $0.build() }, provenance: .none(count: rows.count))
        lookalikes = found
    }

    /// A value as the profile prints it: text in quotes when spaces at its ends would hide.
    package static func shown(_ value: Value) -> String {
        let text = value.display
        if case .text = value, text.first?.isWhitespace == true || text.last?.isWhitespace == true || text.isEmpty {
            return "\"\(text)\""
        }
        return text
    }
}
