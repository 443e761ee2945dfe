import Foundation
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// The QA engine's Done-when list: expected counts, daily diffs and the ledger, verify, and
/// several runs on one store at once.
final class QAStoreTests: XCTestCase {
    func options(_ scratch: Scratch) -> RunOptions {
        var o = scratch.options
        o.storePath = scratch.store
        return o
    }

    static let counts = """
        School,Grade,Students
        0112345,KN,100
        0112345,01,50
        0112345,02,10
        6001734,KN,200
        """

    func testExpectedCountsComparedWithinTolerance() throws {
        let scratch = try Scratch()
        try scratch.write("counts.csv", QAStoreTests.counts)
        try scratch.write(
            "expected.csv",
            """
            School,Grade,students
            0112345,KN,98
            0112345,01,45
            0112345,02,11
            6001734,01,30
            """)
        let store = try QAStore(path: scratch.store)
        let loaded = try ExpectedImport.load(
            file: scratch.path("expected.csv"), displayName: "expected.csv",
            keys: ["School", "Grade"], value: "students", sheet: nil)
        XCTAssertEqual(
            try store.importExpected(
                name: "fall1/census", keys: ["School", "Grade"], valueName: "students", rows: loaded.rows,
                sourcePath: "expected.csv", sourceSHA256: loaded.sha256, createdBy: "test", at: Date()), 1)
        XCTAssertEqual(
            try store.importExpected(
                name: "fall1/census", keys: ["School", "Grade"], valueName: "students",
                rows: [(["0112345", "KN"], 1)], sourcePath: "v2.csv", sourceSHA256: "x", createdBy: "test", at: Date()), 2)
        XCTAssertEqual(try store.expected(name: "fall1/census", version: nil)?.info.version, 2)
        try scratch.write(
            "c.playbook",
            """
            load counts from "counts.csv"
            compare counts.Students with expected "fall1/census" version 1 by School, Grade within 2% or 3 as result
            export result to "out/result.csv"
            """)
        let record = Runner.run(path: scratch.path("c.playbook"), options: options(scratch))
        XCTAssertEqual(record.errors, [])
        XCTAssertEqual(record.exitStatus, 1)
        // KN 100 vs 98: within 3 → ok; 01 50 vs 45: 11% and 5 → outside; 02 10 vs 11 → ok;
        // 6001734/01 expected only → missing; 6001734/KN actual only → unexpected.
        XCTAssertEqual(
            scratch.read("out/result.csv"),
            """
            School,Grade,actual,expected,difference,percent,status
            0112345,01,50,45,5,11.11,outside
            0112345,02,10,11,-1,-9.09,ok
            0112345,KN,100,98,2,2.04,ok
            6001734,01,,30,,,missing
            6001734,KN,200,,,,unexpected

            """)
        XCTAssertEqual(record.checks.first?.detail?.hasPrefix("2 ok, 1 outside, 1 missing, 1 unexpected"), true)
    }

    func testDailyDiffNamesAddedRemovedChangedAndTheLedgerShowsBothRuns() throws {
        let scratch = try Scratch()
        try scratch.write(
            "d.playbook",
            """
            load sis from "sis.csv"
            changes = sis | diff snapshot "daily"
            counts = sis | aggregate students = count() by School
            compare counts.students with previous run by School severity warning
            snapshot sis by SSID as "daily"
            export changes to "out/changes.csv"
            """)
        try scratch.write("sis.csv", "SSID,School,Grade\n1000000001,A,KN\n1000000002,A,01\n1000000003,B,02\n")
        let first = Runner.run(path: scratch.path("d.playbook"), options: options(scratch))
        XCTAssertEqual(first.exitStatus, 0, "\(first.errors)")
        XCTAssertEqual(scratch.read("out/changes.csv"), "change,SSID,School,Grade,changes\n")
        try scratch.write("sis.csv", "SSID,School,Grade\n1000000001,A,01\n1000000003,B,02\n1000000004,B,03\n")
        let second = Runner.run(path: scratch.path("d.playbook"), options: options(scratch))
        XCTAssertEqual(second.exitStatus, 0)
        XCTAssertEqual(
            scratch.read("out/changes.csv"),
            """
            change,SSID,School,Grade,changes
            changed,1000000001,A,01,Grade: KN → 01
            added,1000000004,B,03,
            removed,1000000002,A,01,

            """)
        let store = try QAStore(path: scratch.store)
        let runs = try store.runs()
        XCTAssertEqual(runs.map(\.id), [2, 1])
        let diff = try store.diff(1, 2)
        XCTAssertEqual(diff.counts, [RunDifference.Count(table: "changes", before: 0, after: 3)])
        XCTAssertEqual(
            diff.values,
            [
                RunDifference.ValueChange(series: "counts.students", key: "A", before: 2, after: 1),
                RunDifference.ValueChange(series: "counts.students", key: "B", before: 1, after: 2),
            ])
        XCTAssertEqual(second.warnings, 1, "the counts moved since the previous run")
    }

