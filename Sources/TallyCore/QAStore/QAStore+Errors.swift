import Foundation

/// One CALPADS error a run tracked (`track T`): what identifies it across submissions — the
/// rule ID, the record (its Local Record ID, else SSID and school) and the field — and what an
/// analyst needs to fix it.
public struct TrackedError: Sendable, Codable, Equatable {
    public var key: String
    public var errorCode: String
    public var ruleID: String
    public var localRecordID: String?
    public var ssid: String?
    public var school: String?
    public var severity: String?
    public var description: String?
    public var field: String?
    public var value: String?
    public var sourceFile: String?
    public var sourceLine: Int?

    /// The record's identity in words, for listings: `record R-000123` or `SSID 1000000000 at 0112345`.
    public var record: String {
        if let id = localRecordID { return "record \(id)" }
        return "SSID \(ssid ?? "?")" + (school.map { " at \($0)" } ?? "")
    }

    public static func key(ruleID: String, localRecordID: String?, ssid: String?, school: String?, field: String?) -> String {
        let record = localRecordID.map { "R:" + $0 } ?? "S:" + (ssid ?? "") + "@" + (school ?? "")
        return [ruleID, record, field ?? ""].joined(separator: "\u{1F}")
    }
}

/// An error's history across the tracked runs of one series (a playbook and tracked table).
public struct TrackedErrorStatus: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable { case new, open, resolved }
    public var error: TrackedError
    public var status: Status
    public var firstSeen: Int64
    public var lastSeen: Int64
    /// The first tracked run without it (nil while open).
    public var resolvedIn: Int64?
}

/// The runs that tracked errors for one series, and every error they saw.
public struct ErrorHistory: Sendable, Codable, Equatable {
    public var playbook: String
    public var name: String
    public var runs: [(id: Int64, startedAt: String, count: Int)]
    public var errors: [TrackedErrorStatus]

    public static func == (a: ErrorHistory, b: ErrorHistory) -> Bool {
        a.playbook == b.playbook && a.name == b.name && a.errors == b.errors && a.runs.map(\.id) == b.runs.map(\.id)
    }

    enum CodingKeys: String, CodingKey { case playbook, name, runs, errors }
    struct RunEntry: Codable { var id: Int64; var startedAt: String; var errors: Int }

    public init(playbook: String, name: String, runs: [(id: Int64, startedAt: String, count: Int)], errors: [TrackedErrorStatus]) {
        self.playbook = playbook; self.name = name; self.runs = runs; self.errors = errors
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        playbook = try c.decode(String.self, forKey: .playbook)
        name = try c.decode(String.self, forKey: .name)
        runs = try c.decode([RunEntry].self, forKey: .runs).map { ($0.id, $0.startedAt, $0.errors) }
        errors = try c.decode([TrackedErrorStatus].self, forKey: .errors)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(playbook, forKey: .playbook)
        try c.encode(name, forKey: .name)
        try c.encode(runs.map { RunEntry(id: $0.id, startedAt: $0.startedAt, errors: $0.count) }, forKey: .runs)
        try c.encode(errors, forKey: .errors)
    }

    public func count(_ status: TrackedErrorStatus.Status) -> Int { errors.filter { $0.status == status }.count }

