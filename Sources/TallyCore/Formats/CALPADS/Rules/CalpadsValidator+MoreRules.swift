/// Rules that read more than one field of one record in ways the declarative checks do not
/// express: across a student's records, across two files, or with a valid code table in steps.
extension CalpadsValidator {
    /// A student who graduated with a standard diploma (completion status 100) has no enrollment
    /// exited after the graduation other than a secondary one (SENR0586) and no open enrollment
    /// (SENR0587). The graduation is the earliest graduate record's exit date in the file.
    static func graduateRules(_ r: Record) -> [Finding] {
        var graduated: [String: Int32] = [:]
        for row in 0..<r.table.rowCount {
            guard r.text("StudentSchoolCompletionStatus", row) == "100", let ssid = r.text("SSID", row),
                  let exit = r.date("EnrollmentSchoolExitDate", row) else { continue }
            graduated[ssid] = min(graduated[ssid] ?? exit, exit)
        }
        guard !graduated.isEmpty else { return [] }
        var out: [Finding] = []
        for row in 0..<r.table.rowCount {
            guard let ssid = r.text("SSID", row), let day = graduated[ssid], r.text("StudentSchoolCompletionStatus", row) != "100",
                  r.text("StudentExitReasonCode", row) != "N470" else { continue }
            let year = r.startYear(row) ?? 2019
            let start = r.date("EnrollmentSchoolStartDate", row) ?? 0
            if let exit = r.date("EnrollmentSchoolExitDate", row) {
                if active("SENR0586", year), exit > day, r.text("EnrollmentStatusCode", row) != "20" {
                    out.append(Finding(rule: "SENR0586", field: "EnrollmentSchoolExitDate", value: DateCodec.format(exit, "YYYYMMDD"),
                                       message: "exited after the student graduated on \(DateCodec.format(day, "YYYYMMDD"))", row: row))
                }
            } else if active("SENR0587", year), start > day {
                out.append(Finding(rule: "SENR0587", field: "EnrollmentSchoolStartDate", value: DateCodec.format(start, "YYYYMMDD"),
                                   message: "an open enrollment for a student who graduated on \(DateCodec.format(day, "YYYYMMDD"))", row: row))
            }
        }
        return out
    }

