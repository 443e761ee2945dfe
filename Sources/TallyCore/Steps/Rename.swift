import TallyModel

/// `rename OLD as NEW, ...` (or `OLD to NEW`): the same columns under new names.
public struct RenameStep: StepKind {
    public static let keyword = "rename"
    public static let usage = "rename OLD as NEW, ... — the same columns under new names"
    var items: [(from: Name, to: Name)]

    public static func parse(_ p: inout Parser) throws -> Self {
        var items: [(from: Name, to: Name)] = []
        repeat {
            let old = try p.name("a column name")
            guard p.acceptKeyword("as") || p.acceptKeyword("to") else { throw p.unexpected("\"as\" and the new name") }
            items.append((old, try p.name("the new column name")))
        } while p.acceptSymbol(",")
        return Self(items: items)
    }

    public func lineage(_ ctx: LineageContext) -> ColumnLineage {
        var out = ctx.input
        for pair in items {
            out[pair.to.text] = Lineage.of(pair.from.text, in: ctx.input).union([pair.to.text])
            out[pair.from.text] = nil
        }
        return out
    }
    public var tablesRead: [String] { [] }

    public func schema(_ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        var schema = input
        for item in items {
            _ = try ctx.requireColumn(item.from, in: schema)
            if schema.contains(item.to.text) {
                throw ctx.error(.duplicateName, "table \"\(ctx.tableName)\" already has a column \"\(item.to.text)\"", item.to.span)
            }
            if let i = schema.columns.firstIndex(where: { $0.name == item.from.text }) {
                schema.columns[i].name = item.to.text
            } else if let open = schema.open {
                schema.columns.append(Schema.Field(name: item.to.text, type: open))
            }
        }
        return schema
    }

    public func run(_ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult) {
        var names = input.names
        for item in items { if let i = names.firstIndex(of: item.from.text) { names[i] = item.to.text } }
        let output = input.projecting(zip(input.names, names).map { ($0.0, $0.1) })
        return (output, StepResult(keyword: Self.keyword, rowsIn: input.rowCount, rowsOut: output.rowCount))
    }
}
