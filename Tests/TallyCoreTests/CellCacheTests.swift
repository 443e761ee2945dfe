import Foundation
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// The cell cache recomputes exactly the cells whose key changed, and partial runs run exactly
/// the cells asked for and what they need. (That the cache never changes a result is
/// `GoldenTests.goldenFromTheCellCache`.)
final class CellCacheTests: XCTestCase {
    static let playbook = """
        param grade: text = "03"
        load sis from "sis.csv"
        load sinf from "sinf.csv"
        named = sis | join inner sinf on SSID
        picked = named | filter Grade == grade
        counts = sis | aggregate n = count() by Grade
        assert picked is empty
          severity warning
        show counts
        export counts to "out/counts.csv"
        """
    static let sis = "SSID,Grade\n1000000001,03\n1000000002,04\n1000000003,03\n"
    static let sinf = "SSID,Name\n1000000001,Ann\n1000000002,Bo\n"

    func setUp(_ scratch: Scratch) throws {
        try scratch.write("p.playbook", CellCacheTests.playbook)
        try scratch.write("sis.csv", CellCacheTests.sis)
        try scratch.write("sinf.csv", CellCacheTests.sinf)
    }

    func run(_ scratch: Scratch, params: [String: String] = [:], configure: (inout RunOptions) -> Void = { _ in }) -> RunRecord {
        var options = scratch.options
        options.storePath = scratch.path(".tally/tally.sqlite")
        options.cacheFolder = CellCache.folder(forStore: options.storePath ?? "")
        options.params = params
        configure(&options)
        return Runner.run(path: scratch.path("p.playbook"), options: options)
    }

    /// Each cell's status, by the table it makes or its kind and line.
    func statuses(_ record: RunRecord) -> [String] {
        record.cells.filter { $0.kind != .param }.map { "\($0.table ?? "\($0.kind.rawValue)@\($0.line)"):\($0.status.rawValue)" }
    }

    func testOnlyCellsWhoseKeyChangedAreRecomputed() throws {
        let scratch = try Scratch()
        try setUp(scratch)
        let first = run(scratch)
        XCTAssertEqual(first.exitStatus, 0)
        XCTAssertTrue(first.cells.allSatisfy { $0.status == .ran })
        XCTAssertEqual(
            statuses(run(scratch)),
            [
                "sis:cached", "sinf:cached", "named:cached", "picked:cached", "counts:cached",
                "assert@7:cached", "show@9:cached", "export@10:cached",
            ])
        // A parameter: only the cells that name it, and what reads their tables.
        XCTAssertEqual(
            statuses(run(scratch, params: ["grade": "04"])),
            [
                "sis:cached", "sinf:cached", "named:cached", "picked:ran", "counts:cached", "assert@7:ran", "show@9:cached",
                "export@10:cached",
            ])
        // An input file: its load and everything downstream of it.
        try scratch.write("sinf.csv", CellCacheTests.sinf + "1000000003,Cy\n")
        let changed = run(scratch)
        XCTAssertEqual(
            statuses(changed),
            [
                "sis:cached", "sinf:ran", "named:ran", "picked:ran", "counts:cached",
                "assert@7:ran", "show@9:cached", "export@10:cached",
            ])
        XCTAssertEqual(changed.cells.first { $0.table == "picked" }?.rowsOut, 2)
        // An export whose file was removed is written again, from the cached table.
        try FileManager.default.removeItem(atPath: scratch.path("out/counts.csv"))
        let rewritten = run(scratch)
        XCTAssertEqual(rewritten.cells.last?.status, .ran)
        XCTAssertEqual(scratch.read("out/counts.csv"), "Grade,n\n03,2\n04,1\n")
        // The statement itself.
        try scratch.write("p.playbook", CellCacheTests.playbook.replacingOccurrences(of: "show counts", with: "show counts limit 1"))
        XCTAssertEqual(statuses(run(scratch)).filter { $0.hasSuffix(":ran") }, ["show@9:ran"])
        // --no-cache (no folder): everything runs.
        XCTAssertTrue(run(scratch) { $0.cacheFolder = nil }.cells.allSatisfy { $0.status == .ran })
    }

