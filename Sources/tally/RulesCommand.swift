import ArgumentParser
import TallyCore

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "List the CALPADS validation rules: ID, severity, file type and what each checks."
    )

    @Argument(help: "Only the rules for this file type, e.g. SENR.") var type: String?

    func run() throws {
        let rules = type.map { CalpadsRules.rules(for: $0) } ?? CalpadsRules.all
        guard !rules.isEmpty else { throw ValidationError("no rules for \(type ?? "")") }
        let rows = rules.map { rule in
            [rule.id, rule.severity.rawValue, rule.types.contains("*") ? "all" : rule.types.joined(separator: ", "),
             rule.description + (rule.atLoad ? " (checked when loading: stops the run)" : "")]
        }
        print(TextTable.render(header: ["rule", "severity", "file", "checks that"], rows: rows, maxWidth: 180, indent: ""))
        print("\n\(rules.count) rules. Use them with: findings = T | validate calpads SENR [with sinf], or assert T is valid calpads SENR")
    }
}