    /// `validate calpads SENR with sinf`: the SINF Initial US School Enrollment Date (K-12) is not
    /// after the student's earliest TK-12 start date in the file (N420, N430 and N470 exits and
    /// starts before July 1, 2013 are not counted) (SENR0654F1). The finding is on that enrollment.
    static func usSchoolDateRules(_ r: Record, sinf: Table) -> [Finding] {
        let s = Record(sinf)
        guard s.columns["StudentInitialUSSchoolEnrollmentDateK12"] != nil else { return [] }
        var usDate: [String: Int32] = [:]
        for row in 0..<sinf.rowCount {
            if let ssid = s.text("SSID", row), let d = s.date("StudentInitialUSSchoolEnrollmentDateK12", row) { usDate[ssid] = max(usDate[ssid] ?? d, d) }
        }
        let k12: Set<String> = ["TK", "KN", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"]
        let cutoff = DateCodec.days(year: 2013, month: 7, day: 1) ?? 0
        var earliest: [String: Int] = [:]
        for row in 0..<r.table.rowCount {
            guard let ssid = r.text("SSID", row), usDate[ssid] != nil, let grade = r.text("GradeLevelCode", row), k12.contains(grade),
                  let start = r.date("EnrollmentSchoolStartDate", row), start >= cutoff,
                  !["N420", "N430", "N470"].contains(r.text("StudentExitReasonCode", row) ?? "") else { continue }
            if let e = earliest[ssid], (r.date("EnrollmentSchoolStartDate", e) ?? 0) <= start { continue }
            earliest[ssid] = row
        }
        var out: [Finding] = []
        for (ssid, row) in earliest.sorted(by: { $0.value < $1.value }) {
            let year = r.startYear(row) ?? 2019
            guard active("SENR0654F1", year), let us = usDate[ssid], let start = r.date("EnrollmentSchoolStartDate", row), us > start else { continue }
            out.append(Finding(rule: "SENR0654F1", field: "EnrollmentSchoolStartDate", value: DateCodec.format(start, "YYYYMMDD"),
                               message: "the SINF Initial US School Enrollment Date \(DateCodec.format(us, "YYYYMMDD")) is after the student's earliest TK-12 start date", row: row))
        }
        return out
    }

    /// The Race Missing Indicator agrees with the race codes: Y with none, not Y with one
    /// (SINF0046 for students, SDEM-RACE for staff).
    static func raceRules(_ r: Record, prefix: String, rule: String) -> [Finding] {
        let indicator = prefix + "RaceMissingIndicator"
        guard r.columns[indicator] != nil else { return [] }
        var out: [Finding] = []
        for row in 0..<r.table.rowCount {
            let year = r.startYear(row) ?? 2019
            guard active(rule, year), let missing = r.text(indicator, row) else { continue }
            let races = (1...5).compactMap { r.text("\(prefix)Race\($0)Code", row) }
            if missing == "Y", !races.isEmpty {
                out.append(Finding(rule: rule, field: indicator, value: missing, message: "race codes are given, so the Race Missing Indicator is not Y", row: row))
            } else if missing == "N", races.isEmpty {
                out.append(Finding(rule: rule, field: indicator, value: missing, message: "no race code is given, so the Race Missing Indicator is Y", row: row))
            }
        }
        return out
    }

    /// A free (181) or reduced-price (182) meal record ends in the academic year it starts in:
    /// SPRG0645F1 from 2024-25, CERT164 before.
    static func mealProgramYearRules(_ r: Record, _ layout: CalpadsLayout) -> [Finding] {
        var out: [Finding] = []
        for row in 0..<r.table.rowCount {
            guard let program = r.text("EducationProgramCode", row), program == "181" || program == "182",
                  let start = r.date("EducationProgramMembershipStartDate", row), let end = r.date("EducationProgramMembershipEndDate", row) else { continue }
            let year = yearStart(r, row, layout)
            guard let rule = ["SPRG0645F1", "CERT164"].first(where: { CalpadsRules.rule($0)?.applies(year: year) == true }) else { continue }
            let (y, m, _) = DateCodec.civil(start)
            let startYear = m >= 7 ? y : y - 1
            guard let last = DateCodec.days(year: startYear + 1, month: 6, day: 30), end > last else { continue }
            out.append(Finding(rule: rule, field: "EducationProgramMembershipEndDate", value: DateCodec.format(end, "YYYYMMDD"),
                               message: "a meal program record that starts in \(startYear)-\(startYear + 1) ends by June 30, \(startYear + 1)", row: row))
        }
        return out
    }

    /// A student's statuses, in start-date order, step validly from one to the next (SELA0255,
    /// Current ELAS-Submitted ELAS); TBD comes first or after EO (SELA0281); a corrected status
    /// carries a correction reason valid for the step (SELA-CORRECTION-CODE).
    static func englishSequenceRules(_ r: Record, _ layout: CalpadsLayout) -> [Finding] {
        var byStudent: [String: [Int]] = [:]
        for row in 0..<r.table.rowCount {
            if let ssid = r.text("SSID", row), r.text("EnglishAcquisitionStatusCode", row) != nil { byStudent[ssid, default: []].append(row) }
        }
        var out: [Finding] = []
        for ssid in byStudent.keys.sorted() {
            guard let rows = byStudent[ssid], rows.count > 1 else { continue }
            let ordered = rows.sorted { (r.date("EnglishLanguageAcquisitionStatusStartDate", $0) ?? 0, $0) < (r.date("EnglishLanguageAcquisitionStatusStartDate", $1) ?? 0, $1) }
            for k in 1..<ordered.count {
                let row = ordered[k]
                guard let previous = r.text("EnglishAcquisitionStatusCode", ordered[k - 1]), let status = r.text("EnglishAcquisitionStatusCode", row),
                      CalpadsCodes.englishStatuses.contains(status) else { continue }
                let year = yearStart(r, row, layout)
                if let correction = r.text("CorrectionReasonCode", row) {
                    if active("SELA-CORRECTION-CODE", year), !CalpadsCodes.valid("ELACorrection", previous + ">" + status, correction, year: year) {
                        out.append(Finding(rule: "SELA-CORRECTION-CODE", field: "CorrectionReasonCode", value: correction,
                                           message: "correction reason \(correction) is not valid for a correction from \(previous) to \(status)", row: row))
                    }
                } else if status == "TBD" {
                    if active("SELA0281", year), previous != "EO" {
                        out.append(Finding(rule: "SELA0281", field: "EnglishAcquisitionStatusCode", value: status,
                                           message: "TBD after \(previous): TBD is a first status, or follows EO", row: row))
                    }
                } else if active("SELA0255", year), !CalpadsCodes.valid("ELASequence", previous, status, year: year) {
                    out.append(Finding(rule: "SELA0255", field: "EnglishAcquisitionStatusCode", value: status,
                                       message: "\(previous) to \(status) is not a valid change of status", row: row))
                }
            }
        }
        return out
    }

    /// Course sections: a CTE postsecondary articulated course has a CTE state course code
    /// (CRSE0123/CRSC0123); a record with a Multiple Teacher Code has another teacher's record,
    /// also with the code, for the same Class ID, school, year and term (CRSE0130: the class, not
    /// the course section, is what co-teachers share; a record without a Class ID is not judged).
    static func courseRules(_ r: Record, type: String, _ layout: CalpadsLayout) -> [Finding] {
        var out: [Finding] = []
        let articulated = "CRSCTEPostsecondaryArticulatedCourseIndicatorWasTechnicalPreparation"
        var teachers: [String: Set<String>] = [:]
        func section(_ row: Int) -> String? {
            guard let classID = r.text("ClassID", row) else { return nil }
            return ["SchoolOfCourseDelivery", "AcademicYearID", "AcademicTermCode"].map { r.text($0, row) ?? "" }.joined(separator: "\u{1F}") + "\u{1F}" + classID
        }
        for row in 0..<r.table.rowCount where r.text("MultipleTeacherCode", row) != nil {
            if let s = section(row), let seid = r.text("SEID", row) { teachers[s, default: []].insert(seid) }
        }
        for row in 0..<r.table.rowCount {
            let year = yearStart(r, row, layout)
            if active(type + "0123", year), r.text(articulated, row) == "Y", let code = r.text("CRSStateCourseCode", row),
               CalpadsCodes.effective("CourseGroup", code, year: year),
               !(CalpadsCodes.combinations["CourseGroup"]?[code]?.contains { $0.b != "N/A" && $0.first <= year && year <= $0.last } ?? false) {
                out.append(Finding(rule: type + "0123", field: "CRSStateCourseCode", value: code,
                                   message: "state course code \(code) is not a CTE course, but the course is marked CTE postsecondary articulated", row: row))
            }
            if type == "CRSE", active("CRSE0130", year), r.text("MultipleTeacherCode", row) != nil, let seid = r.text("SEID", row), seid != "9999999999",
               let s = section(row), (teachers[s] ?? []).subtracting([seid]).isEmpty {
                out.append(Finding(rule: "CRSE0130", field: "MultipleTeacherCode", value: r.text("MultipleTeacherCode", row) ?? "",
                                   message: "a Multiple Teacher Code, but no other teacher's record with the code for Class ID \(r.text("ClassID", row) ?? "")", row: row))
            }
        }
        return out
    }

    /// A CTE pathway is completed no later than the record's academic year (SCTE-COMPLETION-YEAR).
    static func pathwayRules(_ r: Record, _ layout: CalpadsLayout) -> [Finding] {
        var out: [Finding] = []
        for row in 0..<r.table.rowCount {
            guard let year = r.startYear(row), active("SCTE-COMPLETION-YEAR", year),
                  let v = r.text("StudentCTEPathwayCompletionAcademicYearID", row), let completed = CalpadsLayouts.startYear(v), completed > year else { continue }
            out.append(Finding(rule: "SCTE-COMPLETION-YEAR", field: "StudentCTEPathwayCompletionAcademicYearID", value: v,
                               message: "a pathway completed in \(v) is reported in an earlier academic year", row: row))
        }
        return out
    }
}
