import Foundation
import TallyData
import TallyModel

/// What `tally sample calpads` plants: the default defects (the analyst's examples and what
/// CALPADS sends back), a defect for every CALPADS rule (`--plant rules`), or nothing
/// (`--plant none`: a clean district).
public enum PlantMode: String, Sendable, CaseIterable {
    case defects, rules, none
}

/// One planted rule defect: the finding `validate` must report.
public struct PlantedFinding: Sendable, Hashable {
    public var rule: String
    public var file: String
    public var line: Int
    /// The planted student's SSID or staff member's SEID.
    public var entity: String
}

/// The clean records of each file type (scripts/calpads_sample_records.tsv) with their
/// placeholders filled in.
enum SampleRecords {
    static let templates: [String: [(field: String, value: String)]] = {
        var out: [String: [(field: String, value: String)]] = [:]
        for line in CalpadsSampleRecordData.tsv.split(separator: "\n") {
            let c = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard c.count == 3 else { continue }
            out[c[0], default: []].append((c[1], c[2]))
        }
        return out
    }()

    /// Fills `{Y}`, `{Y+1}`, `{Y-15}` with years, `{LANG}` with English in the year's language
    /// code set and `{NAME}` with the entity's values.
    static func fill(_ value: String, year: Int, _ values: [String: String]) -> String {
        guard value.contains("{") else { return value }
        var out = "", name = "", inside = false
        for ch in value {
            if ch == "{" { inside = true; name = ""; continue }
            if ch == "}", inside {
                inside = false
                if name == "LANG" {
                    // English in the year's language code set (three letters from 2023-24: Flash #256).
                    out += year >= 2023 ? "eng" : "00"
                } else if name == "OTHERLANG" {
                    out += year >= 2023 ? "spa" : "01" // Spanish, for a status other than EO (SELA0280)
                } else if name.hasPrefix("Y") {
                    let offset = Int(name.dropFirst().replacingOccurrences(of: "+", with: "")) ?? 0
                    out += String(year + offset)
                } else {
                    out += values[name] ?? ""
                }
                continue
            }
            if inside { name.append(ch) } else { out.append(ch) }
        }
        return out
    }

    static func base(_ type: String, year: Int, _ values: [String: String]) -> [String: String] {
        var record: [String: String] = [:]
        for (field, value) in templates[type] ?? [] { record[field] = fill(value, year: year, values) }
        return record
    }
}

/// A rule's plant (scripts/calpads_rules.tsv): which files of one student or staff member to
/// change, how, and which other rules the same defect breaks.
struct RulePlant {
    struct Clause {
        var type: String
        var drop: Bool
        /// The changes to the entity's record, then one list per appended copy.
        var parts: [[(field: String, value: String)]]
    }
    var clauses: [Clause]
    var also: [String]

    static func parse(_ spec: String) -> RulePlant? {
        let main: Substring, alsoText: Substring
        if let r = spec.range(of: " => ") {
            main = spec[..<r.lowerBound]; alsoText = spec[r.upperBound...]
        } else {
            main = Substring(spec); alsoText = ""
        }
        var clauses: [Clause] = []
        for clause in main.components(separatedBy: " & ") {
            guard let colon = clause.range(of: ": ") else { return nil }
            let type = String(clause[..<colon.lowerBound]), text = String(clause[colon.upperBound...])
            if text.trimmingCharacters(in: .whitespaces) == "DROP" { clauses.append(Clause(type: type, drop: true, parts: [])); continue }
            let parts = text.components(separatedBy: " + ").map { part -> [(field: String, value: String)] in
                let t = part.trimmingCharacters(in: .whitespaces)
                guard t != "-" else { return [] }
                return t.split(separator: ";").map { assignment in
                    let kv = assignment.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    return (String(kv[0]), kv.count > 1 ? String(kv[1]) : "")
                }
            }
            clauses.append(Clause(type: type, drop: false, parts: parts))
        }
        return clauses.isEmpty ? nil : RulePlant(clauses: clauses, also: alsoText.split(separator: ",").map(String.init))
    }

