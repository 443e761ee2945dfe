import TallyModel

/// SENR rules: codes, exit and completion consistency, and rules across a student's records.
extension CalpadsValidator {
    /// The SENR fields the per-record rules read, as views taken once per validate (a name looked
    /// up per field per record was most of these rules' time), with their code checks judged once
    /// per distinct value.
    struct EnrollmentFields {
        let grade, status, reason, completion, start, exit, birth, exemption: FieldView?
        let validGrade, validStatus, validReason, validCompletion: Verdicts
        let hasExemption: Bool
        /// The years of the rules asked per record (`active`).
        let ivr0012 = RuleYears("IVR0012"), senr0175 = RuleYears("SENR0175"), senr0302 = RuleYears("SENR0302"),
            senr0630 = RuleYears("SENR0630"), senr0632 = RuleYears("SENR0632"), senr0731F1 = RuleYears("SENR0731F1")
        init(_ r: Record) {
            grade = r.view("GradeLevelCode"); status = r.view("EnrollmentStatusCode")
            reason = r.view("StudentExitReasonCode"); completion = r.view("StudentSchoolCompletionStatus")
            start = r.view("EnrollmentSchoolStartDate"); exit = r.view("EnrollmentSchoolExitDate")
            birth = r.view("StudentBirthDate"); exemption = r.view("GraduationExemptionIndicator")
            validGrade = Verdicts(grade) { CalpadsCodes.grades.contains($0) }
            validStatus = Verdicts(status) { CalpadsCodes.enrollmentStatuses.contains($0) }
            validReason = Verdicts(reason) { CalpadsCodes.exitReasons.contains($0) }
            validCompletion = Verdicts(completion) { CalpadsCodes.completionStatuses.contains($0) }
            hasExemption = r.columns["GraduationExemptionIndicator"] != nil
        }
    }

