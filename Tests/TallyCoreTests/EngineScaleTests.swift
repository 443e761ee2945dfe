import Foundation
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// The cell cache at a district's scale, on small files shaped like one (issue #27, item 4):
/// a large dictionary is written once to the cache however many cached tables hold it, tables
/// read back share it again, a damaged one is recomputed and never shown, and a first run with
/// the cache reads and hashes each input once. (Its cost on a 1M-student district is measured by
/// hand: bench/cache.py, docs/PERFORMANCE.md.)
final class EngineScaleTests: XCTestCase {
    static let playbook = """
        load sis from "sis.csv"
        load names from "names.csv"
        fours = sis | filter Grade == "04"
        named = fours | join inner names on SSID
        export named to "out/named.csv"
        """
    static let rows = 6000

    /// SSIDs, local IDs and names all distinct (as a real district's are): more values than
    /// `DictionaryShelf.minimumValues`, so each is a shelf dictionary.
    func setUp(_ scratch: Scratch) throws {
        try scratch.write("p.playbook", EngineScaleTests.playbook)
        var sis = "SSID,LocalID,Grade\n", names = "SSID,Name\n"
        for i in 0..<EngineScaleTests.rows {
            sis += "\(1_000_000_000 + i),L\(700_000 + i * 7),\(i % 2 == 0 ? "04" : "03")\n"
            names += "\(1_000_000_000 + i),Name-\(i)\n"
        }
        try scratch.write("sis.csv", sis)
        try scratch.write("names.csv", names)
    }

    func run(_ scratch: Scratch, cache: Bool = true) -> RunRecord {
        var options = scratch.options
        options.storePath = scratch.path(".tally/tally.sqlite")
        options.cacheFolder = cache ? CellCache.folder(forStore: options.storePath ?? "") : nil
        return Runner.run(path: scratch.path("p.playbook"), options: options)
    }