    var targets: [String] { clauses.map(\.type) }
}

/// The files of `--plant rules` and `--plant none` beyond SENR, SINF, SPRG and SELA: absence
/// summaries, course sections and the students in them, staff, offenses, CTE pathways and special
/// education (SPED to 2022-23, SWDS from 2023-24), each clean; then, for `rules`, a student or staff member per
/// rule and instance whose records break that rule and nothing else.
struct RulePlants {
    let year: Int
    let lea: String
    let schools: [String]
    var files: [String: CaretFile] = [:]
    var planted: [PlantedFinding] = []
    /// The schools planted students are at (their clean records are tenth graders: high schools).
    var plantSchools: [String]
    /// Each school's teacher, whose completed section (CRSC) is written with the school's first
    /// student in grades 7-12: a section nobody completes is CERT100's finding.
    var teachers: [String: [String: String]] = [:]
    /// A clean enrolled student, who completes the sections of planted staff (CERT098, CERT100).
    var completer: [String: String] = [:]

    static let extraTypes = ["STAS", "SCSE", "SCSC", "SDEM", "SASS", "CRSE", "CRSC", "SOFF", "SCTE", "SPED", "SINC", "SIRS", "SWDS"]

    init(year: Int, lea: String, schools: [String]) {
        self.year = year; self.lea = lea; self.schools = schools; self.plantSchools = schools
        for type in Self.extraTypes {
            // Only a layout of the year itself (layout(_:year:) falls back to the first for earlier years).
            if let layout = CalpadsLayouts.layout(type, year: year), layout.firstYear <= year { files[type] = CaretFile(layout: layout) }
        }
    }

    /// The section every student of a school is in, taught by the school's teacher.
    static func section(_ school: String) -> String { "ENG-" + school.suffix(4) }

    mutating func append(_ type: String, _ record: [String: String]) -> Int? { files[type]?.append(record) }

    /// A teacher per school: staff demographics, assignment and one English 10 section.
    mutating func writeStaff() {
        for (k, school) in schools.enumerated() {
            let values = [
                "LEA": lea, "SCHOOL": school, "SEID": String(2_000_000_000 + k), "STAFF": "T\(k)", "COURSE": "ENG10",
                "SECTION": Self.section(school), "REC": "T\(k)",
            ]
            for type in ["SDEM", "SASS", "CRSE"] { _ = append(type, SampleRecords.base(type, year: year, values)) }
            teachers[school] = values
        }
    }

