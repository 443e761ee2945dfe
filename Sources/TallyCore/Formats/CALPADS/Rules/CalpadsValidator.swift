/// Runs the CALPADS rules over a table loaded `as calpads TYPE` (or built with the layout's
/// column names) and returns one row per problem: `rule`, `severity`, `field`, `value`,
/// `message`, `file`, `line`, `SSID`, `resolution`, then the record's school, Local Record ID and
/// local student ID (`recordColumns`). Findings keep the source row's provenance.
public enum CalpadsValidator {
    struct Finding {
        var rule: String
        var field: String
        var value: String
        var message: String
        var row: Int
        var file: String? = nil
        var line: Int? = nil
    }

    /// Reads a table's fields by layout name.
    struct Record {
        let table: Table
        let columns: [String: Column]
        init(_ table: Table) {
            self.table = table
            var map: [String: Column] = [:]
            for (name, column) in zip(table.names, table.columns) { map[name] = column }
            columns = map
        }
        func text(_ field: String, _ row: Int) -> String? {
            guard let c = columns[field], !c.isNull(row) else { return nil }
            let s = c.value(row).display
            return s.isEmpty ? nil : s
        }
        func date(_ field: String, _ row: Int) -> Int32? {
            guard let c = columns[field], !c.isNull(row), case .date(let d) = c.value(row) else { return nil }
            return d
        }
    }

    /// `with`: the other files cross-file rules read, in any order (`CalpadsPartners`).
    public static func validate(_ table: Table, type: String, with others: [(name: String, table: Table)] = [],
                                file: String) throws -> Table {
        try validate(table, type: type, partners: try CalpadsPartners.sort(others, for: type.uppercased(), file: file), file: file)
    }

    /// With the other files already sorted by type (the `validate` step sorts them once, to point
    /// at the playbook's list when one is refused).
    public static func validate(_ table: Table, type: String, partners: CalpadsPartners, file: String) throws -> Table {
        let type = type.uppercased()
        guard let layout = CalpadsWriter.layout(for: table, type: type, year: nil) else {
            throw Diagnostic(.error, "no CALPADS layout \(type)", file: file,
                             help: Suggest.help(for: type, in: CalpadsLayouts.types, noun: "layouts"))
        }
        let record = Record(table)
        var findings: [Finding] = []
        findings += fieldRules(record, layout) + declarativeRules(record, type: type, layout)
        switch type {
        case "SENR": findings += enrollmentRules(record, layout) + enrollmentCrossRecordRules(record, sinf: partners["SINF"])
            + (try absenceNeededRules(record, layout, stas: partners["STAS"], file: file))
            + fall1EnrollmentRules(record, layout, partners: partners)
            + (try courseDataNeededRules(record, scse: partners["SCSE"], scsc: partners["SCSC"], file: file))
        case "SINF": findings += studentInformationRules(record) + raceRules(record, prefix: "Student", rule: "SINF0046")
        case "SPRG": findings += programRules(record, layout) + mealProgramYearRules(record, layout)
            + (try programEnrollmentRules(record, senr: partners["SENR"], file: file)) + openProgramRules(record, layout)
        case "SELA": findings += englishRules(record, layout) + englishSequenceRules(record, layout) + (try enrolledRules(record, type: type, senr: partners["SENR"], file: file))
            + (try fall1LanguageRules(record, layout, senr: partners["SENR"], file: file))
        case "SASS": findings += try staffRules(record, sdem: partners["SDEM"], file: file) + staffFTERules(record, layout) + (try teacherSectionRules(record, crse: partners["CRSE"], file: file))
        case "SDEM": findings += raceRules(record, prefix: "Staff", rule: "SDEM-RACE")
        case "CRSE", "CRSC": findings += courseRules(record, type: type, layout)
            + (type == "CRSE" ? try courseTeacherRules(record, layout, sass: partners["SASS"], sdem: partners["SDEM"], file: file)
                : try sectionCompletedRules(record, scsc: partners["SCSC"], file: file))
        case "SCTE": findings += pathwayRules(record, layout)
        case "STAS": findings += try absenceRules(record, senr: partners["SENR"], file: file) + absenceSummaryRules(record, layout)
            + (try absenceCrossFileRules(record, senr: partners["SENR"], sirs: partners["SIRS"], sinc: partners["SINC"], file: file))
        case "SCSE", "SCSC": findings += try courseSectionRules(record, type: type, courses: partners["CRSE"], file: file)
            + (type == "SCSC" ? try completionEnrolledRules(record, senr: partners["SENR"], file: file) : [])
        default: break
        }
        return makeTable(findings, type: type, table, record)
    }

