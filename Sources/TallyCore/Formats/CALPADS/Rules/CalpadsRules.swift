import TallyData
import TallyModel

/// One CALPADS validation rule as `tally rules` lists it.
///
/// A rule carries the CALPADS error ID where CALPADS documents one (`SENR0018`, `GERR0002`,
/// `SENR0731F1`); rules without a CALPADS counterpart have a Tally ID (`SENR-NO-SINF`). What a
/// rule is — its ID, severity, file types, years, fields and resolution — is data
/// (`scripts/calpads_rules.tsv`, transcribed into `RuleData.swift`); how it is checked is the
/// validator's code.
public struct CalpadsRule: Sendable, Equatable {
    public enum Severity: String, Sendable { case fatal, warning }
    public var id: String
    public var severity: Severity
    /// The file types it applies to; `*` for every type.
    public var types: [String]
    public var description: String
    /// Checked while loading: a violation stops the run (exit 2) instead of becoming a finding.
    public var atLoad = false
    /// Whether CALPADS documents this ID (else it is Tally's own).
    public var isCALPADS = false
    /// The academic years it applies to, by starting year (9999: still current).
    public var firstYear = 2019
    public var lastYear = 9999
    /// The layout fields it validates (column names).
    public var fields: [String] = []
    /// What to do about a finding, in Tally's words.
    public var resolution = ""
    /// The other file a cross-file rule needs (`sinf` in `validate calpads SENR with sinf`).
    public var with = ""
    /// How it is checked: `code` (the validator's Swift code) or a declarative check
    /// (`CalpadsCheck`, see scripts/calpads_rules.tsv).
    public var check = "code"
    /// How the sample generator and the golden cases break the rule, and a near miss.
    public var plant = ""
    public var nearMiss = ""
    /// IDs the rule had before (Tally's own ID before its CALPADS ID was known, or an ID before a
    /// suffix change): `tally rules OLD` explains the move, and error reports match them.
    public var aliases: [String] = []
    /// Where the rule's ID, condition, severity and years come from.
    public var reference = ""

    /// Whether the rule applies in the academic year starting `year`.
    public func applies(year: Int) -> Bool { firstYear <= year && year <= lastYear }

    public var yearsDescription: String {
        "\(firstYear)-\(String(firstYear + 1).suffix(2))" + (lastYear >= 9999 ? " on" : " to \(lastYear)-\(String(lastYear + 1).suffix(2))")
    }
}

/// Every rule, in the order `tally rules` prints them (the order of `scripts/calpads_rules.tsv`).
public enum CalpadsRules {
    public static let all: [CalpadsRule] = CalpadsRuleData.tsv.split(separator: "\n").compactMap { line in
        let c = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard c.count == 16, let severity = CalpadsRule.Severity(rawValue: c[2]), let first = Int(c[4]), let last = Int(c[5]) else {
            return nil
        }
        return CalpadsRule(
            id: c[0], severity: severity, types: c[3].split(separator: ",").map(String.init), description: c[12],
            atLoad: c[6] == "Y", isCALPADS: c[1] == "calpads", firstYear: first, lastYear: last,
            fields: c[8].split(separator: ",").map(String.init), resolution: c[13], with: c[7], check: c[9],
            plant: c[10], nearMiss: c[11], aliases: c[14].split(separator: ",").map(String.init), reference: c[15])
    }

