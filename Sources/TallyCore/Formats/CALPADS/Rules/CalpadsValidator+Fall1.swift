import TallyModel

/// Fall 1 rules under their CALPADS IDs (issue #26): the student's age (IVR0012), program records
/// inside an enrollment at their school (GERR0005), and the enrollment, language status and
/// program rules that read several records or files. Each rule is checked only in the academic
/// years scripts/calpads_rules.tsv gives it; where CALPADS checks against records it holds that
/// the upload does not carry, the rule checks what the files given can show (its description says so).
extension CalpadsValidator {
    /// IVR0012 (warning): the student's age on the enrollment start date is over 0 and at most 22,
    /// or 16 to 79 in the adult grade (AD). CALPADS skips charter schools, which a file cannot show.
    static func studentAgeRule(_ f: EnrollmentFields, _ row: Int, year: Int) -> Finding? {
        guard f.ivr0012.contains(year), let birth = f.birth?.date(row), let start = f.start?.date(row),
            birth < start, let grade = f.grade?.text(row)
        else { return nil }
        let age = Int(FunctionRegistry.age(birth, start))
        let ok = grade == "AD" ? (16..<80).contains(age) : (1...22).contains(age)
        guard !ok else { return nil }
        let range = grade == "AD" ? "16 to 79 for an adult student" : "1 to 22"
        return Finding(
            rule: "IVR0012", field: "StudentBirthDate", value: DateCodec.format(birth, "YYYYMMDD"),
            message: "age \(age) on the start date is outside \(range)", row: row)
    }

