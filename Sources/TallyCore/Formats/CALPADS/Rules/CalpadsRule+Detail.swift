import TallyModel

/// A rule as `tally rules ID` prints it (and `tally lsp` shows it on hover).
extension CalpadsRule {
    public var detail: String {
        let rule = self
        var lines = ["\(rule.id) — \(rule.description)"]
        lines.append("  ID:         " + (rule.isCALPADS ? "CALPADS' error ID" : "Tally's own (no CALPADS error ID known for this check)"))
        lines.append("  severity:   \(rule.severity.rawValue)" + (rule.atLoad ? " (checked when loading: stops the run)" : ""))
        lines.append("  files:      " + (rule.types.contains("*") ? "every file type" : rule.types.joined(separator: ", ")))
        lines.append("  years:      \(rule.yearsDescription)")
        if !rule.aliases.isEmpty { lines.append("  formerly:   " + rule.aliases.joined(separator: ", ")) }
        if !rule.reference.isEmpty { lines.append("  source:     " + rule.reference) }
        if !rule.fields.isEmpty {
            // Each field by its number and label in the file that has it; a rule over several
            // files, or a cross-file rule naming its partner's fields (`with sinf`), says which
            // file, so the analyst knows where to look.
            let own = rule.types.filter { $0 != "*" }
            let files = own + (rule.with.isEmpty ? [] : [rule.with.uppercased()])
            let layouts = files.compactMap { type in CalpadsLayouts.layout(type, year: nil).map { (type, $0) } }
            let fields = rule.fields.map { name in
                for (k, (type, layout)) in layouts.enumerated() {
                    guard let field = layout.fields.first(where: { $0.name == name }) else { continue }
                    let named = own.count > 1 || k >= own.count
                    return (named ? type + " " : "") + "\(field.number) \(field.label)"
                }
                return name
            }
            lines.append("  fields:     " + fields.joined(separator: ", "))
        }
        lines.append("  resolution: \(rule.resolution)")
        return lines.joined(separator: "\n")
    }
}
