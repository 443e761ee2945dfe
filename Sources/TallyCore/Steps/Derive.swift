/// `derive NAME = EXPR, ...`: adds or replaces columns; later items see earlier ones.
enum DeriveStep {
    static func schema(_ items: [(Name, Expr)], _ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        var schema = input
        for (name, expr) in items {
            let t = try ctx.typer(schema).type(of: expr) ?? .text
            schema.set(name.text, t)
        }
        return schema
    }

    static func run(_ items: [(Name, Expr)], _ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult) {
        var table = input
        for (name, expr) in items {
            table.setColumn(name.text, try ctx.evaluator(table).evaluate(expr))
        }
        var result = StepResult(keyword: "derive", rowsIn: input.rowCount, rowsOut: table.rowCount)
        result.notes = items.map { "\($0.0.text): \(table.column($0.0.text)?.type.rawValue ?? "")" }
        return (table, result)
    }
}
