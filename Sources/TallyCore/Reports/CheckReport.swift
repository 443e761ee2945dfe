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
        return out
    }

    public static func render(plan: Plan, inputs: [(LoadRequest, Schema)], showAST: Bool) -> String {
        var out = "\(plan.playbook.file): ok — \(plan.playbook.statements.count) statements\n"
        if !plan.paramOrder.isEmpty {
            out += "parameters: " + plan.paramOrder.map { "\($0): \(plan.paramTypes[$0]?.rawValue ?? "") = \(plan.params[$0]?.display ?? "null")" }
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
                let pivoted = schema.open.map { t in
                    ", and \(t.rawValue.first.map { "aeiou".contains($0) } == true ? "an" : "a") \(t.rawValue) column per value the pivot finds"
                } ?? ""
                return "    \(name.text) (line \(node.line)): " + schema.columns.map { "\($0.name): \($0.type.rawValue)" }.joined(separator: ", ") + pivoted
            default: return nil
            }
        }
        if !made.isEmpty { out += "\ntables\n" + made.joined(separator: "\n") + "\n" }
        if showAST {
            out += "\nstatements\n"
            for node in plan.playbook.statements { out += "    line \(node.line): \(node.statement)\n" }
        }
        return out
    }
}