    func files(_ folder: String, _ suffix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(suffix) }.sorted()
    }

    /// How many of the cache's files hold `text`.
    func filesHolding(_ text: String, in folder: String) throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter { name in
            (try? Data(contentsOf: URL(fileURLWithPath: folder + "/" + name)))?.range(of: Data(text.utf8)) != nil
        }.count
    }

    func testALargeDictionaryIsCachedOnceAndTablesReadBackAsTheyWere() throws {
        let scratch = try Scratch()
        try setUp(scratch)
        let plain = run(scratch, cache: false)
        XCTAssertEqual(plain.exitStatus, 0, "\(plain.errors)")
        let expected = try XCTUnwrap(scratch.read("out/named.csv"))
        XCTAssertEqual(expected.split(separator: "\n").count, EngineScaleTests.rows / 2 + 1)

        let first = run(scratch)
        XCTAssertEqual(first.exitStatus, 0)
        let cache = CellCache.folder(forStore: scratch.path(".tally/tally.sqlite"))
        // sis's SSIDs and local IDs, names' SSIDs and names, each in one file though sis, fours
        // and named all hold sis's: three files, as the two SSID dictionaries hold the same values
        // in the same order (the same bytes, so the same file).
        XCTAssertEqual(try files(cache, ".dict").count, 3, "\((try? files(cache, "")) ?? [])")
        XCTAssertEqual(try filesHolding("Name-4321", in: cache), 1)
        XCTAssertEqual(try filesHolding("L730247", in: cache), 1)
        for name in try files(cache, ".dict") { XCTAssertTrue(CellCache.isEntryName(name), name) }
        XCTAssertTrue(CellCache.isEntryName("dict.partial-123-4567"))
        for name in ["dict.partial-", "dict.partial-notes.txt", "dict.partial-1-2-3", String(repeating: "a", count: 64) + ".dict.txt"] {
            XCTAssertFalse(CellCache.isEntryName(name), name)
        }

        // The export moved: `named` comes back from the cache and writes the same file.
        try scratch.write("p.playbook", EngineScaleTests.playbook.replacingOccurrences(of: "out/named.csv", with: "out/again.csv"))
        let again = run(scratch)
        XCTAssertEqual(again.exitStatus, 0, "\(again.errors)")
        XCTAssertEqual(again.cells.map(\.status), [.cached, .cached, .cached, .cached, .ran])
        XCTAssertEqual(scratch.read("out/again.csv"), expected)
        XCTAssertEqual(try files(cache, ".dict").count, 3)
        XCTAssertGreaterThan(try CellCache.clear(folder: cache), 0)
        XCTAssertEqual(try files(cache, ".dict"), [], "clear removes the dictionaries")
    }

    func testADamagedDictionaryIsRecomputedNeverShown() throws {
        let scratch = try Scratch()
        try setUp(scratch)
        XCTAssertEqual(run(scratch).exitStatus, 0)
        let expected = try XCTUnwrap(scratch.read("out/named.csv"))
        let cache = CellCache.folder(forStore: scratch.path(".tally/tally.sqlite"))
        let holding = try XCTUnwrap(
            try files(cache, ".dict").first { name in
                (try? Data(contentsOf: URL(fileURLWithPath: cache + "/" + name)))?.range(of: Data("Name-4320".utf8)) != nil
            })
        let original = try Data(contentsOf: URL(fileURLWithPath: cache + "/" + holding))
        var damaged = original
        let at = try XCTUnwrap(damaged.range(of: Data("Name-4320".utf8))?.lowerBound)
        damaged[at + 8] = UInt8(ascii: "7")
        try damaged.write(to: URL(fileURLWithPath: cache + "/" + holding))

        try scratch.write("p.playbook", EngineScaleTests.playbook.replacingOccurrences(of: "out/named.csv", with: "out/again.csv"))
        let rerun = run(scratch)
        XCTAssertEqual(rerun.exitStatus, 0, "\(rerun.errors)")
        XCTAssertEqual(scratch.read("out/again.csv"), expected, "the names as they are in names.csv")
        // (Name-4320 is in the export, Name-4327 is not: an odd row, grade 03.)
        XCTAssertTrue(expected.contains("Name-4320\n"))
        XCTAssertFalse(scratch.read("out/again.csv")?.contains("Name-4327") ?? true)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: cache + "/" + holding)), original, "written again as it was")
        let later = run(scratch)
        XCTAssertEqual(later.exitStatus, 0)
        XCTAssertEqual(later.cells.map(\.status), [.cached, .cached, .cached, .cached, .cached])
    }

    /// Eviction removes the dictionaries no remaining entry names, and never one that an entry
    /// still names.
    func testEvictionKeepsExactlyTheDictionariesEntriesName() throws {
        let scratch = try Scratch()
        try setUp(scratch)
        XCTAssertEqual(run(scratch).exitStatus, 0)
        let cache = CellCache.folder(forStore: scratch.path(".tally/tally.sqlite"))
        let full = CellCache.usage(folder: cache).bytes
        // Other names for the rows: a new dictionary (6,000 bytes longer); a limit of about one run
        // evicts the first run's.
        var names = "SSID,Name\n"
        for i in 0..<EngineScaleTests.rows { names += "\(1_000_000_000 + i),Other-\(i)\n" }
        try scratch.write("names.csv", names)
        var options = scratch.options
        options.storePath = scratch.path(".tally/tally.sqlite")
        options.cacheFolder = cache
        options.cacheLimitBytes = full + 10_000
        XCTAssertEqual(Runner.run(path: scratch.path("p.playbook"), options: options).exitStatus, 0)
        var named = Set<String>()
        for file in try files(cache, ".cell") {
            let key = String(file.dropLast(".cell".count))
            let data = try Data(contentsOf: URL(fileURLWithPath: cache + "/" + file))
            let entry = try JSONDecoder().decode(CellCache.Entry.self, from: try XCTUnwrap(CellCache.unseal(data, key: key)))
            named.formUnion(entry.dictionaries ?? [])
        }
        XCTAssertEqual(Set(try files(cache, ".dict")), named, "every dictionary left is named, every one named is left")
        XCTAssertFalse(
            try files(cache, ".dict").contains { name in
                (try? Data(contentsOf: URL(fileURLWithPath: cache + "/" + name)))?.range(of: Data("Name-4320".utf8)) != nil
            }, "the first run's names went with its entries")
        XCTAssertLessThanOrEqual(CellCache.usage(folder: cache).bytes, full + 10_000)
        // And what is left still restores.
        XCTAssertEqual(run(scratch).cells.map(\.status), [.cached, .cached, .cached, .cached, .cached])
    }

    /// Two tables holding one dictionary write it once; read back, they hold one dictionary again.
    func testTablesThatShareADictionaryShareItWhenReadBack() throws {
        let scratch = try Scratch()
        let values = (0..<5000).map { "ID-\($0 * 13)" }
        let dictionary = TextDictionary(distinct: values)
        let all = Table(
            names: ["ID"], columns: [Column(data: .text(codes: (0..<5000).map { Int32($0) }, dictionary: dictionary), validity: nil)],
            provenance: .none(count: 5000))
        let some = all.gather((0..<2500).map { Int32($0 * 2) })
        let shelf = DictionaryShelf(folder: scratch.url.path)
        let a = try XCTUnwrap(all.writeBinary(to: scratch.path("a"), shelf: shelf))
        let b = try XCTUnwrap(some.writeBinary(to: scratch.path("b"), shelf: shelf))
        XCTAssertEqual(a.dictionaries.count, 1)
        XCTAssertEqual(a.dictionaries, b.dictionaries)
        XCTAssertEqual(try files(scratch.url.path, ".dict"), a.dictionaries)

        let reader = DictionaryShelf(folder: scratch.url.path)
        let backA = try XCTUnwrap(Table.readBinary(from: scratch.path("a"), sha256: a.sha256, shelf: reader))
        let backB = try XCTUnwrap(Table.readBinary(from: scratch.path("b"), sha256: b.sha256, shelf: reader))
        guard case .text(_, let da) = backA.columns[0].data, case .text(let codes, let db) = backB.columns[0].data else {
            return XCTFail("text")
        }
        XCTAssertTrue(da === db, "one dictionary for both tables")
        XCTAssertEqual(da.values, values)
        XCTAssertEqual(codes.prefix(3).map { db[$0] }, ["ID-0", "ID-26", "ID-52"])
        // Without the shelf, or asked for another size, the dictionary is not taken.
        XCTAssertNil(Table.readBinary(from: scratch.path("a"), sha256: a.sha256))
        XCTAssertNil(DictionaryShelf(folder: scratch.url.path).dictionary(named: a.dictionaries[0], count: 4999))
        // A small dictionary stays inside its table.
        let small = Table(
            names: ["G"],
            columns: [Column(data: .text(codes: [0, 1, 0], dictionary: TextDictionary(values: ["03", "04"])), validity: nil)],
            provenance: .none(count: 3))
        XCTAssertEqual(small.writeBinary(to: scratch.path("c"), shelf: shelf)?.dictionaries, [])
    }

    /// The cache hashes an input to look up its load; on a miss the load parses those bytes.
    func testAnInputHashedForTheCacheIsReadOnce() throws {
        let scratch = try Scratch()
        try setUp(scratch)
        let cache = try CellCache(folder: scratch.path("c"))
        // (The index knows neither file yet: each is read and hashed.)
        let sha = try XCTUnwrap(cache.inputSHA256(scratch.path("sis.csv")))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: scratch.path("sis.csv")))
        XCTAssertEqual(sha, Fingerprint.sha256([UInt8](bytes)))
        let ahead = try XCTUnwrap(cache.takeReadAhead(scratch.path("sis.csv")))
        XCTAssertEqual(ahead.bytes.array, [UInt8](bytes))
        XCTAssertEqual(ahead.sha256, sha)
        XCTAssertNil(cache.takeReadAhead(scratch.path("sis.csv")), "handed over once")
        _ = cache.inputSHA256(scratch.path("names.csv"))
        XCTAssertNil(cache.takeReadAhead(scratch.path("sis.csv")), "only the file it read last")
        // And the ledger of a first run with the cache has each input's SHA-256.
        let record = run(scratch)
        XCTAssertEqual(record.exitStatus, 0)
        let store = try QAStore(path: scratch.path(".tally/tally.sqlite"))
        let id = try XCTUnwrap(record.runId)
        let inputs = try XCTUnwrap(try store.run(id)).inputs
        XCTAssertEqual(
            Set(inputs.map(\.sha256)),
            [sha, Fingerprint.sha256([UInt8](try Data(contentsOf: URL(fileURLWithPath: scratch.path("names.csv")))))])
    }
}
