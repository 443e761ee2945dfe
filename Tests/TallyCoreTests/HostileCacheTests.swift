import Foundation
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

#if canImport(Glibc)
import Glibc
#endif

/// The cell cache against someone else's playbook, files and folders, with the real `tally`:
/// an input rewritten with its size and modification time kept is read again (and the ledger
/// has its new SHA-256); a damaged entry is recomputed, never shown; a folder Tally did not make
/// is never taken over or emptied; `tally cache clear` removes only Tally's entry files.
final class HostileCacheTests: XCTestCase {
    static let playbook = """
        load sis from "sis.csv"
        fours = sis | filter Grade == "04"
        assert fours is empty
        """
    /// Grade 04 once: the check fails. The same size with 03 in its place: it passes.
    static let failing = "SSID,Grade\n1000000001,03\n1000000002,04\n"
    static let passing = "SSID,Grade\n1000000001,03\n1000000002,03\n"

    /// Runs the built `tally` in `folder`: its exit status, stdout and stderr.
    func tally(_ arguments: [String], in folder: String) throws -> (exit: Int32, out: String, err: String) {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: MatrixTests.tally), "build tally first: swift build")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: MatrixTests.tally)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("tally-out-\(UUID().uuidString)")
        let err = FileManager.default.temporaryDirectory.appendingPathComponent("tally-err-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: out); try? FileManager.default.removeItem(at: err) }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        process.waitUntilExit()
        return (
            process.terminationStatus, (try? String(contentsOf: out, encoding: .utf8)) ?? "",
            (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        )
    }

    func scratchWithPlaybook() throws -> Scratch {
        let scratch = try Scratch()
        try scratch.write("p.playbook", HostileCacheTests.playbook)
        try scratch.write("sis.csv", HostileCacheTests.failing)
        return scratch
    }

    /// Each cell in a notebook: `cached`, or `ran` (its heading gives how long it ran).
    func statuses(_ notebook: String) -> [String] {
        notebook.split(separator: "\n").filter { $0.hasPrefix("[") }.map { $0.hasSuffix(" cached") ? "cached" : "ran" }
    }

    // MARK: 5. A changed input

    func testAnInputRewrittenWithTheSameSizeAndModificationTimeIsReadAgain() throws {
        let scratch = try scratchWithPlaybook()
        let folder = scratch.url.path
        let input = scratch.path("sis.csv")
        // Change times move with the clock's ticks: the cache trusts a stamp only once the file has
        // been still for two seconds, so wait, or the stamp would never be taken from the index.
        Thread.sleep(forTimeInterval: 2.2)
        let first = try tally(["run", "p.playbook", "--store", "x.sqlite", "--no-color"], in: folder)
        XCTAssertEqual(first.exit, 1, first.out + first.err)
        let cached = try tally(["run", "p.playbook", "--store", "x.sqlite", "--no-color"], in: folder)
        XCTAssertEqual(cached.exit, 1)
        XCTAssertEqual(statuses(cached.out), ["cached", "cached", "cached"], cached.out)
        if CellCache.keepsChangeTimes(input) {
            XCTAssertTrue(FileManager.default.fileExists(atPath: scratch.path("x.sqlite.cache/inputs.json")), "the stamp was indexed")
        }
        // Rewritten in place (same inode), same size, its modification time put back to the nanosecond.
        var before = stat()
        XCTAssertEqual(stat(input, &before), 0)
        let fd = open(input, O_WRONLY | O_TRUNC)
        XCTAssertGreaterThanOrEqual(fd, 0)
        let bytes = Array(HostileCacheTests.passing.utf8)
        XCTAssertEqual(write(fd, bytes, bytes.count), bytes.count)
        close(fd)
        var times = [before.st_atim, before.st_mtim]
        XCTAssertEqual(utimensat(AT_FDCWD, input, &times, 0), 0)
        var after = stat()
        XCTAssertEqual(stat(input, &after), 0)
        XCTAssertEqual(
            [after.st_size, Int(after.st_ino), after.st_mtim.tv_sec, after.st_mtim.tv_nsec],
            [before.st_size, Int(before.st_ino), before.st_mtim.tv_sec, before.st_mtim.tv_nsec], "the rewrite kept size, inode and mtime")

        let changed = try tally(["run", "p.playbook", "--store", "x.sqlite", "--no-color"], in: folder)
        XCTAssertEqual(changed.exit, 0, changed.out)
        XCTAssertTrue(changed.out.contains("1 run — 1 passed, 0 failed"), changed.out)
        XCTAssertNotEqual(statuses(changed.out).first, "cached", changed.out)
        // The ledger has the SHA-256 of the file as it is now, not as it was.
        let newSHA = Fingerprint.sha256(HostileCacheTests.passing), oldSHA = Fingerprint.sha256(HostileCacheTests.failing)
        let shown = try tally(["runs", "show", "3", "--store", "x.sqlite"], in: folder)
        XCTAssertTrue(shown.out.contains(newSHA), shown.out)
        XCTAssertFalse(shown.out.contains(oldSHA), shown.out)
        // And a rerun of the unchanged new file still comes from the cache, with that SHA.
        let again = try tally(["run", "p.playbook", "--store", "x.sqlite", "--no-color"], in: folder)
        XCTAssertEqual(again.exit, 0)
        XCTAssertEqual(statuses(again.out), ["cached", "cached", "cached"], again.out)
        XCTAssertTrue(try tally(["runs", "show", "4", "--store", "x.sqlite"], in: folder).out.contains(newSHA))
    }

    // MARK: 5. A damaged entry

    /// The entry file (`KEY.cell`) of the cell that made `table`, in the cache folder.
    func entryFile(making table: String, in cache: String) throws -> String {
        let names = try FileManager.default.contentsOfDirectory(atPath: cache).filter { $0.hasSuffix(".cell") }
        let matches = names.filter {
            (try? String(contentsOfFile: cache + "/" + $0, encoding: .utf8))?.contains("\"table\":\"\(table)\"") == true
        }
        XCTAssertEqual(matches.count, 1, "one entry makes \(table): \(names)")
        return cache + "/" + (matches.first ?? "")
    }

    func testADamagedEntryIsRecomputedNeverShown() throws {
        let scratch = try scratchWithPlaybook()
        let folder = scratch.url.path
        let cache = scratch.path("x.sqlite.cache")
        let first = try tally(["run", "p.playbook", "--store", "x.sqlite", "--no-color"], in: folder)
        XCTAssertEqual(first.exit, 1)
        XCTAssertTrue(first.out.contains("→ fours: 1 row"), first.out)
        let entry = try entryFile(making: "fours", in: cache)
        let original = try String(contentsOfFile: entry, encoding: .utf8)
        XCTAssertTrue(original.contains("\"rowsOut\":1"), original)

        // One digit changed, the JSON still valid.
        try original.replacingOccurrences(of: "\"rowsOut\":1", with: "\"rowsOut\":7").write(
            toFile: entry, atomically: false, encoding: .utf8)
        let flipped = try tally(["run", "p.playbook", "--store", "x.sqlite", "--no-color"], in: folder)
        XCTAssertEqual(flipped.exit, 1, flipped.out + flipped.err)
        XCTAssertTrue(flipped.out.contains("→ fours: 1 row"), flipped.out)
        XCTAssertFalse(flipped.out.contains("7 rows"), flipped.out)
        XCTAssertEqual(statuses(flipped.out), ["cached", "ran", "cached"], "the damaged cell ran again: \(flipped.out)")
        let replaced = try String(contentsOfFile: entry, encoding: .utf8)
        XCTAssertTrue(replaced.contains("\"rowsOut\":1") && !replaced.contains("\"rowsOut\":7"), "the entry was replaced: \(replaced)")
        XCTAssertNotNil(
            CellCache.unseal(Data(replaced.utf8), key: ((entry as NSString).lastPathComponent as NSString).deletingPathExtension))

        // Cut short, and not JSON at all: recomputed the same way.
        for damage in [String(original.prefix(original.count / 2)), "{\"cell\": not json"] {
            try damage.write(toFile: entry, atomically: false, encoding: .utf8)
            let run = try tally(["run", "p.playbook", "--store", "x.sqlite", "--no-color"], in: folder)
            XCTAssertEqual(run.exit, 1, run.out + run.err)
            XCTAssertTrue(run.out.contains("→ fours: 1 row"), run.out)
            XCTAssertTrue(try String(contentsOfFile: entry, encoding: .utf8).contains("\"rowsOut\":1"))
        }

        // A byte of a cached table changed (the SSID of its row), then a cell that needs the table
        // runs: the run starts again, recomputes the table, shows the right row, never stops.
        let table = String(entry.dropLast(".cell".count)) + ".table"
        let tableBytes = try Data(contentsOf: URL(fileURLWithPath: table))
        var damaged = tableBytes
        guard let at = damaged.range(of: Data("1000000002".utf8))?.lowerBound else { return XCTFail("the SSID is in the table") }
        damaged[at + 9] = UInt8(ascii: "7")
        try damaged.write(to: URL(fileURLWithPath: table))
        try scratch.write("p.playbook", HostileCacheTests.playbook + "\nshow fours\n")
        let shown = try tally(["run", "p.playbook", "--store", "x.sqlite", "--no-color"], in: folder)
        XCTAssertEqual(shown.exit, 1, shown.out + shown.err)
        XCTAssertTrue(shown.out.contains("1000000002"), shown.out)
        XCTAssertFalse(shown.out.contains("1000000007"), shown.out)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: table)), tableBytes, "the table was written again as it was")
        // And every later run is as before: nothing stays broken.
        let later = try tally(["run", "p.playbook", "--store", "x.sqlite", "--no-color"], in: folder)
        XCTAssertEqual(later.exit, 1)
        XCTAssertEqual(statuses(later.out), ["cached", "cached", "cached", "cached"], later.out)
    }

    // MARK: 6. Folders Tally did not make

    /// Every file and folder under `root`: its bytes (nil for a folder) and permissions.
    func snapshot(_ root: String) throws -> [String: String] {
        var out: [String: String] = [:]
        let fm = FileManager.default
        for path in [""] + (fm.subpaths(atPath: root) ?? []).sorted() {
            let full = path.isEmpty ? root : root + "/" + path
            let attributes = try fm.attributesOfItem(atPath: full)
            let mode = String((attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1, radix: 8)
            let isFolder = attributes[.type] as? FileAttributeType == .typeDirectory
            out[path] = mode + " " + (isFolder ? "folder" : Fingerprint.sha256([UInt8](try Data(contentsOf: URL(fileURLWithPath: full)))))
        }
        return out
    }

    func makeUserFolder(_ scratch: Scratch, _ name: String) throws -> String {
        try scratch.write(name + "/notes.txt", "my notes\n")
        try scratch.write(name + "/old/2024.csv", "SSID\n1\n")
        try scratch.write(name + "/" + String(repeating: "a", count: 64) + ".cell", "mine too\n")
        let root = scratch.path(name)
        chmod(root, 0o755)
        chmod(root + "/notes.txt", 0o644)
        return root
    }

    func testAUsersCacheFolderBesideTheStoreSurvivesRunsAndClear() throws {
        let scratch = try scratchWithPlaybook()
        let folder = scratch.url.path
        try FileManager.default.createDirectory(atPath: scratch.path("d"), withIntermediateDirectories: true)
        let plain = try makeUserFolder(scratch, "d/cache")
        let before = try snapshot(plain)
        for _ in 0..<2 { XCTAssertEqual(try tally(["run", "p.playbook", "--store", "d/x.sqlite", "--no-color"], in: folder).exit, 1) }
        let cleared = try tally(["cache", "clear", "--store", "d/x.sqlite"], in: folder)
        XCTAssertEqual(cleared.exit, 0, cleared.err)
        XCTAssertTrue(cleared.out.contains("d/x.sqlite.cache"), cleared.out)
        XCTAssertEqual(try snapshot(plain), before, "the user's cache/ folder, byte for byte and mode for mode")
        XCTAssertTrue(CellCache.isMarked(scratch.path("d/x.sqlite.cache")))

        // A folder of theirs where Tally's cache would go: never used, never emptied.
        let scratch2 = try scratchWithPlaybook()
        let theirs = try makeUserFolder(scratch2, "x.sqlite.cache")
        let theirsBefore = try snapshot(theirs)
        for _ in 0..<2 {
            let run = try tally(["run", "p.playbook", "--store", "x.sqlite", "--no-color"], in: scratch2.url.path)
            XCTAssertEqual(run.exit, 1)
            XCTAssertEqual(run.err.split(separator: "\n").filter { $0.hasPrefix("note: ") }.count, 1, run.err)
            XCTAssertTrue(run.err.contains("x.sqlite.cache is not a folder Tally made"), run.err)
            XCTAssertFalse(statuses(run.out).contains("cached"), "the cache is off: \(run.out)")
        }
        let refused = try tally(["cache", "clear", "--store", "x.sqlite"], in: scratch2.url.path)
        XCTAssertEqual(refused.exit, 0)
        XCTAssertTrue(refused.out.hasPrefix("nothing cleared"), refused.out)
        XCTAssertEqual(try snapshot(theirs), theirsBefore)
    }

    func testClearRemovesOnlyTheEntriesTallyWrote() throws {
        let scratch = try scratchWithPlaybook()
        let folder = scratch.url.path
        XCTAssertEqual(try tally(["run", "p.playbook", "--store", "x.sqlite"], in: folder).exit, 1)
        let cache = scratch.path("x.sqlite.cache")
        XCTAssertGreaterThan(CellCache.usage(folder: cache).entries, 2)
        try scratch.write("x.sqlite.cache/stray.txt", "put here by hand\n")
        try scratch.write("x.sqlite.cache/report.cell", "not named as Tally names entries\n")
        try FileManager.default.createDirectory(
            atPath: cache + "/" + String(repeating: "b", count: 64) + ".table", withIntermediateDirectories: true)
        let cleared = try tally(["cache", "clear", "--store", "x.sqlite"], in: folder)
        XCTAssertEqual(cleared.exit, 0, cleared.err)
        XCTAssertEqual(CellCache.usage(folder: cache).entries, 0)
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: cache))
        XCTAssertEqual(left, [".gitignore", "TALLY-CACHE", "stray.txt", "report.cell", String(repeating: "b", count: 64) + ".table"])
        XCTAssertEqual(scratch.read("x.sqlite.cache/stray.txt"), "put here by hand\n")
        // The cache still works afterwards.
        let run = try tally(["run", "p.playbook", "--store", "x.sqlite", "--no-color"], in: folder)
        XCTAssertEqual(run.exit, 1)
        XCTAssertFalse(statuses(run.out).contains("cached"))
    }

    /// The default store's `.tally/cache/`, as an earlier Tally left it (no marker): Tally's
    /// `.gitignore` and entry files only, so it is Tally's and is used (its old entries removed);
    /// one more file and it is not.
    func testAnEarlierTallysCacheIsKeptOnlyWhenEverythingInItIsTallys() throws {
        let scratch = try scratchWithPlaybook()
        let folder = scratch.url.path
        try scratch.write(".tally/cache/.gitignore", CellCache.gitignoreText)
        try scratch.write(".tally/cache/" + String(repeating: "c", count: 64) + ".cell", "{}")
        XCTAssertNil(CellCache.refusal(folder: scratch.path(".tally/cache")))
        let run = try tally(["run", "p.playbook", "--no-color"], in: folder)
        XCTAssertEqual(run.exit, 1)
        XCTAssertEqual(run.err, "")
        XCTAssertTrue(CellCache.isMarked(scratch.path(".tally/cache")))
        XCTAssertFalse(
            FileManager.default.fileExists(atPath: scratch.path(".tally/cache/" + String(repeating: "c", count: 64) + ".cell")),
            "its entries, of a format no longer read, are gone")
        XCTAssertEqual(statuses(try tally(["run", "p.playbook", "--no-color"], in: folder).out), ["cached", "cached", "cached"])

        let other = try scratchWithPlaybook()
        try other.write(".tally/cache/.gitignore", CellCache.gitignoreText)
        try other.write(".tally/cache/mine.txt", "mine\n")
        XCTAssertNotNil(CellCache.refusal(folder: other.path(".tally/cache")))
        let refused = try tally(["run", "p.playbook", "--no-color"], in: other.url.path)
        XCTAssertEqual(refused.exit, 1)
        XCTAssertTrue(refused.err.hasPrefix("note: "), refused.err)
        XCTAssertFalse(CellCache.isMarked(other.path(".tally/cache")))
    }

    func testTheCacheFolderIsNamedForItsStore() {
        XCTAssertEqual(CellCache.folder(forStore: "/d/x.sqlite"), "/d/x.sqlite.cache")
        XCTAssertEqual(CellCache.folder(forStore: "x.sqlite"), "x.sqlite.cache")
        XCTAssertEqual(CellCache.folder(forStore: "/w/.tally/tally.sqlite"), "/w/.tally/cache")
        XCTAssertEqual(CellCache.folder(forStore: "/w/tally.sqlite"), "/w/tally.sqlite.cache")
    }

    // MARK: What each cell reads

    /// Every step that names another table declares it (the switches in `Interpreter.reads` have
    /// no `default`, so the compiler makes a new step say what it reads; this checks what they say).
    func testEveryStatementDeclaresTheTablesItReads() throws {
        let cases: [(String, Set<String>)] = [
            ("a = t | join left u on SSID", ["t", "u"]),
            ("a = t | union u", ["t", "u"]),
            ("a = t | validate calpads SENR with u", ["t", "u"]),
            ("a = t | locate in u", ["t", "u"]),
            ("a = t | annotate with u", ["t", "u"]),
            ("a = t | filter n > max(u.n)", ["t", "u"]),
            ("assert count(u) == 0", ["u"]),
            ("assert t is valid calpads SENR with u", ["t", "u"]),
            ("assert t: n < sum(u.n)", ["t", "u"]),
            ("show t where n > min(u.n)", ["t", "u"]),
            ("export t to \"out.csv\"", ["t"]),
            ("track t", ["t"]),
        ]
        for (source, tables) in cases {
            let playbook = try Parser.parse(source: source, file: "t.playbook")
            guard let node = playbook.statements.first else { XCTFail(source); continue }
            XCTAssertTrue(tables.isSubset(of: Set(Interpreter.reads(node))), "\(source): \(Interpreter.reads(node))")
        }
    }
}
