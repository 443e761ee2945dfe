import TallyModel

/// `derive NAME = EXPR, ...`: adds or replaces columns; later items see earlier ones.
public struct DeriveStep: StepKind {
    public static let keyword = "derive"
    public static let usage = "derive NAME = EXPR, ... — add or replace columns; later items see earlier ones"
    var items: [(Name, Expr)]

    public static func parse(_ p: inout Parser) throws -> Self {
        var items: [(Name, Expr)] = []
        repeat {
            let column = try p.name("a column name")
            try p.expectSymbol("=")
            items.append((column, try p.parseExpression()))
        } while p.acceptSymbol(",")
        return Self(items: items)
    }

    /// A new column comes from what its expression reads (earlier items included).
    public func lineage(_ ctx: LineageContext) -> ColumnLineage {
        var out = ctx.input
        for (name, expr) in items {
            out[name.text] = Lineage.sources(of: expr, out, tables: ctx.tables).union([name.text])
        }
        return out
    }
    public var tablesRead: [String] { items.flatMap { StepRegistry.tables(in: $0.1) } }
    public func lint(_ schema: Schema, file: String) -> [Diagnostic] {
        var warnings: [Diagnostic] = []
        for (_, e) in items { Lint.expression(e, schema, file, into: &warnings) }
        return warnings
    }

    public func schema(_ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        var schema = input
        for (name, expr) in items {
            let t = try ctx.typer(schema).type(of: expr) ?? .text
            schema.set(name.text, t)
        }
        return schema
    }

    public func run(_ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult) {
        var table = input
        for (name, expr) in items {
            table.setColumn(name.text, try ctx.evaluator(table).evaluate(expr))
        }
        var result = StepResult(keyword: "derive", rowsIn: input.rowCount, rowsOut: table.rowCount)
        result.notes = items.map { "\($0.0.text): \(table.column($0.0.text)?.type.rawValue ?? "")" }
        // number(x) / integer(x): the values that are not numbers became null; say how many.
        for (name, expr) in items {
            guard case .call(let f, let args) = expr.kind, f == "number" || f == "integer", args.count == 1,
                let made = table.column(name.text)
            else { continue }
            let argument = try ctx.evaluator(input).evaluate(args[0])
            // (No example value: a note is free text, and the column may be masked.)
            var count = 0
            for row in 0..<table.rowCount where made.isNull(row) && !argument.isNull(row) { count += 1 }
            if count > 0 {
                result.notes.append(
                    "warning: \(name.text): \(Format.plural(count, "value")) of \(ExprTyper.source(args[0])) not \(f == "number" ? "a number" : "an integer") became null"
                )
            }
        }
        return (table, result)
    }
}
