import Foundation
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// Baselines that cannot silently mislead: snapshot keys are unique, a run compares only with
/// runs of its own scope (never a later day, never the same data again), a first run says it has
/// no baseline, and the ledger refuses what would corrupt it.
final class BaselineTests: XCTestCase {
    static let monitoring = """
        param day: date required
        param lea: text = "A"
        load sis from "data/{lea}/{day}/sis.csv"
        changes = sis | diff snapshot "daily"
        show changes limit 50
        snapshot sis by SSID as "daily"
        counts = sis | aggregate n = count() by Grade
        compare counts.n with previous run by Grade as vs_previous
        """

    static let day1 = "SSID,Grade\n1000000001,03\n1000000002,04\n1000000003,05\n"
    static let day2 = "SSID,Grade\n1000000001,03\n1000000002,05\n1000000003,05\n1000000004,01\n"

    func setUpDays(_ scratch: Scratch) throws {
        try scratch.write("m.playbook", BaselineTests.monitoring)
        try scratch.write("data/A/2025-10-01/sis.csv", BaselineTests.day1)
        try scratch.write("data/A/2025-10-02/sis.csv", BaselineTests.day2)
        try scratch.write("data/B/2025-10-02/sis.csv", BaselineTests.day2 + "1000000005,02\n1000000006,02\n")
    }

    func run(_ scratch: Scratch, _ params: [String: String], playbook: String = "m.playbook") -> RunRecord {
        var options = scratch.options
        options.storePath = scratch.store
        options.params = params
        return Runner.run(path: scratch.path(playbook), options: options)
    }

    func changes(_ record: RunRecord) -> (rows: [String], note: String) {
        let preview = record.cells.first { $0.kind == .show }?.preview
        let change = preview?.columns.firstIndex(of: "change") ?? 0, ssid = preview?.columns.firstIndex(of: "SSID") ?? 0
        let rows = (preview?.rows ?? []).map { "\($0[change] ?? "") \($0[ssid] ?? "")" }.sorted()
        let note = record.cells.first { $0.table == "changes" }?.steps.first?.notes.first ?? ""
        return (rows, note)
    }

    func testDailyDiffsUseTheirOwnScopeAndNeverALaterDayOrTheSameData() throws {
        let scratch = try Scratch()
        try setUpDays(scratch)
        // Day 1: nothing to compare with, and that is said, not shown as failures.
        let first = run(scratch, ["day": "2025-10-01"])
        XCTAssertEqual(first.exitStatus, 0, first.errors.map(\.message).joined())
        XCTAssertEqual(changes(first).rows, [])
        XCTAssertTrue(changes(first).note.contains("no baseline yet"), changes(first).note)
        let compare = try XCTUnwrap(first.checks.first { $0.id == "vs_previous" })
        XCTAssertTrue(compare.passed)
        XCTAssertEqual(compare.failingCount, 0)
        XCTAssertTrue(compare.detail?.contains("no baseline yet") ?? false, compare.detail ?? "")
        let shown = try XCTUnwrap(first.cells.first { $0.kind == .compare }?.preview)
        XCTAssertEqual(shown.rows.count, 0, "no row is shown as failing on a first run")
        let html = try ReportRenderer.render(ReportRecord(first), options: ReportOptions()).html
        XCTAssertFalse(html.contains("class=\"bad\""), "no row shaded as a failure")

        // Day 2 against day 1: one grade changed, one student added.
        let second = run(scratch, ["day": "2025-10-02"])
        XCTAssertEqual(changes(second).rows, ["added 1000000004", "changed 1000000002"])
        XCTAssertTrue(changes(second).note.contains("of run 1"), changes(second).note)
        XCTAssertTrue(second.checks.first { $0.id == "vs_previous" }?.detail?.contains("against run 1") ?? false)

        // Rerunning day 2 on the same data compares with day 1 again, not with itself.
        let rerun = run(scratch, ["day": "2025-10-02"])
        XCTAssertEqual(changes(rerun).rows, ["added 1000000004", "changed 1000000002"])
        XCTAssertTrue(changes(rerun).note.contains("of run 1"), changes(rerun).note)

        // Backfilling day 1 after day 2 never compares with the later day (no reversed changes).
        let backfill = run(scratch, ["day": "2025-10-01"])
        XCTAssertEqual(changes(backfill).rows, [])
        XCTAssertTrue(changes(backfill).note.contains("no baseline yet"), changes(backfill).note)

        // Another district is another scope: its first day has no baseline, whatever ran before.
        let other = run(scratch, ["day": "2025-10-02", "lea": "B"])
        XCTAssertEqual(changes(other).rows, [])
        XCTAssertTrue(other.checks.first { $0.id == "vs_previous" }?.detail?.contains("no baseline yet") ?? false)

        // An explicit baseline: as of a run id, and as of a label.
        try scratch.write(
            "explicit.playbook",
            BaselineTests.monitoring
                .replacingOccurrences(of: "diff snapshot \"daily\"", with: "diff snapshot \"daily\" as of \"certified\""))
        let store = try QAStore(path: scratch.store)
        try store.label(1, "certified")
        // (explicit.playbook is another playbook, so the label must be on its own run.)
        let labelled = run(scratch, ["day": "2025-10-02"], playbook: "explicit.playbook")
        XCTAssertEqual(labelled.exitStatus, 2, "no run of this playbook is labelled yet")
        XCTAssertTrue(labelled.errors.first?.message.contains("no run of this playbook is labelled \"certified\"") ?? false)
        try scratch.write(
            "asof.playbook",
            BaselineTests.monitoring
                .replacingOccurrences(of: "diff snapshot \"daily\"", with: "diff snapshot \"daily\" as of 1"))
        let asOf = run(scratch, ["day": "2025-10-02"], playbook: "asof.playbook")
        XCTAssertEqual(changes(asOf).rows, ["added 1000000004", "changed 1000000002"])
    }

