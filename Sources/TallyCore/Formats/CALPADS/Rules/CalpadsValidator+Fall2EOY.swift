import TallyModel

/// Fall 2 staff and course sections, and End-of-Year absence summaries (issue #26).
extension CalpadsValidator {
    /// A field's value as a number, nil when blank or not a number (FRMT0004 and GERR0001 report those).
    static func number(_ r: Record, _ field: String, _ row: Int) -> Double? {
        r.text(field, row).flatMap(numericValue)
    }

    /// STAS counts, whichever year's layout the table has. 13.16 Days Attended became Days
    /// Attended In-Person and 13.21 Incomplete Independent Study Days became Non-ADA Generating
    /// Independent Study Days in 2021-22, when 13.22 ADA-Generating Independent Study Days was
    /// added; 13.24 Attendance Recovery Days came in 2025-26. One rule ID each, so the check
    /// reads the columns the table has rather than one row per year range.
    static func absenceSummaryRules(_ r: Record, _ layout: CalpadsLayout) -> [Finding] {
        var out: [Finding] = []
        let attendedField = r.columns["DaysAttendedInPerson"] != nil ? "DaysAttendedInPerson" : "DaysAttended"
        let studyField =
            r.columns["NonADAGeneratingIndependentStudyDays"] != nil
            ? "NonADAGeneratingIndependentStudyDays" : "IncompleteIndependentStudyDays"
        let adaStudy = r.columns["ADAGeneratingIndependentStudyDays"] != nil
        let recovery = r.columns["AttendanceRecoveryDays"] != nil
        var recoveryTotal: [String: (days: Double, last: Int)] = [:]
        for row in 0..<r.table.rowCount {
            let year = yearStart(r, row, layout)
            let expected = number(r, "ExpectedAttendanceDays", row), attended = number(r, attendedField, row)
            let iss = number(r, "DaysinAttendanceInSchoolSuspension", row), study = number(r, studyField, row)
            // STAS0318: every count present (an exempt record leaves them blank) and they add up.
            let parts =
                [
                    attended, number(r, "DaysAbsentOutOfSchoolSuspension", row), iss,
                    number(r, "DaysAbsentExcusedNonSuspension", row), number(r, "DaysAbsentUnexcusedNonSuspension", row), study,
                ]
                + (adaStudy ? [number(r, "ADAGeneratingIndependentStudyDays", row)] : [])
            if active("STAS0318", year), let expected, parts.allSatisfy({ $0 != nil }) {
                let sum = parts.reduce(0) { $0 + ($1 ?? 0) }
                if abs(sum - expected) > 1e-9 {
                    out.append(
                        Finding(
                            rule: "STAS0318", field: "ExpectedAttendanceDays", value: r.text("ExpectedAttendanceDays", row) ?? "",
                            message:
                                "the days attended and absent add up to \(format(sum)), not the \(format(expected)) expected attendance days",
                            row: row))
                }
            }
            // STAS0311: independent study days fit in the days not attended.
            if active("STAS0311", year), let expected, let attended, let iss, let study, study > expected - attended - iss + 1e-9 {
                out.append(
                    Finding(
                        rule: "STAS0311", field: studyField, value: r.text(studyField, row) ?? "",
                        message:
                            "\(format(study)) independent study days, but only \(format(expected - attended - iss)) expected days were not attended",
                        row: row))
            }
            if active("STAS-DAYS-RANGE", year), let expected, let attended, attended > expected || expected > 366 {
                out.append(
                    Finding(
                        rule: "STAS-DAYS-RANGE", field: expected > 366 ? "ExpectedAttendanceDays" : attendedField,
                        value: r.text(expected > 366 ? "ExpectedAttendanceDays" : attendedField, row) ?? "",
                        message: "expected: \(CalpadsRules.rule("STAS-DAYS-RANGE")?.description ?? "")", row: row))
            }
            guard recovery, let text = r.text("AttendanceRecoveryDays", row) else { continue }
            // STAS0739: a whole number from 0 to 10.
            if active("STAS0739", year), !(text.allSatisfy { $0.isASCII && $0.isNumber } && (Int(text) ?? 11) <= 10) {
                out.append(
                    Finding(
                        rule: "STAS0739", field: "AttendanceRecoveryDays", value: text,
                        message: "Attendance Recovery Days is a whole number from 0 to 10", row: row))
            }
            // STAS0740E1: at most 10 for the student across the LEA's schools in the year. Only
            // values STAS0739 accepts count: one record's bad value is STAS0739's finding alone.
            if active("STAS0740E1", year), text.allSatisfy({ $0.isASCII && $0.isNumber }), (Int(text) ?? 11) <= 10,
                let days = numericValue(text), let ssid = r.text("SSID", row)
            {
                let key = [ssid, r.text("ReportingLEA", row) ?? "", r.text("AcademicYearID", row) ?? ""].joined(separator: "\u{1F}")
                recoveryTotal[key] = ((recoveryTotal[key]?.days ?? 0) + days, row)
            }
        }
        for (_, total) in recoveryTotal where total.days > 10 + 1e-9 {
            out.append(
                Finding(
                    rule: "STAS0740E1", field: "AttendanceRecoveryDays", value: r.text("AttendanceRecoveryDays", total.last) ?? "",
                    message: "the student's Attendance Recovery Days across the LEA add up to \(format(total.days)), more than 10",
                    row: total.last))
        }
        return out
    }

