import TallyModel

/// What `tally check` prints for a sound playbook: its inputs' schemas and its tables.
public enum CheckReport {
    /// Every diagnostic with its source snippet, then a count: what `tally check` prints on failure.
    public static func renderFailure(_ diagnostics: [Diagnostic], playbookFile: String?, source: String?, path: String) -> String {
        var out = ""
        for d in diagnostics {
            let snippet = (d.file == playbookFile || playbookFile == nil) && d.column > 0 ? source : nil
            out += d.render(source: snippet) + "\n\n"
        }
        // Counting the errors a long list left out (see `Diagnostic.capped`).
        let total = Diagnostic.total(diagnostics)
        out += "\(Format.count(total)) error\(total == 1 ? "" : "s") in \(path)\n"
        return TerminalText.visible(out)
    }

    /// Check-time warnings with their source lines (`Lint`), then a blank line; "" for none.
    public static func renderWarnings(_ warnings: [Diagnostic], source: String) -> String {
        guard !warnings.isEmpty else { return "" }
        return TerminalText.visible(warnings.map { $0.render(source: $0.column > 0 ? source : nil) + "\n\n" }.joined())
    }

    public static func render(plan: Plan, inputs: [(LoadRequest, Schema)], showAST: Bool) -> String {
        var out = renderWarnings(plan.warnings, source: plan.playbook.source)
        out +=
            "\(plan.playbook.file): ok — \(plan.playbook.statements.count) statements"
            + (plan.warnings.isEmpty ? "" : ", \(plan.warnings.count) warning\(plan.warnings.count == 1 ? "" : "s")") + "\n"
        if !plan.paramOrder.isEmpty {
            out +=
                "parameters: "
                + plan.paramOrder.map { "\($0): \(plan.paramTypes[$0]?.rawValue ?? "") = \(plan.params[$0]?.display ?? "null")" }
                .joined(separator: ", ") + "\n"
        }
        for (request, schema) in inputs {
            out += "\ninput \(request.table) ← \(request.displayPath) (\(request.format.name))\n"
            for field in schema.columns { out += "    \(field.name): \(field.type.rawValue)\n" }
        }
        let made = plan.playbook.statements.enumerated().compactMap { (i, node) -> String? in
            guard let schema = plan.schemas[i] else { return nil }
            switch node.statement {
            case .assign(let name, _, _):
                let pivoted =
                    schema.open.map { t in
                        ", and \(t.rawValue.first.map { "aeiou".contains($0) } == true ? "an" : "a") \(t.rawValue) column per value the pivot finds"
                    } ?? ""
                return "    \(name.text) (line \(node.line)): "
                    + schema.columns.map { "\($0.name): \($0.type.rawValue)" }.joined(separator: ", ") + pivoted
            default: return nil
            }
        }
        if !made.isEmpty { out += "\ntables\n" + made.joined(separator: "\n") + "\n" }
        if showAST {
            out += "\nstatements\n"
            for node in plan.playbook.statements { out += "    line \(node.line): \(node.statement)\n" }
        }
        // Column names and paths come from the inputs: shown, never obeyed, by the terminal.
        return TerminalText.visible(out)
    }
}
