import Foundation
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// Garbage given as a playbook (a data file run by mistake, fuzzed text, thousands of `||`)
/// costs time linear in its size and answers with exit 2 and a bounded list of diagnostics:
/// at most 50 per file, then "… N more errors in FILE". Every case runs the real `tally`; a
/// case still running after 20 s is a hang (the times themselves are measured by hand: each
/// case here takes well under a second in a release build).
final class HostileGarbageTests: XCTestCase {
    /// Folder of the fuzzed playbooks that once ran past 60 s (found by #filePath, so the tests
    /// never read a folder outside the repository).
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/slow-playbooks")
    static let limit = 20.0

    struct Outcome {
        let exit: Int32
        let output: String
        var errorLines: [Substring] { output.split(separator: "\n").filter { $0.contains(": error: ") } }
    }

    /// Runs `tally ARGUMENTS` in a folder holding `files`; fails the test if it is still running
    /// after `limit` seconds.
    func tally(_ arguments: [String], files: [String: String], file: StaticString = #filePath, line: UInt = #line) throws -> Outcome {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: MatrixTests.tally), "build tally first: swift build")
        let scratch = try Scratch()
        for (name, text) in files { try scratch.write(name, text) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: MatrixTests.tally)
        process.arguments = arguments
        process.currentDirectoryURL = scratch.url
        // Output to a file: a pipe nobody reads while waiting would block a long output.
        let outputPath = scratch.path("output.txt")
        FileManager.default.createFile(atPath: outputPath, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardOutput = handle
        process.standardError = handle
        let started = Date()
        try process.run()
        while process.isRunning, Date().timeIntervalSince(started) < Self.limit { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            XCTFail("tally \(arguments.joined(separator: " ")) still running after \(Self.limit) s", file: file, line: line)
        }
        try handle.close()
        let output = String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: outputPath))) ?? Data(), as: UTF8.self)
        XCTAssertNotEqual(process.terminationReason, .uncaughtSignal, "crashed: \(output.prefix(500))", file: file, line: line)
        return Outcome(exit: process.terminationStatus, output: output)
    }

    /// `tally run p.playbook --no-store` on this text (with a small input.csv beside it).
    func run(_ playbook: String, file: StaticString = #filePath, line: UInt = #line) throws -> Outcome {
        try tally(["run", "p.playbook", "--no-store"], files: ["p.playbook": playbook, "input.csv": "a,b\n1,2\n"], file: file, line: line)
    }

    static let head = "playbook \"garbage\"\nload t from \"input.csv\"\n"

    /// Exit 2, `shown` error lines, and when `more` is not nil the line "… MORE more errors".
    func assertBounded(_ o: Outcome, shown: Int, more: String?, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(o.exit, 2, String(o.output.prefix(800)), file: file, line: line)
        XCTAssertEqual(o.errorLines.count, shown, String(o.output.prefix(800)), file: file, line: line)
        XCTAssertLessThanOrEqual(o.errorLines.count, 51, file: file, line: line)
        let moreLines = o.output.split(separator: "\n").filter { $0.hasPrefix("… ") }
        if let more {
            XCTAssertEqual(moreLines, ["… \(more) more errors in p.playbook"], file: file, line: line)
        } else {
            XCTAssertEqual(moreLines, [], file: file, line: line)
        }
    }

    // MARK: repeated habits

    func testSixThousandChainedOrsAreOneDiagnosticWithACount() throws {
        let o = try run(Self.head + "x = t | filter " + Array(repeating: "a > 0", count: 6_001).joined(separator: " || ") + "\n")
        assertBounded(o, shown: 2, more: nil)
        XCTAssertTrue(o.output.contains("p.playbook:3:22: error: || is written or in a playbook (6,000 times; first here)"), o.output)
        XCTAssertTrue(o.output.contains("help: e.g. Grade == \"KN\" or SSID is not null"))
        // The chain is also past the depth limit (one error at its start, kept from before).
        XCTAssertTrue(o.output.contains("p.playbook:3:16: error: expression too long or nested too deeply"), o.output)
    }

    func testAHundredThousandChainedOrsAnswer() throws {
        let o = try run(Self.head + "x = t | filter " + Array(repeating: "a > 0", count: 100_001).joined(separator: " || ") + "\n")
        assertBounded(o, shown: 2, more: nil)
        XCTAssertTrue(o.output.contains("error: || is written or in a playbook (100,000 times; first here)"), o.output)
    }

    func testAHabitSeenOnceHasNoCount() throws {
        let o = try run(Self.head + "x = t | filter a > 0 && b > 0\n")
        assertBounded(o, shown: 1, more: nil)
        XCTAssertTrue(o.output.contains("p.playbook:3:22: error: && is written and in a playbook\n"), o.output)
    }

    func testStrayCharactersAndHugeNumbersAreCountedPerKind() throws {
        let lines = (0..<1_000).map { "x\($0) = t | filter a > 99999999999999999999 ;; $" }
        let o = try run(Self.head + lines.joined(separator: "\n") + "\n")
        assertBounded(o, shown: 3, more: nil)
        XCTAssertTrue(
            o.output.contains("p.playbook:3:21: error: number 99999999999999999999 is too large (1,000 times; first here)"), o.output)
        XCTAssertTrue(o.output.contains("p.playbook:3:42: error: unexpected character \";\" (2,000 times; first here)"), o.output)
        XCTAssertTrue(o.output.contains("p.playbook:3:45: error: unexpected character \"$\" (1,000 times; first here)"), o.output)
    }

    // MARK: at most 50 per file

    func testAtMostFiftySyntaxErrorsThenHowManyMore() throws {
        let lines = (0..<200).map { "x\($0) = t | derive s = \"unterminated" }
        let text = Self.head + lines.joined(separator: "\n") + "\n"
        let o = try run(text)
        assertBounded(o, shown: 50, more: "150")
        // The first 50 in order, from line 3.
        XCTAssertTrue(o.errorLines.first?.hasPrefix("p.playbook:3:") == true, o.output)
        XCTAssertTrue(o.errorLines.last?.hasPrefix("p.playbook:52:") == true, o.output)
        // tally check counts them all.
        let check = try tally(["check", "p.playbook"], files: ["p.playbook": text, "input.csv": "a,b\n1,2\n"])
        XCTAssertEqual(check.exit, 2)
        XCTAssertEqual(check.errorLines.count, 50)
        XCTAssertTrue(check.output.contains("\n… 150 more errors in p.playbook\n"), check.output)
        XCTAssertTrue(check.output.hasSuffix("200 errors in p.playbook\n"), check.output)
    }

    func testAtMostFiftyCheckerErrorsThenHowManyMore() throws {
        let lines = (0..<120).map { "x\($0) = nope\($0)" }
        let o = try run(Self.head + lines.joined(separator: "\n") + "\n")
        assertBounded(o, shown: 50, more: "70")
        XCTAssertTrue(o.output.contains("p.playbook:3:6: error: unknown table \"nope0\""), o.output)
    }

    func testExactlyFiftyErrorsHaveNoMoreLine() throws {
        let lines = (0..<50).map { "x\($0) = nope\($0)" }
        assertBounded(try run(Self.head + lines.joined(separator: "\n") + "\n"), shown: 50, more: nil)
    }

    func testAHundredThousandTitlesAndManyUnknownTables() throws {
        assertBounded(
            try run(Self.head + Array(repeating: "playbook \"again\"", count: 100_000).joined(separator: "\n") + "\n"),
            shown: 50, more: "99,950")
        // 20,000 tables, then 20,000 pipelines from tables that do not exist.
        let defined = (0..<20_000).map { "t\($0) = t" }, unknown = (0..<20_000).map { "u\($0) = nope\($0)" }
        let o = try run(Self.head + (defined + unknown).joined(separator: "\n") + "\n")
        assertBounded(o, shown: 50, more: "19,950")
    }

    func testTenThousandUnclosedParentheses() throws {
        let one = try run(Self.head + "x = t | filter " + String(repeating: "(", count: 10_000) + "a > 0\n")
        assertBounded(one, shown: 1, more: nil)
        XCTAssertTrue(one.output.contains("p.playbook:3:16: error: this ( is never closed"), one.output)
        let many = try run(Self.head + (0..<10_000).map { "x\($0) = t | filter (" }.joined(separator: "\n") + "\n")
        assertBounded(many, shown: 50, more: "9,950")
    }

    // MARK: deep chains (the depth limit, kept)

    func testAHundredThousandChainedAndsAndPlusesHitTheDepthLimit() throws {
        let ands = try run(Self.head + "x = t | filter " + Array(repeating: "a > 0", count: 100_001).joined(separator: " and ") + "\n")
        assertBounded(ands, shown: 1, more: nil)
        XCTAssertTrue(
            ands.output.contains("p.playbook:3:16: error: expression too long or nested too deeply (more than 1000 levels"), ands.output)
        let pluses = try run(Self.head + "x = t | derive c = " + Array(repeating: "a", count: 100_001).joined(separator: " + ") + "\n")
        assertBounded(pluses, shown: 1, more: nil)
        XCTAssertTrue(pluses.output.contains("p.playbook:3:20: error: expression too long or nested too deeply"), pluses.output)
        let nots = try run(Self.head + "x = t | filter " + String(repeating: "not ", count: 100_000) + "a > 0\n")
        assertBounded(nots, shown: 1, more: nil)
        XCTAssertTrue(nots.output.contains("error: expression nested too deeply"), nots.output)
    }

    // MARK: data files given as playbooks

    /// 400 SENR records of 30 caret-separated fields, as `tally sample` writes them.
    static func senr(_ records: Int) -> String {
        (0..<records).map { k in
            [
                "SENR", "A", "2024-2025", "0112345", "1234567", String(1_000_000_000 + k), "L\(k)", "Smith", "Ana", "", "F", "20100101",
                "05", "20240815", "E1", "", "", "N",
            ].joined(separator: "^") + String(repeating: "^", count: 12)
        }.joined(separator: "\n") + "\n"
    }

    func testASenrFileRunAsAPlaybookIsOneDiagnostic() throws {
        let o = try run(Self.senr(400))
        assertBounded(o, shown: 1, more: nil)
        XCTAssertTrue(
            o.output.contains(
                "p.playbook:1:1: error: this looks like a data file (caret-delimited CALPADS SENR records), not a playbook\n"), o.output)
        XCTAssertTrue(o.output.contains("help: load it from a playbook: load senr from \"p.playbook\" as calpads SENR [T0206]\n"), o.output)
        // The same from tally check, with CR LF line ends and a byte-order mark.
        let crlf = "\u{FEFF}" + Self.senr(3).replacingOccurrences(of: "\n", with: "\r\n")
        let check = try tally(["check", "p.playbook"], files: ["p.playbook": crlf])
        XCTAssertEqual(check.exit, 2)
        XCTAssertEqual(
            check.errorLines, ["p.playbook:1:1: error: this looks like a data file (caret-delimited CALPADS SENR records), not a playbook"])
    }

    func testOtherDataFilesAreNamedByTheirSeparator() throws {
        let csv = "SSID,FirstName,LastName,Grade\n1000012345,Ana,Smith,05\n"
        let o = try run(csv)
        assertBounded(o, shown: 1, more: nil)
        XCTAssertTrue(
            o.output.contains("p.playbook:1:1: error: this looks like a data file (comma-separated values), not a playbook"), o.output)
        XCTAssertTrue(o.output.contains("help: load it from a playbook: load data from \"p.playbook\" as csv"), o.output)
        let tsv = try run("a\tb\tc\td\n1\t2\t3\t4\n")
        XCTAssertTrue(tsv.output.contains("error: this looks like a data file (tab-separated values)"), tsv.output)
        XCTAssertTrue(tsv.output.contains("as tsv"), tsv.output)
        let carets = try run(String(repeating: "^", count: 5_000_000) + "\n")
        assertBounded(carets, shown: 1, more: nil)
        XCTAssertTrue(
            carets.output.contains("p.playbook:1:1: error: this looks like a data file (caret-delimited records), not a playbook"))
        XCTAssertTrue(carets.output.contains("as delimited \"^\""))
        // The snippet shows a window of the 5 MB line, not the line.
        XCTAssertLessThan(carets.output.utf8.count, 2_000)
    }

    func testPlaybooksWithCommasOnTheirFirstLinesAreStillPlaybooks() throws {
        let statement =
            "load t from \"input.csv\" with columns (a: integer, b: integer), missing (\"\", \"NA\", \"-\")\n"
            + "x = t | derive c = a, d = b, e = a + b\nassert count(x) == 1\n"
        XCTAssertEqual(try run(statement).exit, 0)
        let narrative = "## Notes, for the record: a, b, c, d\n" + Self.head + "assert count(t) == 1\n"
        XCTAssertEqual(try run(narrative).exit, 0)
        // One line that looks like data, then a statement: a playbook with an error on line 1.
        let o = try run("a^b^c^d\n" + Self.head)
        XCTAssertTrue(o.output.contains("p.playbook:1:2: error: unexpected character \"^\" (3 times; first here)"), o.output)
    }

    // MARK: the fuzzed playbooks that ran past 60 s

    func testTheSlowFuzzedPlaybooksAnswer() throws {
        let expected = [
            "fuzz-17672.playbook": "fuzz-17672.playbook:1:1: error: this looks like a data file (caret-delimited records), not a playbook",
            "fuzz-a3e3.playbook": "fuzz-a3e3.playbook:1:7: error: unexpected character \"^\" (69,959 times; first here)",
        ]
        for (name, first) in expected.sorted(by: { $0.key < $1.key }) {
            let text = try String(contentsOf: Self.fixtures.appendingPathComponent(name), encoding: .utf8)
            let o = try tally(["run", name, "--no-store"], files: [name: text])
            XCTAssertEqual(o.exit, 2, name)
            XCTAssertGreaterThanOrEqual(o.errorLines.count, 1, name)
            XCTAssertLessThanOrEqual(o.errorLines.count, 51, name)
            XCTAssertEqual(o.errorLines.first.map(String.init), first, o.output.prefix(600) + "")
        }
        // After a title line the first file is no longer taken for data: the lexer and parser
        // read all of it (101 lines, each an unknown statement, and three habits).
        let text = try String(contentsOf: Self.fixtures.appendingPathComponent("fuzz-17672.playbook"), encoding: .utf8)
        let o = try tally(["run", "p.playbook", "--no-store"], files: ["p.playbook": "playbook \"x\"\n" + text])
        assertBounded(o, shown: 50, more: "54")
        XCTAssertEqual(
            o.errorLines.prefix(4),
            [
                "p.playbook:2:1: error: unknown statement \"lo\"",
                "p.playbook:2:3: error: unexpected character \"!\" (101 times; first here)",
                "p.playbook:2:7: error: unexpected character \"^\" (72,013 times; first here)",
                "p.playbook:2:16: error: number 99999999999999999999 is too large (101 times; first here)",
            ])
    }

    func testLongNamesAreShortenedInMessages() throws {
        let o = try run(String(repeating: "a", count: 5_000_000) + "\n")
        assertBounded(o, shown: 1, more: nil)
        XCTAssertTrue(
            o.output.contains("p.playbook:1:1: error: unknown statement \"" + String(repeating: "a", count: 60) + "…\""),
            String(o.output.prefix(400)))
        XCTAssertLessThan(o.output.utf8.count, 2_000)
    }

    // MARK: union of wide tables

    func testUnionOfTwoFortyThousandColumnTables() throws {
        let names = (0..<40_000).map { "c\($0)" }
        let header = names.joined(separator: ",")
        let row = Array(repeating: "1", count: 40_000).joined(separator: ",")
        let files = [
            "a.csv": header + "\n" + row + "\n", "b.csv": header + "\n" + row + "\n" + row + "\n",
            "p.playbook": "load a from \"a.csv\"\nload b from \"b.csv\"\nu = a | union b\nassert count(u) == 3\n"
                + "x = u | filter c39999 == 1\nassert count(x) == 3\n",
            "q.playbook": "load a from \"a.csv\"\nload b from \"b.csv\"\nb2 = b | drop c5, c6\nu = a | union b2\n",
        ]
        let o = try tally(["run", "p.playbook", "--no-store"], files: files)
        XCTAssertEqual(o.exit, 0, String(o.output.prefix(1000)))
        XCTAssertTrue(o.output.contains("+2 rows from b"), String(o.output.prefix(1000)))
        let q = try tally(["check", "q.playbook"], files: files)
        XCTAssertEqual(q.exit, 2)
        XCTAssertTrue(q.output.contains("q.playbook:4:15: error: union needs the same columns: \"b2\" lacks c5, c6\n"), q.output)
    }

    func testAUnionMissingThousandsOfColumnsNamesTheFirstTwenty() throws {
        var schema = Schema(columns: (0..<5_000).map { .init(name: "c\($0)", type: .integer) })
        let ctx = StepCheckContext(
            file: "p.playbook", tableName: "a", params: [:], tables: ["b": Schema(columns: [.init(name: "c0", type: .integer)])])
        XCTAssertThrowsError(try UnionStep(other: Name("b", SourceSpan(line: 1, column: 1, length: 1))).schema(schema, ctx)) { error in
            let message = (error as? Diagnostic)?.message ?? ""
            XCTAssertEqual(
                message,
                "union needs the same columns: \"b\" lacks " + (1...20).map { "c\($0)" }.joined(separator: ", ") + " and 4,979 more")
        }
        // Integer with decimal makes a decimal column, by position.
        schema = Schema(columns: [.init(name: "x", type: .integer), .init(name: "y", type: .integer)])
        let mixed = StepCheckContext(
            file: "p.playbook", tableName: "a", params: [:],
            tables: ["b": Schema(columns: [.init(name: "y", type: .decimal), .init(name: "x", type: .integer)])])
        let made = try UnionStep(other: Name("b", SourceSpan(line: 1, column: 1, length: 1))).schema(schema, mixed)
        XCTAssertEqual(made.columns, [.init(name: "x", type: .integer), .init(name: "y", type: .decimal)])
    }

    // MARK: the library's pieces, against what they did before

    func testCappedKeepsFiftyPerFileAndCountsTheRest() {
        let playbook = (1...70).map { Diagnostic("p\($0)", file: "p.playbook", line: $0) }
        let data = (1...3).map { Diagnostic("d\($0)", file: "data.csv", line: $0) }
        let capped = Diagnostic.capped(playbook + data)
        XCTAssertEqual(capped.count, 54)
        XCTAssertEqual(capped.map(\.message).prefix(50), ArraySlice((1...50).map { "p\($0)" }))
        XCTAssertEqual(capped[50].message, "d1")
        XCTAssertEqual(capped.last?.description, "… 20 more errors in p.playbook")
        XCTAssertEqual(capped.last?.render(source: "x"), "… 20 more errors in p.playbook")
        XCTAssertEqual(Diagnostic.total(capped), 73)
        XCTAssertEqual(Diagnostic.capped(Array(playbook.prefix(50))), Array(playbook.prefix(50)))
    }

    /// What `render(source:)` printed when it split the whole source (before it read only the
    /// line, and only the characters up to the window).
    static func oldRender(_ d: Diagnostic, source: String) -> String {
        var out = d.description
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        if d.line > 0, d.column > 0, d.line <= lines.count {
            var text = Array(lines[d.line - 1].filter { $0 != "\r" }.map { $0 == "\t" ? " " : $0 })
            var caret = d.column - 1, width = max(1, d.length)
            if text.count > 100 {
                let start = max(0, min(caret - 40, text.count - 100))
                let end = min(text.count, start + 100)
                text = (start > 0 ? ["…"] : []) + Array(text[start..<end]) + (end < text.count ? ["…"] : [])
                caret = caret - start + (start > 0 ? 1 : 0)
                width = max(1, min(width, end - (d.column - 1)))
            }
            let gutter = String(d.line), pad = String(repeating: " ", count: gutter.count)
            out +=
                "\n\(pad) |\n\(gutter) | \(String(text))\n\(pad) | " + String(repeating: " ", count: max(0, caret))
                + String(repeating: "^", count: width)
        }
        if let help = d.help { out += "\nhelp: \(help)" }
        return out
    }

    func testRenderingShowsWhatItShowedBefore() {
        var random = SystemRandomNumberGenerator()
        let pieces = ["a", "é", "\t", " ", "^", "||", "x = t", "🙂", "e\u{301}"]
        for _ in 0..<400 {
            let lineCount = Int.random(in: 1...4, using: &random)
            let lines = (0..<lineCount).map { _ in
                (0..<Int.random(in: 0...200, using: &random)).map { _ in pieces.randomElement(using: &random) ?? "a" }.joined()
            }
            let source = lines.joined(separator: "\n")
            let line = Int.random(in: 1...(lineCount + 1), using: &random)
            let width = line <= lineCount ? lines[line - 1].count : 0
            let d = Diagnostic(
                .error, "m", file: "p.playbook", line: line, column: Int.random(in: 1...(width + 60), using: &random),
                length: Int.random(in: 1...130, using: &random), help: Bool.random(using: &random) ? "h" : nil)
            XCTAssertEqual(d.render(source: source), Self.oldRender(d, source: source), "line \(line) column \(d.column) of \(lines)")
        }
    }

    /// `Suggest.closest` as it was, before it skipped candidates and stopped distances early.
    static func oldClosest(_ name: String, _ candidates: [String]) -> String? {
        let lower = name.lowercased()
        if let exact = candidates.first(where: { $0.lowercased() == lower }) { return exact }
        var best: (String, Int)? = nil
        for candidate in candidates {
            let c = candidate.lowercased()
            var score = Suggest.distance(lower, c)
            if c.hasPrefix(lower) || lower.hasPrefix(c) { score = min(score, abs(c.count - lower.count) / 3 + 1) }
            if score < (best?.1 ?? Int.max) { best = (candidate, score) }
        }
        guard let (candidate, score) = best else { return nil }
        return score <= max(2, min(name.count, candidate.count) / 3) ? candidate : nil
    }

    func testSuggestionsAreWhatTheyWereBefore() {
        var random = SystemRandomNumberGenerator()
        let letters = Array("abcdeSSID_")
        func word() -> String {
            String((0..<Int.random(in: 1...14, using: &random)).map { _ in letters.randomElement(using: &random) ?? "a" })
        }
        for _ in 0..<2_000 {
            let name = word(), candidates = (0..<Int.random(in: 0...12, using: &random)).map { _ in word() }
            XCTAssertEqual(Suggest.closest(to: name, in: candidates), Self.oldClosest(name, candidates), "\(name) in \(candidates)")
        }
        XCTAssertEqual(Suggest.closest(to: "GradeLevel", in: ["SSID", "GradeLevelCode"]), "GradeLevelCode")
        XCTAssertNil(Suggest.$quiet.withValue(true) { Suggest.help(for: "GradeLevel", in: ["GradeLevelCode"]) })
    }
}
