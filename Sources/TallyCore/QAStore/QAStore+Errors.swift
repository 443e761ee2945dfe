import Foundation
import TallyModel

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

/// One submission of a tracked series: an error report CALPADS returned, identified by its
/// bytes, and the runs that tracked it. Rerunning a playbook on the same report is the same
/// submission again: the run is linked to it and nothing is counted twice.
public struct TrackedSubmission: Sendable, Codable, Equatable {
    /// 1, 2, ... in the series' order.
    public var number: Int
    /// The SHA-256 of the error report(s) the tracked table came from; nil for runs tracked
    /// before submissions were kept (each such run is a submission of its own).
    public var report: String?
    /// The report's own date or upload ID when it has one (it orders the submissions).
    public var submitted: String?
    /// The runs that tracked it, in order; the first is where its errors were first kept.
    public var runs: [Int64]
    public var errorCount: Int

    public var firstRun: Int64 { runs.first ?? 0 }

    public init(number: Int, report: String?, submitted: String?, runs: [Int64], errorCount: Int) {
        self.number = number; self.report = report; self.submitted = submitted; self.runs = runs; self.errorCount = errorCount
    }

    /// The series' order: by the reports' own dates (or upload IDs) when every submission has
    /// one of the same kind, else by first appearance. Never by the order of the runs: a rerun
    /// of an older report does not make it the latest.
    public static func ordered<T>(_ items: [T], _ submission: (T) -> TrackedSubmission) -> [T] {
        let kinds = Set(items.map { submission($0).submitted.map { $0.prefix(2) } ?? "" })
        let byOwnDate = kinds.count == 1 && kinds.first != ""
        return items.sorted { a, b in
            let x = submission(a), y = submission(b)
            if byOwnDate, x.submitted != y.submitted { return (x.submitted ?? "") < (y.submitted ?? "") }
            return x.firstRun < y.firstRun
        }
    }
}

/// The runs that tracked errors for one series, its submissions, and every error they saw.
public struct ErrorHistory: Sendable, Codable, Equatable {
    public var playbook: String
    public var name: String
    /// Every run that tracked the series, in run order (a submission may have several).
    public var runs: [(id: Int64, startedAt: String, count: Int)]
    /// The submissions in the series' order: the last is the latest.
    public var submissions: [TrackedSubmission]
    public var errors: [TrackedErrorStatus]

    public static func == (a: ErrorHistory, b: ErrorHistory) -> Bool {
        a.playbook == b.playbook && a.name == b.name && a.errors == b.errors && a.runs.map(\.id) == b.runs.map(\.id)
            && a.submissions == b.submissions
    }

    enum CodingKeys: String, CodingKey { case playbook, name, runs, submissions, errors }
    struct RunEntry: Codable { var id: Int64; var startedAt: String; var errors: Int }

    public init(
        playbook: String, name: String, runs: [(id: Int64, startedAt: String, count: Int)], submissions: [TrackedSubmission] = [],
        errors: [TrackedErrorStatus]
    ) {
        self.playbook = playbook; self.name = name; self.runs = runs; self.submissions = submissions; self.errors = errors
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        playbook = try c.decode(String.self, forKey: .playbook)
        name = try c.decode(String.self, forKey: .name)
        runs = try c.decode([RunEntry].self, forKey: .runs).map { ($0.id, $0.startedAt, $0.errors) }
        submissions = try c.decodeIfPresent([TrackedSubmission].self, forKey: .submissions) ?? []
        errors = try c.decode([TrackedErrorStatus].self, forKey: .errors)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(playbook, forKey: .playbook)
        try c.encode(name, forKey: .name)
        try c.encode(runs.map { RunEntry(id: $0.id, startedAt: $0.startedAt, errors: $0.count) }, forKey: .runs)
        try c.encode(submissions, forKey: .submissions)
        try c.encode(errors, forKey: .errors)
    }

    public func count(_ status: TrackedErrorStatus.Status) -> Int { errors.filter { $0.status == status }.count }

