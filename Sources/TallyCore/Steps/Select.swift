import TallyModel

/// `select COL [as NEW], ...`: keeps these columns, in this order, renaming some.
public struct SelectStep: StepKind {
    public static let keyword = "select"
    public static let usage = "select COL [as NEW], ... — keep these columns, in this order"
    var items: [(source: Name, alias: Name?)]

    public static func parse(_ p: inout Parser) throws -> Self {
        var items: [(source: Name, alias: Name?)] = []
        if case .symbol("*") = p.current.kind {
            throw p.error(
                .sqlSpelling, "select names the columns to keep; * is SQL's", p.current.span,
                help: "to keep every column, leave select out; to leave some out, write: drop COLUMN, ...")
        }
        repeat {
            let column = try p.name("a column name")
            let alias = p.acceptKeyword("as") ? try p.name("the new column name") : nil
            items.append((column, alias))
        } while p.acceptSymbol(",")
        return Self(items: items)
    }

    public func lineage(_ ctx: LineageContext) -> ColumnLineage {
        var out: ColumnLineage = [:]
        for pick in items {
            let name = pick.alias?.text ?? pick.source.text
            out[name] = ctx.of(pick.source.text).union([name])
        }
        return out
    }
    public var tablesRead: [String] { [] }

    public func schema(_ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        var fields: [Schema.Field] = []
        for item in items {
            let t = try ctx.requireColumn(item.source, in: input)
            let name = item.alias ?? item.source
            if fields.contains(where: { $0.name == name.text }) {
                throw ctx.error(.duplicateName, "column \"\(name.text)\" is selected twice", name.span, help: "rename one with: as NEW")
            }
            fields.append(Schema.Field(name: name.text, type: t))
        }
        return Schema(columns: fields)
    }

    public func run(_ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult) {
        let output = input.projecting(items.map { ($0.source.text, ($0.alias ?? $0.source).text) })
        return (output, StepResult(keyword: Self.keyword, rowsIn: input.rowCount, rowsOut: output.rowCount))
    }
}
