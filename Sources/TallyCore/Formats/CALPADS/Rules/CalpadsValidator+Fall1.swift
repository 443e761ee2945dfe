/// Fall 1 rules under their CALPADS IDs (issue #26): the student's age (IVR0012), program records
/// inside an enrollment at their school (GERR0005), and the enrollment, language status and
/// program rules that read several records or files. Each rule is checked only in the academic
/// years scripts/calpads_rules.tsv gives it; where CALPADS checks against records it holds that
/// the upload does not carry, the rule checks what the files given can show (its description says so).
extension CalpadsValidator {
    /// IVR0012 (warning): the student's age on the enrollment start date is over 0 and at most 22,
    /// or 16 to 79 in the adult grade (AD). CALPADS skips charter schools, which a file cannot show.
    static func studentAgeRule(_ r: Record, _ row: Int, year: Int) -> Finding? {
        guard active("IVR0012", year), let birth = r.date("StudentBirthDate", row), let start = r.date("EnrollmentSchoolStartDate", row),
              birth < start, let grade = r.text("GradeLevelCode", row) else { return nil }
        let age = Int(FunctionRegistry.age(birth, start))
        let ok = grade == "AD" ? (16..<80).contains(age) : (1...22).contains(age)
        guard !ok else { return nil }
        let range = grade == "AD" ? "16 to 79 for an adult student" : "1 to 22"
        return Finding(rule: "IVR0012", field: "StudentBirthDate", value: DateCodec.format(birth, "YYYYMMDD"),
                       message: "age \(age) on the start date is outside \(range)", row: row)
    }

    /// The student's enrollments by SSID and school (`validate calpads … with senr`).
    static func enrollmentSpans(_ senr: Table) -> [String: [(start: Int32, exit: Int32?, row: Int)]] {
        let e = Record(senr)
        var spans: [String: [(start: Int32, exit: Int32?, row: Int)]] = [:]
        for row in 0..<senr.rowCount {
            guard let ssid = e.text("SSID", row), let school = e.text("SchoolOfAttendance", row),
                  let start = e.date("EnrollmentSchoolStartDate", row) else { continue }
            spans[ssid + "\u{1F}" + school, default: []].append((start, e.date("EnrollmentSchoolExitDate", row), row))
        }
        return spans
    }

    /// GERR0005, `validate calpads SPRG with senr`: a participating record (membership 3) lies
    /// within an enrollment at its School of Attendance (start to exit, inclusive; an open record
    /// may outlast an exited enrollment); any other record overlaps one and, if it ends, ends by
    /// the exit date.
    static func programEnrollmentRules(_ r: Record, senr: Table?, file: String) throws -> [Finding] {
        guard let senr else { return [] }
        try requireColumns(["SSID", "SchoolOfAttendance", "EnrollmentSchoolStartDate", "EnrollmentSchoolExitDate"], in: senr, of: "SENR", for: "SPRG", file: file)
        let spans = enrollmentSpans(senr)
        var out: [Finding] = []
        for row in 0..<r.table.rowCount {
            guard let ssid = r.text("SSID", row), let school = r.text("SchoolOfAttendance", row),
                  let start = r.date("EducationProgramMembershipStartDate", row) else { continue }
            let year = r.text("AcademicYearID", row).flatMap(CalpadsLayouts.startYear) ?? 2019
            let end = r.date("EducationProgramMembershipEndDate", row)
            // A program that ends before it starts is SPRG-END-BEFORE-START's finding.
            guard active("GERR0005", year), end.map({ $0 >= start }) ?? true else { continue }
            let participating = r.text("EducationProgramMembershipCode", row) == "3"
            let ok = (spans[ssid + "\u{1F}" + school] ?? []).contains { e in
                var endsByExit = true
                if let end, let exit = e.exit { endsByExit = end <= exit }
                if participating { return start >= e.start && (e.exit.map { start <= $0 } ?? true) && endsByExit }
                return (end.map { e.start <= $0 } ?? true) && (e.exit.map { $0 >= start } ?? true) && endsByExit
            }
            if !ok {
                out.append(Finding(rule: "GERR0005", field: "EducationProgramMembershipStartDate", value: DateCodec.format(start, "YYYYMMDD"),
                                   message: participating ? "no enrollment at school \(school) spans the participating program's dates"
                                       : "no enrollment at school \(school) overlaps the program's dates and ends after it", row: row))
            }
        }
        return out
    }
}
