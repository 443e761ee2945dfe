import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// Every vectorised path must give exactly what the row-at-a-time evaluator gives.
final class VectorEvaluatorTests: XCTestCase {
    func table() throws -> Table {
        var csv = "School,Grade,First,Last,Score,Bonus,Start,Exit,Ratio\n"
        let firsts = ["Ana", "Mia", "", "Noor", "José"], lasts = ["Lopez", "O'Neil", "Nguyen", ""]
        for i in 0..<3_000 {
            let exit = i % 7 == 0 ? "" : "2025-0\(i % 9 + 1)-1\(i % 9)"
            let score = i % 11 == 0 ? "" : String(i % 97 - 20)
            let bonus = i % 13 == 0 ? "" : String(i % 5)
            csv +=
                "S\(i % 17),\(["KN", "01", "02", ""][i % 4]),\(firsts[i % 5]),\(lasts[i % 4]),\(score),\(bonus),2024-08-\(10 + i % 19),\(exit),\(Double(i % 40) / 8)\n"
        }
        return try readCSV(csv)
    }

    func check(_ expression: String, on t: Table, file: StaticString = #filePath, line: UInt = #line) throws {
        let playbook = try Parser.parse(source: "x = t | derive v = \(expression)", file: "t.playbook")
        guard case .assign(_, _, let steps) = playbook.statements[0].statement, let items = (steps[0].step as? DeriveStep)?.items else {
            return XCTFail("no derive", file: file, line: line)
        }
        let e = items[0].1
        let evaluator = Evaluator(
            table: t, tableName: "t", params: ["day": .date(DateCodec.days(year: 2024, month: 10, day: 2) ?? 0)],
            paramTypes: ["day": .date], tables: ["t": t], clock: EvaluationClock(today: 20_000), file: "t.playbook")
        let vector = try XCTUnwrap(try evaluator.vectorPath(e), "\(expression) has no vector path", file: file, line: line)
        let reference = try evaluator.rowWise(e)
        XCTAssertEqual(vector.type, reference.type, expression, file: file, line: line)
        for row in 0..<t.rowCount where vector.value(row) != reference.value(row) {
            return XCTFail("\(expression), row \(row): \(vector.value(row)) vs \(reference.value(row))", file: file, line: line)
        }
    }

    func testVectorPathsMatchTheRowEvaluator() throws {
        let t = try table()
        for expression in [
            "upper(First)", "lower(Last)", "trim(Grade)", "len(Last)", "substr(School, 2, 1)", "coalesce(Grade, \"??\")",
            "if(Grade == \"KN\", \"kinder\", \"other\")", "Last like \"N%\"", "year(Start)", "month(Exit)", "day(Start) + 1",
            "age(Start, day)", "Start + 30", "days_between(Start, day)", "Score * 2 - 1", "Score between 0 and 10",
            "Exit - Start", "Score + Bonus", "Score - Bonus", "Score * Bonus", "Score / Bonus", "Ratio * Score", "Ratio + Ratio",
            "Exit > Start", "Score <= Bonus", "Exit - Start > 30", "(Exit - Start) * 2", "2 * Score + Bonus", "10 < Score - Bonus",
            "Score * 2.5 + Ratio", "Exit + 7 > day", "concat(Last, \", \", First)", "concat(School, \"-\", Grade)",
        ] {
            try check(expression, on: t)
        }
    }

    /// `case` (and `if`) over several columns: each branch on its own vector path, then a choice
    /// per row, with the row evaluator's nulls, types and text.
    func testCaseAcrossColumnsIsVectorised() throws {
        let t = try table()
        for expression in [
            "case when Grade == \"KN\" then First when Score > 10 then Last else School end",
            "case when Exit is null then Start else Exit end",
            "case when Score > Bonus then Score when Bonus is null then 0 end",
            "case when Ratio > 2 then Ratio else Score end",
            "case when Start > day then true else Exit > Start end",
            "if(Score > 5, Last, First)",
            "case when Grade == \"01\" then nullif(Last, \"\") else concat(First, \" \", Last) end",
        ] {
            try check(expression, on: t)
        }
        // Patterns, dates and padding over one column: once per distinct value.
        for expression in [
            "matches(Last, \"^N\")", "extract(School, \"S([0-9]+)\", 1)", "replace(First, \"[aeiou]\", \"_\")",
            "date_diff(\"month\", Start, day)", "add_days(Start, 45)", "age_on(Start, day)", "pad_left(School, 6, \"0\")",
        ] {
            try check(expression, on: t)
        }
        // coalesce over several columns (the shape after a full join), with mixed numbers.
        for expression in [
            "coalesce(First, Last)", "coalesce(Exit, Start)", "coalesce(Score, Bonus, 0)",
            "coalesce(Ratio, Score)", "coalesce(nullif(First, \"\"), Last, School)",
        ] {
            try check(expression, on: t)
        }
        // One column: the per-distinct path; nullif turns a code into null.
        try check("nullif(Grade, \"KN\")", on: t)
        try check("case when Grade == \"KN\" then 0 when Grade == \"01\" then 1 end", on: t)
    }
}
