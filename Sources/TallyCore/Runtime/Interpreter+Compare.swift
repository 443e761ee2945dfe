import TallyModel

/// `compare TABLE.COLUMN with TARGET by KEYS within TOLERANCE`: matches actual values to
/// expected ones by key and classifies each key `ok`, `outside`, `missing` or `unexpected`.
extension Interpreter {
    func runCompare(
        table: Name, column: Name, target: CompareTarget, by: [Name], tolerance: Tolerance?,
        severity: Diagnostic.Severity, alias: Name?, node: StatementNode
    ) throws -> (CheckResult, Table) {
        guard let actual = tables[table.text] else {
            throw Diagnostic(.unknownTable, "unknown table \"\(table.text)\"", file: file, span: table.span)
        }
        var expected: Table
        var expectedColumn = "value"
        var note: String? = nil
        var noBaseline = false
        let seriesName = "\(table.text).\(column.text)"
        let keyTypes = by.map { actual.column($0.text)?.type ?? .text }
        switch target {
        case .column(let other, let otherColumn):
            guard let t = tables[other.text] else {
                throw Diagnostic(.unknownTable, "unknown table \"\(other.text)\"", file: file, span: other.span)
            }
            expected = t
            expectedColumn = otherColumn.text
        case .expected(let name, let version):
            guard let store, let set = try store.expected(name: name, version: version) else {
                throw Diagnostic(.notInLedger, "no expected set \"\(name)\"", file: file, line: node.line)
            }
            expected = Comparison.table(keys: by.map(\.text), types: keyTypes, values: set.values)
            note = "expected \"\(name)\" version \(set.info.version) (\(set.info.createdAt), \(set.info.sourcePath))"
        case .previousRun, .run:
            guard let store else { throw Diagnostic(.storeNeeded, "compare needs the QA store", file: file, line: node.line) }
            var runId: Int64? = nil
            if case .run(let label) = target {
                runId = try store.labelledRun(playbook: playbook.file, label: label)
                if runId == nil {
                    throw Diagnostic(
                        .notInLedger, "no run of this playbook is labelled \"\(label)\"", file: file, line: node.line,
                        help: "label one with tally runs label RUN_ID \(label)")
                }
            } else if let baseline = try store.baselineRuns(baselineScope()).first {
                runId = baseline.id
                note = "run \(baseline.id) (\(baseline.startedAt)), scope: \(baselineScope().description)"
            }
            if let runId {
                expected = Comparison.table(keys: by.map(\.text), types: keyTypes, values: try store.values(run: runId, series: seriesName))
                if note == nil { note = "run \(runId)" }
            } else {
                expected = Comparison.table(keys: by.map(\.text), types: keyTypes, values: [])
                note = "no baseline yet: no earlier run in this scope (\(baselineScope().description))"
                noBaseline = true
            }
        }
        var comparison = Comparison.compare(
            actual: actual, actualColumn: column.text, expected: expected,
            expectedColumn: expectedColumn, keys: by.map(\.text), tolerance: tolerance)
        if noBaseline {
            // Nothing to compare with: no row is a failure, and none is shown as one.
            comparison.setColumn("status", Column.constant(.text("no baseline"), type: .text, count: comparison.rowCount))
        }
        // Keep this run's values for later `previous run` comparisons.
        if let actualValues = comparison.column("actual") {
            let keyColumns = by.compactMap { comparison.column($0.text) }
            let values: [(key: [String], value: Double?)] = (0..<comparison.rowCount).compactMap { row in
                guard let v = actualValues.value(row).doubleValue else { return nil }
                return (keyColumns.map { $0.isNull(row) ? "" : $0.value(row).display }, v)
            }
            series.append(SeriesValues(name: seriesName, values: values))
        }
        let status = comparison.column("status")
        var counts: [String: Int] = [:]
        for r in 0..<comparison.rowCount { counts[status?.value(r).display ?? "", default: 0] += 1 }
        let bad = Comparison.failing.reduce(0) { $0 + (counts[$1] ?? 0) }
        var detail = (["ok"] + Comparison.failing + ["no baseline"]).compactMap { s in counts[s].map { "\(Format.count($0)) \(s)" } }
            .joined(separator: ", ")
        if noBaseline, let note {
            detail = "\(note); \(Format.plural(comparison.rowCount, "value")) kept for the next run to compare with"
        } else if let note {
            detail = detail.isEmpty ? note : "\(detail) — against \(note)"
        }
        var check = CheckResult(
            id: alias?.text ?? "line \(node.line)", kind: .comparison, severity: severity, passed: bad == 0,
            predicate: Interpreter.predicateText(node.text), message: nil, detail: detail,
            failingCount: bad, failingRows: nil, line: node.line)
        let keyColumns = by.compactMap { comparison.column($0.text) }
        check.failingKeys = nonOkRows(comparison).map { row in
            (keyColumns.map { $0.value(row).display } + [comparison.column("status")?.value(row).display ?? ""]).joined(separator: "|")
        }
        return (check, comparison)
    }

