/// Steps whose work is done by a service outside the table engine: `validate calpads LAYOUT`
/// (CALPADS rules) and `diff snapshot "NAME"` (the QA store).
enum ServiceSteps {
    static let findingColumns: [Schema.Field] = [
        .init(name: "rule", type: .text), .init(name: "severity", type: .text), .init(name: "field", type: .text),
        .init(name: "value", type: .text), .init(name: "message", type: .text), .init(name: "file", type: .text),
        .init(name: "line", type: .integer), .init(name: "SSID", type: .text), .init(name: "resolution", type: .text),
    ] + CalpadsValidator.recordColumns.map { .init(name: $0, type: .text) }

    static func validateSchema(_ layout: Name, _ with: [Name], _ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        guard !CalpadsLayouts.layouts(for: layout.text).isEmpty else {
            throw ctx.error(.unknownLayout, "no CALPADS layout \"\(layout.text)\"", layout.span,
                            help: Suggest.help(for: layout.text, in: CalpadsLayouts.types, noun: "layouts"))
        }
        var given: [(name: String, table: Table?, columns: [String])] = []
        for name in with { given.append((name.text, nil, try ctx.requireTable(name).columns.map(\.name))) }
        if case .failure(let problem) = CalpadsPartners.sort(given, for: layout.text.uppercased()) {
            throw ctx.error(.recordType, problem.message, with[problem.index].span, help: problem.help)
        }
        let type = layout.text.uppercased()
        for (name, (_, _, columns)) in zip(with, given) where with.count == 1 && CalpadsPartners.type(ofColumns: columns) == nil {
            // A table that is no CALPADS file stands for the type's usual partner: student course
            // sections are matched with course sections, staff by SEID; the rest by student.
            if type == "SASS" {
                guard columns.contains("SEID") else {
                    throw ctx.error(.missingKeyColumn, "\(name.text) has no SEID column to match staff by", name.span,
                                    help: "validate calpads SASS with the table loaded as calpads SDEM")
                }
            } else if ["SCSE", "SCSC"].contains(type) {
                guard columns.contains("CourseSectionID") else {
                    throw ctx.error(.missingKeyColumn, "\(name.text) has no CourseSectionID column to match course sections by", name.span,
                                    help: "validate calpads SCSE with the table loaded as calpads CRSE")
                }
            } else {
                guard columns.contains("SSID") else { throw ctx.error(.missingKeyColumn, "\(name.text) has no SSID column to match students by", name.span) }
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

    static func validate(_ layout: Name, _ with: [Name], _ span: SourceSpan, _ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult) {
        let others = with.compactMap { name in ctx.tables[name.text].map { (name: name.text, table: $0) } }
        // The tables' record types can refuse a with list the check let through by columns (an
        // SCSE file where SCSC is read): point at the table in the playbook.
        let partners: CalpadsPartners
        switch CalpadsPartners.sort(others.map { ($0.name, $0.table, $0.table.names) }, for: layout.text.uppercased()) {
        case .success(let sorted): partners = sorted
        case .failure(let p):
            let at = others.count == with.count ? with[p.index].span : span
            throw Diagnostic(.recordType, .error, p.message, file: ctx.file, line: at.line, column: at.column, length: at.length, help: p.help)
        }
        let output: Table
        do {
            output = try CalpadsValidator.validate(input, type: layout.text, partners: partners, file: ctx.file)
        } catch var d as Diagnostic where d.line == 0 && d.file == ctx.file {
            // A with table without the columns its rules read: point at the list in the playbook.
            let at = with.first?.span ?? span
            (d.line, d.column, d.length) = (at.line, at.column, with.last.map { $0.span.column + $0.span.length - at.column } ?? at.length)
            if !with.isEmpty { d.message += " (with \(with.map(\.text).joined(separator: ", ")))" }
            throw d
        }
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
            throw Diagnostic(.storeNeeded, "diff snapshot needs the QA store", file: ctx.file, span: span)
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
