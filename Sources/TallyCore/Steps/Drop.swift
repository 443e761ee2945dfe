import TallyModel

/// `drop COL, ...`: every column but these.
public struct DropStep: StepKind {
    public static let keyword = "drop"
    public static let usage = "drop COL, ... — every column but these"
    var names: [Name]

    public static func parse(_ p: inout Parser) throws -> Self { Self(names: try p.nameList("a column name")) }

    public func lineage(_ ctx: LineageContext) -> ColumnLineage {
        var out = ctx.input
        for n in names { out[n.text] = nil }
        return out
    }
    public var tablesRead: [String] { [] }

    public func schema(_ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        for name in names { _ = try ctx.requireColumn(name, in: input) }
        let dropped = Set(names.map(\.text))
        return Schema(columns: input.columns.filter { !dropped.contains($0.name) }, open: input.open)
    }

    public func run(_ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult) {
        let dropped = Set(names.map(\.text))
        let output = input.projecting(input.names.filter { !dropped.contains($0) }.map { ($0, $0) })
        return (output, StepResult(keyword: Self.keyword, rowsIn: input.rowCount, rowsOut: output.rowCount))
    }
}
