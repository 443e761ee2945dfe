import ArgumentParser
import TallyCore
import TallyModel

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "List the CALPADS validation rules: ID, severity, file type, years and what each checks.",
        discussion:
            "tally rules SENR (or --file SENR) lists a file type's rules; --year 2025-2026 only those in force that year; tally rules SENR0175 shows one rule with the fields it validates and what to do about a finding. An ID marked Tally is Tally's own: Tally knows no CALPADS error ID for that check."
    )

    @Argument(help: "A file type (SENR) or a rule ID (SENR0175).") var what: String?
    @Option(help: "Only the rules for this file type, e.g. SENR.") var file: String?
    @Option(help: "Only the rules in force in this academic year, e.g. 2025-2026.") var year: String?

    func run() throws {
        if let what, file == nil, let rule = CalpadsRules.all.first(where: { $0.id.uppercased() == what.uppercased() }) {
            print(detail(rule))
            return
        }
        if let what, file == nil, !CalpadsLayouts.types.contains(what.uppercased()), CalpadsRules.renamed(what) == nil,
            let rule = CalpadsRules.rule(what.uppercased())
        {
            // An ID without its submission suffix, as a worklist's RuleID shows it (SENR0644 for SENR0644F1).
            print("\(what.uppercased()) is \(rule.id) (CALPADS adds a submission suffix such as F1 or E3 to some IDs).\n")
            print(detail(rule))
            return
        }
        if let what, file == nil, let rule = CalpadsRules.renamed(what) {
            print(
                "\(what.uppercased()) is now \(rule.id): the same check under \(rule.isCALPADS ? "CALPADS' error ID" : "Tally's new ID"); an error report with either ID matches it.\n"
            )
            print(detail(rule))
            return
        }
        let type = file ?? what
        var rules = type.map { CalpadsRules.rules(for: $0) } ?? CalpadsRules.all
        if let type, rules.isEmpty || !(CalpadsLayouts.types.contains(type.uppercased())) {
            throw ValidationError("no CALPADS file type or rule \"\(type)\"; file types: \(CalpadsLayouts.types.joined(separator: ", "))")
        }
        if let year {
            guard let start = CalpadsLayouts.startYear(year) else {
                throw ValidationError("--year takes an academic year such as 2025-2026")
            }
            rules = rules.filter { $0.applies(year: start) }
        }
        let rows = rules.map { rule in
            [
                rule.id, rule.isCALPADS ? "CALPADS" : "Tally", rule.severity.rawValue,
                rule.types.contains("*") ? "all" : rule.types.joined(separator: ", "),
                rule.yearsDescription, rule.description + (rule.atLoad ? " (checked when loading: stops the run)" : ""),
            ]
        }
        print(
            TextTable.render(
                header: ["rule", "ID from", "severity", "file", "years", "checks that"], rows: rows, maxWidth: 180, indent: ""))
        let calpads = rules.filter(\.isCALPADS).count
        print(
            "\n\(rules.count) rules, \(calpads) under CALPADS error IDs, \(rules.count - calpads) under Tally's own (no CALPADS error ID known for them)."
        )
        if let type,
            case let partners = CalpadsPartners.uses(type.uppercased()).filter({ p in
                rules.contains { $0.with.lowercased().contains(p.lowercased()) }
            }),
            !partners.isEmpty
        {
            let list = partners.map { $0.lowercased() }.joined(separator: ", ")
            print(
                "Cross-file rules read other files: validate calpads \(type.uppercased()) with \(list) (a file left out skips the rules that need it)."
            )
        }
        print(
            "tally rules RULE_ID shows a rule's fields and resolution. Use them with: findings = T | validate calpads SENR [with sinf, stas], or assert T is valid calpads SENR"
        )
    }

    func detail(_ rule: CalpadsRule) -> String { rule.detail }
}
