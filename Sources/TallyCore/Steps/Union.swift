/// `union TABLE`: appends the rows of a table with the same columns (matched by name).
enum UnionStep {
    static func schema(_ other: Name, _ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        let right = try ctx.requireTable(other)
        // A side with columns a pivot will make is checked when the union runs.
        if input.open != nil || right.open != nil { return Schema(columns: input.columns, open: input.open ?? right.open) }
        let missing = input.names.filter { !right.contains($0) }
        let extra = right.names.filter { !input.contains($0) }
        guard missing.isEmpty, extra.isEmpty else {
            var parts: [String] = []
            if !missing.isEmpty { parts.append("\"\(other.text)\" lacks \(missing.joined(separator: ", "))") }
            if !extra.isEmpty { parts.append("\"\(other.text)\" has extra \(extra.joined(separator: ", "))") }
            throw ctx.error("union needs the same columns: " + parts.joined(separator: "; "), other.span,
                            help: "select the same columns on both sides first")
        }
        var schema = input
        for field in input.columns {
            guard let t = right.type(of: field.name) else { continue }
            guard field.type.isComparable(with: t) else {
                throw ctx.error("union: column \"\(field.name)\" is \(field.type.rawValue) here but \(t.rawValue) in \"\(other.text)\"", other.span)
            }
            if field.type != t { schema.set(field.name, .decimal) }
        }
        return schema
    }

    static func run(_ other: Name, _ input: Table, _ ctx: StepRunContext) -> (Table, StepResult) {
        guard let right = ctx.tables[other.text] else { return (input, StepResult(keyword: "union", rowsIn: input.rowCount, rowsOut: input.rowCount)) }
        var columns: [Column] = []
        for (k, name) in input.names.enumerated() {
            guard let r = right.column(name) else { continue }
            columns.append(input.columns[k].appending(r))
        }
        let output = Table(names: input.names, columns: columns, provenance: input.provenance.appending(right.provenance))
        var result = StepResult(keyword: "union", rowsIn: input.rowCount, rowsOut: output.rowCount)
        result.notes = ["+\(right.rowCount) rows from \(other.text)"]
        return (output, result)
    }
}