    static func yearStart(_ r: Record, _ row: Int, _ layout: CalpadsLayout) -> Int {
        r.text("AcademicYearID", row).flatMap(CalpadsLayouts.startYear) ?? layout.firstYear
    }

    static func allDigits(_ s: String, count: Int) -> Bool { s.count == count && s.allSatisfy { $0.isASCII && $0.isNumber } }

    /// Rules on single fields of every file type.
    static func fieldRules(_ r: Record, _ layout: CalpadsLayout) -> [Finding] {
        var out: [Finding] = []
        let n = r.table.rowCount
        // Dates the reader could not parse, by source line.
        let lines = r.table.provenance.line
        var rowOfLine: [Int32: Int] = [:]
        for (row, line) in lines.enumerated() where rowOfLine[line] == nil { rowOfLine[line] = row }
        for bad in r.table.rejected {
            guard let row = rowOfLine[Int32(bad.line)] else { continue }
            out.append(Finding(rule: "FRMT0002", field: bad.column, value: bad.raw,
                               message: "\"\(bad.raw)\" is not a CCYYMMDD date that exists", row: row))
        }
        let required = layout.fields.filter { $0.required && $0.name != "RecordTypeCode" }
        let limited = layout.fields.filter { $0.maxLength > 0 && !$0.isDate }
        let indicators = layout.fields.filter { $0.name.hasSuffix("Indicator") }
        for row in 0..<n {
            for field in required where r.columns[field.name] != nil && r.text(field.name, row) == nil {
                if field.isDate, r.table.rejected.contains(where: { $0.column == field.name && $0.line == Int(lines[row]) }) { continue }
                out.append(Finding(rule: "GERR0001", field: field.name, value: "",
                                   message: "\(field.label) (\(field.number)) is required", row: row))
            }
            for field in limited {
                guard let v = r.text(field.name, row), v.count > field.maxLength else { continue }
                out.append(Finding(rule: "FRMT0001", field: field.name, value: v,
                                   message: "\(field.label) is \(v.count) characters, at most \(field.maxLength) allowed", row: row))
            }
            if let v = r.text("SSID", row), !allDigits(v, count: 10) {
                out.append(Finding(rule: "GEN-SSID", field: "SSID", value: v, message: "an SSID is ten digits", row: row))
            }
            if let v = r.text("TransactionTypeCode", row), v != "D", v != "R" {
                out.append(Finding(rule: "GERR0008", field: "TransactionTypeCode", value: v,
                                   message: "the transaction type is blank, D or R", row: row))
            }
            if let v = r.text("ReportingLEA", row), !allDigits(v, count: 7) {
                out.append(Finding(rule: "GEN-LEA-CODE", field: "ReportingLEA", value: v, message: "an LEA code is seven digits", row: row))
            }
            if let v = r.text("SchoolOfAttendance", row), !allDigits(v, count: 7) {
                out.append(Finding(rule: "GEN-SCHOOL-CODE", field: "SchoolOfAttendance", value: v, message: "a school code is seven digits", row: row))
            }
            if let v = r.text("StudentGenderCode", row), !CalpadsCodes.genders.contains(v) {
                out.append(Finding(rule: "GERR0002", field: "StudentGenderCode", value: v, message: "the gender code is M, F or X", row: row))
            }
            for field in indicators {
                guard let v = r.text(field.name, row), v != "Y", v != "N" else { continue }
                out.append(Finding(rule: "GEN-INDICATOR", field: field.name, value: v, message: "\(field.label) is Y or N", row: row))
            }
            if let birth = r.date("StudentBirthDate", row) {
                let start = yearStart(r, row, layout)
                let yearBegins = DateCodec.days(year: start, month: 7, day: 1) ?? 0
                if birth >= yearBegins || FunctionRegistry.age(birth, yearBegins) >= 100 {
                    out.append(Finding(rule: "GEN-BIRTH-DATE", field: "StudentBirthDate", value: DateCodec.format(birth, "YYYYMMDD"),
                                       message: "the birth date is not plausible for \(start)-\(start + 1)", row: row))
                }
            }
            if let v = r.text("StudentBirthCountryCode", row), !(v.count == 2 && v.allSatisfy { $0.isASCII && $0.isUppercase }) {
                out.append(Finding(rule: "GEN-COUNTRY-CODE", field: "StudentBirthCountryCode", value: v,
                                   message: "a country code is two capital letters", row: row))
            }
        }
        return out
    }
}