    /// Statuses from an ordered list of runs' error sets: in the latest run and the one before
    /// it, *open*; in the latest only, *new*; seen before but not in the latest, *resolved* in
    /// the first run after it was last seen.
    static func statuses(runs: [Int64], sets: [Int64: [String: TrackedError]]) -> [TrackedErrorStatus] {
        guard let latest = runs.last else { return [] }
        let previous = runs.count > 1 ? runs[runs.count - 2] : nil
        var first: [String: Int64] = [:], last: [String: Int64] = [:], latestValue: [String: TrackedError] = [:]
        var order: [String] = []
        for run in runs {
            for (key, error) in sets[run] ?? [:] {
                if first[key] == nil { first[key] = run; order.append(key) }
                last[key] = run
                latestValue[key] = error
            }
        }
        var out: [TrackedErrorStatus] = []
        for key in order {
            guard let error = latestValue[key], let f = first[key], let l = last[key] else { continue }
            if l == latest {
                let before = previous.map { sets[$0]?[key] != nil } ?? false
                out.append(TrackedErrorStatus(error: error, status: before ? .open : .new, firstSeen: f, lastSeen: l, resolvedIn: nil))
            } else {
                let resolvedIn = runs.first { $0 > l }
                out.append(TrackedErrorStatus(error: error, status: .resolved, firstSeen: f, lastSeen: l, resolvedIn: resolvedIn))
            }
        }
        let rank: [TrackedErrorStatus.Status: Int] = [.new: 0, .open: 1, .resolved: 2]
        return out.sorted {
            ((rank[$0.status] ?? 0), $0.error.school ?? "", $0.error.ruleID, $0.error.sourceLine ?? 0, $0.error.key)
                < ((rank[$1.status] ?? 0), $1.error.school ?? "", $1.error.ruleID, $1.error.sourceLine ?? 0, $1.error.key)
        }
    }
}

extension QAStore {
    /// Keeps the errors a run tracked under `name` (the tracked table), a row per error; the
    /// run is recorded as having tracked even with no error, so everything open before shows
    /// as resolved.
    public func saveTrackedErrors(_ errors: [TrackedError], name: String, playbook: String, runId: Int64) throws {
        try write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO tracked_run (run_id, name, playbook_path, error_count) VALUES (?, ?, ?, ?)",
                           arguments: [runId, name, playbook, errors.count])
            for e in errors {
                try db.execute(sql: """
                    INSERT OR IGNORE INTO tracked_error (run_id, name, error_key, error_code, rule_id, local_record_id, ssid, school,
                                                         severity, description, field, value, source_file, source_line)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [runId, name, e.key, e.errorCode, e.ruleID, e.localRecordID, e.ssid, e.school, e.severity,
                                     e.description, e.field, e.value, e.sourceFile, e.sourceLine])
            }
        }
    }

    /// The series that tracked errors: (playbook, tracked table), in order of their first run.
    public func trackedSeries() throws -> [(playbook: String, name: String)] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT t.playbook_path, t.name, MIN(t.run_id) AS first FROM tracked_run t JOIN run r ON r.id = t.run_id
                WHERE r.exit_status IN (0, 1) GROUP BY t.playbook_path, t.name ORDER BY first
                """).map { ($0["playbook_path"], $0["name"]) }
        }
    }

    /// Every error of a series with its status, from the runs that tracked it and completed
    /// (a run killed before its writes landed is not one), up to `upTo` when given.
    public func errorHistory(playbook: String, name: String, upTo: Int64? = nil) throws -> ErrorHistory {
        try read { db in
            let runs = try Row.fetchAll(db, sql: """
                SELECT t.run_id, r.started_at, t.error_count FROM tracked_run t JOIN run r ON r.id = t.run_id
                WHERE t.playbook_path = ? AND t.name = ? AND r.exit_status IN (0, 1) AND t.run_id <= ? ORDER BY t.run_id
                """, arguments: [playbook, name, upTo ?? Int64.max]).map { (id: $0["run_id"] as Int64, startedAt: $0["started_at"] as String, count: $0["error_count"] as Int) }
            var sets: [Int64: [String: TrackedError]] = [:]
            for run in runs {
                let rows = try Row.fetchAll(db, sql: "SELECT * FROM tracked_error WHERE run_id = ? AND name = ?", arguments: [run.id, name])
                var set: [String: TrackedError] = [:]
                for r in rows {
                    let e = TrackedError(key: r["error_key"], errorCode: r["error_code"], ruleID: r["rule_id"], localRecordID: r["local_record_id"],
                                         ssid: r["ssid"], school: r["school"], severity: r["severity"], description: r["description"],
                                         field: r["field"], value: r["value"], sourceFile: r["source_file"], sourceLine: r["source_line"])
                    set[e.key] = e
                }
                sets[run.id] = set
            }
            return ErrorHistory(playbook: playbook, name: name, runs: runs,
                                errors: ErrorHistory.statuses(runs: runs.map(\.id), sets: sets))
        }
    }
}
