/// Steps whose work is done by a service outside the table engine: `validate calpads LAYOUT`
/// (CALPADS rules) and `diff snapshot "NAME"` (the QA store).
enum ServiceSteps {
    static let findingColumns: [Schema.Field] = [
        .init(name: "rule", type: .text), .init(name: "severity", type: .text), .init(name: "field", type: .text),
        .init(name: "value", type: .text), .init(name: "message", type: .text), .init(name: "file", type: .text),
        .init(name: "line", type: .integer), .init(name: "SSID", type: .text),
    ]

    static func validateSchema(_ layout: Name, _ with: Name?, _ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        if let with { _ = try ctx.requireTable(with) }
        throw ctx.error("validate calpads is not available in this version of Tally", layout.span,
                        help: "CALPADS layouts and rules come with the CALPADS formats work (issue 3)")
    }

    static func diffSchema(_ input: Schema) -> Schema {
        var schema = input
        schema.columns.insert(Schema.Field(name: "change", type: .text), at: 0)
        return schema
    }

    static func validate(_ layout: Name, _ with: Name?, _ span: SourceSpan, _ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult) {
        guard let services = ctx.services else {
            throw Diagnostic("validate calpads is not available in this version of Tally", file: ctx.file, span: span)
        }
        let other = with.flatMap { ctx.tables[$0.text] }
        let output = try services.validate(input, layout: layout.text, with: other, span: span)
        return (output, StepResult(keyword: "validate", rowsIn: input.rowCount, rowsOut: output.rowCount))
    }

    static func diff(_ name: String, _ span: SourceSpan, _ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult) {
        guard let services = ctx.services else {
            throw Diagnostic("diff snapshot needs the QA store", file: ctx.file, span: span)
        }
        let output = try services.diffSnapshot(input, name: name, span: span)
        return (output, StepResult(keyword: "diff", rowsIn: input.rowCount, rowsOut: output.rowCount))
    }
}