    /// Rules by ID, and by ID without a submission suffix (`SENR0731` finds `SENR0731F1`): the
    /// validator asks per row whether a rule applies, so this is a dictionary, not a scan.
    static let byID: [String: CalpadsRule] = Dictionary(all.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    static let byBaseID: [String: CalpadsRule] = Dictionary(
        all.map { (CalpadsReturns.ruleID($0.id), $0) }, uniquingKeysWith: { first, _ in first })
    static let byAlias: [String: CalpadsRule] = Dictionary(
        all.flatMap { rule in rule.aliases.map { ($0, rule) } }, uniquingKeysWith: { first, _ in first })

    public static func rule(_ id: String) -> CalpadsRule? { byID[id] ?? byBaseID[CalpadsReturns.ruleID(id)] ?? byAlias[id] }

    /// The rule that had `id` before, when `id` is an alias.
    public static func renamed(_ id: String) -> CalpadsRule? { byID[id] == nil ? byAlias[id.uppercased()] : nil }

    public static func rules(for type: String) -> [CalpadsRule] {
        all.filter { $0.types.contains("*") || $0.types.contains(type.uppercased()) }
    }

    /// The rules for a file type in an academic year (starting year).
    public static func rules(for type: String, year: Int) -> [CalpadsRule] {
        rules(for: type).filter { $0.applies(year: year) }
    }
}

/// Code sets and valid code combinations (with the academic years each is effective).
public enum CalpadsCodes {
    struct Combination { let a: String; let b: String; let first: Int; let last: Int }

    /// The CALPADS language codes with the academic years each is valid (two digits through
    /// 2022-23, ISO 639-2 letters from 2023-24: Flash #256); see scripts/calpads_language_codes.tsv.
    static let languages: [String: [(first: Int, last: Int)]] = {
        var out: [String: [(first: Int, last: Int)]] = [:]
        for line in CalpadsLanguageCodeData.tsv.split(separator: "\n") {
            let c = line.split(separator: "\t").map(String.init)
            guard c.count == 3, let first = Int(c[1]), let last = Int(c[2]) else { continue }
            out[c[0], default: []].append((first, last))
        }
        return out
    }()

    /// Whether `code` is a CALPADS language code in the academic year starting `year`.
    public static func validLanguage(_ code: String, year: Int) -> Bool {
        languages[code]?.contains { $0.first <= year && year <= $0.last } ?? false
    }

    /// Each sheet's combinations by first code.
    static let combinations: [String: [String: [Combination]]] = {
        var out: [String: [String: [Combination]]] = [:]
        for line in CalpadsValidCodeData.tsv.split(separator: "\n") {
            let c = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard c.count == 5, let first = Int(c[3]), let last = Int(c[4]) else { continue }
            out[c[0], default: [:]][c[1], default: []].append(Combination(a: c[1], b: c[2], first: first, last: last))
        }
        return out
    }()

    /// Whether (a, b) is a valid combination of `sheet` in the academic year starting `year`.
    static func valid(_ sheet: String, _ a: String, _ b: String, year: Int) -> Bool {
        combinations[sheet]?[a]?.contains { $0.b == b && $0.first <= year && year <= $0.last } ?? false
    }

    /// Whether the sheet lists `a` at all, and in a row effective in the year.
    static func known(_ sheet: String, _ a: String) -> Bool { combinations[sheet]?[a] != nil }
    static func effective(_ sheet: String, _ a: String, year: Int) -> Bool {
        combinations[sheet]?[a]?.contains { $0.first <= year && year <= $0.last } ?? false
    }

    static func firstCodes(_ sheet: String) -> Set<String> { Set(combinations[sheet]?.keys.map { $0 } ?? []) }
    static func secondCodes(_ sheet: String) -> Set<String> { Set(combinations[sheet]?.values.flatMap { $0.map(\.b) } ?? []) }

    /// Grade levels: those of the exit reason combinations, plus TK (added after the 2020 tables).
    static let grades: Set<String> = secondCodes("ExitReasonGrade").union(["TK"])
    static let exitReasons = firstCodes("ExitReasonGrade")
    static let completionStatuses = firstCodes("CompletionGrade")
    static let programs = firstCodes("ProgramMembership")
    static let enrollmentStatuses: Set<String> = ["10", "20", "30", "40", "50"]
    /// Status 40 was retired in June 2019: from 2019-20 it is a code outside its effective years.
    static func enrollmentStatusEffective(_ status: String, year: Int) -> Bool { status != "40" || year < 2019 }
    static let genders: Set<String> = ["M", "F", "X"]
    static let races: Set<String> = [
        "100", "201", "202", "203", "204", "205", "206", "207", "208", "299",
        "301", "302", "303", "304", "399", "400", "600", "700",
    ]
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
