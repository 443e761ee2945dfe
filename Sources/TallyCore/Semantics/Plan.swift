import TallyModel

/// A file the run will read, resolved from a `load` statement.
public struct LoadRequest: Sendable {
    public var table: String
    /// The path to open.
    public var path: String
    /// The path as shown in messages and provenance (relative to the working folder).
    public var displayPath: String
    public var format: FormatSpec
    public var options: IOOptions
    public var span: SourceSpan

    public init(table: String, path: String, displayPath: String, format: FormatSpec, options: IOOptions, span: SourceSpan) {
        self.table = table; self.path = path; self.displayPath = displayPath; self.format = format; self.options = options; self.span = span
    }
}

/// A file the run will write, resolved from an `export` statement.
public struct ExportRequest: Sendable {
    public var table: String
    public var path: String
    public var displayPath: String
    public var format: FormatSpec
    public var options: IOOptions
    /// `{COLUMN}` in the path: one file per value of that column (a worklist per school).
    public var splitColumn: String? = nil
    /// `as xlsx sheet by COLUMN`: one sheet per value of that column.
    public var sheetColumn: String? = nil

    /// Whether the run's masks and suppression apply to this file: `with masked` / `with unmasked`
    /// say so; otherwise files for people — worklists (a file per value) and workbooks — are
    /// masked, and plain data files (CSV, TSV, delimited) are not. A CALPADS file never is.
    public var masked: Bool {
        if case .calpads = format { return false }
        if let chosen = options.masked { return chosen }
        if case .xlsx = format { return true }
        return splitColumn != nil
    }

    /// The path for one value of the split column.
    public func path(for value: String, _ template: String) -> String {
        guard let splitColumn else { return template }
        return template.replacingOccurrences(of: ExportRequest.placeholder(splitColumn), with: ExportRequest.pathPiece(value))
    }

    static func placeholder(_ column: String) -> String { "\u{1}" + column + "\u{1}" }

    /// A path with every column placeholder as one plain name, for checks made before the
    /// values are known (a value never makes `/`, `.` or `..`: see `pathPiece`).
    static func filled(_ path: String) -> String {
        path.split(separator: "\u{1}", omittingEmptySubsequences: false).enumerated().map { $0.offset % 2 == 1 ? "x" : String($0.element) }
            .joined()
    }

    /// A value as a file or folder name: no `/`, no leading dot, never empty.
    public static func pathPiece(_ value: String) -> String {
        var piece = value.map { $0 == "/" || $0 == "\\" || $0 == "\u{0}" ? "_" : $0 }.map(String.init).joined()
        if piece.hasPrefix(".") { piece = "_" + piece.dropFirst() }
        return piece.trimmingCharacters(in: .whitespaces).isEmpty ? "(missing)" : piece
    }
}

/// A checked playbook: parameters resolved, paths resolved, every table's schema known.
public struct Plan: Sendable {
    public var playbook: Playbook
    public var params: [String: Value]
    public var paramTypes: [String: DataType]
    /// Parameter names in declaration order.
    public var paramOrder: [String]
    public var loads: [Int: LoadRequest]
    public var exports: [Int: ExportRequest]
    /// The schema each table-making statement produced, by statement index.
    public var schemas: [Int: Schema]
    /// Statements checked again as they run: they read columns a `pivot` makes (`Schema.open`).
    public var deferred: Set<Int> = []
    /// Check-time warnings (`Lint`): habits that run but may not mean what they say.
    public var warnings: [Diagnostic] = []
}

/// Gives the schema of an input without running the playbook (the run supplies one that loads
/// and caches the table; `tally check` one that reads only what it must).
public typealias SchemaSource = (LoadRequest) throws -> Schema