    /// A `compare` cell: the check, its rows not ok, and its totals.
    func compareCell(
        _ index: Int, _ node: StatementNode, table: Name, column: Name, target: CompareTarget, by: [Name], tolerance: Tolerance?,
        severity: Severity, alias: Name?
    ) throws -> CellResult {
        var cell = CellResult(index: index, node: node, kind: .compare)
        let (check, comparison) = try runCompare(
            table: table, column: column, target: target, by: by,
            tolerance: tolerance, severity: severity, alias: alias, node: node)
        cell.check = try acknowledge(check)
        var comparisonLineage: ColumnLineage = [:]
        for key in by { comparisonLineage[key.text] = Lineage.of(key.text, in: lineage(table.text)) }
        cell.preview = Preview(comparison, limit: Interpreter.failingRowsKept, rows: nonOkRows(comparison), lineage: comparisonLineage)
        let status = comparison.column("status"), actual = comparison.column("actual"), expected = comparison.column("expected")
        cell.comparison = ComparisonSummary(
            keys: comparison.rowCount, ok: (0..<comparison.rowCount).filter { status?.value($0) == .text("ok") }.count,
            actualTotal: (0..<comparison.rowCount).reduce(0) { $0 + (actual?.value($1).doubleValue ?? 0) },
            expectedTotal: (0..<comparison.rowCount).reduce(0) { $0 + (expected?.value($1).doubleValue ?? 0) },
            tolerancePercent: tolerance?.percent, toleranceAbsolute: tolerance?.absolute)
        cell.rowsOut = comparison.rowCount
        if let alias { tables[alias.text] = comparison; lineages[alias.text] = comparisonLineage; cell.table = alias.text }
        return cell
    }
}

/// The comparison kernel, shared by every compare target.
public enum Comparison {
    /// Statuses that fail a comparison, most serious first.
    public static let failing = ["outside", "missing", "unexpected", "null"]

    /// A table of stored values: key columns typed like the actual table's, and `value`.
    public static func table(keys: [String], types: [DataType], values: [(key: [String], value: Double)]) -> Table {
        var builders = types.map { ColumnBuilder(type: $0, capacity: values.count) }
        let integral = values.allSatisfy { $0.value == $0.value.rounded() && abs($0.value) < 1e15 }
        var valueBuilder = ColumnBuilder(type: integral ? .integer : .decimal, capacity: values.count)
        for item in values {
            for (k, part) in item.key.enumerated() where k < builders.count {
                builders[k].append(part.isEmpty ? .null : Value.parse(part, as: types[k]))
            }
            valueBuilder.append(integral ? .integer(Int64(item.value)) : .decimal(item.value))
        }
        return Table(
            names: keys + ["value"], columns: builders.map { $0.build() } + [valueBuilder.build()],
            provenance: .none(count: values.count))
    }

