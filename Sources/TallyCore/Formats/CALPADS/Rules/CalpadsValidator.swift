import TallyModel

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

    /// Reads a table's fields by layout name, through views of its columns prepared once per
    /// `Record` (the rules ask for millions of fields: going through `Column.value` made a `Value`
    /// and a `String` per field per rule, and the text dictionary's lock each time). A text column's
    /// view holds each distinct value once as a `String` (nil for the empty string), indexed by the
    /// dictionary code, so `text` is two array reads; a date column's view is its day numbers.
    /// Views are made on first use of a column (a column no rule reads costs nothing).
    /// A class: rules and their closures pass it around, and copying a struct of a table and a
    /// dictionary retained each of their parts.
    final class Record {
        let table: Table
        let columns: [String: Column]
        let views: Views

        init(_ table: Table) {
            self.table = table
            var map: [String: Column] = [:]
            for (name, column) in zip(table.names, table.columns) { map[name] = column }
            columns = map
            views = Views(table)
        }

        func text(_ field: String, _ row: Int) -> String? {
            guard let view = views[field] else { return nil }
            return view.text(row)
        }

        func date(_ field: String, _ row: Int) -> Int32? {
            guard let view = views[field] else { return nil }
            return view.date(row)
        }

        /// The prepared view of a column, for rules written as kernels over it.
        func view(_ field: String) -> FieldView? { views[field] }

        /// A dense id per row of the values of `fields` together, -1 where one is blank: what
        /// joining them into a key `String` told apart, as integers (each field's dense ids,
        /// combined field by field).
        func keyIDs(_ fields: [String]) -> [Int] {
            let n = table.rowCount
            // Text and date fields: `KeyEncoder` numbers the codes and day numbers (array-indexed
            // or in its integer table); an empty text is blank here, as in `FieldView.text`.
            let keyViews = fields.compactMap { views[$0] }
            if !fields.isEmpty, keyViews.count == fields.count, keyViews.allSatisfy({ $0.isTextOrDate }) {
                let ids = KeyEncoder.encode([keyViews.map(\.column)]).ids[0]
                return (0..<n).map { row in ids[row] < 0 || keyViews.contains { !$0.hasText(row) } ? -1 : Int(ids[row]) }
            }
            var ids = [Int](repeating: 0, count: n)
            for (k, field) in fields.enumerated() {
                guard let view = views[field] else { return [Int](repeating: -1, count: n) }
                // (the key so far, this field's atom) numbered in order of first appearance.
                var dense: [Int64: Int] = [:]
                for row in 0..<n where ids[row] >= 0 {
                    guard let atom = view.atom(row) else { ids[row] = -1; continue }
                    let pair = (k == 0 ? 0 : Int64(ids[row]) << 32) | Int64(atom)
                    if let id = dense[pair] { ids[row] = id } else { let id = dense.count; dense[pair] = id; ids[row] = id }
                }
            }
            return fields.isEmpty ? [Int](repeating: -1, count: n) : ids
        }

        /// Where to look for rows with equal values of `fields`: the rows (ascending) of each
        /// repeated value of its text field with the most distinct values (a student's records,
        /// for a key with the SSID), to be compared field by field (`FieldView.atom`) — or, with no
        /// text field, of each repeated whole key (`keyIDs`). No groups when a field is missing.
        func keyGroups(_ fields: [String]) -> (groups: [ArraySlice<Int>], views: [FieldView]) {
            let keyViews = fields.compactMap { views[$0] }
            guard !fields.isEmpty, keyViews.count == fields.count else { return ([], []) }
            if let widest = keyViews.filter(\.isText).max(by: { $0.idCount < $1.idCount }) {
                return (widest.groups.repeatedRows, keyViews)
            }
            let ids = keyIDs(fields), count = (ids.max() ?? -1) + 1, byKey = IDGroups(ids.map { Int32($0) }, count: count)
            return ((0..<count).map { byKey[Int32($0)] }.filter { $0.count > 1 }, keyViews)
        }

        /// The rows of each value of a column (`RowGroups`), made once per `Record`.
        func groups(_ field: String) -> RowGroups? { views[field]?.groups }

        /// The start year of the row's Academic Year ID (`CalpadsLayouts.startYear`), worked out
        /// once per distinct value.
        func startYear(_ row: Int) -> Int? {
            let years = views.startYears // empty when the table has no Academic Year ID
            guard row < years.count, years[row] != Int32.min else { return nil }
            return Int(years[row])
        }
    }

    /// `with`: the other files cross-file rules read, in any order (`CalpadsPartners`).
    public static func validate(
        _ table: Table, type: String, with others: [(name: String, table: Table)] = [],
        file: String
    ) throws -> Table {
        try validate(table, type: type, partners: try CalpadsPartners.sort(others, for: type.uppercased(), file: file), file: file)
    }

    /// With the other files already sorted by type (the `validate` step sorts them once, to point
    /// at the playbook's list when one is refused).
    public static func validate(_ table: Table, type: String, partners: CalpadsPartners, file: String) throws -> Table {
        let type = type.uppercased()
        guard let layout = CalpadsWriter.layout(for: table, type: type, year: nil) else {
            throw Diagnostic(
                .unknownLayout, .error, "no CALPADS layout \(type)", file: file,
                help: Suggest.help(for: type, in: CalpadsLayouts.types, noun: "layouts"))
        }
        let record = Record(table)
        // Every view of the file and each row's start year made now (the views in parallel; a
        // view's groups and ids are made under a lock): the three rule groups below then only
        // read the record and run at once,
        // the file's own rules (the largest) first. Their findings join in the order they always
        // did; a partner file is read by the file's own rules only.
        record.views.makeAll()
        _ = record.views.startYears
        // One `Record` per partner file for the whole call: its views (and the joins made on
        // them) are shared by every rule that reads the file, not made again by each.
        let with = partners.byType.mapValues { Record($0) }
        let groups: [() throws -> [Finding]] = [
            { fieldRules(record, layout) }, { declarativeRules(record, type: type, layout) },
            { try fileRules(record, type: type, layout, with: with, partners: partners, file: file) },
        ]
        var results = [Result<[Finding], Error>](repeating: .success([]), count: groups.count)
        results.withUnsafeMutableBufferPointer { slots in
            Parallel.forEach(groups.count) { i in
                let k = (i + groups.count - 1) % groups.count
                slots[k] = Result { try groups[k]() }
            }
        }
        var findings: [Finding] = []
        for result in results { findings += try result.get() }
        return makeTable(findings, type: type, table, record)
    }

    /// The rules of one file type beyond the field and declarative checks, with the partner files.
    static func fileRules(
        _ record: Record, type: String, _ layout: CalpadsLayout, with: [String: Record], partners: CalpadsPartners, file: String
    ) throws -> [Finding] {
        var findings: [Finding] = []
        switch type {
        case "SENR":
            findings +=
                enrollmentRules(record, layout) + enrollmentCrossRecordRules(record, sinf: with["SINF"])
                + (try absenceNeededRules(record, layout, stas: partners["STAS"], file: file))
                + fall1EnrollmentRules(record, layout, with: with)
                + (try courseDataNeededRules(record, scse: partners["SCSE"], scsc: partners["SCSC"], file: file))
        case "SINF": findings += studentInformationRules(record) + raceRules(record, prefix: "Student", rule: "SINF0046")
        case "SPRG":
            findings +=
                programRules(record, layout) + mealProgramYearRules(record, layout)
                + (try programEnrollmentRules(record, senr: with["SENR"], file: file)) + openProgramRules(record, layout)
        case "SELA":
            findings +=
                englishRules(record, layout) + englishSequenceRules(record, layout)
                + (try enrolledRules(record, type: type, senr: with["SENR"], file: file))
                + (try fall1LanguageRules(record, layout, senr: with["SENR"], file: file))
        case "SASS":
            findings +=
                try staffRules(record, sdem: partners["SDEM"], file: file) + staffFTERules(record, layout)
                + (try teacherSectionRules(record, crse: partners["CRSE"], file: file))
        case "SDEM": findings += raceRules(record, prefix: "Staff", rule: "SDEM-RACE")
        case "CRSE", "CRSC":
            findings +=
                courseRules(record, type: type, layout)
                + (type == "CRSE"
                    ? try courseTeacherRules(record, layout, sass: partners["SASS"], sdem: partners["SDEM"], file: file)
                    : try sectionCompletedRules(record, scsc: partners["SCSC"], file: file))
        case "SCTE": findings += pathwayRules(record, layout)
        case "STAS":
            findings +=
                try absenceRules(record, senr: partners["SENR"], file: file) + absenceSummaryRules(record, layout)
                + (try absenceCrossFileRules(record, senr: partners["SENR"], sirs: partners["SIRS"], sinc: partners["SINC"], file: file))
        case "SCSE", "SCSC":
            findings +=
                try courseSectionRules(record, type: type, courses: partners["CRSE"], file: file)
                + (type == "SCSC" ? try completionEnrolledRules(record, senr: partners["SENR"], file: file) : [])
        default: break
        }
        return findings
    }

    static func yearStart(_ r: Record, _ row: Int, _ layout: CalpadsLayout) -> Int {
        r.startYear(row) ?? layout.firstYear
    }

    /// `count` ASCII digits. By the UTF-8 bytes: the only characters that are ASCII and numbers are
    /// 0-9, one byte each (`Character.isNumber` per character of a million SSIDs was slow).
    static func allDigits(_ s: String, count: Int) -> Bool { s.utf8.count == count && s.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }

    /// Rules on single fields of every file type, each as a kernel over a whole column: a code
    /// check judges each distinct value once (`FieldView.rows(failing:)`). The findings of a row
    /// come out in the order the row-by-row loop gave them (block by block below; `makeTable`'s
    /// sort by line, row and rule is stable).
    static func fieldRules(_ r: Record, _ layout: CalpadsLayout) -> [Finding] {
        var out: [Finding] = []
        // Dates the reader could not parse, by source line.
        let lines = r.table.provenance.line
        var rejectedAt = Set<String>()
        if !r.table.rejected.isEmpty {
            var rowOfLine: [Int32: Int] = [:]
            for (row, line) in lines.enumerated() where rowOfLine[line] == nil { rowOfLine[line] = row }
            for bad in r.table.rejected {
                rejectedAt.insert("\(bad.column)\u{1F}\(bad.line)")
                guard let row = rowOfLine[Int32(bad.line)] else { continue }
                out.append(
                    Finding(
                        rule: "FRMT0002", field: bad.column, value: bad.raw,
                        message: "\"\(bad.raw)\" is not a CCYYMMDD date that exists", row: row))
            }
        }
        let required = layout.fields.filter { $0.required && $0.name != "RecordTypeCode" }
        let limited = layout.fields.filter { $0.maxLength > 0 && !$0.isDate }
        let indicators = layout.fields.filter { $0.name.hasSuffix("Indicator") }
        for field in required {
            guard let view = r.view(field.name) else { continue }
            for row in view.blankRows() {
                if field.isDate, rejectedAt.contains("\(field.name)\u{1F}\(lines[row])") { continue }
                out.append(
                    Finding(
                        rule: "GERR0001", field: field.name, value: "",
                        message: "\(field.label) (\(field.number)) is required", row: row))
            }
        }
        for field in limited {
            guard let view = r.view(field.name) else { continue }
            // Characters are never more than bytes: count them only when the bytes are too many.
            for row in view.rows(failing: { $0.utf8.count > field.maxLength && $0.count > field.maxLength }) {
                let v = view.text(row) ?? ""
                out.append(
                    Finding(
                        rule: "FRMT0001", field: field.name, value: v,
                        message: "\(field.label) is \(v.count) characters, at most \(field.maxLength) allowed", row: row))
            }
        }
        func check(_ name: String, rule: String, message: String, failing test: (String) -> Bool) {
            guard let view = r.view(name) else { return }
            for row in view.rows(failing: test) {
                out.append(Finding(rule: rule, field: name, value: view.text(row) ?? "", message: message, row: row))
            }
        }
        check("SSID", rule: "GEN-SSID", message: "an SSID is ten digits") { !allDigits($0, count: 10) }
        check("TransactionTypeCode", rule: "GERR0008", message: "the transaction type is blank, D or R") { $0 != "D" && $0 != "R" }
        check("ReportingLEA", rule: "GEN-LEA-CODE", message: "an LEA code is seven digits") { !allDigits($0, count: 7) }
        check("SchoolOfAttendance", rule: "GEN-SCHOOL-CODE", message: "a school code is seven digits") { !allDigits($0, count: 7) }
        check("StudentGenderCode", rule: "GERR0002", message: "the gender code is M, F or X") { !CalpadsCodes.genders.contains($0) }
        for field in indicators {
            check(field.name, rule: "GEN-INDICATOR", message: "\(field.label) is Y or N") { $0 != "Y" && $0 != "N" }
        }
        if let births = r.view("StudentBirthDate") {
            for row in 0..<r.table.rowCount {
                guard let birth = births.date(row) else { continue }
                let start = yearStart(r, row, layout)
                let yearBegins = DateCodec.days(year: start, month: 7, day: 1) ?? 0
                if birth >= yearBegins || FunctionRegistry.age(birth, yearBegins) >= 100 {
                    out.append(
                        Finding(
                            rule: "GEN-BIRTH-DATE", field: "StudentBirthDate", value: DateCodec.format(birth, "YYYYMMDD"),
                            message: "the birth date is not plausible for \(start)-\(start + 1)", row: row))
                }
            }
        }
        check("StudentBirthCountryCode", rule: "GEN-COUNTRY-CODE", message: "a country code is two capital letters") { v in
            !(v.count == 2 && v.allSatisfy { $0.isASCII && $0.isUppercase })
        }
        return out
    }
}
