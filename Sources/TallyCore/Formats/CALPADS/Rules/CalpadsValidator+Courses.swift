import TallyModel

/// Course enrollment (Fall 2) and course completion (End of Year 1) across files (issue #26):
/// CERT077 and CERT099 (`validate calpads SENR with scse, scsc`), CERT098 (`SCSC with senr`) and
/// CERT100 (`CRSC with scsc`). CALPADS checks these against everything the LEA has posted; Tally
/// checks the files it is given, and where a published detail is unknown it takes the reading that
/// reports less (an enrollment counts however it ends, a course anywhere in the LEA counts), so a
/// finding is always a real gap in the files.
extension CalpadsValidator {
    /// Grades whose primary enrollments have course enrollment records in Fall 2 (the Data Guide:
    /// "students in grades K–12"; TK is not named, so it is not required).
    static let courseEnrollmentGrades: Set<String> = ["KN", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"]
    /// Grades whose course completion data are required (the Data Guide: grades 9–12; grades 7–8
    /// may be submitted).
    static let courseCompletionGrades: Set<String> = ["09", "10", "11", "12"]
    /// Enrollments with no course data: the district level (0000000), nonpublic schools (0000001)
    /// and private school group (0000002).
    static let noCourseSchools: Set<String> = ["0000000", "0000001", "0000002"]

    /// A CCYYMMDD text as a day number (the sample generator's records are text).
    static func day(_ text: String?) -> Int32? {
        guard let t = text, t.count == 8, let n = Int(t) else { return nil }
        return DateCodec.days(year: n / 10_000, month: n / 100 % 100, day: n % 100)
    }

    /// Whether an enrollment needs course data: `CERT077` (Fall 2: a primary enrollment in
    /// grades KN–12 open on Census Day, the first Wednesday in October) or `CERT099` (End of
    /// Year 1: a primary enrollment in grades 9–12 that began). Shared with the sample generator.
    static func needsCourseData(
        _ rule: String, status: String?, grade: String?, school: String?, start: Int32?, exit: Int32?,
        exitReason: String?, year: Int
    ) -> Bool {
        guard status == "10", let grade, !noCourseSchools.contains(school ?? ""), exitReason != "N470", let start else { return false }
        if let exit, exit < start { return false }
        if rule == "CERT077" {
            let census = DistrictGenerator.censusDay(startYear: year)
            return courseEnrollmentGrades.contains(grade) && start <= census && (exit.map { $0 >= census } ?? true)
        }
        return courseCompletionGrades.contains(grade)
    }

    /// The students with records in a student course section file: "SSID␟year".
    /// The students (SSID and year) with records in a course file, and the years the file has:
    /// an enrollment of another year (a prior year's record still in SENR) has its course data
    /// in that year's files and is not judged.
    static func studentsWithCourses(_ table: Table?, of type: String, file: String) throws -> (students: Set<String>, years: Set<String>)? {
        guard let table else { return nil }
        try requireColumns(["SSID", "AcademicYearID"], in: table, of: type, for: "SENR", file: file)
        let c = Record(table)
        return (
            Set((0..<table.rowCount).compactMap { key(c, $0, ["SSID", "AcademicYearID"]) }),
            Set((0..<table.rowCount).compactMap { c.text("AcademicYearID", $0) })
        )
    }

    /// `validate calpads SENR with scse, scsc`: an enrollment that needs course enrollment (CERT077,
    /// with SCSE) or course completion (CERT099, with SCSC) data has a record for the student in
    /// the year, at any school of the LEA. The finding is on the enrollment.
    static func courseDataNeededRules(_ r: Record, scse: Table?, scsc: Table?, file: String) throws -> [Finding] {
        let enrolled = try studentsWithCourses(scse, of: "SCSE", file: file),
            completed = try studentsWithCourses(scsc, of: "SCSC", file: file)
        // Without either file no rule here can find anything (not a key joined per record for nothing).
        guard enrolled != nil || completed != nil else { return [] }
        var out: [Finding] = []
        for row in 0..<r.table.rowCount {
            guard let k = key(r, row, ["SSID", "AcademicYearID"]), let year = r.startYear(row) else { continue }
            for (rule, have, what) in [
                ("CERT077", enrolled, "course enrollment (SCSE) on Census Day"), ("CERT099", completed, "course completion (SCSC)"),
            ] {
                guard let have, have.years.contains(r.text("AcademicYearID", row) ?? ""), active(rule, year), !have.students.contains(k),
                    needsCourseData(
                        rule, status: r.text("EnrollmentStatusCode", row), grade: r.text("GradeLevelCode", row),
                        school: r.text("SchoolOfAttendance", row), start: r.date("EnrollmentSchoolStartDate", row),
                        exit: r.date("EnrollmentSchoolExitDate", row), exitReason: r.text("StudentExitReasonCode", row), year: year)
                else { continue }
                out.append(
                    Finding(
                        rule: rule, field: "SSID", value: r.text("SSID", row) ?? "",
                        message:
                            "a primary enrollment in grade \(r.text("GradeLevelCode", row) ?? "") with no \(what) records for the student in \(r.text("AcademicYearID", row) ?? "")",
                        row: row))
            }
        }
        return out
    }

    /// CERT098 (`validate calpads SCSC with senr`): a course completion's student is enrolled
    /// somewhere in the LEA at some time in the academic year (an enrollment record of the year,
    /// or one whose dates reach into July 1 – June 30, in any status).
    static func completionEnrolledRules(_ r: Record, senr: Table?, file: String) throws -> [Finding] {
        guard let senr else { return [] }
        try requireColumns(
            ["SSID", "AcademicYearID", "EnrollmentSchoolStartDate", "EnrollmentSchoolExitDate"], in: senr, of: "SENR", for: "SCSC",
            file: file)
        let e = Record(senr)
        var byYear = Set<String>(), spans: [String: [(Int32, Int32)]] = [:]
        for row in 0..<senr.rowCount {
            guard let ssid = e.text("SSID", row) else { continue }
            if let k = key(e, row, ["SSID", "AcademicYearID"]) { byYear.insert(k) }
            if let start = e.date("EnrollmentSchoolStartDate", row) {
                spans[ssid, default: []].append((start, e.date("EnrollmentSchoolExitDate", row) ?? .max))
            }
        }
        var out: [Finding] = []
        for row in 0..<r.table.rowCount {
            guard let ssid = r.text("SSID", row), let k = key(r, row, ["SSID", "AcademicYearID"]),
                let year = r.startYear(row), active("CERT098", year), !byYear.contains(k),
                let from = DateCodec.days(year: year, month: 7, day: 1), let to = DateCodec.days(year: year + 1, month: 6, day: 30)
            else { continue }
            if (spans[ssid] ?? []).contains(where: { $0.0 <= to && $0.1 >= from }) { continue }
            out.append(
                Finding(
                    rule: "CERT098", field: "SSID", value: ssid,
                    message:
                        "a course completion for a student with no enrollment (SENR) in the LEA in \(r.text("AcademicYearID", row) ?? "")",
                    row: row))
        }
        return out
    }

    /// CERT100 (`validate calpads CRSC with scsc`): a completed course section has at least one
    /// student course completion (SCSC) with its school, year and Course Section ID (unique in a
    /// school and year). One finding per section, on its last record.
    static func sectionCompletedRules(_ r: Record, scsc: Table?, file: String) throws -> [Finding] {
        guard let scsc else { return [] }
        let names = ["SchoolOfCourseDelivery", "AcademicYearID", "CourseSectionID"]
        try requireColumns(names, in: scsc, of: "SCSC", for: "CRSC", file: file)
        let s = Record(scsc)
        let completed = Set((0..<scsc.rowCount).compactMap { key(s, $0, names) })
        var last: [String: Int] = [:]
        for row in 0..<r.table.rowCount {
            guard let k = key(r, row, names), let year = r.startYear(row),
                active("CERT100", year), !completed.contains(k)
            else { continue }
            last[k] = row
        }
        return last.values.sorted().map { row in
            Finding(
                rule: "CERT100", field: "CourseSectionID", value: r.text("CourseSectionID", row) ?? "",
                message:
                    "course section \(r.text("CourseSectionID", row) ?? "") at \(r.text("SchoolOfCourseDelivery", row) ?? "") has no student course completion (SCSC) records",
                row: row)
        }
    }

    /// The ID CALPADS reports a teacher without a section or non-classroom assignment under in
    /// the academic year starting `year`: CERT048 through 2023-24, SDEM0684F2 (a certification
    /// data discrepancy) from 2024-25. One rule ID per year, so one finding per defect.
    static func teacherSectionRuleID(_ year: Int) -> String? {
        ["SDEM0684F2", "CERT048"].first { CalpadsRules.rule($0)?.applies(year: year) == true }
    }
}
