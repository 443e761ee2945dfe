/// Where each row came from: the input file (an index into `files`) and its line there.
///
/// Kept through filter, join, sort and union so a failing row points at the line to fix.
/// Rows made by `aggregate` have line 0 (no single source line).
public struct Provenance: Sendable {
    public var files: [String]
    public var fileIndex: [UInt16]
    public var line: [Int32]

    public init(files: [String], fileIndex: [UInt16], line: [Int32]) {
        self.files = files
        self.fileIndex = fileIndex
        self.line = line
    }

    /// Every row from one file, with the given lines.
    public init(file: String, lines: [Int32]) {
        files = [file]
        fileIndex = [UInt16](repeating: 0, count: lines.count)
        line = lines
    }

    public static func none(count: Int) -> Provenance {
        Provenance(
            files: [""], fileIndex: [UInt16](repeating: 0, count: count),
            line: [Int32](repeating: 0, count: count))
    }

    /// `file:line` of a row, or nil when it has none.
    public func location(_ row: Int) -> (file: String, line: Int)? {
        guard line[row] > 0 else { return nil }
        return (files[Int(fileIndex[row])], Int(line[row]))
    }
}

/// A value a lenient reader could not parse (kept as null) — CALPADS dates, so that validation
/// can report them as findings with their source line instead of stopping the load.
public struct RejectedValue: Sendable, Equatable {
    public var column: String
    public var file: String
    public var line: Int
    public var raw: String
    package init(column: String, file: String, line: Int, raw: String) {
        self.column = column; self.file = file; self.line = line; self.raw = raw
    }
}

/// A named set of equally long columns with per-row provenance.
public struct Table: Sendable {
    public private(set) var names: [String]
    public private(set) var columns: [Column]
    public var provenance: Provenance
    public let rowCount: Int
    /// Values the reader could not parse, by source line (see `RejectedValue`).
    public var rejected: [RejectedValue] = []

    public init(names: [String], columns: [Column], provenance: Provenance) {
        self.names = names
        self.columns = columns
        self.provenance = provenance
        self.rowCount = provenance.line.count
    }

    public var columnCount: Int { columns.count }

    public func index(of name: String) -> Int? { names.firstIndex(of: name) }

    public func column(_ name: String) -> Column? { index(of: name).map { columns[$0] } }

    public var schema: Schema {
        Schema(columns: zip(names, columns).map { Schema.Field(name: $0.0, type: $0.1.type) })
    }

    /// Adds a column, or replaces the one of the same name in place.
    public mutating func setColumn(_ name: String, _ column: Column) {
        if let i = index(of: name) {
            columns[i] = column
        } else {
            names.append(name)
            columns.append(column)
        }
    }

    /// Removes a column if the table has it.
    public mutating func removeColumn(_ name: String) {
        guard let i = index(of: name) else { return }
        names.remove(at: i)
        columns.remove(at: i)
    }

    /// Keeps the named columns in the given order, renaming them.
    public func projecting(_ picks: [(source: String, name: String)]) -> Table {
        var newNames: [String] = []
        var newColumns: [Column] = []
        for pick in picks {
            guard let i = index(of: pick.source) else { continue }
            newNames.append(pick.name)
            newColumns.append(columns[i])
        }
        return Table(names: newNames, columns: newColumns, provenance: provenance)
    }

    public func row(_ i: Int) -> [Value] { columns.map { $0.value(i) } }
}

/// Column names and types: what `tally check` knows about a table without its rows.
public struct Schema: Sendable, Equatable, Codable {
    public struct Field: Sendable, Equatable, Codable {
        public var name: String
        public var type: DataType
        public init(name: String, type: DataType) { self.name = name; self.type = type }
    }
    public var columns: [Field]
    /// Set when more columns will exist than `columns` lists, all of this type: a `pivot`
    /// makes a column per value it finds, known only once it has run. The checker lets such a
    /// table's other column names through and the run checks them again (see `Plan.deferred`).
    public var open: DataType? = nil
    public init(columns: [Field], open: DataType? = nil) { self.columns = columns; self.open = open }

    public var names: [String] { columns.map(\.name) }
    /// A column's type; for an open schema, any name not listed has the open type.
    public func type(of name: String) -> DataType? { columns.first { $0.name == name }?.type ?? open }
    /// Whether the column is listed (an open schema's unlisted columns are not).
    public func contains(_ name: String) -> Bool { columns.contains { $0.name == name } }

    public mutating func set(_ name: String, _ type: DataType) {
        if let i = columns.firstIndex(where: { $0.name == name }) {
            columns[i].type = type
        } else {
            columns.append(Field(name: name, type: type))
        }
    }
}