    static func enrollmentRules(_ r: Record, _ layout: CalpadsLayout) -> [Finding] {
        var out: [Finding] = []
        let f = EnrollmentFields(r)
        let senr0742 = RuleYears("SENR0742")
        for row in 0..<r.table.rowCount {
            let year = yearStart(r, row, layout)
            let yearKnown = r.startYear(row) != nil
            let grade = f.grade?.text(row)
            let validGrade = f.validGrade[row]
            if let grade, !validGrade {
                out.append(
                    Finding(
                        rule: "GERR0002", field: "GradeLevelCode", value: grade, message: "\"\(grade)\" is not a CALPADS grade level code",
                        row: row))
            }
            if let status = f.status?.text(row) {
                if !f.validStatus[row] {
                    out.append(
                        Finding(
                            rule: "GERR0002", field: "EnrollmentStatusCode", value: status,
                            message: "the enrollment status is 10, 20, 30 or 50" + (year < 2019 ? " (40 to 2018-19)" : ""), row: row))
                } else if !CalpadsCodes.enrollmentStatusEffective(status, year: year) {
                    out.append(
                        Finding(
                            rule: "GERR0007", field: "EnrollmentStatusCode", value: status,
                            message: "enrollment status 40 was retired in June 2019; use 10, 20, 30 or 50", row: row))
                }
            }
            let reason = f.reason?.text(row)
            let completion = f.completion?.text(row)
            let start = f.start?.date(row), exit = f.exit?.date(row)
            let validReason = f.validReason[row]
            if let reason, !validReason {
                out.append(
                    Finding(
                        rule: "GERR0002", field: "StudentExitReasonCode", value: reason,
                        message: "\"\(reason)\" is not a CALPADS exit reason code", row: row))
            }
            let validCompletion = f.validCompletion[row]
            if let completion, !validCompletion {
                out.append(
                    Finding(
                        rule: "GERR0002", field: "StudentSchoolCompletionStatus", value: completion,
                        message: "\"\(completion)\" is not a CALPADS completion status code", row: row))
            }
            if let exit, reason == nil {
                out.append(
                    Finding(
                        rule: "SENR-EXIT-NO-REASON", field: "StudentExitReasonCode", value: "",
                        message: "exit date \(DateCodec.format(exit, "YYYYMMDD")) has no exit reason", row: row))
            }
            if let reason, exit == nil,
                !r.table.rejected.contains(where: {
                    $0.column == "EnrollmentSchoolExitDate" && $0.line == Int(r.table.provenance.line[row])
                })
            {
                out.append(
                    Finding(
                        rule: "SENR-REASON-NO-EXIT", field: "EnrollmentSchoolExitDate", value: "",
                        message: "exit reason \(reason) has no exit date", row: row))
            }
            // N470 (no-show) exits are dated on or one day before the start date.
            var noShowDateOK = false
            if reason == "N470", let start, let exit { noShowDateOK = exit == start || exit == start - 1 }
            if let start, let exit, exit < start, !noShowDateOK {
                out.append(
                    Finding(
                        rule: "SENR0018", field: "EnrollmentSchoolExitDate", value: DateCodec.format(exit, "YYYYMMDD"),
                        message: "the exit date is before the start date \(DateCodec.format(start, "YYYYMMDD"))", row: row))
            }
            if yearKnown, senr0742.contains(year), let start, let first = DateCodec.days(year: year, month: 7, day: 1),
                let last = DateCodec.days(year: year + 1, month: 6, day: 30),
                start < first || start > last
            {
                out.append(
                    Finding(
                        rule: "SENR0742", field: "EnrollmentSchoolStartDate", value: DateCodec.format(start, "YYYYMMDD"),
                        message: "the start date is outside \(year)-\(year + 1)", row: row))
            }
            if let reason, validReason, let grade, validGrade,
                !CalpadsCodes.valid("ExitReasonGrade", reason, CalpadsCodes.combinationGrade(grade), year: year)
            {
                out.append(
                    Finding(
                        rule: "SENR-EXIT-REASON-GRADE", field: "StudentExitReasonCode", value: reason,
                        message: "exit reason \(reason) is not valid for grade \(grade) in \(year)-\(year + 1)", row: row))
            }
            if let completion, validCompletion, let grade, validGrade,
                !CalpadsCodes.valid("CompletionGrade", completion, CalpadsCodes.combinationGrade(grade), year: year)
            {
                out.append(
                    Finding(
                        rule: "SENR-COMPLETION-GRADE", field: "StudentSchoolCompletionStatus", value: completion,
                        message: "completion status \(completion) is not valid for grade \(grade) in \(year)-\(year + 1)", row: row))
            }
            if reason == CalpadsCodes.completerExit {
                if let completion {
                    if validCompletion, !CalpadsCodes.valid("ExitCategoryCompletion", CalpadsCodes.completerExit, completion, year: year) {
                        out.append(
                            Finding(
                                rule: "SENR0022", field: "StudentSchoolCompletionStatus", value: completion,
                                message: "completion status \(completion) is not valid with a completer exit in \(year)-\(year + 1)",
                                row: row))
                    }
                } else {
                    out.append(
                        Finding(
                            rule: "SENR-COMPLETER-NO-STATUS", field: "StudentSchoolCompletionStatus", value: "",
                            message: "a completer exit (E230) needs a completion status", row: row))
                }
            } else if let completion {
                out.append(
                    Finding(
                        rule: "SENR0022", field: "StudentSchoolCompletionStatus", value: completion,
                        message: "a completion status is only given with exit reason E230", row: row))
            }
            out += graduationAndStatusRules(
                f, row, year: year, reason: reason, completion: completion, exit: exit, start: start, grade: grade)
            // IVR0012 (CALPADS' age range) first; SENR-AGE-GRADE (Tally's age for the grade) only when it passes.
            if let finding = studentAgeRule(f, row, year: year) {
                out.append(finding)
            } else if yearKnown, let grade, let expected = CalpadsCodes.expectedAge(grade), let birth = f.birth?.date(row),
                let december = DateCodec.days(year: year, month: 12, day: 2),
                let yearBegins = DateCodec.days(year: year, month: 7, day: 1), birth < yearBegins
            {
                let age = Int(FunctionRegistry.age(birth, december))
                if age < expected - 1 || age > expected + 2 {
                    out.append(
                        Finding(
                            rule: "SENR-AGE-GRADE", field: "StudentBirthDate", value: DateCodec.format(birth, "YYYYMMDD"),
                            message: "age \(age) on December 2 is unusual for grade \(grade)", row: row))
                }
            }
        }
        return out
    }

