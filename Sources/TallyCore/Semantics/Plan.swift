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
}

/// Gives the schema of an input without running the playbook (the run supplies one that loads
/// and caches the table; `tally check` one that reads only what it must).
public typealias SchemaSource = (LoadRequest) throws -> Schema
