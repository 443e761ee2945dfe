import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

final class SyntaxTests: XCTestCase {
    func parse(_ source: String) throws -> Playbook { try Parser.parse(source: source, file: "t.playbook") }

    func errors(_ source: String) -> [Diagnostic] {
        do { _ = try parse(source); return [] } catch let list as DiagnosticList { return list.diagnostics } catch { return [] }
    }

    func testContinuationByIndentAndPipeAndParenthesis() throws {
        let playbook = try parse(
            """
            load s from "s.csv"
            x = s
            | filter a == 1
              | filter b in ("1",
            "2")
            show x
            """)
        XCTAssertEqual(playbook.statements.count, 3)
        guard case .assign(_, _, let steps) = playbook.statements[1].statement else { return XCTFail("not a pipeline") }
        XCTAssertEqual(steps.count, 2)
        XCTAssertEqual(playbook.statements[2].line, 6)
    }

    func testNarrativeAttachesToNextStatementAndCommentsAreSkipped() throws {
        let playbook = try parse(
            """
            ## First cell
            ## explains itself
            load s from "s.csv"   # a comment
            # a plain comment line
            ## Second
            show s
            """)
        XCTAssertEqual(playbook.statements[0].narrative, ["First cell", "explains itself"])
        XCTAssertEqual(playbook.statements[1].narrative, ["Second"])
    }

    func testEveryStatementFormParses() throws {
        let playbook = try parse(
            """
            playbook "T"
            param d: date = @2025-10-01
            param lea: text required
            load s from "data/{lea}/s.txt" as calpads SENR year "2024-2025" extract
            load c from "c.csv" with header false, encoding "cp1252", missing ("", "N/A"), columns (A: text, B: date "MM/DD/YYYY")
            t = s | join left c on SSID == A expect many-to-one | aggregate n = count(), k = count_distinct(B) by X | sort n desc | take 5 | distinct by X | union s | derive y = 1 | select a as b | drop q | rename r as z
            assert t is not empty severity warning message "m" id "i"
            assert t unique by a, b
            assert t: a > 1
            assert count(t) between 1 and 2
            compare t.n with expected "fall1/census" by X within 2% or 3 severity warning as cmp
            compare t.n with previous run
            compare t.n with run "certified"
            compare t.n with u.m by X within 5
            save t.n as expected "x" by X
            snapshot t by SSID as "daily"
            export t to "out/x.txt" as delimited "^" with header false
            show t limit 5
            """)
        XCTAssertEqual(playbook.statements.count, 18)
        XCTAssertEqual(playbook.title, "T")
        guard case .compare(_, _, _, _, let tolerance, let severity, let alias) = playbook.statements[10].statement else {
            return XCTFail("not a compare")
        }
        XCTAssertEqual(tolerance, Tolerance(percent: 2, absolute: 3))
        XCTAssertEqual(severity, .warning)
        XCTAssertEqual(alias?.text, "cmp")
    }

    func testAllSyntaxErrorsReportedInOnePass() {
        let found = errors(
            """
            load s frm "s.csv"
            x = s | filtre a
            show s limit many
            y = s | filter a = 1
            """)
        XCTAssertEqual(found.map(\.line), [1, 2, 3, 4])
        XCTAssertEqual(found[0].column, 8)
        XCTAssertEqual(found[1].help, "did you mean \"filter\"?")
        XCTAssertTrue(found[3].message.contains("use =="))
    }

    func testPrecedenceOfAndOrNot() throws {
        let playbook = try parse("x = s | filter not a == 1 or b == 2 and c == 3")
        guard case .assign(_, _, let steps) = playbook.statements[0].statement, let e = (steps[0].step as? FilterStep)?.expr,
            case .binary("or", let left, let right) = e.kind
        else { return XCTFail("expected or at the top") }
        guard case .unary("not", _) = left.kind else { return XCTFail("not binds tighter than or") }
        guard case .binary("and", _, _) = right.kind else { return XCTFail("and binds tighter than or") }
    }

    func testDeepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "(", count: 5000) + "a" + String(repeating: ")", count: 5000)
        let found = errors("x = s | filter \(deep)")
        XCTAssertTrue(found.first?.message.contains("nested too deeply") ?? false)
        let nots = errors("x = s | filter " + String(repeating: "not ", count: 5000) + "a")
        XCTAssertTrue(nots.first?.message.contains("nested too deeply") ?? false)
    }

    func testUnterminatedTextAndBadDate() {
        let found = errors("load s from \"s.csv\nparam d: date = @2025-13-01")
        XCTAssertTrue(found.contains { $0.message.contains("unterminated text") && $0.line == 1 })
        XCTAssertTrue(found.contains { $0.message.contains("is not a date") && $0.line == 2 })
    }

    func testDiagnosticRendersCaretUnderSpan() {
        let d = Diagnostic(
            "table \"senr\" has no column \"GradeLevel\"", file: "f.playbook",
            span: SourceSpan(line: 2, column: 12, length: 10), help: "did you mean \"GradeLevelCode\"?")
        let text = d.render(source: "x\n  | filter GradeLevel == \"KN\"")
        XCTAssertEqual(
            text,
            """
            f.playbook:2:12: error: table "senr" has no column "GradeLevel"
              |
            2 |   | filter GradeLevel == "KN"
              |            ^^^^^^^^^^
            help: did you mean "GradeLevelCode"?
            """)
    }

    func testSuggestions() {
        XCTAssertEqual(Suggest.closest(to: "GradeLevel", in: ["SSID", "GradeLevelCode", "SchoolOfAttendance"]), "GradeLevelCode")
        XCTAssertEqual(Suggest.closest(to: "ssid", in: ["SSID", "LocalID"]), "SSID")
        XCTAssertNil(Suggest.closest(to: "Banana", in: ["SSID", "GradeLevelCode"]))
    }
}
