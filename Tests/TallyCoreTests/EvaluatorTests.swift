import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

final class EvaluatorTests: XCTestCase {
    func truths(_ expression: String, _ csv: String) throws -> [Bool?] {
        let table = try readCSV(csv)
        let playbook = try Parser.parse(source: "x = t | filter \(expression)", file: "t.playbook")
        guard case .assign(_, _, let steps) = playbook.statements[0].statement, let e = (steps[0].step as? FilterStep)?.expr else {
            return []
        }
        let evaluator = Evaluator(
            table: table, tableName: "t", params: [:], paramTypes: [:], tables: ["t": table],
            clock: EvaluationClock(today: 0), file: "t.playbook")
        let truth = try evaluator.truth(e)
        return (0..<table.rowCount).map { truth.isNull($0) ? nil : truth.isTrue($0) }
    }

    let abc = "a,b\ny,1\nn,\n,2\n"

    func testThreeValuedAndOrNot() throws {
        XCTAssertEqual(try truths("a == \"y\" and b == 1", abc), [true, false, false])
        XCTAssertEqual(try truths("a == \"y\" and b == 2", abc), [false, false, nil])
        XCTAssertEqual(try truths("a == \"y\" or b == 2", abc), [true, nil, true])
        XCTAssertEqual(try truths("not (b == 1)", abc), [false, nil, true])
        XCTAssertEqual(try truths("b is null", abc), [false, true, false])
    }

    func testInWithNullsAndNotIn() throws {
        XCTAssertEqual(try truths("a in (\"y\", \"z\")", abc), [true, false, nil])
        XCTAssertEqual(try truths("a not in (\"y\")", abc), [false, true, nil])
        XCTAssertEqual(try truths("b in (1, null)", abc), [true, nil, nil])
    }

    func testRowWiseFallbackMatchesFastPath() throws {
        // `1 == b` is flipped onto the fast path; `b + 0 == 1` goes row by row.
        XCTAssertEqual(try truths("1 == b", abc), try truths("b + 0 == 1", abc))
        XCTAssertEqual(try truths("b between 1 and 1", abc), [true, nil, false])
        XCTAssertEqual(try truths("a like \"y%\"", abc), [true, false, nil])
    }

    func testLikePatterns() {
        XCTAssertTrue(Evaluator.like(Array("KN"), Array("K%")))
        XCTAssertTrue(Evaluator.like(Array("abc"), Array("a_c")))
        XCTAssertFalse(Evaluator.like(Array("abc"), Array("a_")))
        XCTAssertTrue(Evaluator.like(Array("a%b"), Array("%")))
    }

    func testArithmeticOverflowAndDivisionByZeroAreNull() {
        XCTAssertEqual(Evaluator.arithmetic("+", .integer(Int64.max), .integer(1)), .null)
        XCTAssertEqual(Evaluator.arithmetic("/", .integer(1), .integer(0)), .null)
        XCTAssertEqual(Evaluator.arithmetic("/", .integer(3), .integer(2)), .decimal(1.5))
        XCTAssertEqual(Evaluator.arithmetic("-", .date(10), .date(3)), .integer(7))
    }

    func testFunctions() {
        let f = FunctionRegistry.all
        let clock = EvaluationClock(today: 0)
        XCTAssertEqual(f["substr"]?.evaluate([.text("0112345"), .integer(1), .integer(3)], clock), .text("011"))
        XCTAssertEqual(f["coalesce"]?.evaluate([.null, .integer(4)], clock), .integer(4))
        XCTAssertEqual(f["upper"]?.evaluate([.null], clock), .null)
        let birth = DateCodec.days(year: 2019, month: 10, day: 3) ?? 0, on = DateCodec.days(year: 2024, month: 10, day: 2) ?? 0
        XCTAssertEqual(f["age"]?.evaluate([.date(birth), .date(on)], clock), .integer(4))
        XCTAssertEqual(f["round"]?.evaluate([.decimal(2.5)], clock), .integer(3))
    }
}
