import TallyModel

/// `validate calpads LAYOUT [with TABLE, ...]`: the findings of the CALPADS rules for the file
/// type over the table (and the partner files of the with-list), a row per finding.
public struct ValidateStep: StepKind {
    public static let keyword = "validate"
    public static let usage = "validate calpads TYPE [with TABLE, ...] — a row per CALPADS rule finding (tally rules TYPE lists them)"
    var layout: Name
    var with: [Name]

    public static func parse(_ p: inout Parser) throws -> Self {
        try p.expectKeyword("calpads")
        let layout = try p.name("a CALPADS file type such as SENR")
        return Self(layout: layout, with: p.acceptKeyword("with") ? try p.nameList("a table name") : [])
    }

    public var tablesRead: [String] { with.map(\.text) }

    /// A finding's value is a value of the field its row names; its message may quote it.
    public func lineage(_ ctx: LineageContext) -> ColumnLineage {
        var out: ColumnLineage = [:]
        for name in ctx.output {
            switch name {
            case "value": out[name] = [Lineage.fieldValue]
            case "message": out[name] = [Lineage.fieldText]
            // The record's SSID, school and local IDs: as sensitive as the input's.
            case "SSID", "LocalRecordID", "LocalStudentID": out[name] = ctx.of(name)
            case "SchoolOfAttendance": out[name] = ctx.of(CalpadsValidator.schoolField(type: layout.text) ?? name)
            default: out[name] = [name]
            }
        }
        return out
    }

    static let findingColumns: [Schema.Field] =
        [
            .init(name: "rule", type: .text), .init(name: "severity", type: .text), .init(name: "field", type: .text),
            .init(name: "value", type: .text), .init(name: "message", type: .text), .init(name: "file", type: .text),
            .init(name: "line", type: .integer), .init(name: "SSID", type: .text), .init(name: "resolution", type: .text),
        ] + CalpadsValidator.recordColumns.map { .init(name: $0, type: .text) }

    public func schema(_ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        guard !CalpadsLayouts.layouts(for: layout.text).isEmpty else {
            throw ctx.error(
                .unknownLayout, "no CALPADS layout \"\(layout.text)\"", layout.span,
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
                    throw ctx.error(
                        .missingKeyColumn, "\(name.text) has no SEID column to match staff by", name.span,
                        help: "validate calpads SASS with the table loaded as calpads SDEM")
                }
            } else if ["SCSE", "SCSC"].contains(type) {
                guard columns.contains("CourseSectionID") else {
                    throw ctx.error(
                        .missingKeyColumn, "\(name.text) has no CourseSectionID column to match course sections by", name.span,
                        help: "validate calpads SCSE with the table loaded as calpads CRSE")
                }
            } else {
                guard columns.contains("SSID") else {
                    throw ctx.error(.missingKeyColumn, "\(name.text) has no SSID column to match students by", name.span)
                }
            }
        }
        return Schema(columns: Self.findingColumns)
    }

    public func run(_ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult) {
        let span = ctx.span
        let others = with.compactMap { name in ctx.tables[name.text].map { (name: name.text, table: $0) } }
        // The tables' record types can refuse a with list the check let through by columns (an
        // SCSE file where SCSC is read): point at the table in the playbook.
        let partners: CalpadsPartners
        switch CalpadsPartners.sort(others.map { ($0.name, $0.table, $0.table.names) }, for: layout.text.uppercased()) {
        case .success(let sorted): partners = sorted
        case .failure(let p):
            let at = others.count == with.count ? with[p.index].span : span
            throw Diagnostic(
                .recordType, .error, p.message, file: ctx.file, line: at.line, column: at.column, length: at.length, help: p.help)
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
}
