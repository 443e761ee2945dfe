import Foundation
import TallyModel

/// How a playbook's checks and compared totals moved across its runs: are we converging before
/// the deadline? Kept with each run's report record, so a past report shows the history it had.
public struct RunHistory: Codable, Sendable, Equatable {
    public struct Run: Codable, Sendable, Equatable {
        public var id: Int64
        public var started: String
        public var exitStatus: Int
        public var label: String?
    }
    /// One line of the history: a check's failing rows, or a compared column's total, by run
    /// (aligned with `runs`; nil where the run did not have it).
    public struct Series: Codable, Sendable, Equatable {
        /// A check's failing rows, or a compared column's total (suppressed like any count).
        public enum Kind: String, Codable, Sendable { case failingRows = "failing rows", total }
        public var name: String
        public var kind: Kind
        public var values: [Double?]
    }
    public var runs: [Run]
    public var series: [Series]
}

extension QAStore {
    /// The newest complete run of a playbook (any parameters): its id and parameters.
    public func latestRun(playbook: String) throws -> (id: Int64, params: [String: String])? {
        try read { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT id, params FROM run WHERE playbook_path = ? AND partial IS NULL ORDER BY id DESC LIMIT 1",
                    arguments: [playbook])
            else { return nil }
            let text: String = row["params"]
            let params = (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
            return (row["id"], params)
        }
    }

    /// The last `limit` complete runs of a playbook with the same parameters, up to run `upTo`.
    public func history(playbook: String, params: [String: String], upTo: Int64? = nil, limit: Int = 30) throws -> RunHistory {
        try read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, started_at, exit_status, label FROM run
                    WHERE playbook_path = ? AND params = ? AND partial IS NULL AND id <= ?
                    ORDER BY id DESC LIMIT ?
                    """, arguments: [playbook, QAStore.json(params), upTo ?? Int64.max, limit])
            let runs = rows.reversed().map {
                RunHistory.Run(id: $0["id"], started: $0["started_at"], exitStatus: $0["exit_status"], label: $0["label"])
            }
            guard let first = runs.first?.id, let last = runs.last?.id else { return RunHistory(runs: [], series: []) }
            let position = Dictionary(uniqueKeysWithValues: runs.enumerated().map { ($0.element.id, $0.offset) })
            var series: [RunHistory.Series] = []
            var index: [String: Int] = [:]
            func put(_ name: String, _ kind: RunHistory.Series.Kind, _ run: Int64, _ value: Double?) {
                guard let at = position[run] else { return }
                let key = kind.rawValue + "\u{1}" + name
                if index[key] == nil {
                    index[key] = series.count
                    series.append(RunHistory.Series(name: name, kind: kind, values: Array(repeating: nil, count: runs.count)))
                }
                if let i = index[key] { series[i].values[at] = value }
            }
            // Checks by their message (or predicate): what a reader knows them by.
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT run_id, COALESCE(message, predicate) AS name, failing_count FROM run_check
                    WHERE run_id BETWEEN ? AND ? ORDER BY run_id, position
                    """, arguments: [first, last])
            {
                put(row["name"], .failingRows, row["run_id"], Double(row["failing_count"] as Int))
            }
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT run_id, series, SUM(value) AS total FROM run_value
                    WHERE run_id BETWEEN ? AND ? GROUP BY run_id, series ORDER BY run_id, series
                    """, arguments: [first, last])
            {
                put(row["series"], .total, row["run_id"], row["total"])
            }
            return RunHistory(runs: runs, series: series)
        }
    }
}