    func testASnapshotKeyThatIsNotUniqueIsAnErrorNamingTheKeys() throws {
        let scratch = try Scratch()
        try scratch.write("s.csv", "SSID,School\n1000000001,A\n1000000001,B\n1000000002,A\n")
        try scratch.write(
            "s.playbook",
            """
            load s from "s.csv"
            snapshot s by SSID as "roster"
            """)
        let record = run(scratch, [:], playbook: "s.playbook")
        XCTAssertEqual(record.exitStatus, 2)
        let message = record.errors.first?.message ?? ""
        XCTAssertTrue(message.contains("SSID 1000000001 (2 rows)"), message)
        XCTAssertEqual(record.errors.first?.line, 2)
        let store = try QAStore(path: scratch.store)
        XCTAssertEqual(try store.snapshotNames(), [], "nothing kept")
        // Keyed by what identifies a row, it is kept.
        try scratch.write("s.playbook", "load s from \"s.csv\"\nsnapshot s by SSID, School as \"roster\"\n")
        XCTAssertEqual(run(scratch, [:], playbook: "s.playbook").exitStatus, 0)
        XCTAssertEqual(try store.snapshotNames(), ["roster"])
    }

    func testANullValueOnBothSidesHasItsOwnStatus() throws {
        let scratch = try Scratch()
        try scratch.write("a.csv", "School,n\nA,5\nB,\nC,7\n")
        try scratch.write("b.csv", "School,n\nA,5\nB,3\nD,1\n")
        try scratch.write(
            "c.playbook",
            """
            load a from "a.csv"
            load b from "b.csv"
            compare a.n with b.n by School as cmp
            """)
        let record = run(scratch, [:], playbook: "c.playbook")
        let cmp = try XCTUnwrap(record.cells.first { $0.kind == .compare }?.preview)
        let status = try XCTUnwrap(cmp.columns.firstIndex(of: "status"))
        let byKey = Dictionary(uniqueKeysWithValues: cmp.rows.map { ($0[0] ?? "", $0[status] ?? "") })
        XCTAssertEqual(byKey, ["B": "null", "C": "unexpected", "D": "missing"])
        XCTAssertEqual(record.checks.first?.failingCount, 3)
    }

    func testExpectedImportRejectsRepeatedKeysUnlessSummed() throws {
        let scratch = try Scratch()
        let file = try scratch.write("e.csv", "School,Grade,n\nA,03,10\nA,04,11\nA,03,5\nB,03,2\n")
        XCTAssertThrowsError(try ExpectedImport.load(file: file, displayName: "e.csv", keys: ["School", "Grade"], value: "n", sheet: nil)) {
            error in
            let d = error as? Diagnostic
            XCTAssertTrue(d?.message.contains("(A, 03) on lines 2, 4") ?? false, d?.message ?? "\(error)")
            XCTAssertEqual(d?.line, 4)
            XCTAssertTrue(d?.help?.contains("--sum") ?? false)
        }
        let summed = try ExpectedImport.load(
            file: file, displayName: "e.csv", keys: ["School", "Grade"], value: "n", sheet: nil, sum: true)
        XCTAssertEqual(summed.rows.map { $0.key + [String($0.value)] }, [["A", "03", "15.0"], ["A", "04", "11.0"], ["B", "03", "2.0"]])
        // The store itself refuses a repeated key rather than keeping the last value.
        let store = try QAStore(path: scratch.path("t.sqlite"))
        XCTAssertThrowsError(
            try store.importExpected(
                name: "x", keys: ["School"], valueName: "n", rows: [(["A"], 1), (["A"], 2)],
                sourcePath: "e.csv", sourceSHA256: "", createdBy: "t", at: Date()))
        XCTAssertNil(try store.expected(name: "x", version: nil))
    }

    func testARunThatStoppedCannotBeLabelled() throws {
        let scratch = try Scratch()
        try scratch.write("bad.playbook", "load t from \"missing.csv\"\n")
        let stopped = run(scratch, [:], playbook: "bad.playbook")
        XCTAssertEqual(stopped.exitStatus, 2)
        let store = try QAStore(path: scratch.store)
        let id = try XCTUnwrap(stopped.runId)
        XCTAssertThrowsError(try store.label(id, "certified")) { error in
            XCTAssertTrue((error as? Diagnostic)?.message.contains("stopped with exit 2") ?? false)
        }
        XCTAssertNil(try store.labelledRun(playbook: "bad.playbook", label: "certified"))
    }

    func testAPathParameterMayNameAFolderAndATextOneSaysHow() throws {
        let scratch = try Scratch()
        try scratch.write("years/2025/s.csv", "SSID\n1000000001\n")
        try scratch.write("p.playbook", "param data: path = \"years/2024\"\nload s from \"{data}/s.csv\"\nassert count(s) == 1\n")
        XCTAssertEqual(run(scratch, ["data": "years/2025"], playbook: "p.playbook").exitStatus, 0)
        XCTAssertEqual(run(scratch, ["data": scratch.path("years/2025")], playbook: "p.playbook").exitStatus, 0, "an absolute folder")
        try scratch.write("t.playbook", "param data: text = \"x\"\nload s from \"{data}/s.csv\"\n")
        let text = run(scratch, ["data": "years/2025"], playbook: "t.playbook")
        XCTAssertEqual(text.exitStatus, 2)
        XCTAssertTrue(text.errors.first?.help?.contains("param data: path") ?? false, text.errors.first?.help ?? "")
    }
}
