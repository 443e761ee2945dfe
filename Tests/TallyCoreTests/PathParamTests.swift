import Foundation
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// A `path` parameter given on the command line is relative to where the command runs; its
/// default, to the playbook's folder. Text parameters still refuse / and .. in paths.
final class PathParamTests: XCTestCase {
    func testPathParametersResolveAgainstTheRightFolder() throws {
        let scratch = try Scratch()
        try scratch.write("pb/data/s.csv", "SSID,G\n1000000001,03\n")
        try scratch.write("other/s.csv", "SSID,G\n1000000001,03\n1000000002,04\n")
        try scratch.write("pb/p.playbook", "param data: path = \"data\"\nparam lea: text = \"a\"\nload s from \"{data}/s.csv\"\n")
        var options = scratch.options // the command runs in the scratch folder
        let byDefault = Runner.run(path: scratch.path("pb/p.playbook"), options: options)
        XCTAssertEqual(byDefault.inputs.first?.rows, 1, "\(byDefault.errors)")
        XCTAssertEqual(byDefault.inputs.first?.path, "pb/data/s.csv")
        options.params = ["data": "other"]
        let given = Runner.run(path: scratch.path("pb/p.playbook"), options: options)
        XCTAssertEqual(given.inputs.first?.rows, 2, "\(given.errors)")
        XCTAssertEqual(given.inputs.first?.path, "other/s.csv")
        // A text parameter with a / is still refused, and the error says to declare a path.
        try scratch.write("pb/q.playbook", "param lea: text = \"a\"\nload s from \"{lea}/s.csv\"\n")
        options.params = ["lea": "../other"]
        let refused = Runner.run(path: scratch.path("pb/q.playbook"), options: options)
        XCTAssertEqual(refused.exitStatus, 2)
        XCTAssertEqual(refused.errors.first?.help, "to let it name a folder, declare it as a path: param lea: path = \"data/2025\"")
    }
}

/// `load T from "folder/*.csv"`: many files, one table; the ledger, `tally verify` and the cell
/// cache see the set of files.
final class ManyFilesTests: XCTestCase {
    func testAFolderOfExtractsLoadsVerifiesAndCaches() throws {
        let scratch = try Scratch()
        for day in 1...30 {
            try scratch.write(
                String(format: "extracts/sis_2024-10-%02d.csv", day), "SSID,Grade\n\(1_000_000_000 + day),03\n1000000999,04\n")
        }
        try scratch.write("p.playbook", "load daily from \"extracts/sis_*.csv\"\ncounts = daily | aggregate n = count() by source_file\n")
        var options = scratch.options
        options.storePath = scratch.path(".tally/tally.sqlite")
        options.cacheFolder = CellCache.folder(forStore: scratch.path(".tally/tally.sqlite"))
        let first = Runner.run(path: scratch.path("p.playbook"), options: options)
        XCTAssertEqual(first.exitStatus, 0, "\(first.errors)")
        XCTAssertEqual(first.inputs.first?.rows, 60)
        XCTAssertEqual(first.cells.first { $0.table == "counts" }?.rowsOut, 30)
        let store = try QAStore(path: scratch.path(".tally/tally.sqlite"))
        let id = try XCTUnwrap(first.runId)
        XCTAssertEqual(try store.verify(id).map(\.status), [.unchanged])
        XCTAssertEqual(Runner.run(path: scratch.path("p.playbook"), options: options).cells.first?.status, .cached)
        // A 31st day: the set changed, so verify says so and the load runs again.
        try scratch.write("extracts/sis_2024-10-31.csv", "SSID,Grade\n1000000031,03\n")
        XCTAssertEqual(try store.verify(id).map(\.status), [.changed])
        let again = Runner.run(path: scratch.path("p.playbook"), options: options)
        XCTAssertEqual(again.cells.first?.status, .ran)
        XCTAssertEqual(again.inputs.first?.rows, 61)
    }
}
