import TallyModel

/// `take N`: the first N rows.
public struct TakeStep: StepKind {
    public static let keyword = "take"
    public static let usage = "take N — the first N rows"
    var count: Int

    public static func parse(_ p: inout Parser) throws -> Self { Self(count: try p.integer("a row count")) }

    public func lineage(_ ctx: LineageContext) -> ColumnLineage { ctx.unchanged }
    public var tablesRead: [String] { [] }
    public func schema(_ input: Schema, _ ctx: StepCheckContext) throws -> Schema { input }

    public func run(_ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult) {
        let output = input.prefix(count)
        return (output, StepResult(keyword: Self.keyword, rowsIn: input.rowCount, rowsOut: output.rowCount))
    }
}
