import TallyModel

/// `trim COL, ...`: each listed text column's values lose the spaces, tabs and line breaks at
/// either end ("No " becomes "No"); a value of only spaces becomes null; nulls stay null. The load option `with trim` does this to
/// every column of a file as it is read; this step does it to chosen columns anywhere in a
/// pipeline (after a join or union with a file loaded without it).
///
/// It is `derive COL = nullif(trim(COL), "")` for each column, through the same evaluator.
public struct TrimStep: StepKind {
    public static let keyword = "trim"
    public static let usage = "trim COL, ... — spaces, tabs and line breaks removed around these text columns' values"
    var columns: [Name]

    public static func parse(_ p: inout Parser) throws -> Self {
        Self(columns: try p.nameList("a text column to trim"))
    }

    /// A trimmed column's values are its own.
    public func lineage(_ ctx: LineageContext) -> ColumnLineage { ctx.unchanged }
    public var tablesRead: [String] { [] }

    /// `nullif(trim(COL), "")`: a value of only spaces becomes null, as an empty field is on load
    /// (and as `with trim` makes it), so a blank is missing, not a value of its own.
    func trimmed(_ column: Name) -> Expr {
        let trim = Expr(.call("trim", [Expr(.name(column.text), column.span)]), column.span)
        return Expr(.call("nullif", [trim, Expr(.literal(.text("")), column.span)]), column.span)
    }

    public func schema(_ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        var seen: Set<String> = []
        for column in columns {
            let t = try ctx.requireColumn(column, in: input)
            guard seen.insert(column.text).inserted else {
                throw ctx.error(.duplicateName, "column \"\(column.text)\" is listed twice", column.span, help: "list each column once")
            }
            // A number or date has no spaces to trim: saying so beats turning it into text.
            guard t == .text else {
                throw ctx.error(
                    .mismatchedTypes, "\(column.text) is \(t.rawValue); trim works on text columns", column.span,
                    help: "leave \(column.text) out of the list")
            }
        }
        return input
    }

    public func run(_ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult) {
        var table = input
        var notes: [String] = []
        for column in columns {
            guard let before = input.column(column.text) else { continue }
            let after = try ctx.evaluator(input).evaluate(trimmed(column))
            var changed = 0
            var blank = 0
            for row in 0..<input.rowCount where before.value(row) != after.value(row) {
                changed += 1
                if after.isNull(row) { blank += 1 }
            }
            table.setColumn(column.text, after)
            notes.append(
                "\(column.text): \(Format.plural(changed, "value")) trimmed" + (blank > 0 ? " (\(blank) of only spaces, now null)" : ""))
        }
        var result = StepResult(keyword: Self.keyword, rowsIn: input.rowCount, rowsOut: table.rowCount)
        result.notes = notes
        return (table, result)
    }
}