    /// Rules across one student's records: overlaps, several open primaries, duplicates, no SINF.
    static func enrollmentCrossRecordRules(_ r: Record, sinf: Record?) -> [Finding] {
        var out: [Finding] = []
        let distantFuture = Int32.max
        // The fields as views, codes compared by dense id (equal ids, equal texts) and code tests
        // judged once per distinct value, instead of a name looked up and a `String` compared per
        // record per test.
        let starts = r.view("EnrollmentSchoolStartDate"), exits = r.view("EnrollmentSchoolExitDate")
        let schools = r.view("SchoolOfAttendance"), statuses = r.view("EnrollmentStatusCode"), leas = r.view("ReportingLEA")
        let noShow = Verdicts(r.view("StudentExitReasonCode")) { $0 == "N470" }
        let primary = Verdicts(statuses) { $0 == "10" }, shortTerm = Verdicts(statuses) { $0 == "30" }
        // Each student with several records (a row's findings come from its own student only,
        // so the order students are visited in does not matter).
        for (ssid, rows) in r.groups("SSID")?.repeated ?? [] {
            let ordered = rows.sorted { (starts?.date($0) ?? 0, $0) < (starts?.date($1) ?? 0, $1) }
            // Overlaps and duplicates at one school: the student's records by school (a blank
            // school is one school, as the empty text was), in start order within each. A row's
            // finding is about its own school only, so the order schools are visited in does not
            // matter either.
            let bySchool = ordered.indices.sorted { (schools?.id(ordered[$0]) ?? -1, $0) < (schools?.id(ordered[$1]) ?? -1, $1) }
                .map { ordered[$0] }
            for k in bySchool.indices.dropFirst() where schools?.id(bySchool[k - 1]) == schools?.id(bySchool[k]) {
                let previous = bySchool[k - 1], row = bySchool[k]
                let start = starts?.date(row) ?? 0, school = schools?.text(row) ?? ""
                if starts?.date(previous) == start, statuses?.id(previous) == statuses?.id(row) {
                    out.append(
                        Finding(
                            rule: "SENR-DUPLICATE", field: "SSID", value: ssid,
                            message: "the same enrollment appears twice at school \(school)", row: row))
                } else if (exits?.date(previous) ?? distantFuture) > start {
                    out.append(
                        Finding(
                            rule: "SENR0178", field: "EnrollmentSchoolStartDate", value: DateCodec.format(start, "YYYYMMDD"),
                            message: "starts before the student's earlier enrollment at school \(school) ends", row: row))
                }
            }
            // Primary enrollments (status 10, or 30 lasting over 30 days; not N470 no-shows) at
            // different schools must not overlap.
            let primaries = ordered.filter { row in
                let start = starts?.date(row) ?? 0
                let exit = exits?.date(row)
                if noShow[row], let exit, exit <= start { return false }
                if primary[row] { return true }
                return shortTerm[row] && (exit ?? distantFuture) - start > 30
            }
            for (k, row) in primaries.enumerated() where k > 0 {
                let start = starts?.date(row) ?? 0
                let school = schools?.id(row), lea = leas?.id(row)
                // Within one LEA (across LEAs it is a concurrent enrollment, CERT041).
                if let other = primaries[..<k].first(where: {
                    schools?.id($0) != school && leas?.id($0) == lea && (exits?.date($0) ?? distantFuture) > start
                }) {
                    out.append(
                        Finding(
                            rule: "SENR0027", field: "EnrollmentSchoolStartDate", value: DateCodec.format(start, "YYYYMMDD"),
                            message: "overlaps the student's primary enrollment at school \(schools?.text(other) ?? "")",
                            row: row))
                }
            }
        }
        out += graduateRules(r) + (sinf.map { usSchoolDateRules(r, sinf: $0) } ?? [])
        if let sinf, sinf.table.column("SSID") != nil {
            // The SSIDs SINF has, by the SSID's dense id across both files (`Join`).
            let join = Join.shared(r, sinf, on: ["SSID"]), ssids = r.view("SSID")
            var known = [Bool](repeating: false, count: join.count)
            for id in join.other where id >= 0 { known[Int(id)] = true }
            for row in 0..<r.table.rowCount {
                guard let ssid = ssids?.text(row), join.own[row] < 0 || !known[Int(join.own[row])] else { continue }
                out.append(Finding(rule: "SENR-NO-SINF", field: "SSID", value: ssid, message: "the student has no SINF record", row: row))
            }
        }
        return out
    }

