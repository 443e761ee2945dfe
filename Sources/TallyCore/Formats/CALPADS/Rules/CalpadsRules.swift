/// One CALPADS validation rule as `tally rules` lists it.
///
/// A rule carries the CALPADS error ID where one corresponds (`SENR0018`, `GERR0002`, from the
/// CALPADS error documentation); rules without a known CALPADS counterpart have a Tally ID
/// (`SENR-NO-SINF`).
public struct CalpadsRule: Sendable, Equatable {
    public enum Severity: String, Sendable { case fatal, warning }
    public var id: String
    public var severity: Severity
    /// The file types it applies to; `*` for every type.
    public var types: [String]
    public var description: String
    /// Checked while loading: a violation stops the run (exit 2) instead of becoming a finding.
    public var atLoad = false
}

/// Every rule, in the order `tally rules` prints them.
public enum CalpadsRules {
    public static let all: [CalpadsRule] = [
        .init(id: "GEN-FIELD-COUNT", severity: .fatal, types: ["*"], description: "every record has the layout's number of fields", atLoad: true),
        .init(id: "GEN-RECORD-TYPE", severity: .fatal, types: ["*"], description: "the first field is the file's record type code", atLoad: true),
        .init(id: "GERR0001", severity: .fatal, types: ["*"], description: "a required field is present"),
        .init(id: "FRMT0001", severity: .fatal, types: ["*"], description: "a value fits its field's maximum length"),
        .init(id: "FRMT0002", severity: .fatal, types: ["*"], description: "a CCYYMMDD date field holds a date that exists"),
        .init(id: "GERR0002", severity: .fatal, types: ["*"], description: "a coded field holds a CALPADS code: gender, grade level, enrollment status, exit reason, completion status, race, program, English language acquisition status"),
        .init(id: "GEN-SSID", severity: .fatal, types: ["*"], description: "the SSID is ten digits"),
        .init(id: "GEN-ACADEMIC-YEAR", severity: .fatal, types: ["*"], description: "the Academic Year ID is CCYY-CCYY with consecutive years"),
        .init(id: "GERR0008", severity: .fatal, types: ["*"], description: "the transaction type is blank, D or R"),
        .init(id: "GEN-LEA-CODE", severity: .fatal, types: ["*"], description: "the reporting LEA is a seven-digit code"),
        .init(id: "GEN-SCHOOL-CODE", severity: .fatal, types: ["*"], description: "the school of attendance is a seven-digit code"),
                .init(id: "GEN-INDICATOR", severity: .fatal, types: ["*"], description: "an indicator field is Y or N"),
        .init(id: "GEN-BIRTH-DATE", severity: .fatal, types: ["*"], description: "the birth date is before the academic year and the student is under 100"),
        .init(id: "GEN-COUNTRY-CODE", severity: .warning, types: ["SENR", "SINF"], description: "the birth country code is two letters"),
        .init(id: "SENR-EXIT-NO-REASON", severity: .fatal, types: ["SENR"], description: "an exit date has an exit reason"),
        .init(id: "SENR-REASON-NO-EXIT", severity: .fatal, types: ["SENR"], description: "an exit reason has an exit date"),
        .init(id: "SENR0018", severity: .fatal, types: ["SENR"], description: "the exit date is not before the start date (N470 no-shows: on or one day before it)"),
        .init(id: "SENR0742", severity: .fatal, types: ["SENR"], description: "the start date falls in the Academic Year ID's year (July 1 to June 30)"),
        .init(id: "SENR-EXIT-REASON-GRADE", severity: .fatal, types: ["SENR"], description: "exit reason and grade level are a valid combination for the year"),
        .init(id: "SENR-COMPLETION-GRADE", severity: .fatal, types: ["SENR"], description: "completion status and grade level are a valid combination for the year"),
        .init(id: "SENR-COMPLETER-NO-STATUS", severity: .fatal, types: ["SENR"], description: "a completer exit (E230) has a completion status"),
        .init(id: "SENR0022", severity: .fatal, types: ["SENR"], description: "exit reason and completion status are a valid combination: a completion status only with E230, valid for the year"),
        .init(id: "SENR0178", severity: .fatal, types: ["SENR"], description: "one student's enrollments at one school do not overlap"),
        .init(id: "SENR0027", severity: .fatal, types: ["SENR"], description: "a student's primary enrollments at different schools of the LEA do not overlap"),
        .init(id: "SENR-DUPLICATE", severity: .fatal, types: ["SENR"], description: "no two records share SSID, school, start date and status"),
        .init(id: "SENR-NO-SINF", severity: .fatal, types: ["SENR"], description: "an enrolled student has a SINF record (validate calpads SENR with sinf)"),
        .init(id: "SENR-AGE-GRADE", severity: .warning, types: ["SENR"], description: "the student's age on December 2 is plausible for the grade"),
        .init(id: "SINF-ZIP", severity: .warning, types: ["SINF"], description: "the address ZIP code is five digits"),
        .init(id: "SINF-EFFECTIVE-DATES", severity: .fatal, types: ["SINF"], description: "the effective end date is not before the start date"),
        .init(id: "SPRG-MEMBERSHIP", severity: .fatal, types: ["SPRG"], description: "program and membership category are a valid combination for the year"),
        .init(id: "SPRG-END-BEFORE-START", severity: .fatal, types: ["SPRG"], description: "the program end date is not before the start date"),
        .init(id: "SELA-LANGUAGE", severity: .warning, types: ["SELA"], description: "the primary language code is two digits"),
    ]