    func testTheCacheIsOwnerOnlyAndClears() throws {
        let scratch = try Scratch()
        try setUp(scratch)
        _ = run(scratch)
        let folder = CellCache.folder(forStore: scratch.path(".tally/tally.sqlite"))
        let attributes = try FileManager.default.attributesOfItem(atPath: folder)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o700)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder)
        XCTAssertTrue(files.contains { $0.hasSuffix(".table") })
        for file in files {
            let mode = (try FileManager.default.attributesOfItem(atPath: folder + "/" + file)[.posixPermissions] as? NSNumber)?.intValue
            XCTAssertEqual(mode, 0o600, file)
        }
        XCTAssertGreaterThan(CellCache.usage(folder: folder).entries, 5)
        XCTAssertGreaterThan(try CellCache.clear(folder: folder), 0)
        XCTAssertEqual(CellCache.usage(folder: folder).entries, 0)
        XCTAssertTrue(run(scratch).cells.allSatisfy { $0.status == .ran })
    }

    func testTheSizeLimitEvictsTheLeastRecentlyUsed() throws {
        let scratch = try Scratch()
        try setUp(scratch)
        let folder = CellCache.folder(forStore: scratch.path(".tally/tally.sqlite"))
        _ = run(scratch)
        let full = CellCache.usage(folder: folder).bytes
        // Another playbook's cells fill the cache; a limit of about one run evicts the first run's.
        try scratch.write(
            "p.playbook",
            CellCacheTests.playbook.replacingOccurrences(of: "load sis", with: "## another\nload sis")
                .replacingOccurrences(of: "Grade == grade", with: "Grade != grade"))
        _ = run(scratch) { $0.cacheLimitBytes = full + full / 2 }
        XCTAssertLessThanOrEqual(CellCache.usage(folder: folder).bytes, full + full / 2)
    }

    func testPartialRunsRunWhatTheyNeedAndAreNeverBaselines() throws {
        let scratch = try Scratch()
        try setUp(scratch)
        let only = run(scratch) {
            $0.cacheFolder = nil; $0.only = "picked"
        }
        XCTAssertEqual(
            statuses(only),
            [
                "sis:ran", "sinf:ran", "named:ran", "picked:ran", "counts:not run",
                "assert@7:not run", "show@9:not run", "export@10:not run",
            ])
        XCTAssertEqual(only.partial, "--only picked")
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path("out/counts.csv")), "a cell not run exports nothing")
        let until = run(scratch) {
            $0.cacheFolder = nil; $0.until = "6"
        }
        XCTAssertEqual(statuses(until).filter { $0.hasSuffix(":ran") }, ["sis:ran", "sinf:ran", "named:ran", "picked:ran", "counts:ran"])
        let from = run(scratch) {
            $0.cacheFolder = nil; $0.from = "9"
        }
        XCTAssertEqual(statuses(from).filter { $0.hasSuffix(":ran") }, ["sis:ran", "counts:ran", "show@9:ran", "export@10:ran"])
        // From the cache when it can.
        _ = run(scratch)
        XCTAssertEqual(statuses(run(scratch) { $0.only = "counts" }).filter { !$0.hasSuffix(":not run") }, ["sis:cached", "counts:cached"])
        // The ledger marks them; none can be labelled or be a baseline.
        let store = try QAStore(path: scratch.path(".tally/tally.sqlite"))
        guard let id = only.runId else { return XCTFail("the partial run is in the ledger") }
        XCTAssertThrowsError(try store.label(id, "certified")) { error in
            XCTAssertTrue("\(error)".contains("partial run"), "\(error)")
        }
        let scope = BaselineScope(playbook: only.playbookPath, params: ["grade": "03"], dateParams: [], inputs: [])
        XCTAssertFalse(try store.baselineRuns(scope).contains { $0.id == id })
        // A cell that does not exist is named as such.
        let wrong = run(scratch) { $0.only = "pickd" }
        XCTAssertEqual(wrong.exitStatus, 2)
        XCTAssertEqual(wrong.errors.first?.message, "no cell makes a table \"pickd\"")
        XCTAssertEqual(wrong.errors.first?.help, "did you mean \"picked\"?")
    }

    /// `tally watch` reruns are previews: nothing in the ledger, no snapshot kept; the cache still works.
    func testAPreviewRunLeavesNoRecord() throws {
        let scratch = try Scratch()
        try setUp(scratch)
        try scratch.write("p.playbook", CellCacheTests.playbook + "\nsnapshot sis by SSID as \"daily\"\n")
        for _ in 0..<2 { _ = run(scratch) { $0.recordInLedger = false } }
        let again = run(scratch) { $0.recordInLedger = false }
        XCTAssertEqual(again.runId, nil)
        XCTAssertTrue(again.cells.contains { $0.status == .cached })
        let store = try QAStore(path: scratch.path(".tally/tally.sqlite"))
        XCTAssertEqual(try store.runs().count, 0)
        XCTAssertNil(try store.latestSnapshot(name: "daily"))
        XCTAssertEqual(try store.snapshotNames(), [])
    }
}
