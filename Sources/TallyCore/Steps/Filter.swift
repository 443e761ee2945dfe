/// `filter EXPR`: keeps rows where EXPR is true; counts rows dropped for false and for null.
///
/// For example: `| filter EnrollmentStatusCode in ("10", "30")`.
enum FilterStep {
    static func schema(_ expr: Expr, _ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        let t = try ctx.typer(input).type(of: expr)
        if let t, t != .boolean {
            throw ctx.error("a filter needs a true/false condition; this is \(t.rawValue)", expr.span,
                            help: "compare it, e.g. Column == \"value\"")
        }
        return input
    }

    static func run(_ expr: Expr, _ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult) {
        let truth = try ctx.evaluator(input).truth(expr)
        var keep = [Int32]()
        keep.reserveCapacity(input.rowCount)
        var droppedNull = 0
        for i in 0..<input.rowCount {
            if truth.isTrue(i) { keep.append(Int32(i)) } else if truth.isNull(i) { droppedNull += 1 }
        }
        let output = input.gather(keep)
        var result = StepResult(keyword: "filter", rowsIn: input.rowCount, rowsOut: output.rowCount)
        result.droppedNull = droppedNull
        result.droppedFalse = input.rowCount - output.rowCount - droppedNull
        return (output, result)
    }
}
