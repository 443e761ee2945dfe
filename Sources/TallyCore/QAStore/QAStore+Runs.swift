import Foundation
import TallyModel

/// A run as `tally runs` lists it.
public struct RunSummary: Sendable, Codable, Equatable {
    public var id: Int64
    public var title: String
    public var playbook: String
    public var startedAt: String
    public var finishedAt: String
    public var exitStatus: Int
    public var checksPassed: Int
    public var checksFailed: Int
    public var warnings: Int
    public var label: String?
    public var runBy: String
    /// How a partial run was asked for (`--only joined`); nil for a whole run.
    public var partial: String? = nil

    public var outcome: RunOutcome { RunOutcome(exitStatus: exitStatus) }
    public var status: String { partial == nil ? outcome.rawValue : outcome.rawValue + " (partial)" }
}

/// How a run ended, from its exit status (the ledger keeps the status, 0, 1, 2 or
/// `QAStore.interrupted`).
public enum RunOutcome: String, Sendable, Codable {
    /// 0: every error-severity check passed.
    case passed
    /// 1: an error-severity check failed.
    case failed
    /// The run was stopped before its saves were all written.
    case interrupted
    /// 2: the playbook could not be run.
    case error

    public init(exitStatus: Int) {
        switch exitStatus {
        case 0: self = .passed
        case 1: self = .failed
        case QAStore.interrupted: self = .interrupted
        default: self = .error
        }
    }
}

/// The masks (`--mask` and the playbook's `mask` statements) and suppression (`--suppress-below`)
/// a run's outputs applied, kept with the run so `tally report`, `tally runs show` and `tally
/// errors` apply them again: a run made masked is never shown in clear by accident.
public struct RecordedPrivacy: Sendable, Codable, Equatable {
    public var masks: [String]
    public var suppressBelow: Int?
    public init(masks: [String], suppressBelow: Int?) {
        self.masks = masks
        self.suppressBelow = suppressBelow
    }
    public var isEmpty: Bool { masks.isEmpty && suppressBelow == nil }
}

/// Everything the ledger holds about one run.
public struct RunDetail: Sendable, Codable {
    public struct Input: Sendable, Codable, Equatable {
        public var table: String
        public var path: String
        public var absolutePath: String
        public var format: String
        public var bytes: Int
        public var sha256: String
        public var rows: Int
    }
    public struct Cell: Sendable, Codable, Equatable {
        public var kind: CellResult.Kind
        public var line: Int
        public var statement: String
        public var table: String?
        public var rowsIn: Int?
        public var rowsOut: Int?
        public var elapsed: Double
        /// ran, cached (from the cell cache) or not run (left out of a partial run); nil in a
        /// run recorded before it was kept.
        public var status: CellResult.Status? = nil
    }
    public struct Check: Sendable, Codable, Equatable {
        public var id: String
        public var kind: CheckResult.Kind
        public var severity: Severity
        public var passed: Bool
        public var predicate: String
        public var message: String?
        public var detail: String?
        public var failingCount: Int
        public var failingKeys: [String]
        public var line: Int
        public var acknowledged: String?
    }
    public var summary: RunSummary
    public var playbookSHA256: String
    public var params: [String: String]
    public var toolVersion: String
    public var errors: [String]
    public var inputs: [Input]
    public var cells: [Cell]
    public var checks: [Check]
    public var values: [String: [String: Double]]
}

