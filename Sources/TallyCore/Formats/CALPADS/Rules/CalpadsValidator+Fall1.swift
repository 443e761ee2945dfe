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
    static func enrollmentSpans(_ senr: Table) -> [Pair<String, String>: [(start: Int32, exit: Int32?, row: Int)]] {
        let e = Record(senr)
        var spans: [Pair<String, String>: [(start: Int32, exit: Int32?, row: Int)]] = [:]
        for row in 0..<senr.rowCount {
            guard let ssid = e.text("SSID", row), let school = e.text("SchoolOfAttendance", row),
                  let start = e.date("EnrollmentSchoolStartDate", row) else { continue }
            // A no-show (N470 on or before the start) was never enrolled; another exit before the
            // start is SENR0018's finding, and the enrollment counts as open here.
            let exit = e.date("EnrollmentSchoolExitDate", row)
            if let exit, exit < start, e.text("StudentExitReasonCode", row) == "N470" { continue }
            spans[Pair(ssid, school), default: []].append((start, exit.flatMap { $0 >= start ? $0 : nil }, row))
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
            let year = r.startYear(row) ?? 2019
            let end = r.date("EducationProgramMembershipEndDate", row)
            // A program that ends before it starts is SPRG-END-BEFORE-START's finding.
            guard active("GERR0005", year), end.map({ $0 >= start }) ?? true else { continue }
            let participating = r.text("EducationProgramMembershipCode", row) == "3"
            let ok = (spans[Pair(ssid, school)] ?? []).contains { e in
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

/// Enrollment rules across a student's records and files (SENR with sinf, sela, sprg).
extension CalpadsValidator {
    static let distantFuture = Int32.max
    static func day(_ y: Int, _ m: Int, _ d: Int) -> Int32 { DateCodec.days(year: y, month: m, day: d) ?? 0 }
    static func ymd(_ d: Int32) -> String { DateCodec.format(d, "YYYYMMDD") }

    /// Census Day: the first Wednesday in October of the academic year's first calendar year.
    static func censusDay(_ year: Int) -> Int32 {
        let first = day(year, 10, 1)
        // 1970-01-01 (day 0) was a Thursday; Wednesday is 6 days on, mod 7.
        let weekday = ((Int(first) % 7) + 7) % 7
        return first + Int32((6 - weekday + 7) % 7)
    }

    /// A primary enrollment for the concurrent-enrollment rules: status 10, or 30 lasting more than
    /// 30 days; an N470 no-show (exit on or before the start) is none.
    static func isPrimary(_ r: Record, _ row: Int) -> Bool {
        let status = r.text("EnrollmentStatusCode", row), start = r.date("EnrollmentSchoolStartDate", row) ?? 0
        let exit = r.date("EnrollmentSchoolExitDate", row)
        if r.text("StudentExitReasonCode", row) == "N470", let exit, exit <= start { return false }
        return status == "10" || (status == "30" && Int(exit ?? distantFuture) - Int(start) > 30)
    }

    static func fall1EnrollmentRules(_ r: Record, _ layout: CalpadsLayout, partners: CalpadsPartners) -> [Finding] {
        var out: [Finding] = []
        let byStudent = r.groups("SSID")
        // The file's active year: its latest Academic Year ID (CERT112 looks at the year before it).
        let activeYear = (0..<r.table.rowCount).compactMap { r.startYear($0) }.max()
        for row in 0..<r.table.rowCount {
            let year = yearStart(r, row, layout)
            let start = r.date("EnrollmentSchoolStartDate", row), exit = r.date("EnrollmentSchoolExitDate", row)
            // CERT112: an enrollment of the year before the active one still open on August 16.
            if let y = activeYear, let start, active("CERT112", y), start >= day(y - 1, 7, 1), start <= day(y, 6, 30),
               (exit ?? distantFuture) >= day(y, 8, 16), r.text("StudentExitReasonCode", row) != "N470" {
                out.append(Finding(rule: "CERT112", field: "EnrollmentSchoolExitDate", value: exit.map(ymd) ?? "",
                                   message: "an enrollment of \(y - 1)-\(y) is not exited before August 16, \(y)", row: row))
            }
            // SENR0286: an E150 (mid-year update) exit is followed by an enrollment at the school on the exit date or the day after.
            if active("SENR0286", year), r.text("StudentExitReasonCode", row) == "E150", let exit, r.text("SSID", row) != nil {
                let school = r.text("SchoolOfAttendance", row)
                let next = (byStudent?.rows(sameAs: row) ?? []).contains { other in
                    other != row && r.text("SchoolOfAttendance", other) == school
                        && (r.date("EnrollmentSchoolStartDate", other).map { $0 >= exit && $0 <= exit + 1 } ?? false)
                }
                if !next {
                    out.append(Finding(rule: "SENR0286", field: "StudentExitReasonCode", value: "E150",
                                       message: "no enrollment at school \(school ?? "") starts on \(ymd(exit)) or the day after", row: row))
                }
            }
        }
        // CERT041: overlapping primary enrollments of one student in two LEAs (a concurrent
        // enrollment; within one LEA it is SENR0027).
        for (_, rows) in byStudent?.repeated ?? [] {
            let primaries = rows.filter { isPrimary(r, $0) }
            for (k, row) in primaries.enumerated() {
                let year = yearStart(r, row, layout)
                guard active("CERT041", year), let start = r.date("EnrollmentSchoolStartDate", row) else { continue }
                let exit = r.date("EnrollmentSchoolExitDate", row) ?? distantFuture
                if let other = primaries[..<k].first(where: { o in
                    r.text("ReportingLEA", o) != r.text("ReportingLEA", row)
                        && (r.date("EnrollmentSchoolStartDate", o) ?? 0) <= exit && (r.date("EnrollmentSchoolExitDate", o) ?? distantFuture) >= start
                }) {
                    out.append(Finding(rule: "CERT041", field: "EnrollmentSchoolStartDate", value: ymd(start),
                                       message: "overlaps the student's primary enrollment in LEA \(r.text("ReportingLEA", other) ?? "") at school \(r.text("SchoolOfAttendance", other) ?? "")", row: row))
                }
            }
        }
        if let sinf = partners["SINF"] { out += raceDataRules(r, layout, sinf: sinf) }
        if let sela = partners["SELA"], let sprg = partners["SPRG"] { out += languageProgramRules(r, layout, sela: sela, sprg: sprg) }
        return out
    }

    /// CERT004 (to 2023-24) / SENR0661F1 (from 2024-25), SENR with sinf: a primary, short-term or
    /// non-ADA enrollment (10, 30, 50) has a SINF record overlapping it with ethnicity or race data
    /// (a Hispanic Ethnicity Indicator or a race code, or the missing indicators set to Y). A student
    /// with no SINF record at all is SENR-NO-SINF's finding.
    static func raceDataRules(_ r: Record, _ layout: CalpadsLayout, sinf: Table) -> [Finding] {
        let s = Record(sinf)
        var spans: [String: [(start: Int32, end: Int32?, data: Bool)]] = [:]
        for row in 0..<sinf.rowCount {
            guard let ssid = s.text("SSID", row) else { continue }
            let data = s.text("StudentHispanicEthnicityIndicator", row) != nil || s.text("StudentEthnicityMissingIndicator", row) == "Y"
                || (1...5).contains { s.text("StudentRace\($0)Code", row) != nil } || s.text("StudentRaceMissingIndicator", row) == "Y"
            let start = s.date("EffectiveStartDate", row) ?? 0, end = s.date("EffectiveEndDate", row)
            // An end before the start is SINF-EFFECTIVE-DATES' finding: the record counts as open here.
            spans[ssid, default: []].append((start, end.flatMap { $0 >= start ? $0 : nil }, data))
        }
        var out: [Finding] = []
        for row in 0..<r.table.rowCount {
            let year = yearStart(r, row, layout)
            guard let rule = ["SENR0661F1", "CERT004"].first(where: { active($0, year) }), let ssid = r.text("SSID", row),
                  let records = spans[ssid], ["10", "30", "50"].contains(r.text("EnrollmentStatusCode", row) ?? ""),
                  let start = r.date("EnrollmentSchoolStartDate", row) else { continue }
            // An exit before the start is SENR0018's finding.
            let exit = r.date("EnrollmentSchoolExitDate", row) ?? distantFuture
            guard exit >= start else { continue }
            if !records.contains(where: { $0.data && $0.start <= exit && ($0.end ?? distantFuture) >= start }) {
                out.append(Finding(rule: rule, field: "SSID", value: ssid,
                                   message: "no SINF record overlapping the enrollment gives ethnicity or race data", row: row))
            }
        }
        return out
    }

    /// SENR0644F1 (from 2024-25) / CERT146 (2020-21 to 2023-24), SENR with sela, sprg: a student
    /// whose latest English language acquisition status is EL, with a primary (10) or short-term
    /// (30) enrollment lasting more than 30 days (CERT146: any primary one), has a language
    /// instruction program record (300-307) at the school overlapping the enrollment.
    static func languageProgramRules(_ r: Record, _ layout: CalpadsLayout, sela: Table, sprg: Table) -> [Finding] {
        let l = Record(sela), p = Record(sprg)
        var latest: [String: (start: Int32, status: String)] = [:]
        for row in 0..<sela.rowCount {
            guard let ssid = l.text("SSID", row), let status = l.text("EnglishAcquisitionStatusCode", row) else { continue }
            let start = l.date("EnglishLanguageAcquisitionStatusStartDate", row) ?? 0
            if let known = latest[ssid], known.start > start { continue }
            latest[ssid] = (start, status)
        }
        var programs: [Pair<String, String>: [(start: Int32, end: Int32?)]] = [:]
        for row in 0..<sprg.rowCount {
            guard let ssid = p.text("SSID", row), let school = p.text("SchoolOfAttendance", row), let code = p.text("EducationProgramCode", row),
                  let n = Int(code), (300...307).contains(n), let start = p.date("EducationProgramMembershipStartDate", row) else { continue }
            programs[Pair(ssid, school), default: []].append((start, p.date("EducationProgramMembershipEndDate", row)))
        }
        var out: [Finding] = []
        for row in 0..<r.table.rowCount {
            let year = yearStart(r, row, layout)
            guard let rule = ["SENR0644F1", "CERT146"].first(where: { active($0, year) }), let ssid = r.text("SSID", row),
                  latest[ssid]?.status == "EL", ["10", "30"].contains(r.text("EnrollmentStatusCode", row) ?? ""),
                  let school = r.text("SchoolOfAttendance", row), let start = r.date("EnrollmentSchoolStartDate", row) else { continue }
            let exit = r.date("EnrollmentSchoolExitDate", row) ?? distantFuture
            // Over 30 days: a short-term (30) enrollment for CERT146; any enrollment for SENR0644F1.
            guard Int(exit) - Int(start) > 30 || (rule == "CERT146" && r.text("EnrollmentStatusCode", row) == "10") else { continue }
            if !(programs[Pair(ssid, school)] ?? []).contains(where: { $0.start <= exit && ($0.end ?? distantFuture) >= start }) {
                out.append(Finding(rule: rule, field: "SSID", value: ssid,
                                   message: "an English learner enrolled over 30 days has no language instruction program (300-307) at school \(school) during the enrollment", row: row))
            }
        }
        return out
    }
}

/// English language acquisition status rules (SELA, with senr for CERT106) and open program records (SPRG).
extension CalpadsValidator {
    /// The Primary Language Codes for English and sign language in a year's code set (SELA0280):
    /// 00 and 37 (sign language) through 2022-23; eng and sgn in 2023-24; eng and ase from 2024-25.
    static func englishOrSign(_ year: Int) -> Set<String> { year <= 2022 ? englishOrSignTo2022 : year == 2023 ? englishOrSign2023 : englishOrSignFrom2024 }
    static let englishOrSignTo2022: Set<String> = ["00", "37"], englishOrSign2023: Set<String> = ["eng", "sgn"], englishOrSignFrom2024: Set<String> = ["eng", "ase"]

    static func fall1LanguageRules(_ r: Record, _ layout: CalpadsLayout, senr: Table?, file: String) throws -> [Finding] {
        var out: [Finding] = []
        for row in 0..<r.table.rowCount {
            let year = yearStart(r, row, layout)
            let status = r.text("EnglishAcquisitionStatusCode", row)
            // SELA0280: English or sign language as primary language only for EO (TBD excepted to 2023-24).
            if active("SELA0280", year), let language = r.text("PrimaryLanguageCode", row), englishOrSign(year).contains(language),
               let status, status != "EO", CalpadsCodes.englishStatuses.contains(status), !(status == "TBD" && year <= 2023) {
                out.append(Finding(rule: "SELA0280", field: "PrimaryLanguageCode", value: language,
                                   message: "primary language \(language) (English or sign language) is only for an EO student, not \(status)", row: row))
            }
            // SELA0520: EL or IFEP starting on or after July 1, 2020 comes from ELPAC results (TOMS);
            // submitted by the LEA it carries correction reason 1, 2 or 5.
            if active("SELA0520", year), status == "EL" || status == "IFEP", let start = r.date("EnglishLanguageAcquisitionStatusStartDate", row),
               start >= day(2020, 7, 1), !["1", "2", "5"].contains(r.text("CorrectionReasonCode", row) ?? "") {
                out.append(Finding(rule: "SELA0520", field: "CorrectionReasonCode", value: r.text("CorrectionReasonCode", row) ?? "",
                                   message: "\(status ?? "") from \(ymd(start)) is sent by TOMS; submitted, it needs correction reason 1, 2 or 5", row: row))
            }
        }
        // SELA0285: a status the student has not had before starts after the latest status before
        // it in the file (the file is posted in order, as CALPADS posts a batch).
        for (_, group) in r.groups("SSID")?.repeated ?? [] {
            let rows = Array(group)
            for (k, row) in rows.enumerated() where k > 0 {
                let year = yearStart(r, row, layout)
                guard active("SELA0285", year), let status = r.text("EnglishAcquisitionStatusCode", row),
                      let start = r.date("EnglishLanguageAcquisitionStatusStartDate", row),
                      !rows[..<k].contains(where: { r.text("EnglishAcquisitionStatusCode", $0) == status }),
                      // On the same date it is SELA0326's finding (one status per start date).
                      let latest = rows[..<k].compactMap({ r.date("EnglishLanguageAcquisitionStatusStartDate", $0) }).max(), start < latest else { continue }
                out.append(Finding(rule: "SELA0285", field: "EnglishLanguageAcquisitionStatusStartDate", value: ymd(start),
                                   message: "a new status \(status) starts before the student's latest status date \(ymd(latest)) listed above it (CALPADS posts a SELA file in line order: list each student's statuses oldest first)", row: row))
            }
        }
        if let senr { out += try tbdRules(r, layout, senr: senr, file: file) }
        return out
    }

    /// CERT106 (warning), SELA with senr: a student with a primary (10) enrollment in a grade other
    /// than AD, IN, TD or PS whose latest status is TBD started it less than 30 days (90 before
    /// 2021-22) before Census Day (the first Wednesday in October). The finding is on the TBD record.
    static func tbdRules(_ r: Record, _ layout: CalpadsLayout, senr: Table, file: String) throws -> [Finding] {
        try requireColumns(["SSID", "EnrollmentStatusCode", "GradeLevelCode"], in: senr, of: "SENR", for: "SELA", file: file)
        let e = Record(senr)
        var primary = Set<String>()
        for row in 0..<senr.rowCount where e.text("EnrollmentStatusCode", row) == "10" {
            if let ssid = e.text("SSID", row), let grade = e.text("GradeLevelCode", row), !["AD", "IN", "TD", "PS"].contains(grade) { primary.insert(ssid) }
        }
        var latest: [String: Int] = [:]
        for row in 0..<r.table.rowCount {
            guard let ssid = r.text("SSID", row), r.text("EnglishAcquisitionStatusCode", row) != nil else { continue }
            let start = r.date("EnglishLanguageAcquisitionStatusStartDate", row) ?? 0
            if let known = latest[ssid], (r.date("EnglishLanguageAcquisitionStatusStartDate", known) ?? 0) > start { continue }
            latest[ssid] = row
        }
        var out: [Finding] = []
        for (ssid, row) in latest.sorted(by: { $0.value < $1.value }) {
            let year = yearStart(r, row, layout)
            guard active("CERT106", year), primary.contains(ssid), r.text("EnglishAcquisitionStatusCode", row) == "TBD",
                  let start = r.date("EnglishLanguageAcquisitionStatusStartDate", row) else { continue }
            let days = year >= 2021 ? 30 : 90, census = censusDay(year)
            if start <= census - Int32(days) {
                out.append(Finding(rule: "CERT106", field: "EnglishLanguageAcquisitionStatusStartDate", value: ymd(start),
                                   message: "TBD since \(ymd(start)), \(days) days or more before Census Day \(ymd(census))", row: row))
            }
        }
        return out
    }

    /// SPRG0070: one student has at most one open record (no end date) of a program at a school.
    /// A second record with the same start date is SPRG0249F1's finding (a duplicate).
    static func openProgramRules(_ r: Record, _ layout: CalpadsLayout) -> [Finding] {
        var seen = Set<Pair<Pair<String, String>, String>>(), starts = Set<Pair<Pair<Pair<String, String>, String>, String>>(), out: [Finding] = []
        for row in 0..<r.table.rowCount {
            let year = yearStart(r, row, layout)
            guard active("SPRG0070", year), r.date("EducationProgramMembershipEndDate", row) == nil, let ssid = r.text("SSID", row),
                  let school = r.text("SchoolOfAttendance", row), let code = r.text("EducationProgramCode", row) else { continue }
            let key = Pair(Pair(ssid, school), code)
            let start = r.text("EducationProgramMembershipStartDate", row) ?? ""
            let firstOfDate = starts.insert(Pair(key, start)).inserted
            if !seen.insert(key).inserted, firstOfDate {
                out.append(Finding(rule: "SPRG0070", field: "EducationProgramMembershipEndDate", value: "",
                                   message: "a second open record of program \(code) at school \(school)", row: row))
            }
        }
        return out
    }
}