    /// A generated student's clean records in the extra files.
    /// A student with a non-ADA enrollment (status 50) has no absence summary (CERT126 wants 10 or 30).
    mutating func writeStudent(_ s: [String: String], index: Int, grade: String, absences: Bool = true) {
        let identity = ["SSID", "LocalStudentID", "StudentLegalFirstName", "StudentLegalLastName", "StudentBirthDate", "StudentGenderCode"]
        let school = s["SchoolOfAttendance"] ?? ""
        let values = ["LEA": lea, "SCHOOL": school, "SECTION": Self.section(school), "REC": "X\(index)", "K": String(index)]
        func record(_ type: String) -> [String: String] {
            var r = SampleRecords.base(type, year: year, values)
            for f in identity { r[f] = s[f] }
            return r
        }
        if absences {
            var stas = Self.absenceSummary(record("STAS"), index: index)
            // Expected attendance days fit in the days enrolled (CERT129): a student who left early
            // was expected on about five days of seven.
            func day(_ field: String) -> Int32? {
                guard let v = s[field], v.count == 8, let n = Int(v) else { return nil }
                return DateCodec.days(year: n / 10_000, month: n / 100 % 100, day: n % 100)
            }
            if let start = day("EnrollmentSchoolStartDate"), let exit = day("EnrollmentSchoolExitDate") {
                let days = String(max(0, Int(exit - start + 1) * 5 / 7))
                for f in ["ExpectedAttendanceDays", "DaysAttended", "DaysAttendedInPerson"] { stas[f] = days }
                for f in [
                    "DaysAbsentOutOfSchoolSuspension", "DaysAbsentExcusedNonSuspension", "DaysAbsentUnexcusedNonSuspension",
                    "ADAGeneratingIndependentStudyDays", "NonADAGeneratingIndependentStudyDays", "AttendanceRecoveryDays",
                ] where stas[f] != nil {
                    stas[f] = "0"
                }
            } else if stas["DaysAbsentOutOfSchoolSuspension"].flatMap({ Int($0) }) ?? 0 > 0 {
                // Days out of school on suspension have their incident and its result (CERT127).
                _ = append("SINC", record("SINC"))
                _ = append("SIRS", record("SIRS"))
            }
            _ = append("STAS", stas)
        }
        // Every TK-12 student is in a course section on Census Day (CERT077; preschools submit
        // none, GERR0010); grades 7-12 complete it (CERT099).
        if !["IN", "TD", "PS", "AD"].contains(grade) { _ = append("SCSE", record("SCSE")) }
        if completer.isEmpty { completer = record("SCSC") }
        if ["07", "08", "09", "10", "11", "12"].contains(grade) {
            if let teacher = teachers.removeValue(forKey: school) { _ = append("CRSC", SampleRecords.base("CRSC", year: year, teacher)) }
            _ = append("SCSC", record("SCSC"))
        }
        if grade == "12", index % 25 == 0 { _ = append("SCTE", record("SCTE")) }
        if index % 40 == 0 { _ = append("SOFF", record("SOFF")) }
        if index % 10 == 0 { _ = append("SPED", record("SPED")) }
        // SWDS from 2023-24 (SPED's successor; no layout, so nothing written, before then).
        if index % 10 == 0 {
            var swds = record("SWDS")
            swds["LocalSpecialEducationStudentID"] = s["LocalStudentID"]
            _ = append("SWDS", swds)
        }
    }

    /// A year's absence summary that adds up: 180 expected days, most students absent a few
    /// days and about a quarter chronically (18 or more), a few suspended; from 2025-26 some
    /// recover days in attendance recovery (13.24, 0–10, mostly 0). Seeded by the student.
    static func absenceSummary(_ template: [String: String], index: Int) -> [String: String] {
        var r = template, rng = SeededRandom(seed: UInt64(index) &* 0x2545F491 &+ 17)
        let absent = rng.chance(0.25) ? rng.int(18..<41) : rng.int(0..<11)
        let suspended = rng.chance(0.02) ? rng.int(1..<4) : 0
        let excused = rng.int(0..<(absent + 1)), unexcused = absent - excused
        let attended = 180 - absent - suspended
        r["ExpectedAttendanceDays"] = "180"
        r["DaysAbsentOutOfSchoolSuspension"] = String(suspended)
        r["DaysAbsentExcusedNonSuspension"] = String(excused)
        r["DaysAbsentUnexcusedNonSuspension"] = String(unexcused)
        r["DaysAttended"] = String(attended)
        r["DaysAttendedInPerson"] = String(attended)
        r["AttendanceRecoveryDays"] = rng.chance(0.85) ? "0" : String(rng.int(1..<11))
        return r
    }

    /// Plants every rule active in the year `perRule` times.
    mutating func plantRules(perRule: Int, senr: inout CaretFile, sinf: inout CaretFile, sprg: inout CaretFile, sela: inout CaretFile) {
        var k = 0
        for rule in CalpadsRules.all where !rule.atLoad && rule.applies(year: year) {
            guard let plant = RulePlant.parse(rule.plant) else { continue }
            // Each target and the rule's own file must have a layout this year.
            let needed = Set(plant.targets + [mainType(rule, plant)])
            guard needed.allSatisfy({ ["SENR", "SINF", "SPRG", "SELA"].contains($0) || files[$0] != nil }) else { continue }
            for _ in 0..<perRule {
                k += 1
                plantOne(rule, plant, k, senr: &senr, sinf: &sinf, sprg: &sprg, sela: &sela)
            }
        }
    }

    /// The file a rule's finding is in: the plant's target when the rule is of that type.
    func mainType(_ rule: CalpadsRule, _ plant: RulePlant) -> String {
        let target = plant.targets.first ?? "SENR"
        return rule.types.contains(target) || rule.types.contains("*") ? target : (rule.types.first ?? target)
    }