    public static func rule(_ id: String) -> CalpadsRule? { all.first { $0.id == id } }

    public static func rules(for type: String) -> [CalpadsRule] {
        all.filter { $0.types.contains("*") || $0.types.contains(type.uppercased()) }
    }
}

/// Code sets and valid code combinations (with the academic years each is effective).
public enum CalpadsCodes {
    struct Combination { let a: String; let b: String; let first: Int; let last: Int }

    static let combinations: [String: [Combination]] = {
        var out: [String: [Combination]] = [:]
        for line in CalpadsValidCodeData.tsv.split(separator: "\n") {
            let c = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard c.count == 5, let first = Int(c[3]), let last = Int(c[4]) else { continue }
            out[c[0], default: []].append(Combination(a: c[1], b: c[2], first: first, last: last))
        }
        return out
    }()

    /// Whether (a, b) is a valid combination of `sheet` in the academic year starting `year`.
    static func valid(_ sheet: String, _ a: String, _ b: String, year: Int) -> Bool {
        combinations[sheet]?.contains { $0.a == a && $0.b == b && $0.first <= year && year <= $0.last } ?? false
    }

    static func firstCodes(_ sheet: String) -> Set<String> { Set(combinations[sheet]?.map(\.a) ?? []) }

    /// Grade levels: those of the exit reason combinations, plus TK (added after the 2020 tables).
    static let grades: Set<String> = Set(combinations["ExitReasonGrade"]?.map(\.b) ?? []).union(["TK"])
    static let exitReasons = firstCodes("ExitReasonGrade")
    static let completionStatuses = firstCodes("CompletionGrade")
    static let programs = firstCodes("ProgramMembership")
    static let enrollmentStatuses: Set<String> = ["10", "20", "30", "40", "50"]
    static let genders: Set<String> = ["M", "F", "X"]
    static let races: Set<String> = ["100", "201", "202", "203", "204", "205", "206", "207", "208", "299",
                                     "301", "302", "303", "304", "399", "400", "600", "700"]
    static let englishStatuses: Set<String> = ["EO", "IFEP", "EL", "RFEP", "TBD"]
    /// The only exit category with completion statuses.
    static let completerExit = "E230"

    /// For combinations, TK is judged as KN: the 2020 tables predate the TK grade code.
    static func combinationGrade(_ grade: String) -> String { grade == "TK" ? "KN" : grade }

    /// Expected age on December 2 for a grade (TK 4, KN 5, 01 6, ... 12 17).
    static func expectedAge(_ grade: String) -> Int? {
        switch grade {
        case "TK": return 4
        case "KN": return 5
        default: return Int(grade).flatMap { (1...12).contains($0) ? $0 + 5 : nil }
        }
    }
}