    /// Whether a rule applies in the academic year starting `year` (a rule added or retired in
    /// some year is data: scripts/calpads_rules.tsv).
    static func active(_ id: String, _ year: Int) -> Bool {
        // Asked per record per rule: the years of a rule by its ID without copying the rule.
        if let years = ruleYears[id] { return years.first <= year && year <= years.last }
        return CalpadsRules.rule(id)?.applies(year: year) ?? true
    }
    static let ruleYears: [String: (first: Int, last: Int)] = CalpadsRules.byID.mapValues { ($0.firstYear, $0.lastYear) }

    /// Graduates, secondary enrollments and preschool non-ADA enrollments (SENR0175, SENR0302,
    /// SENR0630, SENR0632, SENR0731F1), each in the years CALPADS applies it.
    static func graduationAndStatusRules(
        _ f: EnrollmentFields, _ row: Int, year: Int, reason: String?, completion: String?, exit: Int32?,
        start: Int32?, grade: String?
    ) -> [Finding] {
        var out: [Finding] = []
        let status = f.status?.text(row)
        if f.senr0175.contains(year), completion == "100", reason != CalpadsCodes.completerExit {
            out.append(
                Finding(
                    rule: "SENR0175", field: "StudentExitReasonCode", value: reason ?? "",
                    message: "a graduate (completion status 100) is exited with E230, not \(reason ?? "without an exit reason")", row: row))
        }
        if f.senr0302.contains(year), status == "20", let reason, reason != "E170" {
            out.append(
                Finding(
                    rule: "SENR0302", field: "StudentExitReasonCode", value: reason,
                    message: "a secondary enrollment (status 20) is exited with E170, not \(reason)", row: row))
        }
        let exemption = f.exemption?.text(row)
        if f.senr0630.contains(year), let exemption, completion != "100" {
            out.append(
                Finding(
                    rule: "SENR0630", field: "GraduationExemptionIndicator", value: exemption,
                    message: "the Graduation Exemption Indicator is only given for a graduate (completion status 100)", row: row))
        }
        if f.senr0632.contains(year), completion == "100", exemption == nil, f.hasExemption,
            let exit, let cutoff = DateCodec.days(year: 2023, month: 6, day: 30), exit > cutoff
        {
            out.append(
                Finding(
                    rule: "SENR0632", field: "GraduationExemptionIndicator", value: "",
                    message: "a graduate exited after June 30, 2023 needs a Graduation Exemption Indicator (Y or N)", row: row))
        }
        if f.senr0731F1.contains(year), grade == "PS", status == "50", let start, let birth = f.birth?.date(row),
            FunctionRegistry.age(birth, start) < 3
        {
            out.append(
                Finding(
                    rule: "SENR0731F1", field: "EnrollmentStatusCode", value: "50",
                    message: "a preschool student under 3 on the start date is not a non-ADA enrollment (status 50)", row: row))
        }
        return out
    }
}