    mutating func plantOne(
        _ rule: CalpadsRule, _ plant: RulePlant, _ k: Int,
        senr: inout CaretFile, sinf: inout CaretFile, sprg: inout CaretFile, sela: inout CaretFile
    ) {
        let staff = plant.targets.contains { ["SDEM", "SASS", "CRSE", "CRSC"].contains($0) }
        let school = plantSchools.isEmpty ? schools[k % schools.count] : plantSchools[k % plantSchools.count]
        let ssid = String(1_800_000_000 + k), seid = String(3_000_000_000 + k)
        let values = [
            "LEA": lea, "SCHOOL": school, "SSID": ssid, "LOCAL": String(900_000 + k), "SEID": seid, "STAFF": "S\(k)",
            "COURSE": staff ? "P\(k)" : "ENG10", "SECTION": staff ? "P\(k)-1" : Self.section(school), "REC": "P\(k)",
            "K": String(k), "OTHER": String(1_900_000_000 + k),
        ]
        // The entity's records: a student's SENR and SINF, a staff member's SDEM, SASS and a
        // course section (a teacher teaches one: CERT048), and the records of every file the
        // plant changes.
        var records: [String: [[String: String]]] = [:]
        for type in (staff ? ["SDEM", "SASS", "CRSE"] : ["SENR", "SINF"]) + plant.targets where records[type] == nil {
            records[type] = [SampleRecords.base(type, year: year, values)]
        }
        for clause in plant.clauses {
            if clause.drop { records[clause.type] = []; continue }
            guard var first = records[clause.type]?.first else { continue }
            for (f, v) in clause.parts.first ?? [] { first[f] = SampleRecords.fill(v, year: year, values) }
            var list = [first]
            for (n, part) in clause.parts.dropFirst().enumerated() {
                var copy = first
                // Each copy is its own record: its own Local Record ID.
                if let id = copy["LocalRecordID"], !id.isEmpty { copy["LocalRecordID"] = id + "-" + String(n + 2) }
                for (f, v) in part { copy[f] = SampleRecords.fill(v, year: year, values) }
                list.append(copy)
            }
            records[clause.type] = list
        }
        // A student's primary enrollments in grades with attendance have an absence summary
        // (CERT128) when the plant does not write one: zero days, so that no enrollment, however
        // short, has fewer days than expected (CERT129).
        if !staff, !plant.targets.contains("STAS") {
            for e in records["SENR"] ?? []
            where ["10", "30"].contains(e["EnrollmentStatusCode"] ?? "")
                && CalpadsValidator.absenceGrades.contains(e["GradeLevelCode"] ?? "")
                && !["0000001", "0000002"].contains(e["SchoolOfAttendance"] ?? "")
            {
                var stas = SampleRecords.base("STAS", year: year, values)
                // An enrollment in another year (a planted SENR0006) is not this year's to summarize.
                guard e["AcademicYearID"] == stas["AcademicYearID"] else { continue }
                for f in ["SchoolOfAttendance", "SSID"] { stas[f] = e[f] }
                for f in [
                    "ExpectedAttendanceDays", "DaysAttended", "DaysAttendedInPerson", "DaysAbsentExcusedNonSuspension",
                    "DaysAbsentUnexcusedNonSuspension",
                ] { stas[f] = "0" }
                // One summary per school, each with its own Local Record ID.
                let made = records["STAS"] ?? []
                if let id = stas["LocalRecordID"], !id.isEmpty { stas["LocalRecordID"] = id + "-A" + String(made.count + 1) }
                if !made.contains(where: { $0["SchoolOfAttendance"] == stas["SchoolOfAttendance"] }) {
                    records["STAS", default: []].append(stas)
                }
            }
        }
        addCourseRecords(plant, staff: staff, values, &records)
        var last: [String: Int] = [:]
        for type in records.keys.sorted() {
            for record in records[type] ?? [] {
                let line: Int?
                switch type {
                case "SENR": line = senr.append(record)
                case "SINF": line = sinf.append(record)
                case "SPRG": line = sprg.append(record)
                case "SELA": line = sela.append(record)
                default: line = append(type, record)
                }
                if let line { last[type] = line }
            }
        }
        let entity = staff ? seid : ssid
        for id in [rule.id] + plant.also {
            guard let r = CalpadsRules.rule(id), r.applies(year: year) else { continue }
            let type = mainType(r, plant)
            if let line = last[type] { planted.append(PlantedFinding(rule: r.id, file: "\(type).txt", line: line, entity: entity)) }
        }
    }