    /// GERR0005, `validate calpads SPRG with senr`: a participating record (membership 3) lies
    /// within an enrollment at its School of Attendance (start to exit, inclusive; an open record
    /// may outlast an exited enrollment); any other record overlaps one and, if it ends, ends by
    /// the exit date.
    static func programEnrollmentRules(_ r: Record, senr e: Record?, file: String) throws -> [Finding] {
        guard let e else { return [] }
        try requireColumns(
            ["SSID", "SchoolOfAttendance", "EnrollmentSchoolStartDate", "EnrollmentSchoolExitDate"], in: e.table, of: "SENR", for: "SPRG",
            file: file)
        // The SENR records of each student (`Join` on the SSID alone, `IDGroups`), of whom those
        // at the program's school are read below (a student has a record or two: comparing the
        // school's text there is cheaper than numbering SSID and school pairs across two files of
        // a million records): a no-show (N470 on or before the start) was never enrolled; another
        // exit before the start is SENR0018's finding, and the enrollment counts as open here.
        let join = Join.shared(r, e, on: ["SSID"]), enrollmentSchools = e.view("SchoolOfAttendance")
        let enrollmentStarts = e.view("EnrollmentSchoolStartDate"), enrollmentExits = e.view("EnrollmentSchoolExitDate")
        let noShow = Verdicts(e.view("StudentExitReasonCode")) { $0 == "N470" }
        let spans = IDGroups(join.other, count: join.count) { row in
            guard let start = enrollmentStarts?.date(row) else { return false }
            if let exit = enrollmentExits?.date(row), exit < start, noShow[row] { return false }
            return true
        }
        var out: [Finding] = []
        let schools = r.view("SchoolOfAttendance"), starts = r.view("EducationProgramMembershipStartDate")
        let ends = r.view("EducationProgramMembershipEndDate"), gerr0005 = RuleYears("GERR0005")
        let participates = Verdicts(r.view("EducationProgramMembershipCode")) { $0 == "3" }
        for row in 0..<r.table.rowCount {
            guard join.own[row] >= 0, let school = schools?.text(row),
                let start = starts?.date(row)
            else { continue }
            let year = r.startYear(row) ?? 2019
            let end = ends?.date(row)
            // A program that ends before it starts is SPRG-END-BEFORE-START's finding.
            guard gerr0005.contains(year), end.map({ $0 >= start }) ?? true else { continue }
            let participating = participates[row]
            let ok = spans[join.own[row]].contains { other in
                guard enrollmentSchools?.text(other) == school else { return false }
                let eStart = enrollmentStarts?.date(other) ?? 0
                let span = (start: eStart, exit: enrollmentExits?.date(other).flatMap { $0 >= eStart ? $0 : nil })
                var endsByExit = true
                if let end, let exit = span.exit { endsByExit = end <= exit }
                if participating { return start >= span.start && (span.exit.map { start <= $0 } ?? true) && endsByExit }
                return (end.map { span.start <= $0 } ?? true) && (span.exit.map { $0 >= start } ?? true) && endsByExit
            }
            if !ok {
                out.append(
                    Finding(
                        rule: "GERR0005", field: "EducationProgramMembershipStartDate", value: DateCodec.format(start, "YYYYMMDD"),
                        message: participating
                            ? "no enrollment at school \(school) spans the participating program's dates"
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

    static func fall1EnrollmentRules(_ r: Record, _ layout: CalpadsLayout, with partners: [String: Record]) -> [Finding] {
        var out: [Finding] = []
        let byStudent = r.groups("SSID")
        // The file's active year: its latest Academic Year ID (CERT112 looks at the year before it).
        let activeYear = (0..<r.table.rowCount).compactMap { r.startYear($0) }.max()
        // The views, the rules' years and CERT112's dates once, outside the row loop.
        let starts = r.view("EnrollmentSchoolStartDate"), exits = r.view("EnrollmentSchoolExitDate")
        let ssids = r.view("SSID"), schools = r.view("SchoolOfAttendance"), reasons = r.view("StudentExitReasonCode")
        let noShow = Verdicts(reasons) { $0 == "N470" }, midYear = Verdicts(reasons) { $0 == "E150" }
        let senr0286 = RuleYears("SENR0286")
        let cert112 = activeYear.flatMap { y in
            active("CERT112", y) ? (y: y, first: day(y - 1, 7, 1), last: day(y, 6, 30), august16: day(y, 8, 16)) : nil
        }
        for row in 0..<r.table.rowCount {
            let year = yearStart(r, row, layout)
            let start = starts?.date(row), exit = exits?.date(row)
            // CERT112: an enrollment of the year before the active one still open on August 16.
            if let c = cert112, let start, start >= c.first, start <= c.last, (exit ?? distantFuture) >= c.august16, !noShow[row] {
                let y = c.y
                out.append(
                    Finding(
                        rule: "CERT112", field: "EnrollmentSchoolExitDate", value: exit.map(ymd) ?? "",
                        message: "an enrollment of \(y - 1)-\(y) is not exited before August 16, \(y)", row: row))
            }
            // SENR0286: an E150 (mid-year update) exit is followed by an enrollment at the school on the exit date or the day after.
            if midYear[row], senr0286.contains(year), let exit, ssids?.text(row) != nil {
                let school = schools?.text(row)
                let next = (byStudent?.rows(sameAs: row) ?? []).contains { other in
                    other != row && schools?.text(other) == school
                        && (starts?.date(other).map { $0 >= exit && $0 <= exit + 1 } ?? false)
                }
                if !next {
                    out.append(
                        Finding(
                            rule: "SENR0286", field: "StudentExitReasonCode", value: "E150",
                            message: "no enrollment at school \(school ?? "") starts on \(ymd(exit)) or the day after", row: row))
                }
            }
        }
        // CERT041: overlapping primary enrollments of one student in two LEAs (a concurrent
        // enrollment; within one LEA it is SENR0027).
        // A primary enrollment here: status 10, or 30 lasting more than 30 days; an N470 no-show
        // (exit on or before the start) is none. LEAs compared by dense id (equal ids, equal texts).
        let leas = r.view("ReportingLEA"), statuses = r.view("EnrollmentStatusCode"), cert041 = RuleYears("CERT041")
        let primary = Verdicts(statuses) { $0 == "10" }, shortTerm = Verdicts(statuses) { $0 == "30" }
        for (_, rows) in byStudent?.repeated ?? [] {
            let primaries = rows.filter { row in
                let start = starts?.date(row) ?? 0, exit = exits?.date(row)
                if noShow[row], let exit, exit <= start { return false }
                return primary[row] || (shortTerm[row] && Int(exit ?? distantFuture) - Int(start) > 30)
            }
            for (k, row) in primaries.enumerated() {
                let year = yearStart(r, row, layout)
                guard cert041.contains(year), let start = starts?.date(row) else { continue }
                let exit = exits?.date(row) ?? distantFuture, lea = leas?.id(row)
                if let other = primaries[..<k].first(where: { o in
                    leas?.id(o) != lea && (starts?.date(o) ?? 0) <= exit && (exits?.date(o) ?? distantFuture) >= start
                }) {
                    out.append(
                        Finding(
                            rule: "CERT041", field: "EnrollmentSchoolStartDate", value: ymd(start),
                            message:
                                "overlaps the student's primary enrollment in LEA \(leas?.text(other) ?? "") at school \(schools?.text(other) ?? "")",
                            row: row))
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
    static func raceDataRules(_ r: Record, _ layout: CalpadsLayout, sinf s: Record) -> [Finding] {
        let hispanic = s.view("StudentHispanicEthnicityIndicator")
        let races = (1...5).map { s.view("StudentRace\($0)Code") }
        let ethnicityMissing = Verdicts(s.view("StudentEthnicityMissingIndicator")) { $0 == "Y" }
        let raceMissing = Verdicts(s.view("StudentRaceMissingIndicator")) { $0 == "Y" }
        let effectiveStarts = s.view("EffectiveStartDate"), effectiveEnds = s.view("EffectiveEndDate")
        // Each student's SINF records (`Join` on the SSID, `IDGroups`).
        let join = Join.shared(r, s, on: ["SSID"]), records = IDGroups(join.other, count: join.count)
        func span(_ row: Int) -> (start: Int32, end: Int32?, data: Bool) {
            let data =
                hispanic?.text(row) != nil || ethnicityMissing[row]
                || races.contains { $0?.text(row) != nil } || raceMissing[row]
            let start = effectiveStarts?.date(row) ?? 0, end = effectiveEnds?.date(row)
            // An end before the start is SINF-EFFECTIVE-DATES' finding: the record counts as open here.
            return (start, end.flatMap { $0 >= start ? $0 : nil }, data)
        }
        var out: [Finding] = []
        let ssids = r.view("SSID"), starts = r.view("EnrollmentSchoolStartDate"), exits = r.view("EnrollmentSchoolExitDate")
        let counted = Verdicts(r.view("EnrollmentStatusCode")) { ["10", "30", "50"].contains($0) }
        let senr0661F1 = RuleYears("SENR0661F1"), cert004 = RuleYears("CERT004")
        for row in 0..<r.table.rowCount {
            let year = yearStart(r, row, layout)
            guard let rule = senr0661F1.contains(year) ? "SENR0661F1" : cert004.contains(year) ? "CERT004" : nil,
                counted[row], let ssid = ssids?.text(row), case let sinfRows = records[join.own[row]], !sinfRows.isEmpty,
                let start = starts?.date(row)
            else { continue }
            // An exit before the start is SENR0018's finding.
            let exit = exits?.date(row) ?? distantFuture
            guard exit >= start else { continue }
            if !sinfRows.contains(where: {
                let s = span($0); return s.data && s.start <= exit && (s.end ?? distantFuture) >= start
            }) {
                out.append(
                    Finding(
                        rule: rule, field: "SSID", value: ssid,
                        message: "no SINF record overlapping the enrollment gives ethnicity or race data", row: row))
            }
        }
        return out
    }

    /// SENR0644F1 (from 2024-25) / CERT146 (2020-21 to 2023-24), SENR with sela, sprg: a student
    /// whose latest English language acquisition status is EL, with a primary (10) or short-term
    /// (30) enrollment lasting more than 30 days (CERT146: any primary one), has a language
    /// instruction program record (300-307) at the school overlapping the enrollment.
    static func languageProgramRules(_ r: Record, _ layout: CalpadsLayout, sela l: Record, sprg p: Record) -> [Finding] {
        // Each student's latest status (the last listed of the latest date), by the SSID's dense id
        // across SENR and SELA (`Join`).
        let students = Join.shared(r, l, on: ["SSID"])
        var latest = [(start: Int32, el: Bool)?](repeating: nil, count: students.count)
        let selaStatuses = l.view("EnglishAcquisitionStatusCode"), statusStarts = l.view("EnglishLanguageAcquisitionStatusStartDate")
        let isEL = Verdicts(selaStatuses) { $0 == "EL" }
        for row in 0..<l.table.rowCount {
            let id = Int(students.other[row])
            guard id >= 0, selaStatuses?.text(row) != nil else { continue }
            let start = statusStarts?.date(row) ?? 0
            if let known = latest[id], known.start > start { continue }
            latest[id] = (start, isEL[row])
        }
        // Each student's language instruction programs (`Join` on the SSID, `IDGroups`), of which
        // those at the enrollment's school count (as in `programEnrollmentRules`).
        let atSchool = Join.shared(r, p, on: ["SSID"]), programSchools = p.view("SchoolOfAttendance")
        let programStarts = p.view("EducationProgramMembershipStartDate"), programEnds = p.view("EducationProgramMembershipEndDate")
        let language = Verdicts(p.view("EducationProgramCode")) { code in Int(code).map { (300...307).contains($0) } ?? false }
        let programs = IDGroups(atSchool.other, count: atSchool.count) { language[$0] && programStarts?.date($0) != nil }
        var out: [Finding] = []
        let ssids = r.view("SSID"), schools = r.view("SchoolOfAttendance")
        let starts = r.view("EnrollmentSchoolStartDate"), exits = r.view("EnrollmentSchoolExitDate")
        let statuses = r.view("EnrollmentStatusCode")
        let counted = Verdicts(statuses) { $0 == "10" || $0 == "30" }, primary = Verdicts(statuses) { $0 == "10" }
        let senr0644F1 = RuleYears("SENR0644F1"), cert146 = RuleYears("CERT146")
        for row in 0..<r.table.rowCount {
            let year = yearStart(r, row, layout)
            guard let rule = senr0644F1.contains(year) ? "SENR0644F1" : cert146.contains(year) ? "CERT146" : nil,
                counted[row], let ssid = ssids?.text(row), students.own[row] >= 0, latest[Int(students.own[row])]?.el == true,
                let school = schools?.text(row), let start = starts?.date(row)
            else { continue }
            let exit = exits?.date(row) ?? distantFuture
            // Over 30 days: a short-term (30) enrollment for CERT146; any enrollment for SENR0644F1.
            guard Int(exit) - Int(start) > 30 || (rule == "CERT146" && primary[row]) else { continue }
            if !programs[atSchool.own[row]].contains(where: {
                programSchools?.text($0) == school && (programStarts?.date($0) ?? 0) <= exit
                    && (programEnds?.date($0) ?? distantFuture) >= start
            }) {
                out.append(
                    Finding(
                        rule: rule, field: "SSID", value: ssid,
                        message:
                            "an English learner enrolled over 30 days has no language instruction program (300-307) at school \(school) during the enrollment",
                        row: row))
            }
        }
        return out
    }
}

/// English language acquisition status rules (SELA, with senr for CERT106) and open program records (SPRG).
extension CalpadsValidator {
    /// The Primary Language Codes for English and sign language in a year's code set (SELA0280):
    /// 00 and 37 (sign language) through 2022-23; eng and sgn in 2023-24; eng and ase from 2024-25.
    static func englishOrSign(_ year: Int) -> Set<String> {
        year <= 2022 ? englishOrSignTo2022 : year == 2023 ? englishOrSign2023 : englishOrSignFrom2024
    }
    static let englishOrSignTo2022: Set<String> = ["00", "37"], englishOrSign2023: Set<String> = ["eng", "sgn"],
        englishOrSignFrom2024: Set<String> = ["eng", "ase"]

    static func fall1LanguageRules(_ r: Record, _ layout: CalpadsLayout, senr: Record?, file: String) throws -> [Finding] {
        var out: [Finding] = []
        let statuses = r.view("EnglishAcquisitionStatusCode"), languages = r.view("PrimaryLanguageCode")
        let starts = r.view("EnglishLanguageAcquisitionStatusStartDate"), corrections = r.view("CorrectionReasonCode")
        let knownStatus = Verdicts(statuses) { CalpadsCodes.englishStatuses.contains($0) }
        let corrected = Verdicts(corrections) { ["1", "2", "5"].contains($0) }
        let sela0280 = RuleYears("SELA0280"), sela0520 = RuleYears("SELA0520"), july2020 = day(2020, 7, 1)
        for row in 0..<r.table.rowCount {
            let year = yearStart(r, row, layout)
            let status = statuses?.text(row)
            // SELA0280: English or sign language as primary language only for EO (TBD excepted to 2023-24).
            if sela0280.contains(year), let language = languages?.text(row), englishOrSign(year).contains(language),
                let status, status != "EO", knownStatus[row], !(status == "TBD" && year <= 2023)
            {
                out.append(
                    Finding(
                        rule: "SELA0280", field: "PrimaryLanguageCode", value: language,
                        message: "primary language \(language) (English or sign language) is only for an EO student, not \(status)",
                        row: row))
            }
            // SELA0520: EL or IFEP starting on or after July 1, 2020 comes from ELPAC results (TOMS);
            // submitted by the LEA it carries correction reason 1, 2 or 5.
            if sela0520.contains(year), status == "EL" || status == "IFEP", let start = starts?.date(row),
                start >= july2020, !corrected[row]
            {
                out.append(
                    Finding(
                        rule: "SELA0520", field: "CorrectionReasonCode", value: corrections?.text(row) ?? "",
                        message: "\(status ?? "") from \(ymd(start)) is sent by TOMS; submitted, it needs correction reason 1, 2 or 5",
                        row: row))
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
                    let latest = rows[..<k].compactMap({ r.date("EnglishLanguageAcquisitionStatusStartDate", $0) }).max(), start < latest
                else { continue }
                out.append(
                    Finding(
                        rule: "SELA0285", field: "EnglishLanguageAcquisitionStatusStartDate", value: ymd(start),
                        message:
                            "a new status \(status) starts before the student's latest status date \(ymd(latest)) listed above it (CALPADS posts a SELA file in line order: list each student's statuses oldest first)",
                        row: row))
            }
        }
        if let senr { out += try tbdRules(r, layout, senr: senr, file: file) }
        return out
    }

    /// CERT106 (warning), SELA with senr: a student with a primary (10) enrollment in a grade other
    /// than AD, IN, TD or PS whose latest status is TBD started it less than 30 days (90 before
    /// 2021-22) before Census Day (the first Wednesday in October). The finding is on the TBD record.
    static func tbdRules(_ r: Record, _ layout: CalpadsLayout, senr e: Record, file: String) throws -> [Finding] {
        try requireColumns(["SSID", "EnrollmentStatusCode", "GradeLevelCode"], in: e.table, of: "SENR", for: "SELA", file: file)
        // The students with a primary enrollment, and each student's latest status record, by the
        // SSID's dense id across SELA and SENR (`Join`).
        let students = Join.shared(r, e, on: ["SSID"])
        var primary = [Bool](repeating: false, count: students.count)
        let isPrimary = Verdicts(e.view("EnrollmentStatusCode")) { $0 == "10" }
        let counted = Verdicts(e.view("GradeLevelCode")) { !["AD", "IN", "TD", "PS"].contains($0) }
        for row in 0..<e.table.rowCount where students.other[row] >= 0 && isPrimary[row] && counted[row] {
            primary[Int(students.other[row])] = true
        }
        var latest = [Int](repeating: -1, count: students.count)
        let statuses = r.view("EnglishAcquisitionStatusCode"), starts = r.view("EnglishLanguageAcquisitionStatusStartDate")
        for row in 0..<r.table.rowCount {
            let id = Int(students.own[row])
            guard id >= 0, statuses?.text(row) != nil else { continue }
            let start = starts?.date(row) ?? 0
            if latest[id] >= 0, (starts?.date(latest[id]) ?? 0) > start { continue }
            latest[id] = row
        }
        var out: [Finding] = []
        let tbd = Verdicts(statuses) { $0 == "TBD" }, cert106 = RuleYears("CERT106")
        for (id, row) in latest.enumerated().filter({ $0.element >= 0 }).sorted(by: { $0.element < $1.element }) {
            let year = yearStart(r, row, layout)
            guard cert106.contains(year), primary[id], tbd[row],
                let start = r.date("EnglishLanguageAcquisitionStatusStartDate", row)
            else { continue }
            let days = year >= 2021 ? 30 : 90, census = censusDay(year)
            if start <= census - Int32(days) {
                out.append(
                    Finding(
                        rule: "CERT106", field: "EnglishLanguageAcquisitionStatusStartDate", value: ymd(start),
                        message: "TBD since \(ymd(start)), \(days) days or more before Census Day \(ymd(census))", row: row))
            }
        }
        return out
    }

    /// SPRG0070: one student has at most one open record (no end date) of a program at a school.
    /// A second record with the same start date is SPRG0249F1's finding (a duplicate).
    static func openProgramRules(_ r: Record, _ layout: CalpadsLayout) -> [Finding] {
        // A student's open records (`Record.keyGroups`: the rows of each SSID, with the school and
        // program compared by their atoms, and the start date's atom: nil, a blank start, is one
        // date, as the empty text was), not keys numbered across the whole file.
        let (groups, keyViews) = r.keyGroups(["SSID", "SchoolOfAttendance", "EducationProgramCode"])
        let ends = r.view("EducationProgramMembershipEndDate"), startAtoms = r.view("EducationProgramMembershipStartDate")
        let sprg0070 = RuleYears("SPRG0070")
        var second: [Int] = []
        for rows in groups {
            var keys = SeenKeys(keyViews, rows: rows.count), dated = SeenKeys(keyViews + [startAtoms], rows: rows.count)
            for row in rows {
                guard sprg0070.contains(yearStart(r, row, layout)), ends?.date(row) == nil, keyViews.allSatisfy({ $0.hasText(row) })
                else { continue }
                let firstOfDate = dated.insert(row)
                if !keys.insert(row), firstOfDate { second.append(row) }
            }
        }
        let schools = r.view("SchoolOfAttendance"), codes = r.view("EducationProgramCode")
        return second.sorted().map { row in
            Finding(
                rule: "SPRG0070", field: "EducationProgramMembershipEndDate", value: "",
                message: "a second open record of program \(codes?.text(row) ?? "") at school \(schools?.text(row) ?? "")", row: row)
        }
    }
}
