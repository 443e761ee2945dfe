import Foundation
import TallyModel

/// What `tally verify` found for one input of a past run.
public struct InputVerification: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable { case unchanged, changed, missing }
    public var table: String
    public var path: String
    public var status: Status
    public var recordedSHA256: String
    public var currentSHA256: String?
}

/// What changed between two runs (`tally runs diff A B`).
public struct RunDifference: Sendable, Codable {
    public struct Count: Sendable, Codable, Equatable {
        public var table: String
        public var before: Int?
        public var after: Int?
    }
    public struct CheckChange: Sendable, Codable, Equatable {
        public var check: String
        public var before: String
        public var after: String
    }
    public struct ValueChange: Sendable, Codable, Equatable {
        public var series: String
        public var key: String
        public var before: Double?
        public var after: Double?
    }
    public var counts: [Count]
    public var checks: [CheckChange]
    public var values: [ValueChange]
}

extension QAStore {
    /// Re-hashes a past run's inputs: are they still the files that run saw?
    public func verify(_ id: Int64) throws -> [InputVerification] {
        guard let run = try run(id) else { throw Diagnostic(.notInLedger, .error, "no run \(id) in the ledger", file: path) }
        return run.inputs.map { input in
            guard let current = Fingerprint.sha256(file: input.absolutePath) else {
                return InputVerification(
                    table: input.table, path: input.path, status: .missing, recordedSHA256: input.sha256, currentSHA256: nil)
            }
            return InputVerification(
                table: input.table, path: input.path, status: current == input.sha256 ? .unchanged : .changed,
                recordedSHA256: input.sha256, currentSHA256: current)
        }
    }

    /// Row counts of every table, check outcomes and compared values that differ between two runs.
    public func diff(_ a: Int64, _ b: Int64) throws -> RunDifference {
        guard let first = try run(a) else { throw Diagnostic(.notInLedger, .error, "no run \(a) in the ledger", file: path) }
        guard let second = try run(b) else { throw Diagnostic(.notInLedger, .error, "no run \(b) in the ledger", file: path) }
        func rows(_ run: RunDetail) -> [String: Int] {
            var out: [String: Int] = [:]
            for cell in run.cells { if let table = cell.table, let rows = cell.rowsOut { out[table] = rows } }
            return out
        }
        let before = rows(first), after = rows(second)
        var counts: [RunDifference.Count] = []
        for table in Set(before.keys).union(after.keys).sorted() where before[table] != after[table] {
            counts.append(.init(table: table, before: before[table], after: after[table]))
        }
        func outcome(_ c: RunDetail.Check) -> String {
            c.passed ? "passed" : "\(c.severity == .warning ? "warning" : "failed") (\(c.failingCount) failing)"
        }
        let beforeChecks = Dictionary(first.checks.map { ($0.id, outcome($0)) }, uniquingKeysWith: { x, _ in x })
        let afterChecks = Dictionary(second.checks.map { ($0.id, outcome($0)) }, uniquingKeysWith: { x, _ in x })
        var checks: [RunDifference.CheckChange] = []
        for id in Set(beforeChecks.keys).union(afterChecks.keys).sorted() where beforeChecks[id] != afterChecks[id] {
            checks.append(.init(check: id, before: beforeChecks[id] ?? "absent", after: afterChecks[id] ?? "absent"))
        }
        var values: [RunDifference.ValueChange] = []
        for series in Set(first.values.keys).union(second.values.keys).sorted() {
            let x = first.values[series] ?? [:], y = second.values[series] ?? [:]
            for key in Set(x.keys).union(y.keys).sorted() where x[key] != y[key] {
                values.append(.init(series: series, key: key, before: x[key], after: y[key]))
            }
        }
        return RunDifference(counts: counts, checks: checks, values: values)
    }
}
