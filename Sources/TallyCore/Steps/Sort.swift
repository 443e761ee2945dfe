/// `sort COL [desc], ...` (stable, nulls last), `take N` and `distinct [by COL, ...]` (keeps the
/// first row of each key).
enum SortStep {
    static func schema(_ names: [Name], _ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        for name in names { _ = try ctx.requireColumn(name, in: input) }
        return input
    }

    static func run(_ items: [(Name, descending: Bool)], _ input: Table) -> (Table, StepResult) {
        let keys = items.compactMap { item in input.column(item.0.text).map { ($0, item.descending) } }
        let output = input.gather(input.sortPermutation(keys))
        return (output, StepResult(keyword: "sort", rowsIn: input.rowCount, rowsOut: output.rowCount))
    }

    static func take(_ n: Int, _ input: Table) -> (Table, StepResult) {
        let output = input.prefix(n)
        return (output, StepResult(keyword: "take", rowsIn: input.rowCount, rowsOut: output.rowCount))
    }

    static func distinct(_ by: [Name], _ input: Table) -> (Table, StepResult) {
        let columns = by.isEmpty ? input.columns : by.compactMap { input.column($0.text) }
        let grouping = Table.groupIds(columns, rowCount: input.rowCount)
        let output = input.rowCount == 0 ? input : input.gather(grouping.representatives)
        var result = StepResult(keyword: "distinct", rowsIn: input.rowCount, rowsOut: output.rowCount)
        result.droppedFalse = input.rowCount - output.rowCount
        return (output, result)
    }
}
