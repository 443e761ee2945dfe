import Foundation
import TallyModel

/// Which earlier run a run compares itself with (`compare ... with previous run`, `diff snapshot`).
///
/// A baseline is never just "the latest run": a run of another district, another year or the
/// same day's data again would make every difference wrong. Its scope is the same playbook with
/// the same value of every parameter that says *which* data (an LEA, a school, a year), not of
/// those that say where today's file is: `path` parameters and parameters used only in load
/// paths' file names are left out (see `Interpreter.defaultScope`), and `scope (lea, year)`
/// names the parameters instead. Date parameters order runs: a baseline's date parameters are
/// the same as this run's or earlier, never later, so backfilling day 1 after day 2 does not
/// compare day 1 with day 2. A run with the same dates and byte-identical inputs is a rerun of
/// the same data, not a baseline (rerunning day 2 compares with day 1 again, not with itself).
/// Among the rest the one with the latest dates wins, then the latest run.
public struct BaselineScope: Sendable, Equatable {
    public var playbook: String
    /// Every parameter's value as text (dates as YYYY-MM-DD).
    public var params: [String: String]
    /// The names of the date parameters that order runs (those not in `scope`).
    public var dateParams: Set<String>
    /// The parameters whose values a baseline must share, sorted.
    public var scope: [String]
    /// Whether `scope` was named in the playbook (`scope (...)`) rather than worked out.
    public var named: Bool
    /// This run's inputs as `table=sha256`, sorted.
    public var inputs: [String]

    /// `scope`: the parameters a baseline must share (nil: every one that is not a date).
    public init(
        playbook: String, params: [String: String], dateParams: Set<String>, inputs: [String],
        scope: [String]? = nil, named: Bool = false
    ) {
        self.playbook = playbook
        self.params = params
        let scope = scope ?? params.keys.filter { !dateParams.contains($0) }
        self.scope = scope.sorted()
        self.dateParams = dateParams.subtracting(scope)
        self.named = named
        self.inputs = inputs.sorted()
    }

    var dates: [String] { dateParams.sorted().map { params[$0] ?? "" } }

    /// Whether an earlier run with these parameters and inputs may be this run's baseline.
    func admits(params other: [String: String], inputs otherInputs: [String]) -> Bool {
        guard Set(other.keys) == Set(params.keys) else { return false }
        for name in scope where other[name] != params[name] { return false }
        let theirs = dateParams.sorted().map { other[$0] ?? "" }
        if dates.lexicographicallyPrecedes(theirs) { return false } // a later day
        if theirs == dates, otherInputs.sorted() == inputs { return false } // the same data again
        return true
    }

    /// What the scope means, for a cell's note: `lea = 0612345; day ≤ 2024-10-02`, and the
    /// parameters left out.
    public var description: String {
        var parts: [String] = []
        if !scope.isEmpty { parts.append(scope.map { "\($0) = \(params[$0] ?? "")" }.joined(separator: ", ")) }
        if !dateParams.isEmpty { parts.append(dateParams.sorted().map { "\($0) ≤ \(params[$0] ?? "")" }.joined(separator: ", ")) }
        if parts.isEmpty { parts.append("any run of this playbook") }
        let left = params.keys.filter { !scope.contains($0) && !dateParams.contains($0) }.sorted()
        if !left.isEmpty {
            parts.append("\(left.joined(separator: ", ")) left out" + (named ? ", as scope (…) says" : ": where the data is, not which"))
        }
        return parts.joined(separator: "; ")
    }
}

/// An earlier run a baseline came from.
public struct BaselineRun: Sendable, Equatable {
    public var id: Int64
    public var startedAt: String
    public var params: [String: String]
}

extension QAStore {
    /// The runs that may be a baseline for a run in this scope, best first.
    public func baselineRuns(_ scope: BaselineScope) throws -> [BaselineRun] {
        try read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, params, started_at FROM run WHERE playbook_path = ? AND exit_status < 2 AND partial IS NULL ORDER BY id DESC
                    """, arguments: [scope.playbook])
            var inputs: [Int64: [String]] = [:]
            for r in try Row.fetchAll(
                db,
                sql: """
                    SELECT i.run_id, i.table_name, i.sha256 FROM run_input i JOIN run r ON r.id = i.run_id WHERE r.playbook_path = ?
                    """, arguments: [scope.playbook])
            {
                inputs[r["run_id"], default: []].append("\(r["table_name"] as String)=\(r["sha256"] as String)")
            }
            let candidates: [BaselineRun] = rows.compactMap { row in
                let id: Int64 = row["id"]
                let params: [String: String] = QAStore.decode(row["params"]) ?? [:]
                guard scope.admits(params: params, inputs: inputs[id] ?? []) else { return nil }
                return BaselineRun(id: id, startedAt: row["started_at"], params: params)
            }
            // Latest dates first, then the latest run (ids grow with time).
            return candidates.enumerated().sorted { a, b in
                let da = scope.dateParams.sorted().map { a.element.params[$0] ?? "" }
                let db = scope.dateParams.sorted().map { b.element.params[$0] ?? "" }
                if da != db { return db.lexicographicallyPrecedes(da) }
                return a.offset < b.offset
            }.map(\.element)
        }
    }

    /// A snapshot of this name taken by one run, if it took one.
    public func snapshot(name: String, run: Int64) throws -> Snapshot? {
        try read { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT * FROM snapshot WHERE name = ? AND run_id = ? ORDER BY id DESC LIMIT 1",
                    arguments: [name, run])
            else { return nil }
            return try QAStore.snapshot(row, db)
        }
    }

    /// The snapshot a run in this scope compares with: taken by its best baseline run that took one.
    public func baselineSnapshot(name: String, scope: BaselineScope) throws -> Snapshot? {
        let runIds = try baselineRuns(scope).map(\.id)
        guard !runIds.isEmpty else { return nil }
        let taken = try read { db in
            try Int64.fetchSet(db, sql: "SELECT DISTINCT run_id FROM snapshot WHERE name = ? AND run_id IS NOT NULL", arguments: [name])
        }
        guard let run = runIds.first(where: { taken.contains($0) }) else { return nil }
        return try snapshot(name: name, run: run)
    }
}
