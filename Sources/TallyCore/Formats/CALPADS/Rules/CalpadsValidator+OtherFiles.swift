import TallyModel

/// SINF, SPRG and SELA rules, and the findings table.
extension CalpadsValidator {
    static func studentInformationRules(_ r: Record) -> [Finding] {
        var out: [Finding] = []
        // The views once, outside the row loop (a field name built and looked up per race code per
        // record), and each code judged once per distinct value.
        let races = (1...5).map { k -> (field: String, view: FieldView?, bad: Verdicts) in
            let field = "StudentRace\(k)Code", view = r.view(field)
            return (field, view, Verdicts(view) { !CalpadsCodes.races.contains($0) })
        }
        let zips = r.view("AddressZipCode"), badZip = Verdicts(zips) { !allDigits($0, count: 5) }
        let starts = r.view("EffectiveStartDate"), ends = r.view("EffectiveEndDate")
        for row in 0..<r.table.rowCount {
            for race in races where race.bad[row] {
                let v = race.view?.text(row) ?? ""
                out.append(Finding(rule: "GERR0002", field: race.field, value: v, message: "\"\(v)\" is not a CALPADS race code", row: row))
            }
            if badZip[row], let zip = zips?.text(row) {
                out.append(Finding(rule: "SINF-ZIP", field: "AddressZipCode", value: zip, message: "a ZIP code is five digits", row: row))
            }
            if let start = starts?.date(row), let end = ends?.date(row), end < start {
                out.append(
                    Finding(
                        rule: "SINF-EFFECTIVE-DATES", field: "EffectiveEndDate", value: DateCodec.format(end, "YYYYMMDD"),
                        message: "the effective end date is before the start date", row: row))
            }
        }
        return out
    }

    static func programRules(_ r: Record, _ layout: CalpadsLayout) -> [Finding] {
        var out: [Finding] = []
        let programs = r.view("EducationProgramCode"), known = Verdicts(programs) { CalpadsCodes.programs.contains($0) }
        let memberships = r.view("EducationProgramMembershipCode")
        let starts = r.view("EducationProgramMembershipStartDate"), ends = r.view("EducationProgramMembershipEndDate")
        for row in 0..<r.table.rowCount {
            let program = programs?.text(row)
            if let program, !known[row] {
                out.append(
                    Finding(
                        rule: "GERR0002", field: "EducationProgramCode", value: program,
                        message: "\"\(program)\" is not a CALPADS education program code", row: row))
            }
            if let program, known[row], let membership = memberships?.text(row) {
                let year = yearStart(r, row, layout)
                if !CalpadsCodes.valid("ProgramMembership", program, membership, year: year) {
                    out.append(
                        Finding(
                            rule: "SPRG-MEMBERSHIP", field: "EducationProgramMembershipCode", value: membership,
                            message: "membership category \(membership) is not valid for program \(program) in \(year)-\(year + 1)",
                            row: row))
                }
            }
            if let start = starts?.date(row), let end = ends?.date(row), end < start {
                out.append(
                    Finding(
                        rule: "SPRG-END-BEFORE-START", field: "EducationProgramMembershipEndDate", value: DateCodec.format(end, "YYYYMMDD"),
                        message: "the program ends before it starts", row: row))
            }
        }
        return out
    }