    /// Course records the plant's entity needs and the plant does not write (CERT077, CERT099,
    /// CERT100): a student's Census Day section and completed section, in the school's English
    /// section; a completion by a clean student of each completed section of planted staff.
    func addCourseRecords(_ plant: RulePlant, staff: Bool, _ values: [String: String], _ records: inout [String: [[String: String]]]) {
        if staff {
            guard !completer.isEmpty else { return }
            guard !plant.targets.contains("SCSC") else {
                // The plant's own completions are by the clean student too (else CERT098).
                let identity = [
                    "SSID", "LocalStudentID", "StudentLegalFirstName", "StudentLegalLastName", "StudentBirthDate", "StudentGenderCode",
                ]
                // Each planted staff member's own section: one student completing the same
                // section twice in a marking period would be SCSC0230.
                records["SCSC"] = records["SCSC"]?.map { r in
                    var m = r.merging(completer.filter { identity.contains($0.key) }) { _, new in new }
                    if let section = m["CourseSectionID"], let k = values["K"] { m["CourseSectionID"] = section + "-" + k }
                    return m
                }
                return
            }
            var seen = Set<String>()
            for section in records["CRSC"] ?? [] where section["AcademicYearID"] == completer["AcademicYearID"] {
                var scsc = completer
                for (f, from) in [
                    ("SchoolOfCourseDelivery", "SchoolOfCourseDelivery"), ("LocalCourseID", "CRSLocalCourseID"),
                    ("CourseSectionID", "CourseSectionID"), ("AcademicTermCode", "AcademicTermCode"),
                ] { scsc[f] = section[from] }
                let key = ["SchoolOfCourseDelivery", "LocalCourseID", "CourseSectionID", "AcademicTermCode"].map { scsc[$0] ?? "" }.joined(
                    separator: "|")
                // The clean student's completion of this section: a record of its own.
                scsc["LocalRecordID"] = (values["REC"] ?? "P") + "-C" + String((records["SCSC"]?.count ?? 0) + 1)
                if seen.insert(key).inserted { records["SCSC", default: []].append(scsc) }
            }
            return
        }
        for (rule, type) in [("CERT077", "SCSE"), ("CERT099", "SCSC")] where !plant.targets.contains(type) {
            let base = SampleRecords.base(type, year: year, values)
            let needs = (records["SENR"] ?? []).contains { e in
                e["AcademicYearID"] == base["AcademicYearID"] && e["SSID"] == base["SSID"]
                    && CalpadsValidator.needsCourseData(
                        rule, status: e["EnrollmentStatusCode"], grade: e["GradeLevelCode"], school: e["SchoolOfAttendance"],
                        start: CalpadsValidator.day(e["EnrollmentSchoolStartDate"]),
                        exit: CalpadsValidator.day(e["EnrollmentSchoolExitDate"]),
                        exitReason: e["StudentExitReasonCode"], year: year)
            }
            if needs { records[type] = [base] }
        }
    }

    func write(to folder: String) throws {
        // A file with no records is not written: Tally refuses an empty upload file (an SIS export
        // that did not finish), and a small district may have no CTE completers or incidents.
        for (type, file) in files where file.lines > 0 { try file.write(to: folder + "/\(type).txt") }
        var manifest = "rule,file,line,entity\n"
        for p in planted { manifest += "\(p.rule),\(p.file),\(p.line),\(p.entity)\n" }
        try Data(manifest.utf8).write(to: URL(fileURLWithPath: folder + "/planted_rules.csv"))
    }
}
