/// `track T`: a table of CALPADS errors kept in the QA store per run, so that each error is
/// followed from the submission that raised it to the one where it is gone (`tally errors`).
extension Interpreter {
    /// The errors of a table loaded `as calpads errors` (or `SENR rejected`), one per rule,
    /// record and field; the same error twice in one report is one.
    static func trackedErrors(_ table: Table) -> [TrackedError] {
        func text(_ name: String, _ row: Int) -> String? {
            guard let c = table.column(name), !c.isNull(row) else { return nil }
            let v = c.value(row).display.trimmedSpaces()
            return v.isEmpty ? nil : v
        }
        var seen = Set<String>()
        var out: [TrackedError] = []
        for row in 0..<table.rowCount {
            let code = text("ErrorCode", row) ?? text(CalpadsReturns.ruleColumn, row) ?? ""
            let rule = text(CalpadsReturns.ruleColumn, row) ?? CalpadsReturns.ruleID(code)
            let record = text("LocalRecordID", row), ssid = text("SSID", row), school = text("SchoolOfAttendance", row)
            let field = text("FieldName", row)
            let key = TrackedError.key(ruleID: rule, localRecordID: record, ssid: ssid, school: school, field: field)
            guard seen.insert(key).inserted else { continue }
            // Where to fix it: the record `locate` found (a table not located has no such place;
            // its rows' own lines are the error report's).
            let line = text("source_line", row).flatMap { Int($0) }
            out.append(TrackedError(key: key, errorCode: code, ruleID: rule, localRecordID: record, ssid: ssid, school: school,
                                    severity: text("ErrorSeverity", row), description: text("ErrorDescription", row), field: field,
                                    value: text("FieldValue", row), sourceFile: text("source_file", row), sourceLine: line))
        }
        return out
    }

    /// The columns of a track cell's table, and the input columns each shows.
    static let trackColumns: [(name: String, type: DataType, source: String?)] = [
        ("status", .text, nil), ("ErrorCode", .text, "ErrorCode"), ("SchoolOfAttendance", .text, "SchoolOfAttendance"),
        ("LocalRecordID", .text, "LocalRecordID"), ("SSID", .text, "SSID"), ("FieldName", .text, "FieldName"),
        ("FieldValue", .text, "FieldValue"), ("ErrorDescription", .text, "ErrorDescription"),
        ("source_file", .text, "source_file"), ("source_line", .integer, "source_line"), ("first_seen_run", .integer, nil),
    ]

    /// The cell: this run's errors against the previous tracked run of the same playbook and
    /// table — new, still open, and resolved — kept in the store when the run completes.
    func runTrack(_ table: Name, series: String?, node: StatementNode, index: Int) throws -> CellResult {
        guard let data = tables[table.text] else {
            throw Diagnostic("unknown table \"\(table.text)\"", file: file, span: table.span)
        }
        let errors = Interpreter.trackedErrors(data)
        // The series: the table's name, or `as "NAME"` with its parameters filled in (a playbook
        // run per LEA keeps a series per LEA: `track worklist as "SENR {lea}"`).
        var name = series ?? table.text
        for (param, value) in paramStrings { name = name.replacingOccurrences(of: "{\(param)}", with: value) }
        let playbookPath = file
        // Without a store (--no-store) the cell still lists the errors; nothing is kept.
        let history = try store?.errorHistory(playbook: playbookPath, name: name)
            ?? ErrorHistory(playbook: playbookPath, name: name, runs: [], errors: [])
        let previous = history.runs.last
        let before = Dictionary(history.errors.filter { $0.status != .resolved }.map { ($0.error.key, $0) }, uniquingKeysWith: { a, _ in a })
        let now = Set(errors.map(\.key))
        var rows: [(status: String, error: TrackedError, first: Int64?)] = []
        for e in errors {
            if let b = before[e.key] { rows.append(("open", e, b.firstSeen)) } else { rows.append(("new", e, nil)) }
        }
        for b in history.errors where b.status != .resolved && !now.contains(b.error.key) { rows.append(("resolved", b.error, b.firstSeen)) }
        var builders = Interpreter.trackColumns.map { ColumnBuilder(type: $0.type, capacity: rows.count) }
        for r in rows {
            let e = r.error
            let values: [Value] = [
                .text(r.status), .text(e.errorCode), e.school.map { .text($0) } ?? .null, e.localRecordID.map { .text($0) } ?? .null,
                e.ssid.map { .text($0) } ?? .null, e.field.map { .text($0) } ?? .null, e.value.map { .text($0) } ?? .null,
                e.description.map { .text($0) } ?? .null, e.sourceFile.map { .text($0) } ?? .null,
                e.sourceLine.map { .integer(Int64($0)) } ?? .null, r.first.map { .integer($0) } ?? .null,
            ]
            for (k, v) in values.enumerated() { builders[k].append(v) }
        }
        let shown = Table(names: Interpreter.trackColumns.map(\.name), columns: builders.map { $0.build() },
                          provenance: Provenance.none(count: rows.count))
        var shownLineage: ColumnLineage = [:]
        let input = lineage(table.text)
        for column in Interpreter.trackColumns { if let source = column.source { shownLineage[column.name] = Lineage.of(source, in: input) } }
        if let store {
            pendingWrites.append { runId in
                guard let runId else { return }
                try store.saveTrackedErrors(errors, name: name, playbook: playbookPath, runId: runId)
            }
        }
        var cell = CellResult(index: index, node: node, kind: .track)
        cell.table = nil
        cell.rowsIn = data.rowCount
        let counts = Dictionary(grouping: rows, by: \.status).mapValues(\.count)
        if let previous {
            cell.notes = ["\(Format.plural(errors.count, "error")) in this submission: \(counts["new"] ?? 0) new, \(counts["open"] ?? 0) still open since run #\(previous.id); \(counts["resolved"] ?? 0) resolved"]
        } else {
            cell.notes = ["\(Format.plural(errors.count, "error")) in this submission, the first tracked for \(name) in this playbook"]
        }
        cell.notes.append(store == nil ? "not kept: this run has no QA store (--no-store), so the next submission cannot be compared with it"
                          : "kept in the QA store when the run completes: tally errors lists each error from first seen to resolved")
        cell.preview = Preview(shown, limit: 1_000, lineage: shownLineage)
        return cell
    }
}
