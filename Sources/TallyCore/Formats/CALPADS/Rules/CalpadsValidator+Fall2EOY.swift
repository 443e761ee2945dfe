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
        let studyField = r.columns["NonADAGeneratingIndependentStudyDays"] != nil ? "NonADAGeneratingIndependentStudyDays" : "IncompleteIndependentStudyDays"
        let adaStudy = r.columns["ADAGeneratingIndependentStudyDays"] != nil
        let recovery = r.columns["AttendanceRecoveryDays"] != nil
        var recoveryTotal: [String: (days: Double, last: Int)] = [:]
        for row in 0..<r.table.rowCount {
            let year = yearStart(r, row, layout)
            let expected = number(r, "ExpectedAttendanceDays", row), attended = number(r, attendedField, row)
            let iss = number(r, "DaysinAttendanceInSchoolSuspension", row), study = number(r, studyField, row)
            // STAS0318: every count present (an exempt record leaves them blank) and they add up.
            let parts = [attended, number(r, "DaysAbsentOutOfSchoolSuspension", row), iss,
                         number(r, "DaysAbsentExcusedNonSuspension", row), number(r, "DaysAbsentUnexcusedNonSuspension", row), study]
                + (adaStudy ? [number(r, "ADAGeneratingIndependentStudyDays", row)] : [])
            if active("STAS0318", year), let expected, parts.allSatisfy({ $0 != nil }) {
                let sum = parts.reduce(0) { $0 + ($1 ?? 0) }
                if abs(sum - expected) > 1e-9 {
                    out.append(Finding(rule: "STAS0318", field: "ExpectedAttendanceDays", value: r.text("ExpectedAttendanceDays", row) ?? "",
                                       message: "the days attended and absent add up to \(format(sum)), not the \(format(expected)) expected attendance days", row: row))
                }
            }
            // STAS0311: independent study days fit in the days not attended.
            if active("STAS0311", year), let expected, let attended, let iss, let study, study > expected - attended - iss + 1e-9 {
                out.append(Finding(rule: "STAS0311", field: studyField, value: r.text(studyField, row) ?? "",
                                   message: "\(format(study)) independent study days, but only \(format(expected - attended - iss)) expected days were not attended", row: row))
            }
            if active("STAS-DAYS-RANGE", year), let expected, let attended, attended > expected || expected > 366 {
                out.append(Finding(rule: "STAS-DAYS-RANGE", field: expected > 366 ? "ExpectedAttendanceDays" : attendedField,
                                   value: r.text(expected > 366 ? "ExpectedAttendanceDays" : attendedField, row) ?? "",
                                   message: "expected: \(CalpadsRules.rule("STAS-DAYS-RANGE")?.description ?? "")", row: row))
            }
            guard recovery, let text = r.text("AttendanceRecoveryDays", row) else { continue }
            // STAS0739: a whole number from 0 to 10.
            if active("STAS0739", year), !(text.allSatisfy { $0.isASCII && $0.isNumber } && (Int(text) ?? 11) <= 10) {
                out.append(Finding(rule: "STAS0739", field: "AttendanceRecoveryDays", value: text,
                                   message: "Attendance Recovery Days is a whole number from 0 to 10", row: row))
            }
            // STAS0740E1: at most 10 for the student across the LEA's schools in the year.
            if active("STAS0740E1", year), let days = numericValue(text), let ssid = r.text("SSID", row) {
                let key = [ssid, r.text("ReportingLEA", row) ?? "", r.text("AcademicYearID", row) ?? ""].joined(separator: "\u{1F}")
                recoveryTotal[key] = ((recoveryTotal[key]?.days ?? 0) + days, row)
            }
        }
        for (_, total) in recoveryTotal where total.days > 10 + 1e-9 {
            out.append(Finding(rule: "STAS0740E1", field: "AttendanceRecoveryDays", value: r.text("AttendanceRecoveryDays", total.last) ?? "",
                               message: "the student's Attendance Recovery Days across the LEA add up to \(format(total.days)), more than 10", row: total.last))
        }
        return out
    }

    /// CERT046: a staff member's FTE percentages across the LEA's assignments (SASS) in a year add
    /// up to no more than 200; the finding is on the staff member's last record.
    static func staffFTERules(_ r: Record, _ layout: CalpadsLayout) -> [Finding] {
        var total: [String: (fte: Double, last: Int)] = [:]
        for row in 0..<r.table.rowCount {
            guard active("CERT046", yearStart(r, row, layout)), let seid = r.text("SEID", row),
                  let fte = number(r, "StaffJobClassificationFTEPercentage", row) else { continue }
            let key = [seid, r.text("ReportingLEA", row) ?? "", r.text("AcademicYearID", row) ?? ""].joined(separator: "\u{1F}")
            total[key] = ((total[key]?.fte ?? 0) + fte, row)
        }
        return total.values.filter { $0.fte > 200 + 1e-9 }.map { t in
            Finding(rule: "CERT046", field: "StaffJobClassificationFTEPercentage", value: r.text("StaffJobClassificationFTEPercentage", t.last) ?? "",
                    message: "SEID \(r.text("SEID", t.last) ?? "")'s assignments add up to \(format(t.fte))% FTE, more than 200%", row: t.last)
        }
    }

    static func format(_ n: Double) -> String { n == n.rounded() && abs(n) < 1e15 ? String(Int(n)) : String(n) }
}