    func testVerifyNoticesAnEditedInput() throws {
        let scratch = try Scratch()
        try scratch.write("sis.csv", "SSID,School\n1000000001,A\n")
        try scratch.write("v.playbook", "load sis from \"sis.csv\"\nassert sis is not empty")
        let record = Runner.run(path: scratch.path("v.playbook"), options: options(scratch))
        let store = try QAStore(path: scratch.store)
        let id = try XCTUnwrap(record.runId)
        XCTAssertEqual(try store.verify(id).map(\.status), [.unchanged])
        try scratch.write("sis.csv", "SSID,School\n1000000001,B\n")
        XCTAssertEqual(try store.verify(id).map(\.status), [.changed])
        try FileManager.default.removeItem(atPath: scratch.path("sis.csv"))
        XCTAssertEqual(try store.verify(id).map(\.status), [.missing])
        XCTAssertEqual(try store.run(id)?.inputs.first?.sha256, Fingerprint.sha256("SSID,School\n1000000001,A\n"))
    }

    /// A run that reads, compares with its previous run and snapshots: several at once must all
    /// reach the ledger (also PostgresStoreTests).
    static let concurrentPlaybook = """
        load counts from "counts.csv"
        totals = counts | aggregate n = sum(Students) by School
        compare totals.n with previous run by School
        snapshot counts by School, Grade as "counts"
        """

    func testFourRunsAtOnceAllReachTheLedger() throws {
        let scratch = try Scratch()
        try scratch.write("counts.csv", QAStoreTests.counts)
        try scratch.write("p.playbook", QAStoreTests.concurrentPlaybook)
        let runOptions = options(scratch)
        let playbook = scratch.path("p.playbook")
        let statuses = Locked<[Int32]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            let record = Runner.run(path: playbook, options: runOptions)
            statuses.mutate { $0.append(record.exitStatus) }
            if record.exitStatus != 0 { print("concurrent run failed: \(record.errors)") }
        }
        XCTAssertEqual(statuses.value.sorted(), [0, 0, 0, 0])
        let store = try QAStore(path: scratch.store)
        XCTAssertEqual(try store.runs().count, 4)
    }

    func testAcknowledgedWarningStaysAcknowledgedUntilItsRowsChange() throws {
        let scratch = try Scratch()
        try scratch.write(
            "a.playbook",
            """
            load s from "s.csv"
            assert s: Grade != "K"
              severity warning
              id "grade-k"
            """)
        try scratch.write("s.csv", "SSID,Grade\n1000000001,K\n1000000002,01\n")
        let first = Runner.run(path: scratch.path("a.playbook"), options: options(scratch))
        let store = try QAStore(path: scratch.store)
        try store.acknowledge(run: try XCTUnwrap(first.runId), check: "grade-k", reason: "SIS fix scheduled", by: "analyst", at: Date())
        let second = Runner.run(path: scratch.path("a.playbook"), options: options(scratch))
        XCTAssertEqual(second.checks.first?.acknowledged, "SIS fix scheduled (by analyst, run 1)")
        try scratch.write("s.csv", "SSID,Grade\n1000000001,K\n1000000003,K\n")
        let third = Runner.run(path: scratch.path("a.playbook"), options: options(scratch))
        XCTAssertNil(third.checks.first?.acknowledged)
        XCTAssertTrue(third.checks.first?.detail?.contains("new: the failing rows changed") ?? false)
        XCTAssertThrowsError(try store.acknowledge(run: 1, check: "grade-q", reason: "x", by: "a", at: Date()))
    }

    func testSaveThenCompareAndAStoppedRunSavesNothing() throws {
        let scratch = try Scratch()
        try scratch.write("counts.csv", QAStoreTests.counts)
        try scratch.write(
            "save.playbook",
            """
            load counts from "counts.csv"
            save counts.Students as expected "baseline" by School, Grade
            """)
        XCTAssertEqual(Runner.run(path: scratch.path("save.playbook"), options: options(scratch)).exitStatus, 0)
        try scratch.write(
            "use.playbook",
            """
            load counts from "counts.csv"
            compare counts.Students with expected "baseline" by School, Grade
            """)
        XCTAssertEqual(Runner.run(path: scratch.path("use.playbook"), options: options(scratch)).exitStatus, 0)
        try scratch.write(
            "broken.playbook",
            """
            load counts from "counts.csv"
            save counts.Students as expected "never" by School, Grade
            load missing from "missing.csv"
            """)
        let broken = Runner.run(path: scratch.path("broken.playbook"), options: options(scratch))
        XCTAssertEqual(broken.exitStatus, 2)
        let store = try QAStore(path: scratch.store)
        XCTAssertNil(try store.expected(name: "never", version: nil))
        XCTAssertEqual(try store.runs().first?.exitStatus, 2, "the stopped run is in the ledger too")
        try scratch.write(
            "typo.playbook", "load counts from \"counts.csv\"\ncompare counts.Students with expected \"baselin\" by School, Grade")
        let check = Runner.check(path: scratch.path("typo.playbook"), options: options(scratch))
        XCTAssertEqual(check.diagnostics.first?.help, "did you mean \"baseline\"?")
    }
}

/// A value shared between threads in a test.
final class Locked<T>: @unchecked Sendable {
    private var stored: T
    private let lock = NSLock()
    init(_ value: T) { stored = value }
    var value: T { lock.lock(); defer { lock.unlock() }; return stored }
    func mutate(_ body: (inout T) -> Void) { lock.lock(); body(&stored); lock.unlock() }
}
