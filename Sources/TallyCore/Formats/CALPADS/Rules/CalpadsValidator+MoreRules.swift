import TallyModel

/// Rules that read more than one field of one record in ways the declarative checks do not
/// express: across a student's records, across two files, or with a valid code table in steps.
extension CalpadsValidator {
    /// A student who graduated with a standard diploma (completion status 100) has no enrollment
    /// exited after the graduation other than a secondary one (SENR0586) and no open enrollment
    /// (SENR0587). The graduation is the earliest graduate record's exit date in the file.
    static func graduateRules(_ r: Record) -> [Finding] {
        // By the SSID's dense id (`FieldView.id`), not a String hashed per record.
        let ssidView = r.view("SSID")
        var graduated = [Int32?](repeating: nil, count: ssidView?.idCount ?? 0)
        // The views once, outside the row loops; the codes compared once per distinct value.
        let exits = r.view("EnrollmentSchoolExitDate"), starts = r.view("EnrollmentSchoolStartDate")
        let graduate = Verdicts(r.view("StudentSchoolCompletionStatus")) { $0 == "100" }
        let noShow = Verdicts(r.view("StudentExitReasonCode")) { $0 == "N470" }
        let secondary = Verdicts(r.view("EnrollmentStatusCode")) { $0 == "20" }
        for row in 0..<r.table.rowCount {
            guard graduate[row], let id = ssidView?.id(row),
                let exit = exits?.date(row)
            else { continue }
            graduated[id] = min(graduated[id] ?? exit, exit)
        }
        guard graduated.contains(where: { $0 != nil }) else { return [] }
        var out: [Finding] = []
        for row in 0..<r.table.rowCount {
            guard let id = ssidView?.id(row), let day = graduated[id], !graduate[row], !noShow[row] else { continue }
            let year = r.startYear(row) ?? 2019
            let start = starts?.date(row) ?? 0
            if let exit = exits?.date(row) {
                if active("SENR0586", year), exit > day, !secondary[row] {
                    out.append(
                        Finding(
                            rule: "SENR0586", field: "EnrollmentSchoolExitDate", value: DateCodec.format(exit, "YYYYMMDD"),
                            message: "exited after the student graduated on \(DateCodec.format(day, "YYYYMMDD"))", row: row))
                }
            } else if active("SENR0587", year), start > day {
                out.append(
                    Finding(
                        rule: "SENR0587", field: "EnrollmentSchoolStartDate", value: DateCodec.format(start, "YYYYMMDD"),
                        message: "an open enrollment for a student who graduated on \(DateCodec.format(day, "YYYYMMDD"))", row: row))
            }
        }
        return out
    }