    /// Sums each side by the keys, matches keys on both sides, and judges each difference.
    public static func compare(
        actual: Table, actualColumn: String, expected: Table, expectedColumn: String,
        keys: [String], tolerance: Tolerance?
    ) -> Table {
        let a = actual.aggregate(by: keys, [Table.AggregateSpec(name: "value", function: .sum, input: actual.column(actualColumn))])
        let e = expected.aggregate(by: keys, [Table.AggregateSpec(name: "value", function: .sum, input: expected.column(expectedColumn))])
        let encoded = KeyEncoder.encode([keys.compactMap { a.column($0) }, keys.compactMap { e.column($0) }])
        var expectedRow: [Int32: Int] = [:]
        for (r, id) in encoded.ids[1].enumerated() { expectedRow[id] = r }
        var matched = Set<Int>()
        var rows: [(actualRow: Int?, expectedRow: Int?)] = []
        for (r, id) in encoded.ids[0].enumerated() {
            let m = id >= 0 ? expectedRow[id] : nil
            if let m { matched.insert(m) }
            rows.append((r, m))
        }
        for r in 0..<e.rowCount where !matched.contains(r) { rows.append((nil, r)) }

        var keyBuilders = keys.map { k in ColumnBuilder(type: a.column(k)?.type ?? .text) }
        let av = a.column("value"), ev = e.column("value")
        let valueType: DataType = av?.type == .integer && ev?.type == .integer ? .integer : .decimal
        var actualB = ColumnBuilder(type: valueType), expectedB = ColumnBuilder(type: valueType)
        var diffB = ColumnBuilder(type: valueType), pctB = ColumnBuilder(type: .decimal), statusB = ColumnBuilder(type: .text)
        for row in rows {
            for (k, key) in keys.enumerated() {
                let v = row.actualRow.flatMap { a.column(key)?.value($0) } ?? row.expectedRow.flatMap { e.column(key)?.value($0) } ?? .null
                keyBuilders[k].append(v)
            }
            let x = row.actualRow.flatMap { av?.value($0).doubleValue }
            let y = row.expectedRow.flatMap { ev?.value($0).doubleValue }
            actualB.append(x.map { .decimal($0) } ?? .null)
            expectedB.append(y.map { .decimal($0) } ?? .null)
            // (ColumnBuilder converts to integer when the counts are integers.)
            var status = "ok"
            if let x, let y {
                let d = x - y
                diffB.append(.decimal(d))
                let p: Double? = y != 0 ? d / y * 100 : (d == 0 ? 0 : nil)
                pctB.append(p.map { .decimal(($0 * 100).rounded() / 100) } ?? .null)
                status = within(d, p, tolerance) ? "ok" : "outside"
            } else {
                diffB.append(.null); pctB.append(.null)
                // A key on both sides with a null value on one is neither missing nor unexpected.
                status = row.actualRow == nil ? "missing" : row.expectedRow == nil ? "unexpected" : "null"
            }
            statusB.append(.text(status))
        }
        let names = keys + ["actual", "expected", "difference", "percent", "status"]
        let columns = keyBuilders.map { $0.build() } + [actualB.build(), expectedB.build(), diffB.build(), pctB.build(), statusB.build()]
        let unordered = Table(names: names, columns: columns, provenance: .none(count: rows.count))
        let order = unordered.sortPermutation(unordered.columns.prefix(keys.count).map { ($0, false) })
        return unordered.gather(order)
    }

    static func within(_ difference: Double, _ percent: Double?, _ tolerance: Tolerance?) -> Bool {
        guard let tolerance else { return difference == 0 }
        if let limit = tolerance.absolute, abs(difference) <= limit + 1e-9 { return true }
        if let limit = tolerance.percent, let p = percent, abs(p) <= limit + 1e-9 { return true }
        return difference == 0
    }
}
