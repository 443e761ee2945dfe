import Foundation
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// Stable diagnostic codes (issue #28 item 5): the enum is the list, docs/DIAGNOSTICS.md is made
/// from it, and the codes reach `tally check`'s text and JSON, `tally explain` and the editor.
final class DiagnosticCodeTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A playbook misspelling School, beside its input.
    func misspelt() throws -> Scratch {
        let scratch = try Scratch()
        try scratch.write("enr.csv", "SSID,School,Grade\n1000000001,01,05\n")
        try scratch.write("p.playbook", "load enr from \"enr.csv\"\ns = enr | filter Shool == \"01\"\n")
        return scratch
    }

    func testCodesAreUniqueWellFormedAndInTheirRange() {
        let raw = DiagnosticCode.allCases.map(\.rawValue)
        XCTAssertEqual(Set(raw).count, raw.count, "a code given twice")
        let titles = DiagnosticCode.allCases.map(\.title)
        XCTAssertEqual(Set(titles).count, titles.count, "two codes with one title")
        for code in DiagnosticCode.allCases {
            XCTAssertNotNil(code.rawValue.range(of: #"^T0[1-8][0-9][0-9]$"#, options: .regularExpression), code.rawValue)
            let e = code.entry
            XCTAssertFalse(e.title.isEmpty || e.cause.isEmpty || e.fix.isEmpty, code.rawValue)
            XCTAssertEqual(DiagnosticCode(code: code.rawValue.lowercased()), code)
        }
        // The ranges the docs name: names, syntax, types, habits, inputs, exports, store, running.
        XCTAssertEqual(DiagnosticCode.unknownColumn.rawValue, "T0101")
        XCTAssertEqual(Set(raw.map { $0.prefix(3) }), ["T01", "T02", "T03", "T04", "T05", "T06", "T07", "T08"])
    }

    /// The drift test: docs/DIAGNOSTICS.md is exactly what the enum generates
    /// (UPDATE_DIAGNOSTICS_DOC=1 rewrites it).
    func testEveryCodeIsDocumentedAndTheDocMatchesTheEnum() throws {
        let url = DiagnosticCodeTests.repository.appendingPathComponent("docs/DIAGNOSTICS.md")
        if ProcessInfo.processInfo.environment["UPDATE_DIAGNOSTICS_DOC"] == "1" {
            try DiagnosticCode.markdown.write(to: url, atomically: true, encoding: .utf8)
        }
        let doc = try String(contentsOf: url, encoding: .utf8)
        for code in DiagnosticCode.allCases {
            XCTAssertTrue(doc.contains("### \(code.rawValue) \(code.title)\n"), "\(code.rawValue) is not in docs/DIAGNOSTICS.md")
        }
        XCTAssertEqual(
            doc, DiagnosticCode.markdown,
            "docs/DIAGNOSTICS.md differs from DiagnosticCode: UPDATE_DIAGNOSTICS_DOC=1 swift test --filter DiagnosticCodeTests")
    }

    func testMisspeltColumnIsT0101InCheckOutput() throws {
        let scratch = try misspelt()
        let result = try ReliabilityTests.tally(["check", "p.playbook"], in: scratch.url.path)
        XCTAssertEqual(result.exit, 2, result.output)
        // The header keeps its documented form; the code ends the help line.
        XCTAssertTrue(result.output.contains("p.playbook:2:18: error: table \"enr\" has no column \"Shool\"\n"), result.output)
        XCTAssertTrue(result.output.contains("help: did you mean \"School\"? [T0101]\n"), result.output)
    }

    func testMisspeltColumnIsT0101InCheckJSON() throws {
        let scratch = try misspelt()
        let result = try ReliabilityTests.tally(["check", "--json", "p.playbook"], in: scratch.url.path)
        XCTAssertEqual(result.exit, 2, result.output)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], result.output)
        XCTAssertEqual(object["ok"] as? Bool, false)
        XCTAssertEqual(object["errors"] as? Int, 1)
        let diagnostics = try XCTUnwrap(object["diagnostics"] as? [[String: Any]])
        XCTAssertEqual(diagnostics.count, 1, result.output)
        let d = try XCTUnwrap(diagnostics.first)
        XCTAssertEqual(d["code"] as? String, "T0101")
        XCTAssertEqual(d["title"] as? String, "unknown column")
        XCTAssertEqual(d["severity"] as? String, "error")
        XCTAssertEqual(d["line"] as? Int, 2)
        XCTAssertEqual(d["column"] as? Int, 18)
        XCTAssertEqual(d["message"] as? String, "table \"enr\" has no column \"Shool\"")
        XCTAssertEqual(d["help"] as? String, "did you mean \"School\"?")

        // A sound playbook: ok, its habits' warnings with their codes, exit 0.
        try scratch.write("p.playbook", "load enr from \"enr.csv\"\ns = enr | filter Grade > \"05\"\n")
        let sound = try ReliabilityTests.tally(["check", "--json", "p.playbook"], in: scratch.url.path)
        XCTAssertEqual(sound.exit, 0, sound.output)
        let soundObject = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(sound.output.utf8)) as? [String: Any], sound.output)
        XCTAssertEqual(soundObject["ok"] as? Bool, true)
        let warnings = try XCTUnwrap(soundObject["diagnostics"] as? [[String: Any]])
        XCTAssertEqual(warnings.map { $0["code"] as? String }, ["T0403"], sound.output)
        XCTAssertEqual(warnings.first?["severity"] as? String, "warning")
    }

    /// `tally run --json`: the run's errors keep their rendered text, and `errorCodes` beside them.
    func testRunJSONGivesTheErrorCodes() throws {
        let scratch = try misspelt()
        let result = try ReliabilityTests.tally(["__sh", "\"$0\" run --json --no-store p.playbook 2>/dev/null"], in: scratch.url.path)
        XCTAssertEqual(result.exit, 2, result.output)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], result.output)
        XCTAssertEqual(object["errorCodes"] as? [String], ["T0101"], result.output)
        let errors = try XCTUnwrap(object["errors"] as? [String])
        XCTAssertEqual(errors.count, 1)
        XCTAssertTrue(errors[0].contains("has no column \"Shool\"") && errors[0].hasSuffix("[T0101]"), errors[0])
    }

    func testExplainPrintsTitleCauseAndFix() throws {
        let scratch = try Scratch()
        let one = try ReliabilityTests.tally(["explain", "T0101"], in: scratch.url.path)
        XCTAssertEqual(one.exit, 0, one.output)
        XCTAssertTrue(one.output.hasPrefix("T0101: unknown column\n\n"), one.output)
        XCTAssertTrue(one.output.contains(DiagnosticCode.unknownColumn.entry.cause), one.output)
        XCTAssertTrue(one.output.contains("Fix: "), one.output)
        // Any case; and the list of every code without an argument.
        XCTAssertEqual(try ReliabilityTests.tally(["explain", "t0101"], in: scratch.url.path).output, one.output)
        let list = try ReliabilityTests.tally(["explain"], in: scratch.url.path)
        XCTAssertEqual(list.exit, 0)
        XCTAssertEqual(list.output.split(separator: "\n").count, DiagnosticCode.allCases.count, list.output)
        XCTAssertTrue(list.output.contains("T0401  comparison with null\n"), list.output)
        // A code Tally does not have: exit 2, said with the nearest code.
        let unknown = try ReliabilityTests.tally(["explain", "T0199"], in: scratch.url.path)
        XCTAssertEqual(unknown.exit, 2, unknown.output)
        XCTAssertTrue(unknown.output.contains("error: no diagnostic code \"T0199\""), unknown.output)
    }

    /// The common diagnostics carry the code of their kind, from the creation sites in the
    /// lexer, parser, checker, expression typer, lint and input readers.
    func testCommonDiagnosticsCarryTheirCodes() throws {
        let scratch = try Scratch()
        try scratch.write("enr.csv", "SSID,School,Grade\n1000000001,01,05\n")
        func codes(_ playbook: String) throws -> [String] {
            try scratch.write("c.playbook", playbook)
            var options = RunOptions()
            options.displayBase = scratch.url.path
            let result = Runner.check(path: scratch.url.appendingPathComponent("c.playbook").path, options: options)
            return (result.diagnostics + (result.plan?.warnings ?? [])).map { $0.code?.rawValue ?? "nil: \($0.message)" }
        }
        let load = "load enr from \"enr.csv\"\n"
        XCTAssertEqual(try codes(load + "s = enr | filter Shool == \"01\""), ["T0101"])
        XCTAssertEqual(try codes(load + "s = nope | filter School == \"01\""), ["T0102"])
        XCTAssertEqual(try codes(load + "s = enr | filter lenght(School) == 2"), ["T0104"])
        XCTAssertEqual(try codes(load + "s = enr | wherever School == \"01\""), ["T0105"])
        XCTAssertEqual(try codes(load + "s = enr | filter (School == \"01\""), ["T0202"])
        XCTAssertEqual(try codes(load + "s = enr | filter School == 'x'"), ["T0402"])
        XCTAssertEqual(try codes(load + "s = enr | filter School = \"01\""), ["T0406"])
        XCTAssertEqual(try codes(load + "s = enr | filter School == null"), ["T0401"])
        XCTAssertEqual(try codes(load + "s = enr | filter School == 1"), ["T0301"])
        XCTAssertEqual(try codes(load + "s = enr | filter School"), ["T0303"])
        XCTAssertEqual(try codes(load + "s = enr | sort Grade"), ["T0404"])
        XCTAssertEqual(try codes("load enr from \"missing.csv\"\n"), ["T0501"])
        try scratch.write("bad.csv", "SSID,School\n1,01,extra\n")
        XCTAssertEqual(try codes("load bad from \"bad.csv\"\n"), ["T0502"])
    }

    /// Every diagnostic `tally check` gives on the golden cases' playbooks has a code.
    func testEveryCheckDiagnosticOfTheGoldenCasesHasACode() throws {
        let cases = DiagnosticCodeTests.repository.appendingPathComponent("Tests/GoldenTests/Cases")
        let found =
            FileManager.default.enumerator(atPath: cases.path)?.compactMap { $0 as? String }
            .filter { $0.hasSuffix("case.playbook") } ?? []
        XCTAssertGreaterThan(found.count, 100)
        var uncoded: [String] = [], seen = 0
        for path in found.sorted() {
            let playbook = cases.appendingPathComponent(path)
            var options = RunOptions()
            options.displayBase = playbook.deletingLastPathComponent().path
            let result = Runner.check(path: playbook.path, options: options)
            for d in result.diagnostics + (result.plan?.warnings ?? []) where d.omitted == 0 {
                seen += 1
                if d.code == nil { uncoded.append("\(path): \(d.message)") }
            }
        }
        XCTAssertGreaterThan(seen, 50)
        XCTAssertEqual(uncoded, [], "diagnostics without a code")
    }

    /// Every error and warning the golden cases print (`tally check` and `tally run`) shows a code:
    /// as many `[Txxxx]` as diagnostic headers in each expected output.
    func testEveryDiagnosticInTheGoldenOutputsShowsACode() throws {
        let cases = DiagnosticCodeTests.repository.appendingPathComponent("Tests/GoldenTests/Cases")
        let outputs =
            FileManager.default.enumerator(atPath: cases.path)?.compactMap { $0 as? String }
            .filter { $0.contains("/expected/") && $0.hasSuffix(".txt") } ?? []
        var headers = 0
        for path in outputs.sorted() {
            let text = try String(contentsOf: cases.appendingPathComponent(path), encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            let shown = lines.filter { $0.range(of: #"^\S+?(:[0-9]+){0,2}: (error|warning): "#, options: .regularExpression) != nil }.count
            let coded = lines.filter {
                $0.hasPrefix("help: ") && $0.range(of: #" \[T0[1-8][0-9]{2}\]$"#, options: .regularExpression) != nil
            }.count
            headers += shown
            XCTAssertEqual(coded, shown, "\(path): \(shown) diagnostics, \(coded) codes")
        }
        XCTAssertGreaterThan(headers, 50)
    }

    /// The editor gets the code as the LSP diagnostic's `code` (`lspCode(for:)`).
    func testLanguageServerDiagnosticCarriesTheCode() throws {
        let scratch = try misspelt()
        let session = try LanguageServerTests.Session(folder: scratch.url.path)
        _ = try session.request("initialize", ["rootUri": "file://" + scratch.url.path, "capabilities": [:] as [String: Any]])
        try session.notify("initialized", [:])
        let text = try String(contentsOf: scratch.url.appendingPathComponent("p.playbook"), encoding: .utf8)
        try session.notify(
            "textDocument/didOpen",
            [
                "textDocument": [
                    "uri": "file://" + scratch.url.appendingPathComponent("p.playbook").path,
                    "languageId": "tally", "version": 1, "text": text,
                ]
            ])
        let published = try session.wait("textDocument/publishDiagnostics")
        let diagnostics = (published["params"] as? [String: Any])?["diagnostics"] as? [[String: Any]] ?? []
        XCTAssertEqual(diagnostics.compactMap { $0["code"] as? String }, ["T0101"], "\(diagnostics)")
    }
}
