import Foundation
import TallyModel

/// What a `chart` cell draws. The numbers themselves are the cell's preview (a label column and
/// a value column), so masking and suppression reach a chart exactly as they reach a table.
public struct ChartSpec: Sendable, Codable, Equatable {
    public var kind: String
    /// The column along the chart (bar and line); nil for a histogram.
    public var x: String?
    /// The numeric column drawn (a histogram's bins are of its values).
    public var y: String
    /// Values left out of the chart: null Ys (and Xs) and, for a histogram, nulls.
    public var nulls: Int = 0
}

/// The notebook cells for looking at a table without writing a step: `show T all`,
/// `counts T by COL` and `chart T …`.
extension Interpreter {
    /// Rows `show T all` keeps in the run's record: the terminal pages them all; past this an
    /// export is the way to read a table (a preview of a million rows would hold every value as
    /// text in memory, in the cache and in the ledger).
    public static let showAllLimit = 100_000
    /// Values `counts` keeps (largest first); the cell says how many more there are.
    public static let countsLimit = 1_000

    /// `counts T by A, B`: one row per distinct key (null is a value of its own), the rows that
    /// have it and their share of all rows, largest first, ties in value order.
    func runCounts(_ index: Int, _ node: StatementNode, table: Name, by: [Name]) throws -> CellResult {
        guard let data = tables[table.text] else {
            throw Diagnostic(.unknownTable, "unknown table \"\(table.text)\"", file: file, span: table.span)
        }
        var cell = CellResult(index: index, node: node, kind: .counts)
        cell.rowsIn = data.rowCount
        let columns = try by.map { name -> Column in
            guard let c = data.column(name.text) else {
                throw Diagnostic(
                    .unknownColumn, "table \"\(table.text)\" has no column \"\(name.text)\"", file: file, span: name.span,
                    help: Suggest.help(for: name.text, in: data.names))
            }
            return c
        }
        var counts: [[Value]: Int] = [:]
        for r in 0..<data.rowCount { counts[columns.map { $0.isNull(r) ? .null : $0.value(r) }, default: 0] += 1 }
        let ordered = counts.sorted { a, b in
            if a.value != b.value { return a.value > b.value }
            for (x, y) in zip(a.key, b.key) { let c = Value.compare(x, y); if c != 0 { return c < 0 } }
            return false
        }
        let total = max(1, data.rowCount)
        let kept = ordered.prefix(Interpreter.countsLimit)
        let rows: [[String?]] = kept.map { entry in
            entry.key.map { $0.isNull ? nil : $0.display } + [String(entry.value), Interpreter.share(entry.value, of: total)]
        }
        // The values keep their columns' lineage (masked with them); `count` is a count of rows.
        let source = lineage(table.text)
        cell.preview = Preview(
            columns: by.map(\.text) + ["count", "share"],
            types: columns.map(\.type.rawValue) + ["integer", "text"], rows: rows, totalRows: ordered.count,
            lineage: by.map { Lineage.of($0.text, in: source).sorted() } + [["count", ReportPrivacy.countMarker], ["share"]])
        if ordered.count > kept.count {
            cell.notes.append(
                "the \(Format.count(kept.count)) most common of \(Format.count(ordered.count)) values; export an aggregate for all")
        }
        return cell
    }

    /// "45.2%": one decimal, as a reader compares shares.
    static func share(_ n: Int, of total: Int) -> String {
        String(format: "%.1f%%", Double(n) / Double(total) * 100)
    }