    /// CERT046: a staff member's FTE percentages across the LEA's assignments (SASS) in a year add
    /// up to no more than 200; the finding is on the staff member's last record.
    static func staffFTERules(_ r: Record, _ layout: CalpadsLayout) -> [Finding] {
        var total: [String: (fte: Double, last: Int)] = [:]
        for row in 0..<r.table.rowCount {
            guard active("CERT046", yearStart(r, row, layout)), let seid = r.text("SEID", row),
                let fte = number(r, "StaffJobClassificationFTEPercentage", row)
            else { continue }
            let key = [seid, r.text("ReportingLEA", row) ?? "", r.text("AcademicYearID", row) ?? ""].joined(separator: "\u{1F}")
            total[key] = ((total[key]?.fte ?? 0) + fte, row)
        }
        return total.values.filter { $0.fte > 200 + 1e-9 }.map { t in
            Finding(
                rule: "CERT046", field: "StaffJobClassificationFTEPercentage",
                value: r.text("StaffJobClassificationFTEPercentage", t.last) ?? "",
                message: "SEID \(r.text("SEID", t.last) ?? "")'s assignments add up to \(format(t.fte))% FTE, more than 200%", row: t.last)
        }
    }

    /// Staff job classifications that teach: Teacher (12), Charter School Non-certificated Teacher
    /// (26), Itinerant/Pull-Out/Push-In Teacher (27).
    static let teachingClassifications: Set<String> = ["12", "26", "27"]

    static func key(_ r: Record, _ row: Int, _ fields: [String]) -> String? {
        var parts: [String] = []
        for f in fields {
            guard let v = r.text(f, row) else { return nil }
            parts.append(v)
        }
        return parts.joined(separator: "\u{1F}")
    }

    /// Fall 2 course sections and their teachers (`validate calpads CRSE with sass, sdem`): a
    /// section's SEID (other than 9999999999) has a teaching assignment in SASS (CERT047) and
    /// staff demographics in SDEM (CERT054) for the year, anywhere in the LEA.
    static func courseTeacherRules(_ r: Record, _ layout: CalpadsLayout, sass: Table?, sdem: Table?, file: String) throws -> [Finding] {
        var out: [Finding] = []
        var teaching: Set<String>? = nil, demographics: Set<String>? = nil
        if let sass {
            try requireColumns(["SEID", "AcademicYearID", "StaffJobClassificationCode"], in: sass, of: "SASS", for: "CRSE", file: file)
            let s = Record(sass)
            teaching = Set(
                (0..<sass.rowCount).compactMap { row in
                    teachingClassifications.contains(s.text("StaffJobClassificationCode", row) ?? "")
                        ? key(s, row, ["SEID", "AcademicYearID"]) : nil
                })
        }
        if let sdem {
            try requireColumns(["SEID", "AcademicYearID"], in: sdem, of: "SDEM", for: "CRSE", file: file)
            let d = Record(sdem)
            demographics = Set((0..<sdem.rowCount).compactMap { key(d, $0, ["SEID", "AcademicYearID"]) })
        }
        for row in 0..<r.table.rowCount {
            // A record whose academic year is not valid is another rule's finding.
            guard let seid = r.text("SEID", row), seid != "9999999999", let k = key(r, row, ["SEID", "AcademicYearID"]),
                let year = r.startYear(row)
            else { continue }
            if let teaching, active("CERT047", year), !teaching.contains(k) {
                out.append(
                    Finding(
                        rule: "CERT047", field: "SEID", value: seid,
                        message:
                            "SEID \(seid) teaches this section but has no teaching assignment (SASS job classification 12, 26 or 27) in \(r.text("AcademicYearID", row) ?? "")",
                        row: row))
            }
            if let demographics, active("CERT054", year), !demographics.contains(k) {
                out.append(
                    Finding(
                        rule: "CERT054", field: "SEID", value: seid,
                        message:
                            "SEID \(seid) teaches this section but has no staff demographics (SDEM) in \(r.text("AcademicYearID", row) ?? "")",
                        row: row))
            }
        }
        return out
    }