    /// Statuses from the submissions' error sets in the series' order, each submission named by
    /// its first run: in the latest and the one before it, *open*; in the latest only, *new*;
    /// seen before but not in the latest, *resolved* in the submission after it was last seen.
    static func statuses(runs: [Int64], sets: [Int64: [String: TrackedError]]) -> [TrackedErrorStatus] {
        guard let latest = runs.indices.last else { return [] }
        var first: [String: Int] = [:], last: [String: Int] = [:], latestValue: [String: TrackedError] = [:]
        for (position, run) in runs.enumerated() {
            for (key, error) in sets[run] ?? [:] {
                if first[key] == nil { first[key] = position }
                last[key] = position
                latestValue[key] = error
            }
        }
        var out: [TrackedErrorStatus] = []
        for (key, error) in latestValue {
            guard let f = first[key], let l = last[key] else { continue }
            if l == latest {
                let before = latest > 0 && sets[runs[latest - 1]]?[key] != nil
                out.append(
                    TrackedErrorStatus(error: error, status: before ? .open : .new, firstSeen: runs[f], lastSeen: runs[l], resolvedIn: nil))
            } else {
                out.append(
                    TrackedErrorStatus(error: error, status: .resolved, firstSeen: runs[f], lastSeen: runs[l], resolvedIn: runs[l + 1]))
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
    /// Keeps the errors a run tracked under `name` (the tracked table), a row per error, and
    /// the submission they belong to: `report`, the error report's SHA-256, and `submitted`, its
    /// own date when it has one. The run is recorded as having tracked even with no error, so
    /// everything open before shows as resolved.
    public func saveTrackedErrors(
        _ errors: [TrackedError], name: String, playbook: String, runId: Int64,
        report: String? = nil, submitted: String? = nil
    ) throws {
        try write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO tracked_run (run_id, name, playbook_path, error_count, submission, submitted)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """, arguments: [runId, name, playbook, errors.count, report, submitted])
            for e in errors {
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO tracked_error (run_id, name, error_key, error_code, rule_id, local_record_id, ssid, school,
                                                             severity, description, field, value, source_file, source_line)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        runId, name, e.key, e.errorCode, e.ruleID, e.localRecordID, e.ssid, e.school, e.severity,
                        e.description, e.field, e.value, e.sourceFile, e.sourceLine,
                    ])
            }
        }
    }

    /// The series that tracked errors: (playbook, tracked table), in order of their first run.
    public func trackedSeries() throws -> [(playbook: String, name: String)] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT t.playbook_path, t.name, MIN(t.run_id) AS first FROM tracked_run t JOIN run r ON r.id = t.run_id
                    WHERE r.exit_status IN (0, 1) GROUP BY t.playbook_path, t.name ORDER BY first
                    """
            ).map { ($0["playbook_path"], $0["name"]) }
        }
    }

    /// The submissions of a series in its order, each with its errors (as its first run kept
    /// them), from the runs that tracked it and completed (a run killed before its writes landed
    /// is not one), up to run `upTo` when given; and every such run.
    public func trackedSubmissions(
        playbook: String, name: String, upTo: Int64? = nil
    ) throws
        -> (
            submissions: [(submission: TrackedSubmission, errors: [String: TrackedError])],
            runs: [(id: Int64, startedAt: String, count: Int)]
        )
    {
        try read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT t.run_id, r.started_at, t.error_count, t.submission, t.submitted FROM tracked_run t JOIN run r ON r.id = t.run_id
                    WHERE t.playbook_path = ? AND t.name = ? AND r.exit_status IN (0, 1) AND t.run_id <= ? ORDER BY t.run_id
                    """, arguments: [playbook, name, upTo ?? Int64.max])
            var runs: [(id: Int64, startedAt: String, count: Int)] = []
            var groups: [TrackedSubmission] = [], at: [String: Int] = [:]
            for r in rows {
                let id: Int64 = r["run_id"], count: Int = r["error_count"]
                runs.append((id, r["started_at"], count))
                // A run tracked before submissions were kept is a submission of its own.
                let report: String? = r["submission"]
                let key = report ?? "run:\(id)"
                if let k = at[key] { groups[k].runs.append(id); continue }
                at[key] = groups.count
                groups.append(TrackedSubmission(number: 0, report: report, submitted: r["submitted"], runs: [id], errorCount: count))
            }
            var out: [(submission: TrackedSubmission, errors: [String: TrackedError])] = []
            for (k, group) in TrackedSubmission.ordered(groups, { $0 }).enumerated() {
                var submission = group
                submission.number = k + 1
                var set: [String: TrackedError] = [:]
                for r in try Row.fetchAll(
                    db, sql: "SELECT * FROM tracked_error WHERE run_id = ? AND name = ?", arguments: [group.firstRun, name])
                {
                    // The field as Tally names it now: runs tracked before error reports' field labels
                    // were read as Tally's columns ("Enrollment Start Date") keep the same key as
                    // later ones (EnrollmentSchoolStartDate), so no error churns into resolved + new.
                    let field = (r["field"] as String?).map(CalpadsReturns.fieldColumn)
                    let key = TrackedError.key(
                        ruleID: r["rule_id"], localRecordID: r["local_record_id"], ssid: r["ssid"], school: r["school"], field: field)
                    let e = TrackedError(
                        key: key, errorCode: r["error_code"], ruleID: r["rule_id"], localRecordID: r["local_record_id"],
                        ssid: r["ssid"], school: r["school"], severity: r["severity"], description: r["description"],
                        field: field, value: r["value"], sourceFile: r["source_file"], sourceLine: r["source_line"])
                    set[e.key] = e
                }
                out.append((submission, set))
            }
            return (out, runs)
        }
    }

    /// Every error of a series with its status in its latest submission (see `trackedSubmissions`).
    public func errorHistory(playbook: String, name: String, upTo: Int64? = nil) throws -> ErrorHistory {
        let (submissions, runs) = try trackedSubmissions(playbook: playbook, name: name, upTo: upTo)
        var sets: [Int64: [String: TrackedError]] = [:]
        for s in submissions { sets[s.submission.firstRun] = s.errors }
        return ErrorHistory(
            playbook: playbook, name: name, runs: runs, submissions: submissions.map(\.submission),
            errors: ErrorHistory.statuses(runs: submissions.map(\.submission.firstRun), sets: sets))
    }
}
