import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// A table of playbooks and the first error `tally check` must give for each.
final class ErrorMessageTests: XCTestCase {
    static let students = """
        SSID,LocalID,SchoolCode,GradeLevelCode,EntryDate,Score
        1000012345,0123456,0112345,KN,2024-08-14,12
        1000012346,0123457,0112345,01,2024-08-14,
        """

    let cases: [(playbook: String, expected: String, help: String?)] = [
        (
            "load s from \"s.csv\"\nx = s | filter GradeLevel == \"KN\"",
            "t.playbook:2:16: error: table \"s\" has no column \"GradeLevel\"", "did you mean \"GradeLevelCode\"?"
        ),
        (
            "load s from \"s.csv\"\nx = s | filter Score == \"10\"",
            "t.playbook:2:16: error: cannot compare integer with text", nil
        ),
        (
            "load s from \"s.csv\"\nx = s | filter SSID == 1000012345",
            "t.playbook:2:16: error: cannot compare text with integer", "codes and IDs are text: write the value in quotes, e.g. \"10\""
        ),
        (
            "load s from \"s.csv\"\nload n from \"s.csv\" with columns (SSID: integer)\nx = s | join n on SSID",
            "t.playbook:3:19: error: join keys have different types: s.SSID is text, n.SSID is integer", nil
        ),
        ("load s from \"s.csv\"\nx = s | join t on SSID", "t.playbook:2:14: error: unknown table \"t\"", nil),
        ("load s from \"s.csv\"\nx = s | aggregate n = total(Score)", "t.playbook:2:23: error: unknown aggregate function \"total\"", nil),
        ("load s from \"s.csv\"\nx = s | aggregate n = sum(SSID)", "t.playbook:2:27: error: sum needs numbers; this is text", nil),
        (
            "load s from \"s.csv\"\nx = s | filter Score", "t.playbook:2:16: error: a filter needs a true/false condition; this is integer",
            nil
        ),
        (
            "load s from \"s.csv\"\nx = s | filter EntryDate > \"2024-01-01\"", "t.playbook:2:16: error: cannot compare date with text",
            "write a date as @2025-10-01"
        ),
        ("load s from \"s.csv\"\nload s from \"s.csv\"", "t.playbook:2:6: error: table \"s\" is already defined on line 1", nil),
        ("load s from \"s.txt\"", "t.playbook:1:13: error: say how to read \"s.txt\"", nil),
        (
            "load s from \"s.csv\"\nassert s unique by Sid", "t.playbook:2:20: error: table \"s\" has no column \"Sid\"",
            "did you mean \"SSID\"?"
        ),
        ("load s from \"s.csv\"\nassert count(s) > \"3\"", "t.playbook:2:8: error: cannot compare integer with text", nil),
        (
            "load s from \"s.csv\"\nassert sum(s.Scor) > 3", "t.playbook:2:12: error: table \"s\" has no column \"Scor\"",
            "did you mean \"Score\"?"
        ),
        (
            "load s from \"s.csv\"\ny = s | select SSID\nz = s | union y",
            "t.playbook:3:15: error: union needs the same columns: \"y\" lacks LocalID, SchoolCode, GradeLevelCode, EntryDate, Score", nil
        ),
        ("param d: date = \"2024\"", "t.playbook:1:7: error: the default of \"d\" is text, not date", nil),
        ("load s from \"{lea}/s.csv\"", "t.playbook:1:13: error: the path uses {lea}, which is not a parameter", nil),
        (
            "load s from \"s.csv\"\nx = s | derive y = upper(Score)",
            "t.playbook:2:20: error: argument 1 of upper must be text, not integer", "usage: upper(text)"
        ),
        ("load s from \"s.csv\"\nshow s limit 5 rows", "t.playbook:2:16: error: unexpected \"rows\" after the show statement", nil),
        ("lod s from \"s.csv\"", "t.playbook:1:1: error: unknown statement \"lod\"", "did you mean \"load\"?"),
    ]

    func testErrorMessageTable() throws {
        let scratch = try Scratch()
        try scratch.write("s.csv", ErrorMessageTests.students)
        for (index, item) in cases.enumerated() {
            try scratch.write("t.playbook", item.playbook)
            let result = Runner.check(path: scratch.path("t.playbook"), options: scratch.options)
            guard let first = result.diagnostics.first else { XCTFail("case \(index): no error for\n\(item.playbook)"); continue }
            XCTAssertEqual(first.description, item.expected, "case \(index)")
            if let help = item.help { XCTAssertEqual(first.help, help, "case \(index)") }
        }
    }

    func testRunWithErrorsExitsTwoAndWritesNothing() throws {
        let scratch = try Scratch()
        try scratch.write("s.csv", ErrorMessageTests.students)
        try scratch.write("out/kept.csv", "earlier\n")
        try scratch.write(
            "t.playbook",
            """
            load s from "s.csv"
            export s to "out/kept.csv"
            export s to "out/new.csv"
            load bad from "missing.csv"
            """)
        let record = Runner.run(path: scratch.path("t.playbook"), options: scratch.options)
        XCTAssertEqual(record.exitStatus, 2)
        XCTAssertEqual(scratch.read("out/kept.csv"), "earlier\n")
        XCTAssertNil(scratch.read("out/new.csv"))
    }

    func testUnknownAndMissingParametersStopBeforeAnythingRuns() throws {
        let scratch = try Scratch()
        try scratch.write("t.playbook", "param lea: text required\nload s from \"never-read.csv\"")
        var options = scratch.options
        options.params = ["leaa": "1"]
        let record = Runner.run(path: scratch.path("t.playbook"), options: options)
        XCTAssertEqual(record.exitStatus, 2)
        XCTAssertEqual(record.errors.map(\.message), ["parameter \"lea\" is required", "unknown parameter \"leaa\" (given with --param)"])
        XCTAssertTrue(record.cells.isEmpty)
    }
}
