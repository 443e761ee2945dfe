import TallyModel

/// `fill_null COL, ... with VALUE`: each listed column's nulls become VALUE (a value, a parameter,
/// or an expression over the row); other values are kept. The column keeps its type (an integer
/// column filled with a decimal becomes decimal).
///
/// For example, after a left join: `| fill_null students with 0`.
/// It is `derive COL = coalesce(COL, VALUE)` for each column, through the same evaluator.
public struct FillNullStep: StepKind {
    public static let keyword = "fill_null"
    public static let usage = "fill_null COL, ... with VALUE — the nulls of these columns become VALUE"
    var columns: [Name]
    var value: Expr

    public static func parse(_ p: inout Parser) throws -> Self {
        // `fill_null with 0`: the columns were left out (with would be read as one).
        if p.current.isKeyword("with"), !p.peek().isSymbol(","), !p.peek().isKeyword("with") {
            throw p.error(
                .unexpectedToken, "fill_null names the columns to fill before with", p.current.span,
                help: "write: fill_null COLUMN, ... with VALUE")
        }
        let columns = try p.nameList("a column whose nulls to fill")
        guard p.acceptKeyword("with") else { throw p.unexpected("\"with\" and the value to put in place of null (with 0)") }
        return Self(columns: columns, value: try p.parseExpression())
    }

    /// A filled column's values are its own, or the value's (which may read other columns).
    public func lineage(_ ctx: LineageContext) -> ColumnLineage {
        var out = ctx.input
        let filling = ctx.sources(value)
        for column in columns { out[column.text] = ctx.of(column.text).union(filling) }
        return out
    }
    public var tablesRead: [String] { StepRegistry.tables(in: value) }

    func coalesce(_ column: Name) -> Expr { Expr(.call("coalesce", [Expr(.name(column.text), column.span), value]), column.span) }

    public func schema(_ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        var schema = input
        // `with null` would fill nothing while the cell said it had.
        if value.kind == .literal(.null) {
            throw ctx.error(
                .mismatchedTypes, "fill_null with null leaves every null as it is", value.span,
                help: "give the value to put in place of null (with 0)")
        }
        let typer = ctx.typer(input)
        let valueType = try typer.type(of: value)
        // Quotes are the fix for a number written where text goes, not for another column or a parameter.
        let isLiteral = if case .literal = value.kind { true } else { false }
        var seen: Set<String> = []
        for column in columns {
            let t = try ctx.requireColumn(column, in: input)
            // Listed twice, the second fill would see no nulls: a slip, not a request.
            guard seen.insert(column.text).inserted else {
                throw ctx.error(.duplicateName, "column \"\(column.text)\" is listed twice", column.span, help: "list each column once")
            }
            if let valueType, !t.isComparable(with: valueType) {
                throw ctx.error(
                    .mismatchedTypes, "\(column.text) is \(t.rawValue); fill_null cannot put \(valueType.rawValue) in it", value.span,
                    help: t == .text && isLiteral ? "write the value in quotes" : "give a value of the column's type")
            }
            schema.set(column.text, try typer.type(of: coalesce(column)) ?? t)
        }
        return schema
    }

    public func run(_ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult) {
        var table = input
        var notes: [String] = []
        let evaluator = ctx.evaluator(input)
        for column in columns {
            guard let before = input.column(column.text) else { continue }
            let after = try evaluator.evaluate(coalesce(column))
            // A value that is itself null on a row (another column's null, 1 / 0) leaves that null:
            // the cell counts only the nulls really filled and says how many are left.
            var filled = 0
            var left = 0
            for row in 0..<input.rowCount where before.isNull(row) {
                if after.isNull(row) { left += 1 } else { filled += 1 }
            }
            table.setColumn(column.text, after)
            notes.append(
                "\(column.text): \(Format.plural(filled, "null")) filled"
                    + (left > 0 ? ", \(left) left null (the value was null there)" : ""))
        }
        var result = StepResult(keyword: Self.keyword, rowsIn: input.rowCount, rowsOut: table.rowCount)
        result.notes = notes
        return (table, result)
    }
}