    /// `chart T bar|line Y by X` (one row per X) and `chart T histogram Y [bins N]`.
    func runChart(_ index: Int, _ node: StatementNode, table: Name, kind: ChartKind, y: Name, x: Name?, bins: Int?) throws -> CellResult {
        guard let data = tables[table.text] else {
            throw Diagnostic(.unknownTable, "unknown table \"\(table.text)\"", file: file, span: table.span)
        }
        var cell = CellResult(index: index, node: node, kind: .chart)
        cell.rowsIn = data.rowCount
        func column(_ name: Name) throws -> Column {
            guard let c = data.column(name.text) else {
                throw Diagnostic(
                    .unknownColumn, "table \"\(table.text)\" has no column \"\(name.text)\"", file: file, span: name.span,
                    help: Suggest.help(for: name.text, in: data.names))
            }
            return c
        }
        let values = try column(y)
        guard values.type == .integer || values.type == .decimal else {
            throw Diagnostic(
                .notNumeric, "chart \(kind.rawValue) needs a numeric column to draw; \(y.text) is \(values.type.rawValue)", file: file,
                span: y.span)
        }
        let source = lineage(table.text)
        var spec = ChartSpec(kind: kind.rawValue, x: x?.text, y: y.text)
        if kind == .histogram {
            let (preview, nulls) = Interpreter.histogram(
                values, rows: data.rowCount, bins: bins, name: y.text,
                lineage: Lineage.of(y.text, in: source).sorted())
            spec.nulls = nulls
            cell.preview = preview
        } else if let x {
            let along = try column(x)
            // One bar or point per X: several rows per X would need a sum or a mean the
            // playbook should say (an aggregate step), not one the chart picks.
            var seen: [Value: Int] = [:]
            for r in 0..<data.rowCount { seen[along.isNull(r) ? .null : along.value(r), default: 0] += 1 }
            if seen.count < data.rowCount {
                throw Diagnostic(
                    .notOneRowPerKey,
                    "chart \(kind.rawValue) draws one row per \(x.text), and \(table.text) has \(Format.count(data.rowCount)) rows with \(Format.count(seen.count)) distinct values of it",
                    file: file, span: x.span,
                    help: "aggregate first: \(table.text)_by = \(table.text) | aggregate \(y.text) = sum(\(y.text)) by \(x.text)")
            }
            var rows = (0..<data.rowCount).map { r -> (x: Value, y: Value) in
                (along.isNull(r) ? .null : along.value(r), values.isNull(r) ? .null : values.value(r))
            }
            let grades = GradeOrder.mostlyGrades(rows.compactMap { $0.x.isNull ? nil : $0.x.display })
            func xOrder(_ a: Value, _ b: Value) -> Bool {
                if grades, !a.isNull, !b.isNull { return GradeOrder.precedes(a.display, b.display) }
                return Value.compare(a, b) < 0
            }
            // A line goes along X in order (grades as grade_order orders them); bars are largest
            // first as the report's charts are, except grades, which read in school order.
            if kind == .line || grades {
                rows.sort { xOrder($0.x, $1.x) }
            } else {
                rows.sort { a, b in
                    if a.y.isNull != b.y.isNull { return b.y.isNull } // nulls last
                    let c = Value.compare(a.y, b.y)
                    return c != 0 ? c > 0 : xOrder(a.x, b.x)
                }
            }
            spec.nulls = rows.filter { $0.y.isNull }.count
            cell.preview = Preview(
                columns: [x.text, y.text], types: [along.type.rawValue, values.type.rawValue],
                rows: rows.map { [$0.x.isNull ? nil : $0.x.display, $0.y.isNull ? nil : $0.y.display] },
                totalRows: rows.count,
                lineage: [Lineage.of(x.text, in: source).sorted(), Lineage.of(y.text, in: source).sorted()])
        }
        cell.chart = spec
        return cell
    }

    /// The round bin width at or above `w`: 1, 2, 2.5 or 5 times a power of ten.
    static func roundWidth(_ w: Double) -> Double {
        guard w.isFinite, w > 0 else { return 1 }
        let power = pow(10, (log10(w)).rounded(.down))
        for step in [1, 2, 2.5, 5, 10] where step * power >= w * (1 - 1e-12) { return step * power }
        return 10 * power
    }