    /// CERT048 (`validate calpads SASS with crse`): a teacher (job classification 12, 26 or 27)
    /// has a non-classroom based job assignment on one of their SASS records or a course section
    /// (CRSE) in the year; the finding is on the teacher's last record.
    static func teacherSectionRules(_ r: Record, crse: Table?, file: String) throws -> [Finding] {
        guard let crse else { return [] }
        try requireColumns(["SEID", "AcademicYearID"], in: crse, of: "CRSE", for: "SASS", file: file)
        let c = Record(crse)
        let sections = Set((0..<crse.rowCount).compactMap { key(c, $0, ["SEID", "AcademicYearID"]) })
        var nonClassroom = Set<String>(), lastTeacher: [String: Int] = [:]
        for row in 0..<r.table.rowCount {
            guard let k = key(r, row, ["SEID", "AcademicYearID"]), let year = r.startYear(row),
                teacherSectionRuleID(year) != nil
            else { continue }
            if (1...7).contains(where: { r.text("NonClassroomBasedJobAssignmentCode\($0)", row) != nil }) { nonClassroom.insert(k) }
            if teachingClassifications.contains(r.text("StaffJobClassificationCode", row) ?? "") { lastTeacher[k] = row }
        }
        return lastTeacher.filter { !nonClassroom.contains($0.key) && !sections.contains($0.key) }.map { _, row in
            // CERT048 through 2023-24, SDEM0684F2 from 2024-25 (CalpadsValidator+Courses).
            Finding(
                rule: r.startYear(row).flatMap(teacherSectionRuleID) ?? "CERT048", field: "SEID", value: r.text("SEID", row) ?? "",
                message:
                    "a teacher with no non-classroom based assignment and no course section (CRSE) in \(r.text("AcademicYearID", row) ?? "")",
                row: row)
        }
    }

    /// The grades whose primary and short-term enrollments need absence summary data (CERT128).
    static let absenceGrades: Set<String> = [
        "TK", "KN", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "UE", "US",
    ]

    /// Whether an enrollment never began: exited before its start date, or exited N470 (no-show).
    static func noShow(_ r: Record, _ row: Int) -> Bool {
        if r.text("StudentExitReasonCode", row) == "N470" { return true }
        guard let start = r.date("EnrollmentSchoolStartDate", row), let exit = r.date("EnrollmentSchoolExitDate", row) else { return false }
        return exit < start
    }

    /// CERT128 (`validate calpads SENR with stas`, End of Year): a primary or short-term
    /// enrollment (status 10 or 30) in grades TK-12, UE or US has a STAS record for the same
    /// school and year. Nonpublic (0000001) and private school group (0000002) enrollments submit
    /// no STAS (STAS0651), and a no-show has no attendance to summarize. Enrollments of years the
    /// STAS file has no record of are not judged.
    static func absenceNeededRules(_ r: Record, _ layout: CalpadsLayout, stas: Table?, file: String) throws -> [Finding] {
        guard let stas else { return [] }
        let keys = ["SSID", "SchoolOfAttendance", "AcademicYearID"]
        try requireColumns(keys, in: stas, of: "STAS", for: "SENR", file: file)
        let a = Record(stas)
        let summarized = Set((0..<stas.rowCount).compactMap { key(a, $0, keys) })
        // Only the years the STAS file summarizes: an enrollment of another year (a prior year's
        // record still in the SENR file) has its absence data in that year's STAS file.
        let years = Set((0..<stas.rowCount).compactMap { a.text("AcademicYearID", $0) })
        var out: [Finding] = []
        for row in 0..<r.table.rowCount {
            guard let k = key(r, row, keys), let yearID = r.text("AcademicYearID", row), years.contains(yearID),
                let year = CalpadsLayouts.startYear(yearID), active("CERT128", year),
                ["10", "30"].contains(r.text("EnrollmentStatusCode", row) ?? ""),
                absenceGrades.contains(r.text("GradeLevelCode", row) ?? ""),
                !["0000001", "0000002"].contains(r.text("SchoolOfAttendance", row) ?? ""), !noShow(r, row), !summarized.contains(k)
            else { continue }
            out.append(
                Finding(
                    rule: "CERT128", field: "SSID", value: r.text("SSID", row) ?? "",
                    message:
                        "no absence summary (STAS) for this enrollment at \(r.text("SchoolOfAttendance", row) ?? "") in \(r.text("AcademicYearID", row) ?? "")",
                    row: row))
        }
        return out
    }

