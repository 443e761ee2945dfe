import Foundation
import XCTest

@testable import TallyCore
@testable import TallyModel

/// Issue #28, tried as a new engineer: the `trim` step (Steps/Trim.swift) added through only its
/// file, the registry's line, its golden case and docs, reached by the language server, and
/// masked through like any column; and fill_null tried as an attacker, against the real binary.
final class Tester28Tests: XCTestCase {
    static let students = """
        SSID,LocalID,Status,Score
        " 1000012345",0123456 ,"No ",12
        1000012346 ,"  0123457",No,
        1000012346,0123458,"  Yes",7

        """

    /// The language server offers the new step after `| ` without a list of its own.
    func testCompletionAfterAPipeOffersTrim() throws {
        let scratch = try Scratch()
        _ = try scratch.write("s.csv", Tester28Tests.students)
        let text = "load students from \"s.csv\"\nt = students | \n"
        let session = try LanguageServerTests.Session(folder: scratch.url.path)
        _ = try session.request("initialize", ["rootUri": "file://" + scratch.url.path, "capabilities": [:] as [String: Any]])
        try session.notify("initialized", [:])
        let uri = "file://" + scratch.url.path + "/t.playbook"
        try session.notify("textDocument/didOpen", ["textDocument": ["uri": uri, "languageId": "tally", "version": 1, "text": text]])
        let reply = try session.request(
            "textDocument/completion", ["textDocument": ["uri": uri], "position": ["line": 1, "character": "t = students | ".utf16.count]])
        let labels = ((reply["result"] as? [[String: Any]]) ?? []).compactMap { $0["label"] as? String }
        XCTAssertTrue(labels.contains("trim") && labels.contains("fill_null") && !labels.contains("SSID"), "\(labels)")
    }

    /// `trim` keeps a masked column masked: trimmed SSIDs show in no output of the run.
    func testTrimmedMaskedColumnsStayMaskedInEveryOutput() throws {
        let scratch = try Scratch()
        _ = try scratch.write("s.csv", Tester28Tests.students)
        _ = try scratch.write(
            "m.playbook",
            """
            load students from "s.csv"
            mask SSID, LocalID
            t = students | trim SSID, LocalID, Status
            show t
            assert t unique by SSID severity warning
            by = t | aggregate n = count() by SSID
            show by

            """)
        let json = try ReliabilityTests.tally(["run", "m.playbook", "--json"], in: scratch.url.path)
        XCTAssertEqual(json.exit, 0, json.output)
        let run = try ReliabilityTests.tally(["run", "m.playbook", "--junit", "junit.xml", "--report", "rep"], in: scratch.url.path)
        XCTAssertEqual(run.exit, 0, run.output)
        XCTAssertTrue(run.output.contains("SSID: 2 values trimmed"), run.output)
        let outputs = [json.output, run.output, scratch.read("junit.xml"), scratch.read("rep/report.html"), scratch.read("rep/report.md")]
        for (index, output) in outputs.enumerated() {
            let output = try XCTUnwrap(output, "output \(index) is missing")
            for value in ["1000012345", "1000012346", "0123457", "0123458"] {
                XCTAssertFalse(output.contains(value), "output \(index) shows \(value)")
            }
        }
    }

    /// A column that is not text, or not there, is an error at its line and column, exit 2.
    func testTrimOfANumberOrAMissingColumnIsAnErrorAtItsColumn() throws {
        let scratch = try Scratch()
        _ = try scratch.write("s.csv", Tester28Tests.students)
        _ = try scratch.write("b.playbook", "load students from \"s.csv\"\nt = students | trim Score\nu = students | trim Nope\n")
        let checked = try ReliabilityTests.tally(["check", "b.playbook"], in: scratch.url.path)
        XCTAssertEqual(checked.exit, 2, checked.output)
        XCTAssertTrue(checked.output.contains("b.playbook:2:21: error: Score is integer; trim works on text columns"), checked.output)
        XCTAssertTrue(checked.output.contains("b.playbook:3:21: error: table \"students\" has no column \"Nope\""), checked.output)
    }
}