    static func englishRules(_ r: Record, _ layout: CalpadsLayout) -> [Finding] {
        var out: [Finding] = []
        let statuses = r.view("EnglishAcquisitionStatusCode"), unknown = Verdicts(statuses) { !CalpadsCodes.englishStatuses.contains($0) }
        let languages = r.view("PrimaryLanguageCode")
        for row in 0..<r.table.rowCount {
            if unknown[row], let v = statuses?.text(row) {
                out.append(
                    Finding(
                        rule: "GERR0002", field: "EnglishAcquisitionStatusCode", value: v,
                        message: "\"\(v)\" is not an English language acquisition status", row: row))
            }
            // The code set of the record's year: two digits through 2022-23, ISO 639-2 from 2023-24.
            if let v = languages?.text(row) {
                let year = yearStart(r, row, layout)
                if year >= 2023, v.count == 2, v.allSatisfy({ $0.isASCII && $0.isNumber }) {
                    // A two-digit code of the old code set: CALPADS rejects it since the 2023-24 rollover (Flash #256).
                    out.append(
                        Finding(
                            rule: "GERR0002", field: "PrimaryLanguageCode", value: v,
                            message:
                                "\"\(v)\" is a two-digit language code of the code set retired in 2023-24; from 2023-24 the code is three letters (ISO 639-2, e.g. spa for 01)",
                            row: row))
                } else if !CalpadsCodes.validLanguage(v, year: year) {
                    let kind = year >= 2023 ? "a three-letter ISO 639-2 code (e.g. eng, spa)" : "a two-digit code (e.g. 00, 01)"
                    out.append(
                        Finding(
                            rule: "SELA-LANGUAGE", field: "PrimaryLanguageCode", value: v,
                            message: "\"\(v)\" is not a CALPADS language code in \(year)-\(year + 1): \(kind)", row: row))
                }
            }
        }
        return out
    }

    public static let findingColumns = ["rule", "severity", "field", "value", "message", "file", "line", "SSID", "resolution"]

    /// The record's own columns every finding repeats after `resolution` (null when the file has
    /// no such field), so that findings of any files union and a worklist per school works for
    /// all: `export findings to "out/{SchoolOfAttendance}/findings.csv"`. The school is the
    /// layout's school field: of attendance, of course delivery (CRSE, CRSC, SCSE, SCSC) or of
    /// assignment (SASS).
    public static let recordColumns = ["SchoolOfAttendance", "LocalRecordID", "LocalStudentID"]

    /// The field a layout names its record's school with, if any.
    public static func schoolField(type: String) -> String? {
        let fields = Set(CalpadsLayouts.layouts(for: type.uppercased()).flatMap { $0.fields.map(\.name) })
        return ["SchoolOfAttendance", "SchoolOfCourseDelivery", "SchoolofAssignment"].first { fields.contains($0) }
    }

    /// Findings in source order (then rule order), with the source rows' provenance.
    static func makeTable(_ findings: [Finding], type: String, _ table: Table, _ r: Record) -> Table {
        let order = Dictionary(uniqueKeysWithValues: CalpadsRules.all.enumerated().map { ($1.id, $0) })
        let sorted = findings.sorted {
            (Int(table.provenance.line[$0.row]), $0.row, order[$0.rule] ?? 0) < (
                Int(table.provenance.line[$1.row]), $1.row, order[$1.rule] ?? 0
            )
        }
        let extra = [schoolField(type: type) ?? "", "LocalRecordID", "LocalStudentID"]
        var builders = (findingColumns + recordColumns).map { ColumnBuilder(type: $0 == "line" ? .integer : .text, capacity: sorted.count) }
        for f in sorted {
            let location = table.provenance.location(f.row)
            let values: [Value] =
                [
                    .text(f.rule), .text(CalpadsRules.rule(f.rule)?.severity.rawValue ?? "fatal"), .text(f.field),
                    f.value.isEmpty ? .null : .text(f.value), .text(f.message),
                    location.map { .text($0.file) } ?? .null, location.map { .integer(Int64($0.line)) } ?? .null,
                    r.text("SSID", f.row).map { .text($0) } ?? .null,
                    CalpadsRules.rule(f.rule).map { .text($0.resolution) } ?? .null,
                ] + extra.map { name in r.text(name, f.row).map { .text($0) } ?? .null }
            for (k, v) in values.enumerated() { builders[k].append(v) }
        }
        return Table(
            names: findingColumns + recordColumns, columns: builders.map { $0.build() },
            provenance: table.provenance.gather(sorted.map { Int32($0.row) }))
    }

