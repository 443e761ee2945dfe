import TallyModel

/// `union TABLE`: appends the rows of a table with the same columns (matched by name).
public struct UnionStep: StepKind {
    public static let keyword = "union"
    public static let usage = "union TABLE — append the rows of a table with the same columns"
    var other: Name

    public init(other: Name) { self.other = other }

    public static func parse(_ p: inout Parser) throws -> Self { Self(other: try p.name("a table name")) }

    public var tablesRead: [String] { [other.text] }

    /// A column's values come from both tables.
    public func lineage(_ ctx: LineageContext) -> ColumnLineage {
        let right = ctx.tables(other.text)
        var out: ColumnLineage = [:]
        for name in ctx.output { out[name] = ctx.of(name).union(Lineage.of(name, in: right)) }
        return out
    }

    public func schema(_ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        let right = try ctx.requireTable(other)
        // A side with columns a pivot will make is checked when the union runs.
        if input.open != nil || right.open != nil { return Schema(columns: input.columns, open: input.open ?? right.open) }
        // Columns are matched through a dictionary: by name in a list, two 40,000-column tables
        // took 15 s.
        let rightTypes = Dictionary(right.columns.map { ($0.name, $0.type) }, uniquingKeysWith: { first, _ in first })
        let leftNames = Set(input.names)
        let missing = input.names.filter { rightTypes[$0] == nil }
        let extra = right.names.filter { !leftNames.contains($0) }
        guard missing.isEmpty, extra.isEmpty else {
            var parts: [String] = []
            if !missing.isEmpty { parts.append("\"\(other.text)\" lacks \(Self.listed(missing))") }
            if !extra.isEmpty { parts.append("\"\(other.text)\" has extra \(Self.listed(extra))") }
            throw ctx.error(
                .mismatchedTypes, "union needs the same columns: " + parts.joined(separator: "; "), other.span,
                help: "select the same columns on both sides first")
        }
        var schema = input
        for (k, field) in input.columns.enumerated() {
            guard let t = rightTypes[field.name] else { continue }
            guard field.type.isComparable(with: t) else {
                throw ctx.error(
                    .mismatchedTypes,
                    "union: column \"\(field.name)\" is \(field.type.rawValue) here but \(t.rawValue) in \"\(other.text)\"", other.span)
            }
            if field.type != t { schema.columns[k].type = .decimal }
        }
        return schema
    }

    /// Names for a message: the first 20, then how many more (thousands of names help nobody).
    static func listed(_ names: [String]) -> String {
        names.prefix(20).joined(separator: ", ") + (names.count > 20 ? " and \(Format.count(names.count - 20)) more" : "")
    }

    public func run(_ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult) {
        guard let right = ctx.tables[other.text] else {
            return (input, StepResult(keyword: "union", rowsIn: input.rowCount, rowsOut: input.rowCount))
        }
        var rightIndex: [String: Int] = [:]
        for (k, name) in right.names.enumerated() where rightIndex[name] == nil { rightIndex[name] = k }
        var columns: [Column] = []
        for (k, name) in input.names.enumerated() {
            guard let r = rightIndex[name] else { continue }
            columns.append(input.columns[k].appending(right.columns[r]))
        }
        let output = Table(names: input.names, columns: columns, provenance: input.provenance.appending(right.provenance))
        var result = StepResult(keyword: "union", rowsIn: input.rowCount, rowsOut: output.rowCount)
        result.notes = ["+\(right.rowCount) rows from \(other.text)"]
        return (output, result)
    }
}
