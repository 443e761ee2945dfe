import Foundation

/// Reads expected counts from a CSV or xlsx file: key columns (kept as text) and a value column.
public enum ExpectedImport {
    public struct Loaded {
        public var rows: [(key: [String], value: Double)]
        public var sha256: String
    }

    /// A key on more than one row is an error naming the keys and lines, unless `sum` adds
    /// their values (as `compare` sums the actual side by key).
    public static func load(file: String, displayName: String, keys: [String], value: String, sheet: String?,
                            sum: Bool = false) throws -> Loaded {
        let isExcel = (file as NSString).pathExtension.lowercased() == "xlsx"
        var options = IOOptions()
        if !isExcel { options.columns = keys.map { ColumnDeclaration(name: Name($0, .none), type: .text, dateFormat: nil) } }
        let request = LoadRequest(table: "expected", path: file, displayPath: displayName,
                                  format: isExcel ? .xlsx(sheet: sheet, headerRow: nil) : .csv, options: options, span: .none)
        let loaded: LoadedInput
        do { loaded = try Loader.read(request, progress: nil) } catch var d as Diagnostic {
            if d.message.hasPrefix("the file has no column") { d.message += " (a key given with --keys)" }
            throw d
        }
        let table = loaded.table
        for column in keys + [value] where table.column(column) == nil {
            throw Diagnostic(.error, "the file has no column \"\(column)\"", file: displayName, line: 1,
                             help: Suggest.help(for: column, in: table.names))
        }
        let keyColumns = keys.compactMap { table.column($0) }
        guard let values = table.column(value) else { return Loaded(rows: [], sha256: loaded.sha256) }
        var rows: [(key: [String], value: Double)] = []
        var position: [String: Int] = [:]
        var lines: [String: [Int]] = [:]
        for row in 0..<table.rowCount {
            let raw = values.value(row)
            guard let number = raw.doubleValue ?? Double(raw.display.trimmedSpaces()) else {
                throw Diagnostic(.error, "column \"\(value)\": \"\(raw.display)\" is not a number", file: displayName,
                                 line: table.provenance.location(row)?.line ?? 0)
            }
            let key = keyColumns.map { $0.isNull(row) ? "" : $0.value(row).display }
            let joined = QAStore.joinKey(key)
            lines[joined, default: []].append(table.provenance.location(row)?.line ?? 0)
            if let at = position[joined] {
                if sum { rows[at].value += number }
            } else {
                position[joined] = rows.count
                rows.append((key, number))
            }
        }
        let repeated = rows.filter { (lines[QAStore.joinKey($0.key)]?.count ?? 0) > 1 }
        if !repeated.isEmpty, !sum {
            let examples = repeated.prefix(5).map { item in
                "\(keys.count == 1 ? "" : "(")\(item.key.joined(separator: ", "))\(keys.count == 1 ? "" : ")") on lines " +
                    (lines[QAStore.joinKey(item.key)] ?? []).map(String.init).joined(separator: ", ")
            }
            throw Diagnostic(.error, "\(Format.plural(repeated.count, "key")) of \(keys.joined(separator: ", ")) appear\(repeated.count == 1 ? "s" : "") on more than one row: " +
                                examples.joined(separator: "; ") + (repeated.count > 5 ? "; …" : ""),
                             file: displayName, line: lines[QAStore.joinKey(repeated[0].key)]?.dropFirst().first ?? 0,
                             help: "remove the repeated rows, add a key column that tells them apart, or pass --sum to add their values")
        }
        return Loaded(rows: rows, sha256: loaded.sha256)
    }
}
