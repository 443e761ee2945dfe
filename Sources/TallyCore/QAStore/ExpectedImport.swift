import Foundation
import TallyModel

/// Reads expected counts from any file a `load` reads (CSV, xlsx, a CALPADS report extract ...):
/// key columns (kept as text) and a value column.
public enum ExpectedImport {
    public struct Loaded {
        public var rows: [(key: [String], value: Double)]
        public var sha256: String
    }

    /// How to read the file, as `load` would: `format` is any `as` form of a load (`csv`,
    /// `tsv`, `delimited "^"`, `xlsx sheet "Counts"`, `calpads report "1.17"`, with options after
    /// `with`); without it, by extension (`.xlsx`, `.tsv`; else CSV), and a CALPADS report
    /// extract is known by its title line (`1.17 - LCFF Unduplicated Pupil – Count`, or the older `1.17 - FRPM/English Learner/Foster Youth - Count`).
    public static func request(
        file: String, displayName: String, keys: [String], sheet: String?,
        format: String?
    ) throws -> LoadRequest {
        var spec: FormatSpec
        var options = IOOptions()
        if let format {
            (spec, options) = try parseFormat(format, file: displayName)
        } else {
            switch (file as NSString).pathExtension.lowercased() {
            case "xlsx": spec = .xlsx(sheet: nil, headerRow: nil)
            case "tsv", "tab": spec = .tsv
            default:
                let (input, _) = try InputFile.readPrefix(path: file, displayName: displayName, maxBytes: 1 << 12)
                spec = CalpadsReturns.reportTitle(input.bytes.array).map { .calpadsReport($0) } ?? .csv
            }
        }
        switch spec {
        case .xlsx(nil, let row) where sheet != nil: spec = .xlsx(sheet: sheet, headerRow: row)
        case .csv, .tsv, .delimited:
            // Keys are codes: `01` stays `01`, not the number 1. (With `header false` the
            // declared columns name every column, in order: they are the user's.)
            for key in keys where options.header && !options.columns.contains(where: { $0.name.text == key }) {
                options.columns.append(ColumnDeclaration(name: Name(key, .none), type: .text, dateFormat: nil))
            }
        default: break
        }
        return LoadRequest(table: "expected", path: file, displayPath: displayName, format: spec, options: options, span: .none)
    }

    /// `--format`'s text read as the `as` part of a load statement.
    static func parseFormat(_ text: String, file: String) throws -> (FormatSpec, IOOptions) {
        var t = text.trimmingCharacters(in: .whitespaces)
        if t.lowercased().hasPrefix("as ") { t = String(t.dropFirst(3)) }
        let help =
            "--format takes what follows `as` in a load: csv, tsv, 'delimited \"^\"', 'xlsx sheet \"Counts\"', 'calpads report \"1.17\"'"
        let playbook: Playbook
        do { playbook = try Parser.parse(source: "load expected from \"file\" as " + t, file: "--format") } catch let list as DiagnosticList
        {
            throw Diagnostic(
                .unknownOption, .error, "--format \"\(text)\": \(list.diagnostics.first?.message ?? "not a format")", file: file, help: help
            )
        }
        guard playbook.statements.count == 1, case .load(_, _, _, let format?, let options) = playbook.statements[0].statement else {
            throw Diagnostic(.unknownOption, .error, "--format \"\(text)\" is not one format", file: file, help: help)
        }
        return (format, options)
    }

    /// A key on more than one row is an error naming the keys and lines, unless `sum` adds
    /// their values (as `compare` sums the actual side by key).
    public static func load(
        file: String, displayName: String, keys: [String], value: String, sheet: String?,
        sum: Bool = false, format: String? = nil
    ) throws -> Loaded {
        let request = try request(file: file, displayName: displayName, keys: keys, sheet: sheet, format: format)
        let loaded: LoadedInput
        do { loaded = try Loader.read(request, progress: nil) } catch var d as Diagnostic {
            if d.message.hasPrefix("the file has no column") { d.message += " (a key given with --keys)" }
            throw d
        }
        let table = loaded.table
        for column in keys + [value] where table.column(column) == nil {
            throw Diagnostic(
                .unknownColumn, .error, "the file has no column \"\(column)\"", file: displayName, line: 1,
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
                throw Diagnostic(
                    .badValue, .error, "column \"\(value)\": \"\(raw.display)\" is not a number", file: displayName,
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
                "\(keys.count == 1 ? "" : "(")\(item.key.joined(separator: ", "))\(keys.count == 1 ? "" : ")") on lines "
                    + (lines[QAStore.joinKey(item.key)] ?? []).map(String.init).joined(separator: ", ")
            }
            throw Diagnostic(
                .notOneRowPerKey, .error,
                "\(Format.plural(repeated.count, "key")) of \(keys.joined(separator: ", ")) appear\(repeated.count == 1 ? "s" : "") on more than one row: "
                    + examples.joined(separator: "; ") + (repeated.count > 5 ? "; …" : ""),
                file: displayName, line: lines[QAStore.joinKey(repeated[0].key)]?.dropFirst().first ?? 0,
                help: "remove the repeated rows, add a key column that tells them apart, or pass --sum to add their values")
        }
        return Loaded(rows: rows, sha256: loaded.sha256)
    }
}
