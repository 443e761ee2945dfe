import TallyModel

/// `distinct [by COL, ...]`: the first row of each key (of every column without `by`).
public struct DistinctStep: StepKind {
    public static let keyword = "distinct"
    public static let usage = "distinct [by COL, ...] — the first row of each key (of every column without by)"
    var by: [Name]

    public static func parse(_ p: inout Parser) throws -> Self {
        Self(by: p.acceptKeyword("by") ? try p.nameList("a column name") : [])
    }

    public func lineage(_ ctx: LineageContext) -> ColumnLineage { ctx.unchanged }
    public var tablesRead: [String] { [] }

    public func schema(_ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        for name in by { _ = try ctx.requireColumn(name, in: input) }
        return input
    }

    public func run(_ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult) {
        let columns = by.isEmpty ? input.columns : by.compactMap { input.column($0.text) }
        let grouping = Table.groupIds(columns, rowCount: input.rowCount)
        let output = input.rowCount == 0 ? input : input.gather(grouping.representatives)
        var result = StepResult(keyword: Self.keyword, rowsIn: input.rowCount, rowsOut: output.rowCount)
        result.droppedFalse = input.rowCount - output.rowCount
        return (output, result)
    }
}