    /// STAS across files (`validate calpads STAS with senr`): a student with absence summary
    /// data has a primary or short-term enrollment at that school in that year (CERT126).
    static func absenceRules(_ r: Record, senr: Table?, file: String) throws -> [Finding] {
        guard let senr else { return [] }
        try requireColumns(
            ["SSID", "SchoolOfAttendance", "AcademicYearID", "EnrollmentStatusCode"], in: senr, of: "SENR", for: "STAS", file: file)
        let e = Record(senr)
        var enrolled = Set<String>()
        for row in 0..<senr.rowCount {
            guard let status = e.text("EnrollmentStatusCode", row), status == "10" || status == "30",
                let ssid = e.text("SSID", row), let school = e.text("SchoolOfAttendance", row), let year = e.text("AcademicYearID", row)
            else { continue }
            enrolled.insert([ssid, school, year].joined(separator: "\u{1F}"))
        }
        var out: [Finding] = []
        for row in 0..<r.table.rowCount {
            guard let ssid = r.text("SSID", row), let school = r.text("SchoolOfAttendance", row), let year = r.text("AcademicYearID", row),
                let start = CalpadsLayouts.startYear(year), active("CERT126", start)
            else { continue }
            if !enrolled.contains([ssid, school, year].joined(separator: "\u{1F}")) {
                out.append(
                    Finding(
                        rule: "CERT126", field: "SSID", value: ssid,
                        message: "absence summary data for a student with no primary or short-term enrollment at \(school) in \(year)",
                        row: row))
            }
        }
        return out
    }

    /// Student course sections: no student twice in one section and marking period (SCSC0230),
    /// and (`validate calpads SCSE with crse`) every section a student is in exists in the course
    /// section file (SCSE0139F2).
    static func courseSectionRules(_ r: Record, type: String, courses: Table?, file: String) throws -> [Finding] {
        var out: [Finding] = []
        func key(_ record: Record, _ row: Int, _ names: [String]) -> String? {
            var parts: [String] = []
            for name in names {
                guard let v = record.text(name, row) else { return nil }
                parts.append(v)
            }
            return parts.joined(separator: "\u{1F}")
        }
        if type == "SCSC" {
            let names = ["SchoolOfCourseDelivery", "AcademicYearID", "SSID", "LocalCourseID", "CourseSectionID", "AcademicTermCode"]
            var first: [String: Int] = [:]
            for row in 0..<r.table.rowCount {
                guard let k = key(r, row, names) else { continue }
                let full = k + "\u{1F}" + (r.text("MarkingPeriodCode", row) ?? "")
                let year = r.startYear(row) ?? 2019
                if let earlier = first[full], active("SCSC0230", year) {
                    let line = Int(r.table.provenance.line[earlier])
                    out.append(
                        Finding(
                            rule: "SCSC0230", field: "SSID", value: r.text("SSID", row) ?? "",
                            message: "this student already completes this course section in this marking period on line \(line)", row: row))
                } else if first[full] == nil {
                    first[full] = row
                }
            }
        }
        if type == "SCSE", let courses {
            let sectionNames = ["SchoolOfCourseDelivery", "AcademicYearID", "CourseSectionID", "AcademicTermCode"]
            let courseID = courses.column("CRSLocalCourseID") != nil ? "CRSLocalCourseID" : "LocalCourseID"
            try requireColumns(sectionNames + [courseID], in: courses, of: "CRSE", for: "SCSE", file: file)
            let c = Record(courses)
            var sections = Set<String>()
            for row in 0..<courses.rowCount {
                if let k = key(c, row, sectionNames + [courseID]) { sections.insert(k) }
            }
            for row in 0..<r.table.rowCount {
                guard let k = key(r, row, sectionNames + ["LocalCourseID"]),
                    let year = r.startYear(row), active("SCSE0139F2", year)
                else { continue }
                if !sections.contains(k) {
                    out.append(
                        Finding(
                            rule: "SCSE0139F2", field: "CourseSectionID", value: r.text("CourseSectionID", row) ?? "",
                            message:
                                "no course section \(r.text("CourseSectionID", row) ?? "") of course \(r.text("LocalCourseID", row) ?? "") in term \(r.text("AcademicTermCode", row) ?? "") at \(r.text("SchoolOfCourseDelivery", row) ?? "") in the course section file",
                            row: row))
                }
            }
        }
        return out
    }

