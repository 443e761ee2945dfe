import Foundation
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// `tally --version` names the version and the commit built from (scripts/release.sh bakes the
/// commit in; a development build says "unknown commit"), and every run records that same
/// string: in the ledger, in `tally runs show`, and in the report's appendix.
final class VersionTests: XCTestCase {
    /// "0.1.0 (commit 69eda6c)", "0.1.0 (commit 69eda6c-dirty)" or "0.1.0 (unknown commit)".
    static let form = #"^[0-9]+\.[0-9]+\.[0-9]+ \((commit [0-9a-f]{7,40}(-dirty)?|unknown commit)\)$"#

    func testVersionNamesTheCommitOrSaysItIsUnknown() throws {
        let scratch = try Scratch()
        let result = try ReliabilityTests.tally(["--version"], in: scratch.url.path)
        XCTAssertEqual(result.exit, 0, result.output)
        let printed = result.output.trimmingCharacters(in: .newlines)
        XCTAssertNotNil(printed.range(of: VersionTests.form, options: .regularExpression), "tally --version printed \"\(printed)\"")
        XCTAssertEqual(printed, TallyVersion.string, "the binary and the library it was built with disagree")
        XCTAssertTrue(printed.hasPrefix(TallyVersion.number + " ("), printed)
    }

    func testARunRecordsTheSameVersionInTheLedgerAndTheReport() throws {
        let scratch = try Scratch()
        let version = try ReliabilityTests.tally(["--version"], in: scratch.url.path).output.trimmingCharacters(in: .newlines)
        try scratch.write("students.csv", "SSID,School\n1000000001,6000001\n1000000002,6000001\n")
        try scratch.write(
            "v.playbook",
            """
            playbook "Version check"
            load students from "students.csv"
            assert count(students) == 2
            """)
        let run = try ReliabilityTests.tally(["run", "v.playbook", "--report", "qa"], in: scratch.url.path)
        XCTAssertEqual(run.exit, 0, run.output)

        let store = try QAStore(path: scratch.path(".tally/tally.sqlite"))
        let id = try XCTUnwrap(try store.runs().first?.id, "the run is not in the ledger")
        XCTAssertEqual(try XCTUnwrap(store.run(id)).toolVersion, version)

        let show = try ReliabilityTests.tally(["runs", "show", String(id)], in: scratch.url.path)
        XCTAssertTrue(show.output.contains("tally \(version), by "), show.output)
        XCTAssertTrue(try XCTUnwrap(scratch.read("qa/report.md")).contains("| Tally version | \(version) |"), "report.md's appendix")
        let html = try XCTUnwrap(scratch.read("qa/report.html"))
        XCTAssertTrue(html.contains("<td>Tally version</td><td>\(version)</td>"), "report.html's appendix")
        XCTAssertTrue(html.contains("Made by Tally \(version)."), "report.html's footer")

        // A report rendered again from the store says which Tally made the run.
        let again = try ReliabilityTests.tally(["report", String(id), "--out", "again"], in: scratch.url.path)
        XCTAssertEqual(again.exit, 0, again.output)
        XCTAssertTrue(try XCTUnwrap(scratch.read("again/report.md")).contains("| Tally version | \(version) |"), again.output)
    }
}
