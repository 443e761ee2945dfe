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
        // number(x) / integer(x): the values that are not numbers became null; say how many.
        for (name, expr) in items {
            guard case .call(let f, let args) = expr.kind, f == "number" || f == "integer", args.count == 1,
                  let made = table.column(name.text) else { continue }
            let argument = try ctx.evaluator(input).evaluate(args[0])
            // (No example value: a note is free text, and the column may be masked.)
            var count = 0
            for row in 0..<table.rowCount where made.isNull(row) && !argument.isNull(row) { count += 1 }
            if count > 0 {
                result.notes.append("warning: \(name.text): \(Format.plural(count, "value")) of \(ExprTyper.source(args[0])) not \(f == "number" ? "a number" : "an integer") became null")
            }
        }
        return (table, result)
    }
}