    /// `validate calpads SENR with sinf`: the SINF Initial US School Enrollment Date (K-12) is not
    /// after the student's earliest TK-12 start date in the file (N420, N430 and N470 exits and
    /// starts before July 1, 2013 are not counted) (SENR0654F1). The finding is on that enrollment.
    static func usSchoolDateRules(_ r: Record, sinf s: Record) -> [Finding] {
        guard s.columns["StudentInitialUSSchoolEnrollmentDateK12"] != nil else { return [] }
        // Each student's latest SINF date and earliest counted enrollment, by the SSID's dense id
        // across both files (`Join`).
        let join = Join.shared(r, s, on: ["SSID"])
        var usDate = [Int32?](repeating: nil, count: join.count)
        let usDates = s.view("StudentInitialUSSchoolEnrollmentDateK12")
        for row in 0..<s.table.rowCount {
            let id = Int(join.other[row])
            if id >= 0, let d = usDates?.date(row) { usDate[id] = max(usDate[id] ?? d, d) }
        }
        let k12: Set<String> = ["TK", "KN", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"]
        let cutoff = DateCodec.days(year: 2013, month: 7, day: 1) ?? 0
        var earliest = [Int](repeating: -1, count: join.count)
        let starts = r.view("EnrollmentSchoolStartDate")
        let inK12 = Verdicts(r.view("GradeLevelCode")) { k12.contains($0) }
        let notCounted = Verdicts(r.view("StudentExitReasonCode")) { ["N420", "N430", "N470"].contains($0) }
        for row in 0..<r.table.rowCount {
            let id = Int(join.own[row])
            guard id >= 0, usDate[id] != nil, inK12[row], !notCounted[row], let start = starts?.date(row), start >= cutoff else { continue }
            if earliest[id] >= 0, (starts?.date(earliest[id]) ?? 0) <= start { continue }
            earliest[id] = row
        }
        var out: [Finding] = []
        for (id, row) in earliest.enumerated().filter({ $0.element >= 0 }).sorted(by: { $0.element < $1.element }) {
            let year = r.startYear(row) ?? 2019
            guard active("SENR0654F1", year), let us = usDate[id], let start = r.date("EnrollmentSchoolStartDate", row), us > start else {
                continue
            }
            out.append(
                Finding(
                    rule: "SENR0654F1", field: "EnrollmentSchoolStartDate", value: DateCodec.format(start, "YYYYMMDD"),
                    message:
                        "the SINF Initial US School Enrollment Date \(DateCodec.format(us, "YYYYMMDD")) is after the student's earliest TK-12 start date",
                    row: row))
        }
        return out
    }

    /// The Race Missing Indicator agrees with the race codes: Y with none, not Y with one
    /// (SINF0046 for students, SDEM-RACE for staff).
    static func raceRules(_ r: Record, prefix: String, rule: String) -> [Finding] {
        let indicator = prefix + "RaceMissingIndicator"
        guard r.columns[indicator] != nil else { return [] }
        var out: [Finding] = []
        // The views and the rule's years once (a name built and looked up per race code per record was
        // most of this rule's time).
        let missings = r.view(indicator), raceCodes = (1...5).map { r.view("\(prefix)Race\($0)Code") }, years = RuleYears(rule)
        for row in 0..<r.table.rowCount {
            let year = r.startYear(row) ?? 2019
            guard years.contains(year), let missing = missings?.text(row) else { continue }
            let hasRace = raceCodes.contains { $0?.text(row) != nil }
            if missing == "Y", hasRace {
                out.append(
                    Finding(
                        rule: rule, field: indicator, value: missing,
                        message: "race codes are given, so the Race Missing Indicator is not Y", row: row))
            } else if missing == "N", !hasRace {
                out.append(
                    Finding(
                        rule: rule, field: indicator, value: missing, message: "no race code is given, so the Race Missing Indicator is Y",
                        row: row))
            }
        }
        return out
    }

    /// A free (181) or reduced-price (182) meal record ends in the academic year it starts in:
    /// SPRG0645F1 from 2024-25, CERT164 before.
    static func mealProgramYearRules(_ r: Record, _ layout: CalpadsLayout) -> [Finding] {
        var out: [Finding] = []
        let meal = Verdicts(r.view("EducationProgramCode")) { $0 == "181" || $0 == "182" }
        let starts = r.view("EducationProgramMembershipStartDate"), ends = r.view("EducationProgramMembershipEndDate")
        for row in 0..<r.table.rowCount {
            guard meal[row], let start = starts?.date(row), let end = ends?.date(row) else { continue }
            let year = yearStart(r, row, layout)
            guard let rule = ["SPRG0645F1", "CERT164"].first(where: { CalpadsRules.rule($0)?.applies(year: year) == true }) else {
                continue
            }
            let (y, m, _) = DateCodec.civil(start)
            let startYear = m >= 7 ? y : y - 1
            guard let last = DateCodec.days(year: startYear + 1, month: 6, day: 30), end > last else { continue }
            out.append(
                Finding(
                    rule: rule, field: "EducationProgramMembershipEndDate", value: DateCodec.format(end, "YYYYMMDD"),
                    message: "a meal program record that starts in \(startYear)-\(startYear + 1) ends by June 30, \(startYear + 1)",
                    row: row))
        }
        return out
    }

    /// A student's statuses, in start-date order, step validly from one to the next (SELA0255,
    /// Current ELAS-Submitted ELAS); TBD comes first or after EO (SELA0281); a corrected status
    /// carries a correction reason valid for the step (SELA-CORRECTION-CODE).
    static func englishSequenceRules(_ r: Record, _ layout: CalpadsLayout) -> [Finding] {
        // Each student's rows with a status (the rows of a student, grouped by the SSID's dense id;
        // a row's findings come from its own student only, so the order students are visited in
        // does not matter).
        let statuses = r.view("EnglishAcquisitionStatusCode")
        var out: [Finding] = []
        for (_, group) in r.groups("SSID")?.repeated ?? [] {
            let rows = group.filter { statuses?.text($0) != nil }
            guard rows.count > 1 else { continue }
            let ordered = rows.sorted {
                (r.date("EnglishLanguageAcquisitionStatusStartDate", $0) ?? 0, $0) < (
                    r.date("EnglishLanguageAcquisitionStatusStartDate", $1) ?? 0, $1
                )
            }
            for k in 1..<ordered.count {
                let row = ordered[k]
                guard let previous = r.text("EnglishAcquisitionStatusCode", ordered[k - 1]),
                    let status = r.text("EnglishAcquisitionStatusCode", row),
                    CalpadsCodes.englishStatuses.contains(status)
                else { continue }
                let year = yearStart(r, row, layout)
                if let correction = r.text("CorrectionReasonCode", row) {
                    if active("SELA-CORRECTION-CODE", year),
                        !CalpadsCodes.valid("ELACorrection", previous + ">" + status, correction, year: year)
                    {
                        out.append(
                            Finding(
                                rule: "SELA-CORRECTION-CODE", field: "CorrectionReasonCode", value: correction,
                                message: "correction reason \(correction) is not valid for a correction from \(previous) to \(status)",
                                row: row))
                    }
                } else if status == "TBD" {
                    if active("SELA0281", year), previous != "EO" {
                        out.append(
                            Finding(
                                rule: "SELA0281", field: "EnglishAcquisitionStatusCode", value: status,
                                message: "TBD after \(previous): TBD is a first status, or follows EO", row: row))
                    }
                } else if active("SELA0255", year), !CalpadsCodes.valid("ELASequence", previous, status, year: year) {
                    out.append(
                        Finding(
                            rule: "SELA0255", field: "EnglishAcquisitionStatusCode", value: status,
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
            return ["SchoolOfCourseDelivery", "AcademicYearID", "AcademicTermCode"].map { r.text($0, row) ?? "" }.joined(
                separator: "\u{1F}") + "\u{1F}" + classID
        }
        for row in 0..<r.table.rowCount where r.text("MultipleTeacherCode", row) != nil {
            if let s = section(row), let seid = r.text("SEID", row) { teachers[s, default: []].insert(seid) }
        }
        for row in 0..<r.table.rowCount {
            let year = yearStart(r, row, layout)
            if active(type + "0123", year), r.text(articulated, row) == "Y", let code = r.text("CRSStateCourseCode", row),
                CalpadsCodes.effective("CourseGroup", code, year: year),
                !(CalpadsCodes.combinations["CourseGroup"]?[code]?.contains { $0.b != "N/A" && $0.first <= year && year <= $0.last }
                    ?? false)
            {
                out.append(
                    Finding(
                        rule: type + "0123", field: "CRSStateCourseCode", value: code,
                        message: "state course code \(code) is not a CTE course, but the course is marked CTE postsecondary articulated",
                        row: row))
            }
            if type == "CRSE", active("CRSE0130", year), r.text("MultipleTeacherCode", row) != nil, let seid = r.text("SEID", row),
                seid != "9999999999",
                let s = section(row), (teachers[s] ?? []).subtracting([seid]).isEmpty
            {
                out.append(
                    Finding(
                        rule: "CRSE0130", field: "MultipleTeacherCode", value: r.text("MultipleTeacherCode", row) ?? "",
                        message:
                            "a Multiple Teacher Code, but no other teacher's record with the code for Class ID \(r.text("ClassID", row) ?? "")",
                        row: row))
            }
        }
        return out
    }

    /// A CTE pathway is completed no later than the record's academic year (SCTE-COMPLETION-YEAR).
    static func pathwayRules(_ r: Record, _ layout: CalpadsLayout) -> [Finding] {
        var out: [Finding] = []
        for row in 0..<r.table.rowCount {
            guard let year = r.startYear(row), active("SCTE-COMPLETION-YEAR", year),
                let v = r.text("StudentCTEPathwayCompletionAcademicYearID", row), let completed = CalpadsLayouts.startYear(v),
                completed > year
            else { continue }
            out.append(
                Finding(
                    rule: "SCTE-COMPLETION-YEAR", field: "StudentCTEPathwayCompletionAcademicYearID", value: v,
                    message: "a pathway completed in \(v) is reported in an earlier academic year", row: row))
        }
        return out
    }
}