    /// STAS across files, End of Year: the expected attendance days are no more than the
    /// student's days enrolled at the school in the year (CERT129, `with senr`), and out-of-school
    /// suspension days have a suspension or expulsion incident result (CERT127, `with sirs`, and
    /// `sinc` for the incident's date).
    static func absenceCrossFileRules(_ r: Record, senr: Table?, sirs: Table?, sinc: Table?, file: String) throws -> [Finding] {
        var out: [Finding] = []
        let keys = ["SSID", "SchoolOfAttendance", "AcademicYearID"]
        if let senr {
            try requireColumns(
                keys + ["EnrollmentSchoolStartDate", "EnrollmentSchoolExitDate"], in: senr, of: "SENR", for: "STAS", file: file)
            let e = Record(senr)
            // Calendar days of each enrollment within the academic year; one still open counts to
            // June 30 (CALPADS' own default for an open enrollment gives fewer days, never more).
            var enrolled: [String: Int] = [:]
            for row in 0..<senr.rowCount {
                guard let k = key(e, row, keys), let year = e.startYear(row),
                    let yearStart = DateCodec.days(year: year, month: 7, day: 1),
                    let yearEnd = DateCodec.days(year: year + 1, month: 6, day: 30),
                    let start = e.date("EnrollmentSchoolStartDate", row)
                else { continue }
                let days = Int(min(e.date("EnrollmentSchoolExitDate", row) ?? yearEnd, yearEnd)) - Int(max(start, yearStart)) + 1
                enrolled[k, default: 0] += max(0, days)
            }
            for row in 0..<r.table.rowCount {
                // No enrollment at the school at all is CERT126's finding.
                guard let k = key(r, row, keys), let days = enrolled[k], let year = r.startYear(row),
                    active("CERT129", year), let expected = number(r, "ExpectedAttendanceDays", row), expected > Double(days)
                else { continue }
                out.append(
                    Finding(
                        rule: "CERT129", field: "ExpectedAttendanceDays", value: r.text("ExpectedAttendanceDays", row) ?? "",
                        message:
                            "\(format(expected)) expected attendance days, but the student was enrolled at the school \(days) days in the year",
                        row: row))
            }
        }
        if let sirs {
            try requireColumns(["SSID", "IncidentIDLocal", "IncidentResultCode"], in: sirs, of: "SIRS", for: "STAS", file: file)
            let s = Record(sirs)
            // Each incident's date, when SINC is given: (SSID, incident) -> occurrence date.
            var occurred: [String: Int32]? = nil
            if let sinc {
                try requireColumns(["SSID", "IncidentIDLocal", "IncidentOccurrenceDate"], in: sinc, of: "SINC", for: "STAS", file: file)
                let c = Record(sinc)
                var dates: [String: Int32] = [:]
                for row in 0..<sinc.rowCount {
                    if let k = key(c, row, ["SSID", "IncidentIDLocal"]), let d = c.date("IncidentOccurrenceDate", row) { dates[k] = d }
                }
                occurred = dates
            }
            // Students' suspension and expulsion results (100, 200) with their dates (nil: unknown).
            var suspended: [String: [Int32?]] = [:]
            for row in 0..<sirs.rowCount {
                guard ["100", "200"].contains(s.text("IncidentResultCode", row) ?? ""), let ssid = s.text("SSID", row) else { continue }
                let date = key(s, row, ["SSID", "IncidentIDLocal"]).flatMap { occurred?[$0] }
                // With SINC given, a result whose incident SINC lacks cannot be dated: it still counts.
                suspended[ssid, default: []].append(date)
            }
            for row in 0..<r.table.rowCount {
                guard let ssid = r.text("SSID", row), let year = r.startYear(row), active("CERT127", year),
                    let days = number(r, "DaysAbsentOutOfSchoolSuspension", row), days > 0,
                    let from = DateCodec.days(year: year, month: 4, day: 1), let to = DateCodec.days(year: year + 1, month: 6, day: 30)
                else { continue }
                // An incident from April 1 before the academic year through its end (Aeries' reading of the rule).
                let ok = (suspended[ssid] ?? []).contains { $0.map { from <= $0 && $0 <= to } ?? true }
                if !ok {
                    out.append(
                        Finding(
                            rule: "CERT127", field: "DaysAbsentOutOfSchoolSuspension",
                            value: r.text("DaysAbsentOutOfSchoolSuspension", row) ?? "",
                            message:
                                "out-of-school suspension days but no suspension or expulsion incident result (SIRS 100 or 200) for the student in the year",
                            row: row))
                }
            }
        }
        return out
    }

    static func format(_ n: Double) -> String { n == n.rounded() && abs(n) < 1e15 ? String(Int(n)) : String(n) }
}
