import TallyModel

/// The four assertion forms. Every check runs; none stops the run.
extension Interpreter {
    /// Failing rows a check keeps for its reports (all of them up to this; the count is always exact).
    static let failingRowsKept = 5_000

    /// The column failing rows are counted by in a report's verdict: the school.
    static func schoolColumn(_ names: [String]) -> String? {
        for preferred in ["SchoolOfAttendance", "School", "SchoolCode", "school"] where names.contains(preferred) { return preferred }
        return names.first { $0.lowercased().contains("school") && !$0.lowercased().hasSuffix("name") }
    }

    /// Failing rows by school, most first (the top five kept).
    static func affected(_ t: Table, rows: [Int], lineage: ColumnLineage) -> Affected? {
        guard let name = schoolColumn(t.names), let column = t.column(name) else { return nil }
        var counts: [String: Int] = [:]
        for row in rows { counts[column.isNull(row) ? "(none)" : column.value(row).display, default: 0] += 1 }
        let top = counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(5)
        return Affected(
            column: name, lineage: Lineage.of(name, in: lineage).sorted(), values: top.map(\.key),
            counts: top.map(\.value), distinct: counts.count)
    }

    func runAssert(
        _ predicate: Predicate, severity: Diagnostic.Severity, message: String?, id: String?,
        node: StatementNode, plan: Plan
    ) throws -> CheckResult {
        var result = CheckResult(
            id: id ?? "line \(node.line)", kind: .assertion, severity: severity, passed: true,
            predicate: Interpreter.predicateText(node.text), message: message, detail: nil,
            failingCount: 0, failingRows: nil, line: node.line)
        func table(_ name: Name) throws -> Table {
            guard let t = tables[name.text] else {
                throw Diagnostic(.unknownTable, "unknown table \"\(name.text)\"", file: file, span: name.span)
            }
            return t
        }
        func fail(_ t: Table, rows: [Int], keys: [String] = [], lineage: ColumnLineage) {
            result.passed = rows.isEmpty
            result.failingCount = rows.count
            if !rows.isEmpty {
                result.failingRows = Preview(
                    t, limit: Interpreter.failingRowsKept, rows: rows, withLocations: true, first: keys + Interpreter.identifyingColumns,
                    lineage: lineage)
                result.affected = Interpreter.affected(t, rows: rows, lineage: lineage)
                let keyColumns = (keys + Interpreter.identifyingColumns).compactMap { t.column($0) }
                result.failingKeys = rows.map { row in
                    let location = t.provenance.location(row).map { "\($0.file):\($0.line)" } ?? ""
                    return ([location] + keyColumns.map { $0.value(row).display }).joined(separator: "|")
                }
            }
        }
        switch predicate {
        case .isEmpty(let name, let negated):
            let t = try table(name)
            if negated {
                result.passed = t.rowCount > 0
                if !result.passed { result.detail = "\(name.text) has no rows" }
            } else {
                fail(t, rows: Array(0..<t.rowCount), keys: [], lineage: lineage(name.text))
                if !result.passed { result.detail = "\(name.text) has \(t.rowCount) row\(t.rowCount == 1 ? "" : "s")" }
            }
        case .unique(let name, let by):
            let t = try table(name)
            let (grouping, counts) = Table.groupCounts(by.compactMap { t.column($0.text) }, rowCount: t.rowCount)
            let duplicated = (0..<t.rowCount).filter { counts[Int(grouping.ids[$0])] > 1 }
            // Show the rows of one key together.
            let ordered = duplicated.sorted { (grouping.ids[$0], $0) < (grouping.ids[$1], $1) }
            fail(t, rows: ordered, keys: by.map(\.text), lineage: lineage(name.text))
            if !result.passed {
                let keys = counts.filter { $0 > 1 }.count
                result.detail =
                    "\(keys) \(by.map(\.text).joined(separator: ", ")) value\(keys == 1 ? " appears" : "s appear") more than once (\(duplicated.count) rows)"
            }
        case .rows(let name, let expr):
            let t = try table(name)
            let truth = try stepContext(name.text, plan).evaluator(t).truth(expr)
            let failing = (0..<t.rowCount).filter { !truth.isTrue($0) }
            fail(t, rows: failing, keys: Interpreter.columnNames(in: expr), lineage: lineage(name.text))
            if !result.passed {
                let nulls = failing.filter { truth.isNull($0) }.count
                result.detail = "\(failing.count) of \(t.rowCount) rows fail" + (nulls > 0 ? " (\(nulls) because a value is null)" : "")
            }
        case .valid(let name, let layout, let with):
            let t = try table(name)
            let others = try with.map { (name: $0.text, table: try table($0)) }
            let findings = try CalpadsValidator.validate(t, type: layout.text, with: others, file: file)
            let severity = findings.column("severity")
            let fatal = (0..<findings.rowCount).filter { severity?.value($0) == .text("fatal") }
            let findingsLineage = Lineage.after(
                ValidateStep(layout: layout, with: with), input: lineage(name.text), inputNames: t.names,
                output: findings.names, tables: { self.lineage($0) }, columnNames: { self.tables[$0]?.names ?? [] })
            // Without the record's school and local IDs that findings end with: the failing rows
            // (and their hash, which `tally ack` keys on) stay what they were before those columns.
            let kept = findings.names.indices.filter { !CalpadsValidator.recordColumns.contains(findings.names[$0]) }
            let shown = Table(
                names: kept.map { findings.names[$0] }, columns: kept.map { findings.columns[$0] }, provenance: findings.provenance)
            fail(shown, rows: fatal, keys: ["rule", "field", "value", "SSID", "message"], lineage: findingsLineage)
            var byRule: [String: Int] = [:]
            for row in fatal { byRule[findings.column("rule")?.value(row).display ?? "", default: 0] += 1 }
            let warnings = findings.rowCount - fatal.count
            result.detail =
                (fatal.isEmpty
                    ? "no fatal findings"
                    : "\(Format.plural(fatal.count, "fatal finding")): "
                        + byRule.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
                + (warnings > 0 ? "; \(Format.plural(warnings, "warning")) (see validate)" : "")
        case .scalar(let expr):
            let evaluator = Evaluator(
                table: nil, tableName: "", params: plan.params, paramTypes: plan.paramTypes,
                tables: tables, clock: options.clock, file: file)
            let value = evaluator.evaluateScalar(expr)
            result.passed = value == .boolean(true)
            result.detail = describeScalar(expr, evaluator)
            if !result.passed { result.failingCount = 1 }
        }
        return result
    }

    /// Columns that identify a student record, shown first among failing rows.
    static let identifyingColumns = ["SSID", "LocalStudentID", "SchoolOfAttendance", "GradeLevelCode", "LocalID", "School", "Grade"]

    /// The column names an expression mentions, in order.
    static func columnNames(in expr: Expr) -> [String] {
        if case .name(let n) = expr.kind { return [n] }
        return expr.children.flatMap { columnNames(in: $0) }
    }

    /// "count(enrolled) = 850, needs between 900 and 1100": the values the assertion compared.
    func describeScalar(_ expr: Expr, _ evaluator: Evaluator) -> String {
        func show(_ part: Expr) -> String {
            let value = evaluator.evaluateScalar(part).display
            // min/max of a column is one row's value: as sensitive as that column.
            if case .call(let f, let args) = part.kind, ["min", "max"].contains(f.lowercased()) {
                for case .qualified(let t, let c) in args.map(\.kind) { quote(value, column: c, table: t) }
            }
            if case .literal = part.kind { return value.isEmpty ? "null" : value }
            return "\(text(of: part.span)) = \(value.isEmpty ? "null" : value)"
        }
        func bare(_ part: Expr) -> String {
            let value = evaluator.evaluateScalar(part).display
            return value.isEmpty ? "null" : value
        }
        switch expr.kind {
        case .binary(let op, let l, let r) where !["and", "or"].contains(op):
            if case .literal = r.kind { return "\(show(l)), needs \(op) \(bare(r))" }
            return "\(show(l)), \(show(r))"
        case .between(let v, let a, let b, let negated):
            return "\(show(v)), needs\(negated ? " not" : "") between \(bare(a)) and \(bare(b))"
        default:
            return show(expr)
        }
    }

    /// The statement without `assert`, severity, message and id.
    static func predicateText(_ text: String) -> String {
        var s = text.split(separator: "\n").map { $0.trimmingSpaces() }.joined(separator: " ")
        if s.hasPrefix("assert ") { s.removeFirst(7) }
        for word in [" severity ", " message ", " id "] {
            if let range = s.range(of: word) { s = String(s[..<range.lowerBound]) }
        }
        return s
    }
}

extension Substring {
    func trimmingSpaces() -> String { String(self).trimmedSpaces() }
}
