/// `select COL [as NEW], ...`, `drop COL, ...` and `rename OLD as NEW, ...`.
enum SelectStep {
    static func schema(_ items: [(source: Name, alias: Name?)], _ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
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

    static func run(_ items: [(source: Name, alias: Name?)], _ input: Table) -> (Table, StepResult) {
        let output = input.projecting(items.map { ($0.source.text, ($0.alias ?? $0.source).text) })
        return (output, StepResult(keyword: "select", rowsIn: input.rowCount, rowsOut: output.rowCount))
    }

    static func dropSchema(_ names: [Name], _ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        for name in names { _ = try ctx.requireColumn(name, in: input) }
        let dropped = Set(names.map(\.text))
        return Schema(columns: input.columns.filter { !dropped.contains($0.name) }, open: input.open)
    }

    static func drop(_ names: [Name], _ input: Table) -> (Table, StepResult) {
        let dropped = Set(names.map(\.text))
        let output = input.projecting(input.names.filter { !dropped.contains($0) }.map { ($0, $0) })
        return (output, StepResult(keyword: "drop", rowsIn: input.rowCount, rowsOut: output.rowCount))
    }

    static func renameSchema(_ items: [(from: Name, to: Name)], _ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        var schema = input
        for item in items {
            _ = try ctx.requireColumn(item.from, in: schema)
            if schema.contains(item.to.text) {
                throw ctx.error(.duplicateName, "table \"\(ctx.tableName)\" already has a column \"\(item.to.text)\"", item.to.span)
            }
            if let i = schema.columns.firstIndex(where: { $0.name == item.from.text }) { schema.columns[i].name = item.to.text }
            else if let open = schema.open { schema.columns.append(Schema.Field(name: item.to.text, type: open)) }
        }
        return schema
    }

    static func rename(_ items: [(from: Name, to: Name)], _ input: Table) -> (Table, StepResult) {
        var names = input.names
        for item in items { if let i = names.firstIndex(of: item.from.text) { names[i] = item.to.text } }
        let output = input.projecting(zip(input.names, names).map { ($0.0, $0.1) })
        return (output, StepResult(keyword: "rename", rowsIn: input.rowCount, rowsOut: output.rowCount))
    }
}