    /// The `with` table of a cross-file rule has the columns of the file it stands for.
    static func requireColumns(_ names: [String], in table: Table, of layout: String, for type: String, file: String) throws {
        let missing = names.filter { table.column($0) == nil }
        guard missing.isEmpty else {
            throw Diagnostic(
                .missingKeyColumn, .error,
                "validate calpads \(type) with a table needs its \(layout) columns \(missing.joined(separator: ", "))", file: file,
                help: "validate calpads \(type) with the table loaded as calpads \(layout)")
        }
    }

    /// `validate calpads SELA with senr`: the student has an enrollment in the LEA. (SPRG with senr
    /// is GERR0005, `programEnrollmentRules`.)
    static func enrolledRules(_ r: Record, type: String, senr e: Record?, file: String) throws -> [Finding] {
        guard let e else { return [] }
        try requireColumns(
            ["SSID", "ReportingLEA", "EnrollmentSchoolStartDate", "EnrollmentSchoolExitDate"], in: e.table, of: "SENR", for: type,
            file: file)
        // Each student's SENR records with a start date (`Join` on the SSID alone, `IDGroups`);
        // whether one is in the record's LEA is asked of those few, by the LEA's text.
        let join = Join.shared(r, e, on: ["SSID"]), starts = e.view("EnrollmentSchoolStartDate")
        let enrollments = IDGroups(join.other, count: join.count) { starts?.date($0) != nil }, enrollmentLEAs = e.view("ReportingLEA")
        let rule = "SELA-NO-ENROLLMENT", years = RuleYears(rule)
        let ssids = r.view("SSID"), leas = r.view("ReportingLEA")
        var out: [Finding] = []
        for row in 0..<r.table.rowCount {
            let id = join.own[row]
            guard id >= 0, let ssid = ssids?.text(row), let lea = leas?.text(row) else { continue }
            let year = r.startYear(row) ?? 2019
            guard years.contains(year) else { continue }
            if !enrollments[id].contains(where: { enrollmentLEAs?.text($0) == lea }) {
                out.append(Finding(rule: rule, field: "SSID", value: ssid, message: "no enrollment in LEA \(lea)", row: row))
            }
        }
        return out
    }

    /// `validate calpads SASS with sdem`: every staff assignment's SEID has staff demographics
    /// (SDEM) for the year.
    static func staffRules(_ r: Record, sdem: Table?, file: String) throws -> [Finding] {
        guard let sdem else { return [] }
        try requireColumns(["SEID", "AcademicYearID"], in: sdem, of: "SDEM", for: "SASS", file: file)
        let d = Record(sdem)
        var staff = Set<String>()
        for row in 0..<sdem.rowCount {
            if let seid = d.text("SEID", row), let year = d.text("AcademicYearID", row) { staff.insert(seid + "\u{1F}" + year) }
        }
        var out: [Finding] = []
        for row in 0..<r.table.rowCount {
            // A record whose academic year is not valid is SASS0006's finding, not this rule's.
            guard let seid = r.text("SEID", row), let year = r.text("AcademicYearID", row),
                let start = CalpadsLayouts.startYear(year), active("CERT049", start)
            else { continue }
            if !staff.contains(seid + "\u{1F}" + year) {
                out.append(
                    Finding(
                        rule: "CERT049", field: "SEID", value: seid, message: "no staff demographics (SDEM) for SEID \(seid) in \(year)",
                        row: row))
            }
        }
        return out
    }
}
