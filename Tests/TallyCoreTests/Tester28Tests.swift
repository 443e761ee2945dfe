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
        // Trimmed, two SSIDs are one: one value, so "appears".
        XCTAssertTrue(run.output.contains("1 SSID value appears more than once (2 rows)"), run.output)
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

/// fill_null tried as an attacker and a careful analyst, against the real binary.
final class Tester28FillNullTests: XCTestCase {
    static let data = """
        SSID,LocalID,Name,Nick,Score
        1000012345,L-777,Annabel,Belle,12
        1000012346,,Bartholomew,,
        1000012347,L-888,,Chaz,7

        """

    func check(_ step: String) throws -> (exit: Int32, output: String) {
        let scratch = try Scratch()
        _ = try scratch.write("s.csv", Tester28FillNullTests.data)
        _ = try scratch.write("f.playbook", "load s from \"s.csv\"\nt = s | \(step)\nshow t\n")
        return try ReliabilityTests.tally(["run", "f.playbook", "--no-store"], in: scratch.url.path)
    }

    /// A column listed twice, and `with null`, fill nothing: errors at their line and column.
    func testTheSameColumnTwiceAndFillingWithNullAreErrors() throws {
        let twice = try check("fill_null Score, Score with 0")
        XCTAssertEqual(twice.exit, 2, twice.output)
        XCTAssertTrue(twice.output.contains("f.playbook:2:26: error: column \"Score\" is listed twice"), twice.output)
        let null = try check("fill_null Score with null")
        XCTAssertEqual(null.exit, 2, null.output)
        XCTAssertTrue(null.output.contains("f.playbook:2:30: error: fill_null with null leaves every null as it is"), null.output)
        let trim = try check("trim Name, Name")
        XCTAssertEqual(trim.exit, 2, trim.output)
        XCTAssertTrue(trim.output.contains("f.playbook:2:20: error: column \"Name\" is listed twice"), trim.output)
    }

    /// A statement cut short is an error just after its last word, not at its line's first column.
    func testEndOfStatementIsPointedAtWhereTheStatementEnds() throws {
        let cut = try check("fill_null Score with")
        XCTAssertEqual(cut.exit, 2, cut.output)
        XCTAssertTrue(
            cut.output.contains("f.playbook:2:29: error: expected a value, column or function, found end of statement"), cut.output)
        let continued = try check("filter Score > 0\n  | fill_null Score with\r")
        XCTAssertEqual(continued.exit, 2, continued.output)
        XCTAssertTrue(continued.output.contains("f.playbook:3:25: error: expected a value"), continued.output)
    }

    /// The cell counts only the nulls really filled: a value null on that row leaves the null.
    func testTheCellSaysWhichNullsAValueThatIsNullLeft() throws {
        let fromNull = try check("fill_null Score with Score * 2")
        XCTAssertEqual(fromNull.exit, 0, fromNull.output)
        XCTAssertTrue(fromNull.output.contains("Score: 0 nulls filled, 1 left null (the value was null there)"), fromNull.output)
        let fromColumn = try check("fill_null Nick with Name")
        XCTAssertTrue(fromColumn.output.contains("Nick: 1 null filled\n"), fromColumn.output)
    }

    /// A text column filled from an integer column: the help does not say to add quotes.
    func testTheHelpForAColumnOfTheWrongTypeIsNotQuotes() throws {
        let wrong = try check("fill_null Name with Score")
        XCTAssertEqual(wrong.exit, 2, wrong.output)
        XCTAssertTrue(wrong.output.contains("f.playbook:2:29: error: Name is text; fill_null cannot put integer in it"), wrong.output)
        XCTAssertTrue(wrong.output.contains("help: give a value of the column's type"), wrong.output)
    }

    /// An unmasked column filled from a masked one is masked, in every output; so is a masked
    /// column filled from an unmasked one, renamed after.
    func testFillingFromAMaskedColumnMasksEveryOutput() throws {
        let scratch = try Scratch()
        _ = try scratch.write("s.csv", Tester28FillNullTests.data)
        _ = try scratch.write(
            "m.playbook",
            """
            load s from "s.csv"
            mask LocalID, Name
            a = s | fill_null Nick with Name
            show a
            counts a by Nick
            profile a columns Nick
            e = a | filter Nick != "Belle"
            assert e is empty severity warning
            b = s | fill_null LocalID with Nick | select LocalID as Who, Score | fill_null Who with "none"
            show b

            """)
        let json = try ReliabilityTests.tally(["run", "m.playbook", "--json"], in: scratch.url.path)
        XCTAssertEqual(json.exit, 0, json.output)
        let run = try ReliabilityTests.tally(["run", "m.playbook", "--junit", "junit.xml", "--report", "rep"], in: scratch.url.path)
        XCTAssertEqual(run.exit, 0, run.output)
        XCTAssertTrue(run.output.contains("Nick: 1 null filled"), run.output)
        let outputs = [json.output, run.output, scratch.read("junit.xml"), scratch.read("rep/report.html"), scratch.read("rep/report.md")]
        for (index, output) in outputs.enumerated() {
            let output = try XCTUnwrap(output, "output \(index) is missing")
            for value in ["Annabel", "Bartholomew", "L-777", "L-888"] {
                XCTAssertFalse(output.contains(value), "output \(index) shows \(value)")
            }
        }
    }
}

/// The enums in the store (issue #28) keep every output's words: `tally report --history` names a
/// check's series "failing rows", as it did when the kind was text, not the case's name.
final class Tester28StoreTests: XCTestCase {
    func testHistorySaysFailingRowsAndTotal() throws {
        let scratch = try Scratch()
        _ = try scratch.write("s.csv", "School,Score\nA,1\nA,2\nB,3\n")
        _ = try scratch.write(
            "h.playbook",
            """
            load s from "s.csv"
            counts = s | aggregate n = count() by School
            big = counts | filter n > 1
            assert big is empty severity warning message "small schools"
            compare counts.n with previous run by School

            """)
        for _ in 0..<2 {
            let run = try ReliabilityTests.tally(["run", "h.playbook"], in: scratch.url.path)
            XCTAssertEqual(run.exit, 0, run.output)
        }
        let history = try ReliabilityTests.tally(["report", "--history", "h.playbook"], in: scratch.url.path)
        XCTAssertEqual(history.exit, 0, history.output)
        XCTAssertTrue(history.output.contains("small schools (failing rows)"), history.output)
        XCTAssertFalse(history.output.contains("failingRows"), history.output)
    }
}