    /// A histogram's bins: one per whole number when an integer column spans few of them, else
    /// `bins` (or about Sturges' rule, 1 + log2 of the values, at most 30) equal widths of a
    /// round size (1, 2, 2.5 or 5 times a power of ten) from a round number at or below the least
    /// value: the edges are never the least or greatest value itself, which would tell one
    /// student's value beside a suppressed count. The labels are the column's values (masked
    /// with it); the counts are counts of rows (suppressed like any).
    static func histogram(_ column: Column, rows: Int, bins: Int?, name: String, lineage: [String]) -> (Preview, nulls: Int) {
        let numbers = (0..<rows).compactMap { column.isNull($0) ? nil : column.value($0).doubleValue }.filter { $0.isFinite }
        let nulls = rows - numbers.count
        let lineages = [lineage, ["count", ReportPrivacy.countMarker]]
        guard let low = numbers.min(), let high = numbers.max() else {
            return (Preview(columns: [name, "count"], types: ["text", "integer"], rows: [], totalRows: 0, lineage: lineages), nulls)
        }
        let wanted = bins ?? min(30, Int((log2(Double(numbers.count))).rounded(.up)) + 1)
        var labels: [String] = [], counts: [Int] = []
        if column.type == .integer, bins == nil || Int(high - low) + 1 <= wanted, high - low < 30 {
            let first = Int(low)
            counts = [Int](repeating: 0, count: Int(high) - first + 1)
            for v in numbers { counts[Int(v) - first] += 1 }
            labels = counts.indices.map { String(first + $0) }
        } else {
            var width = Interpreter.roundWidth(high > low ? (high - low) / Double(max(1, wanted)) : max(1, abs(low)))
            var start = (low / width).rounded(.down) * width
            // `bins N` is N bins: the next round width until N of them reach the greatest value.
            while bins != nil, start + Double(wanted) * width < high {
                width = Interpreter.roundWidth(width * 1.000001)
                start = (low / width).rounded(.down) * width
            }
            // Bins [a, b) from `start`, the last one [a, b] (it holds `high` when `high` is an edge).
            let n = bins != nil ? max(1, wanted) : max(1, min(101, Int(((high - start) / width).rounded(.up))))
            counts = [Int](repeating: 0, count: n)
            for v in numbers { counts[max(0, min(n - 1, Int(((v - start) / width).rounded(.down))))] += 1 }
            labels = (0..<n).map { i in
                "\(HTMLFragments.number(start + Double(i) * width))–\(HTMLFragments.number(start + Double(i + 1) * width))"
            }
        }
        return (
            Preview(
                columns: [name, "count"], types: ["text", "integer"], rows: zip(labels, counts).map { [$0, String($1)] },
                totalRows: counts.count, lineage: lineages), nulls
        )
    }
}

extension Preview {
    /// A preview made from computed rows (counts, a chart's points), with each column's lineage.
    init(columns: [String], types: [String], rows: [[String?]], totalRows: Int, lineage: [[String]]) {
        self.columns = columns
        self.types = types
        self.rows = rows
        self.locations = []
        self.totalRows = totalRows
        self.lineage = lineage
    }
}

extension Interpreter {
    /// `show T [columns …] [where …] [limit N | all]`.
    func runShow(
        _ index: Int, _ node: StatementNode, _ plan: Plan, table: Name, columns: [Name], filter: Expr?, limit: Int?, all: Bool
    ) throws -> CellResult {
        guard var data = tables[table.text] else {
            throw Diagnostic(.unknownTable, "unknown table \"\(table.text)\"", file: file, span: table.span)
        }
        var cell = CellResult(index: index, node: node, kind: .show)
        cell.rowsIn = data.rowCount
        if let filter {
            let (kept, result) = try StepRegistry.run(
                StepNode(step: FilterStep(expr: filter), span: filter.span), data, stepContext(table.text, plan))
            data = kept
            cell.steps.append(result)
        }
        if !columns.isEmpty { data = data.projecting(columns.map { ($0.text, $0.text) }) }
        cell.preview = Preview(data, limit: all ? Interpreter.showAllLimit : limit ?? 10, lineage: lineage(table.text))
        if all { cell.showAll = true }
        return cell
    }

    /// `profile T`: each column's type, nulls, distinct values and extremes, masked like the columns.
    func runProfile(_ index: Int, _ node: StatementNode, table: Name, columns: [Name]) throws -> CellResult {
        guard let data = tables[table.text] else {
            throw Diagnostic(.unknownTable, "unknown table \"\(table.text)\"", file: file, span: table.span)
        }
        var cell = CellResult(index: index, node: node, kind: .profile)
        cell.rowsIn = data.rowCount
        let names = columns.isEmpty ? data.names : columns.map(\.text)
        let profile = TableProfile(data, columns: names)
        // The value columns hold values of every profiled column: masked if any of them is.
        var valueLineage = Set<String>()
        for name in names { valueLineage.formUnion(Lineage.of(name, in: lineage(table.text))) }
        var profileLineage: ColumnLineage = [:]
        for name in TableProfile.valueColumns { profileLineage[name] = valueLineage }
        cell.preview = Preview(profile.table, limit: names.count, lineage: profileLineage)
        for lookalike in profile.lookalikes {
            for (value, _) in lookalike.values { quote(value, column: lookalike.column, table: table.text) }
            cell.notes.append(
                "\(lookalike.column): "
                    + lookalike.values.map { "\"\($0.value)\" (\(Format.plural($0.count, "row")))" }.joined(separator: ", ")
                    + " differ only by case or spaces")
        }
        return cell
    }
}
