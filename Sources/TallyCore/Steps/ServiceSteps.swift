/// Steps whose work is done by a service outside the table engine: `validate calpads LAYOUT`
/// (CALPADS rules) and `diff snapshot "NAME"` (the QA store).
enum ServiceSteps {
    static let findingColumns: [Schema.Field] = [
        .init(name: "rule", type: .text), .init(name: "severity", type: .text), .init(name: "field", type: .text),
        .init(name: "value", type: .text), .init(name: "message", type: .text), .init(name: "file", type: .text),
        .init(name: "line", type: .integer), .init(name: "SSID", type: .text), .init(name: "resolution", type: .text),
    ] + CalpadsValidator.recordColumns.map { .init(name: $0, type: .text) }

    static func validateSchema(_ layout: Name, _ with: Name?, _ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        guard !CalpadsLayouts.layouts(for: layout.text).isEmpty else {
            throw ctx.error("no CALPADS layout \"\(layout.text)\"", layout.span,
                            help: Suggest.help(for: layout.text, in: CalpadsLayouts.types, noun: "layouts"))
        }
        if let with {
            let other = try ctx.requireTable(with)
            // Student course sections are matched with course sections; everything else by student.
            if layout.text.uppercased() == "SASS" {
                guard other.contains("SEID") else {
                    throw ctx.error("\(with.text) has no SEID column to match staff by", with.span,
                                    help: "validate calpads SASS with the table loaded as calpads SDEM")
                }
            } else if ["SCSE", "SCSC"].contains(layout.text.uppercased()) {
                guard other.contains("CourseSectionID") else {
                    throw ctx.error("\(with.text) has no CourseSectionID column to match course sections by", with.span,
                                    help: "validate calpads SCSE with the table loaded as calpads CRSE")
                }
            } else {
                guard other.contains("SSID") else { throw ctx.error("\(with.text) has no SSID column to match students by", with.span) }
            }
        }
        return Schema(columns: findingColumns)
    }

    static func diffSchema(_ input: Schema) -> Schema {
        var schema = input
        schema.columns.insert(Schema.Field(name: "change", type: .text), at: 0)
        schema.columns.append(Schema.Field(name: "changes", type: .text))
        return schema
    }

    static func validate(_ layout: Name, _ with: Name?, _ span: SourceSpan, _ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult) {
        let other = with.flatMap { ctx.tables[$0.text] }
        let output = try CalpadsValidator.validate(input, type: layout.text, with: other, file: ctx.file)
        var result = StepResult(keyword: "validate", rowsIn: input.rowCount, rowsOut: output.rowCount)
        if let severity = output.column("severity") {
            let fatal = (0..<output.rowCount).filter { severity.value($0) == .text("fatal") }.count
            result.notes = ["\(Format.plural(fatal, "fatal finding")), \(Format.plural(output.rowCount - fatal, "warning"))"]
        }
        return (output, result)
    }

    static func diff(_ name: String, _ asOf: SnapshotBaseline?, _ scope: [Name]?, _ span: SourceSpan, _ input: Table,
                     _ ctx: StepRunContext) throws -> (Table, StepResult) {
        guard let services = ctx.services else {
            throw Diagnostic("diff snapshot needs the QA store", file: ctx.file, span: span)
        }
        let (output, baseline) = try services.diffSnapshot(input, name: name, asOf: asOf, scope: scope, span: span)
        var result = StepResult(keyword: "diff", rowsIn: input.rowCount, rowsOut: output.rowCount)
        var counts: [String: Int] = [:]
        if let change = output.column("change") {
            for row in 0..<output.rowCount { counts[change.value(row).display, default: 0] += 1 }
        }
        result.notes = ["\(counts["added"] ?? 0) added, \(counts["removed"] ?? 0) removed, \(counts["changed"] ?? 0) changed since snapshot \"\(name)\" \(baseline)"]
        return (output, result)
    }
}
