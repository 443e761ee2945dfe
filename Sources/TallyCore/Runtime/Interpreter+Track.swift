import TallyModel

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
            out.append(
                TrackedError(
                    key: key, errorCode: code, ruleID: rule, localRecordID: record, ssid: ssid, school: school,
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

    /// Fatal errors among CALPADS' errors: `Fatal` (or anything CALPADS did not mark as only a
    /// `Warning` or `Informational`, a blank severity too: an error of unknown weight is not
    /// taken for a harmless one). What keeps a run's verdict from "Ready to certify".
    static func isFatal(_ severity: String?) -> Bool {
        let s = (severity ?? "").trimmedSpaces().lowercased()
        return !(s.hasPrefix("warn") || s.hasPrefix("info"))
    }

    /// The fatal errors in a table loaded `as calpads errors` or `as calpads TYPE rejected`.
    static func fatalCount(_ table: Table) -> Int {
        let severity = table.column("ErrorSeverity")
        return (0..<table.rowCount).filter { row in isFatal(severity.flatMap { $0.isNull(row) ? nil : $0.value(row).display }) }.count
    }

    /// Columns that give a report's own date or upload ID (a download that has one), by the
    /// name Tally gives the header. Report 0.1 as CALPADS documents it has none: then the
    /// submissions are in the order they first appeared.
    static let submissionDateColumns = ["UploadDate", "SubmissionDate", "SubmittedDate", "DateSubmitted", "DateUploaded", "UploadedDate"]
    static let submissionIDColumns = ["UploadID", "SubmissionID", "JobID"]

    /// The report's own date (`d:2024-10-05`) or upload ID (`n:` and the number, zero-padded so
    /// that text order is number order), from the latest value of the first such column.
    static func submittedKey(_ table: Table) -> String? {
        func values(_ name: String) -> [String] {
            guard let c = table.column(name) else { return [] }
            return (0..<table.rowCount).compactMap { c.isNull($0) ? nil : c.value($0).display.trimmedSpaces() }.filter { !$0.isEmpty }
        }
        for name in submissionDateColumns {
            let dates = values(name).compactMap { text -> String? in
                let day = String(text.prefix { $0 != " " && $0 != "T" })
                let patterns =
                    [DateCodec.Pattern.iso, DateCodec.Pattern.compact] + ["M/D/YYYY", "YYYY/MM/DD"].compactMap { DateCodec.Pattern($0) }
                return patterns.lazy.compactMap { $0.parse(day) }.first.map { Value.date($0).display }
            }
            if let latest = dates.max() { return "d:" + latest }
        }
        for name in submissionIDColumns {
            if let latest = values(name).compactMap({ UInt64($0) }).max() {
                let digits = String(latest)
                return "n:" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits
            }
        }
        return nil
    }

    /// `d:2024-10-05` → "dated 2024-10-05"; `n:000…123` → "upload ID 123".
    static func describeSubmitted(_ key: String) -> String {
        let value = String(key.dropFirst(2))
        if key.hasPrefix("n:") { return "upload ID " + (UInt64(value).map(String.init) ?? value) }
        return "dated " + value
    }

    /// What identifies the submission a tracked table came from: the SHA-256 of the error
    /// reports (or rejected-records extracts) its rows were loaded from — a pipeline's source
    /// followed back to its loads, with the tables it `union`s — or of every load it came from
    /// when none is loaded as CALPADS returns; of its errors when it came from no input.
    func submissionReport(_ table: String, errors: [TrackedError]) -> String {
        var made: [String: [String]] = [:]
        for node in playbook.statements {
            guard case .assign(let name, let source, let steps) = node.statement else { continue }
            made[name.text] = [source.text] + steps.compactMap { ($0.step as? UnionStep)?.other.text }
        }
        let formats = Dictionary((plan?.loads.values).map { $0.map { ($0.table, $0.format) } } ?? [], uniquingKeysWith: { a, _ in a })
        var loads: [String] = [], seen: Set<String> = [], pending = [table]
        while let next = pending.popLast() {
            guard seen.insert(next).inserted else { continue }
            if formats[next] != nil { loads.append(next) } else { pending += made[next] ?? [] }
        }
        let returns = loads.filter {
            switch formats[$0] {
            case .calpadsErrors?, .calpadsRejected?: return true;
            default: return false
            }
        }
        let shas = (returns.isEmpty ? loads : returns).compactMap { inputFingerprints[$0]?.sha256 }.filter { !$0.isEmpty }.sorted()
        if shas.count == 1, let only = shas.first { return only }
        if !shas.isEmpty { return Fingerprint.sha256(shas.joined(separator: "\n")) }
        return Fingerprint.sha256(errors.map(\.key).sorted().joined(separator: "\n"))
    }

    /// The cell: this submission's errors against the submission before it in the series —
    /// new, still open, and resolved — kept in the QA store when the run completes. A report
    /// already tracked is the same submission: the cell shows it as it was, and the run is only
    /// linked to it.
    func runTrack(_ table: Name, series: String?, node: StatementNode, index: Int) throws -> CellResult {
        guard let data = tables[table.text] else {
            throw Diagnostic(.unknownTable, "unknown table \"\(table.text)\"", file: file, span: table.span)
        }
        let errors = Interpreter.trackedErrors(data)
        // The series: the table's name, or `as "NAME"` with its parameters filled in (a playbook
        // run per LEA keeps a series per LEA: `track worklist as "SENR {lea}"`).
        var name = series ?? table.text
        for (param, value) in paramStrings { name = name.replacingOccurrences(of: "{\(param)}", with: value) }
        let playbookPath = file
        let report = submissionReport(table.text, errors: errors)
        let submitted = Interpreter.submittedKey(data)
        // Without a store (--no-store) the cell still lists the errors; nothing is kept.
        let kept = try store?.trackedSubmissions(playbook: playbookPath, name: name).submissions ?? []
        // Where this submission stands in the series: where it already is, or placed by its own
        // date or, without one, after every earlier submission.
        let known = kept.firstIndex { $0.submission.report == report }
        var order = kept.map { Optional($0) }
        if known == nil {
            order.append(nil)
            let this = TrackedSubmission(number: 0, report: report, submitted: submitted, runs: [Int64.max], errorCount: errors.count)
            order = TrackedSubmission.ordered(order) { $0?.submission ?? this }
        }
        let position = known ?? order.firstIndex { $0 == nil } ?? kept.count
        let earlier = order[..<position].compactMap { $0 }
        let previous = earlier.last
        // When each error still open was first seen: the first run of the first submission with it.
        var firstSeen: [String: Int64] = [:]
        for s in earlier { for key in s.errors.keys where firstSeen[key] == nil { firstSeen[key] = s.submission.firstRun } }
        let before = previous?.errors ?? [:]
        let now = Set(errors.map(\.key))
        var rows: [(status: String, error: TrackedError, first: Int64?)] = []
        for e in errors {
            if before[e.key] != nil { rows.append(("open", e, firstSeen[e.key])) } else { rows.append(("new", e, nil)) }
        }
        let gone = before.values.filter { !now.contains($0.key) }.sorted {
            ($0.school ?? "", $0.ruleID, $0.sourceLine ?? 0, $0.key) < ($1.school ?? "", $1.ruleID, $1.sourceLine ?? 0, $1.key)
        }
        for b in gone { rows.append(("resolved", b, firstSeen[b.key])) }
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
        let shown = Table(
            names: Interpreter.trackColumns.map(\.name), columns: builders.map { $0.build() },
            provenance: Provenance.none(count: rows.count))
        var shownLineage: ColumnLineage = [:]
        let input = lineage(table.text)
        for column in Interpreter.trackColumns {
            if let source = column.source { shownLineage[column.name] = Lineage.of(source, in: input) }
        }
        if let store {
            pendingWrites.append { runId in
                guard let runId else { return }
                try store.saveTrackedErrors(errors, name: name, playbook: playbookPath, runId: runId, report: report, submitted: submitted)
            }
        }
        var cell = CellResult(index: index, node: node, kind: .track)
        cell.table = nil
        cell.rowsIn = data.rowCount
        cell.calpadsFatal = errors.filter { Interpreter.isFatal($0.severity) }.count
        let counts = Dictionary(grouping: rows, by: \.status).mapValues(\.count)
        if let previous {
            cell.notes = [
                "\(Format.plural(errors.count, "error")) in this submission: \(counts["new"] ?? 0) new, \(counts["open"] ?? 0) still open since run #\(previous.submission.firstRun); \(counts["resolved"] ?? 0) resolved"
            ]
        } else {
            cell.notes = ["\(Format.plural(errors.count, "error")) in this submission, the first tracked for \(name) in this playbook"]
        }
        if store != nil {
            // Which submission this is, so that a rerun is never taken for a new one.
            let identity = "error report SHA-256 \(report.prefix(12))…" + (submitted.map { ", " + Interpreter.describeSubmitted($0) } ?? "")
            if let known {
                let s = kept[known].submission
                cell.notes.append(
                    "the same submission as run #\(s.firstRun) (submission \(s.number) of \(kept.count), \(identity)): this run is linked to it and nothing is counted again"
                )
            } else {
                cell.notes.append("submission \(position + 1) of \(kept.count + 1) for \(name) (\(identity))")
            }
            if let latest = order.last, let later = latest, position < order.count - 1 {
                cell.notes.append("not the latest submission: run #\(later.submission.firstRun)'s is, and tally errors counts from it")
            }
        }
        cell.notes.append(
            store == nil
                ? "not kept: this run has no QA store (--no-store), so the next submission cannot be compared with it"
                : "kept in the QA store when the run completes: tally errors lists each error from first seen to resolved")
        cell.preview = Preview(shown, limit: 1_000, lineage: shownLineage)
        return cell
    }
}