extension QAStore {
    /// Appends a run to the ledger and returns its id.
    @discardableResult
    public func record(_ run: RunRecord, exitStatus: Int32? = nil) throws -> Int64 {
        let params = Dictionary(uniqueKeysWithValues: run.params.map { ($0.name, $0.value) })
        let paramsJSON = QAStore.json(params)
        return try write { db in
            try db.execute(
                sql: """
                    INSERT INTO run (title, playbook_path, playbook_sha256, params, tool_version, started_at, finished_at, exit_status,
                                     checks_passed, checks_failed, warnings, errors, run_by, partial, privacy)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    run.title, run.playbookPath, run.playbookSHA256, paramsJSON, TallyVersion.string,
                    QAStore.timestamp(run.started), QAStore.timestamp(run.finished), Int(exitStatus ?? run.exitStatus),
                    run.checksPassed, run.checksFailed, run.warnings,
                    QAStore.json(run.errors.map(\.description)), run.runBy, run.partial, QAStore.json(run.privacy),
                ])
            let id = db.lastInsertedRowID
            for (k, input) in run.inputs.enumerated() {
                try db.execute(
                    sql: """
                        INSERT INTO run_input (run_id, position, table_name, path, absolute_path, format, bytes, sha256, row_count)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [id, k, input.table, input.path, input.absolutePath, input.format, input.bytes, input.sha256, input.rows])
            }
            for (k, cell) in run.cells.enumerated() {
                try db.execute(
                    sql: """
                        INSERT INTO run_cell (run_id, position, kind, line, statement, table_name, rows_in, rows_out, elapsed, status)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        id, k, cell.kind.rawValue, cell.line, cell.text, cell.table, cell.rowsIn, cell.rowsOut, cell.elapsed,
                        cell.status.rawValue,
                    ])
            }
            for (k, check) in run.checks.enumerated() {
                try db.execute(
                    sql: """
                        INSERT INTO run_check (run_id, position, check_id, kind, severity, passed, predicate, message, detail,
                                               failing_count, failing_keys, failing_sha256, line, acknowledged)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        id, k, check.id, check.kind.rawValue, check.severity.rawValue, check.passed, check.predicate, check.message,
                        check.detail, check.failingCount, QAStore.json(Array(check.failingKeys.prefix(100))),
                        check.failingSHA256, check.line, check.acknowledged,
                    ])
            }
            for series in run.series {
                for (key, value) in series.values {
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO run_value (run_id, series, key, value) VALUES (?, ?, ?, ?)",
                        arguments: [id, series.name, QAStore.joinKey(key), value])
                }
            }
            return id
        }
    }

    /// The exit status a run has in the ledger from the moment it is recorded until its saves,
    /// snapshots and exports are all in place. A run killed in between keeps it and shows as
    /// "interrupted"; comparisons with a previous run never use it (they take exit status 0 or 1).
    public static let interrupted = 3

    /// Gives a run recorded as `interrupted` its real exit status, once everything it wrote landed.
    func finish(_ id: Int64, exitStatus: Int32) throws {
        try write { db in
            try db.execute(sql: "UPDATE run SET exit_status = ? WHERE id = ?", arguments: [Int(exitStatus), id])
        }
    }

    /// Marks a recorded run as stopped (exports could not be written after it was recorded).
    func markFailed(_ id: Int64, errors: [Diagnostic]) throws {
        try write { db in
            try db.execute(
                sql: "UPDATE run SET exit_status = 2, errors = ? WHERE id = ?", arguments: [QAStore.json(errors.map(\.description)), id])
        }
    }

    public func runs(limit: Int = 1000) throws -> [RunSummary] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM run ORDER BY id DESC LIMIT ?", arguments: [limit]).map(QAStore.summary)
        }
    }

    public func run(_ id: Int64) throws -> RunDetail? {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM run WHERE id = ?", arguments: [id]) else { return nil }
            let inputs = try Row.fetchAll(db, sql: "SELECT * FROM run_input WHERE run_id = ? ORDER BY position", arguments: [id]).map {
                RunDetail.Input(
                    table: $0["table_name"], path: $0["path"], absolutePath: $0["absolute_path"], format: $0["format"],
                    bytes: $0["bytes"], sha256: $0["sha256"], rows: $0["row_count"])
            }
            let cells = try Row.fetchAll(db, sql: "SELECT * FROM run_cell WHERE run_id = ? ORDER BY position", arguments: [id]).map {
                RunDetail.Cell(
                    kind: $0["kind"], line: $0["line"], statement: $0["statement"], table: $0["table_name"],
                    rowsIn: $0["rows_in"], rowsOut: $0["rows_out"], elapsed: $0["elapsed"], status: $0["status"])
            }
            let checks = try Row.fetchAll(db, sql: "SELECT * FROM run_check WHERE run_id = ? ORDER BY position", arguments: [id]).map {
                RunDetail.Check(
                    id: $0["check_id"], kind: $0["kind"], severity: $0["severity"], passed: $0["passed"],
                    predicate: $0["predicate"], message: $0["message"], detail: $0["detail"],
                    failingCount: $0["failing_count"], failingKeys: QAStore.decode($0["failing_keys"]) ?? [],
                    line: $0["line"], acknowledged: $0["acknowledged"])
            }
            var values: [String: [String: Double]] = [:]
            for v in try Row.fetchAll(db, sql: "SELECT * FROM run_value WHERE run_id = ?", arguments: [id]) {
                let key = QAStore.splitKey(v["key"]).joined(separator: " / ")
                values[v["series"], default: [:]][key] = v["value"]
            }
            return RunDetail(
                summary: QAStore.summary(row), playbookSHA256: row["playbook_sha256"],
                params: QAStore.decode(row["params"]) ?? [:], toolVersion: row["tool_version"],
                errors: QAStore.decode(row["errors"]) ?? [], inputs: inputs, cells: cells, checks: checks, values: values)
        }
    }

    /// The masks and suppression a run applied; nil for a run recorded before they were kept
    /// (or one not in the ledger).
    public func privacy(run id: Int64) throws -> RecordedPrivacy? {
        let text = try read { db in try String.fetchOne(db, sql: "SELECT privacy FROM run WHERE id = ?", arguments: [id]) }
        return QAStore.decode(text)
    }

    /// Gives a run a label such as `certified` (a later run may take the same label).
    /// A run that stopped (exit 2) compared nothing and kept nothing: it cannot be a baseline.
    public func label(_ id: Int64, _ label: String) throws {
        try write { db in
            guard let status = try Int.fetchOne(db, sql: "SELECT exit_status FROM run WHERE id = ?", arguments: [id]) else {
                throw Diagnostic(.notInLedger, .error, "no run \(id) in the ledger", file: path)
            }
            if let partial = try String.fetchOne(db, sql: "SELECT partial FROM run WHERE id = ?", arguments: [id]) {
                throw Diagnostic(
                    .notInLedger, .error, "run \(id) was a partial run (\(partial)), so it cannot be labelled \"\(label)\"", file: path,
                    help: "run the whole playbook and label that run")
            }
            guard status < 2 else {
                throw Diagnostic(
                    .notInLedger, .error,
                    "run \(id) stopped with exit 2 (the playbook could not be run), so it cannot be labelled \"\(label)\"", file: path,
                    help: "fix the error, run the playbook again and label that run")
            }
            try db.execute(sql: "UPDATE run SET label = ? WHERE id = ?", arguments: [label, id])
        }
    }

    /// The latest run of a playbook with a label.
    public func labelledRun(playbook: String, label: String) throws -> Int64? {
        try read { db in
            try Int64.fetchOne(
                db,
                sql:
                    "SELECT id FROM run WHERE playbook_path = ? AND label = ? AND exit_status < 2 AND partial IS NULL ORDER BY id DESC LIMIT 1",
                arguments: [playbook, label])
        }
    }

    /// A run's stored values of one series (`counts.students`), by key.
    public func values(run: Int64, series: String) throws -> [(key: [String], value: Double)] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT key, value FROM run_value WHERE run_id = ? AND series = ? AND value IS NOT NULL",
                arguments: [run, series]
            ).map { (QAStore.splitKey($0["key"]), $0["value"] as Double) }
        }
    }

    static func summary(_ row: Row) -> RunSummary {
        RunSummary(
            id: row["id"], title: row["title"], playbook: row["playbook_path"], startedAt: row["started_at"],
            finishedAt: row["finished_at"], exitStatus: row["exit_status"], checksPassed: row["checks_passed"],
            checksFailed: row["checks_failed"], warnings: row["warnings"], label: row["label"], runBy: row["run_by"],
            partial: row["partial"])
    }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(value) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    static func decode<T: Decodable>(_ text: String?) -> T? {
        guard let text else { return nil }
        return try? JSONDecoder().decode(T.self, from: Data(text.utf8))
    }
}
