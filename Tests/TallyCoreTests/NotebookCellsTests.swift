import Foundation
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// `show T all`, `counts T by COL` and `chart T …` with the real binary: the terminal text, the
/// HTML report's SVG and the Markdown tables, small-count suppression, masking in every output
/// (terminal, report.html, report.md, --json, the watch page), the cell cache and the pager.
final class NotebookCellsTests: XCTestCase {
    static let ssids = (0..<30).map { String(1_000_000_100 + $0) }
    static let names = (0..<30).map { String(format: "Zebulon%02d", $0) }
    static let scores = (0..<30).map { String(format: "%.2f", 60 + Double($0) * 1.37) }
    /// TK ×9, KN ×5, 01 ×7, 02 ×3, 03 ×6; Adams ×15, Baker ×12, no school ×3.
    static let grades =
        Array(repeating: "KN", count: 5) + Array(repeating: "01", count: 7) + Array(repeating: "02", count: 3)
        + Array(repeating: "03", count: 6) + Array(repeating: "TK", count: 9)

    func scratch() throws -> Scratch {
        let scratch = try Scratch()
        var csv = "SSID,StudentLegalFirstName,Grade,School,Score\n"
        for i in 0..<30 {
            let school = i % 2 == 0 ? "Adams" : [1, 3, 5].contains(i) ? "" : "Baker"
            csv += "\(Self.ssids[i]),\(Self.names[i]),\(Self.grades[i]),\(school),\(Self.scores[i])\n"
        }
        try scratch.write("students.csv", csv)
        // Named w.playbook so that `WatchProcess` serves it.
        try scratch.write(
            "w.playbook",
            """
            playbook "Notebook cells"
            load students from "students.csv" with columns (SSID: text)
            show students all
            counts students by School
            counts students by StudentLegalFirstName
            by_grade = students | aggregate n = count() by Grade
            chart by_grade bar n by Grade
            chart by_grade line n by Grade
            chart students histogram Score bins 5
            chart students line Score by SSID
            """)
        return scratch
    }

    func tally(_ arguments: [String], in scratch: Scratch) throws -> (exit: Int32, output: String) {
        try ReliabilityTests.tally(arguments, in: scratch.url.path)
    }

    /// The SVG figures of a report, in cell order.
    func figures(_ html: String) -> [String] {
        html.components(separatedBy: "<figure class=\"chart\">").dropFirst().map { $0.components(separatedBy: "</figure>")[0] }
    }

    func figure(_ html: String, titled title: String) -> String? {
        figures(html).first { $0.contains(">\(title)</title>") }
    }

    func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    func testTerminalReportAndMarkdownShowTheCells() throws {
        let s = try scratch()
        let run = try tally(["run", "w.playbook", "--no-store", "--no-timings", "--no-color", "--report", "out"], in: s)
        XCTAssertEqual(run.exit, 0, run.output)
        let out = run.output
        // show all: every row, no "more rows".
        for ssid in Self.ssids { XCTAssertTrue(out.contains(ssid), "show all lists \(ssid)") }
        XCTAssertTrue(out.contains("    30 rows"), out)
        // counts: largest first, null as a value of its own, shares.
        let counts = try XCTUnwrap(out.components(separatedBy: "counts students by School\n").last)
        let lines = counts.split(separator: "\n").prefix(6).map { $0.split(separator: " ").joined(separator: " ") }
        XCTAssertEqual(
            Array(lines),
            [
                "School count share", "────── ───── ─────", "Adams 15 50.0%", "Baker 12 40.0%", "null 3 10.0%",
                "3 values, 30 rows in all",
            ])
        // The text chart: grades in school order, a bar of blocks per grade and its value.
        let chart = try XCTUnwrap(out.components(separatedBy: "chart by_grade bar n by Grade\n").last)
        let bars = chart.split(separator: "\n").dropFirst().prefix(5).map(String.init)
        XCTAssertEqual(bars.map { $0.split(separator: " ").first.map(String.init) ?? "" }, ["TK", "KN", "01", "02", "03"], chart)
        XCTAssertEqual(bars.map { $0.split(separator: " ").last.map(String.init) ?? "" }, ["9", "5", "7", "3", "6"])
        XCTAssertTrue(bars[0].contains("│" + String(repeating: "█", count: 40) + " 9"), bars[0])
        XCTAssertTrue(bars[3].contains("│" + String(repeating: "█", count: 13) + "▍ 3"), bars[3])

        let html = try XCTUnwrap(s.read("out/report.html"))
        let bar = try XCTUnwrap(figure(html, titled: "Bar chart of n by Grade"), html)
        XCTAssertEqual(count("<rect", in: bar), 5, bar)
        XCTAssertTrue(bar.contains("TK: 9; KN: 5; 01: 7; 02: 3; 03: 6</desc>"), bar)
        for value in ["9", "5", "7", "3", "6"] {
            XCTAssertTrue(bar.contains("font-size=\"11\">\(value)</text>"), "the bar of \(value) is labelled")
        }
        XCTAssertTrue(bar.contains("fill=\"#0072B2\""), "Okabe–Ito blue")
        let line = try XCTUnwrap(figure(html, titled: "Line chart of n by Grade"))
        XCTAssertEqual(count("<circle", in: line), 5)
        XCTAssertTrue(line.contains("<polyline"), line)
        let histogram = try XCTUnwrap(figure(html, titled: "Histogram of Score"))
        XCTAssertEqual(count("<rect", in: histogram), 5, histogram)
        XCTAssertTrue(html.contains("<td>Adams</td><td class=\"n\">15</td><td>50.0%</td>"), "counts in the report")
        XCTAssertTrue(html.contains("<td>null</td><td class=\"n\">3</td><td>10.0%</td>"), "nulls counted")
        for ssid in Self.ssids { XCTAssertTrue(html.contains(ssid), "show all in the report lists \(ssid)") }
        let md = try XCTUnwrap(s.read("out/report.md"))
        XCTAssertTrue(md.contains("| Adams | 15 | 50.0% |"), md)
        XCTAssertTrue(md.contains("| TK | 9 |"), md)
    }

    /// A histogram's edges are round numbers, never the least or greatest value: beside a
    /// suppressed count of one, an edge at the greatest value would tell that student's value.
    func testHistogramEdgesAreRoundNotTheExtremeValues() throws {
        let values: [Double] = (0..<50).map { 102 + Double($0 * 17) } + [4_321]
        let column = Column(data: .decimal(values), validity: nil)
        for bins in [nil, 5, 7] as [Int?] {
            let (preview, nulls) = Interpreter.histogram(column, rows: values.count, bins: bins, name: "Score", lineage: ["Score"])
            XCTAssertEqual(nulls, 0)
            let labels = preview.rows.compactMap { $0.first ?? nil }
            if let bins { XCTAssertEqual(labels.count, bins, "\(labels)") }
            XCTAssertEqual(
                preview.rows.compactMap { $0.last ?? nil }.compactMap(Int.init).reduce(0, +), values.count, "every value in a bin")
            for label in labels {
                XCTAssertFalse(label.contains("4,321") || label.contains("4321") || label.hasPrefix("102"), "\(label) is an extreme value")
            }
            XCTAssertTrue(labels.first?.hasPrefix("0–") == true || labels.first?.hasPrefix("100–") == true, "\(labels)")
        }
    }

    func testSmallCountsAreSuppressedAndNotDrawn() throws {
        let s = try scratch()
        let run = try tally(["run", "w.playbook", "--no-store", "--no-timings", "--suppress-below", "5", "--report", "out"], in: s)
        XCTAssertEqual(run.exit, 0, run.output)
        for file in ["out/report.html", "out/report.md"] {
            let text = try XCTUnwrap(s.read(file))
            // No school's 3 and its share (3 of 30) are shown; the others are.
            XCTAssertFalse(text.contains("10.0%"), "\(file): a suppressed count's share gives it away")
            XCTAssertTrue(text.contains("50.0%"), file)
        }
        let html = try XCTUnwrap(s.read("out/report.html"))
        XCTAssertTrue(html.contains("<td>null</td><td class=\"n\">*</td><td>*</td>"), "the small count and its share are *")
        let bar = try XCTUnwrap(figure(html, titled: "Bar chart of n by Grade"))
        XCTAssertEqual(count("<rect", in: bar), 4, "grade 02 (3 students) gets no bar")
        XCTAssertTrue(bar.contains("02: *"), bar)
        XCTAssertFalse(bar.contains(">3</text>"), bar)
        XCTAssertTrue(bar.contains("1 count below 5 suppressed"), bar)
        // Each of the 30 names is counted once: every count is suppressed, none drawn.
        XCTAssertFalse(html.contains("3.3%"), "a share of one student")
    }

    func testMaskedValuesAppearInNoOutput() throws {
        let s = try scratch()
        let masks = ["--mask", "SSID,StudentLegalFirstName,Score"]
        let run = try tally(["run", "w.playbook", "--no-store", "--no-timings", "--report", "out"] + masks, in: s)
        XCTAssertEqual(run.exit, 0, run.output)
        let json = try tally(["run", "w.playbook", "--no-store", "--json"] + masks, in: s)
        XCTAssertEqual(json.exit, 0, json.output)
        let server = try WatchProcess(in: s, arguments: masks)
        defer { server.stop() }
        let page = try HTTP.get(server.port, "/", headers: [("Host", "127.0.0.1:\(server.port)")])
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.body.contains(">Bar chart of n by Grade</title>"), "the watch page draws the chart")
        XCTAssertTrue(page.body.contains("<td>Adams</td><td class=\"n\">15</td>"), "and the counts")
        let outputs = [
            "terminal": run.output, "report.html": try XCTUnwrap(s.read("out/report.html")),
            "report.md": try XCTUnwrap(s.read("out/report.md")), "--json": json.output, "watch page": page.body,
        ]
        for (name, text) in outputs {
            for value in Self.ssids + Self.names + Self.scores where text.contains(value) {
                XCTFail("\(name) shows the masked value \(value)")
            }
        }
        // Shown masked: the counts of names and the chart of scores by SSID carry tokens.
        XCTAssertTrue(run.output.contains("#"), run.output)
        let html = try XCTUnwrap(s.read("out/report.html"))
        let line = try XCTUnwrap(figure(html, titled: "Line chart of Score by SSID"))
        XCTAssertEqual(count("<circle", in: line), 0, "masked values are not drawn")
        XCTAssertTrue(line.contains("30 values masked (no bar)"), line)
    }

    func testCheckTimeErrorsHaveLineColumnAndSuggestion() throws {
        let s = try scratch()
        try s.write(
            "bad.playbook",
            """
            load students from "students.csv"
            chart students bar School by Grade
            chart students line Scor by Grade
            counts students by Shool
            """)
        let check = try tally(["check", "bad.playbook"], in: s)
        XCTAssertEqual(check.exit, 2, check.output)
        XCTAssertTrue(
            check.output.contains("bad.playbook:2:20: error: chart bar needs a numeric column to draw; School is text"), check.output)
        XCTAssertTrue(check.output.contains("bad.playbook:3:21: error: table \"students\" has no column \"Scor\""), check.output)
        XCTAssertTrue(check.output.contains("bad.playbook:4:20: error: table \"students\" has no column \"Shool\""), check.output)
        XCTAssertTrue(check.output.contains("did you mean \"School\"?"), check.output)
        try s.write("kind.playbook", "load students from \"students.csv\"\nchart students bars Score by Grade\n")
        let kind = try tally(["check", "kind.playbook"], in: s)
        XCTAssertEqual(kind.exit, 2)
        XCTAssertTrue(kind.output.contains("kind.playbook:2:16: error: unknown chart kind \"bars\""), kind.output)
        XCTAssertTrue(kind.output.contains("did you mean \"bar\"?"), kind.output)
    }

    /// A rerun takes the cells from the cache and shows the same charts and counts.
    func testCellsAreCachedAndReplayed() throws {
        let s = try scratch()
        let first = try tally(["run", "w.playbook", "--no-timings", "--no-color", "--report", "one"], in: s)
        XCTAssertEqual(first.exit, 0, first.output)
        let second = try tally(["run", "w.playbook", "--no-timings", "--no-color", "--report", "two"], in: s)
        XCTAssertEqual(second.exit, 0, second.output)
        for cell in ["chart", "counts", "show"] {
            XCTAssertTrue(
                second.output.contains("] \(cell)  line")
                    && second.output.components(separatedBy: "\n").contains {
                        $0.hasPrefix("[") && $0.contains("] \(cell)  line") && $0.hasSuffix("cached")
                    },
                "\(cell) cells come from the cache:\n\(second.output)")
        }
        func cells(_ output: String) -> String {
            output.components(separatedBy: "\n").filter { !$0.contains("ledger:") && !$0.contains("cache:") && !$0.hasPrefix("report: ") }
                .map { $0.replacingOccurrences(of: "  cached", with: "") }.joined(separator: "\n")
        }
        XCTAssertEqual(cells(first.output), cells(second.output))
        XCTAssertEqual(figures(try XCTUnwrap(s.read("one/report.html"))), figures(try XCTUnwrap(s.read("two/report.html"))))
    }

    /// `show T all` pages the notebook when stdout is a terminal (script(1) makes one), and
    /// prints it when it is a pipe.
    func testShowAllPagesOnlyInATerminal() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
            throw XCTSkip("script(1) (util-linux) is needed to run tally under a terminal")
        }
        let s = try scratch()
        let paged = s.path("paged.txt")
        let piped = try tally(["__sh", "PAGER='cat > \(paged)' \"$0\" run w.playbook --no-store --no-timings"], in: s)
        XCTAssertEqual(piped.exit, 0, piped.output)
        XCTAssertTrue(piped.output.contains(Self.ssids[29]))
        XCTAssertNil(s.read("paged.txt"), "no pager when stdout is a pipe")
        let tty = try tally(
            ["__sh", "PAGER='cat > \(paged)' script -qec \"$0 run w.playbook --no-store --no-timings --no-color\" /dev/null"], in: s)
        XCTAssertEqual(tty.exit, 0, tty.output)
        let text = try XCTUnwrap(s.read("paged.txt"), "the pager got the notebook")
        XCTAssertTrue(text.contains(Self.ssids[29]) && text.contains("Summary"), text)
        XCTAssertFalse(tty.output.contains(Self.ssids[29]), "the notebook went to the pager, not straight to the terminal")
        // A pager that cannot run shows nothing: the notebook is printed instead.
        let broken = try tally(
            ["__sh", "PAGER=/nonexistent script -qec \"$0 run w.playbook --no-store --no-timings --no-color\" /dev/null"], in: s)
        XCTAssertEqual(broken.exit, 0, broken.output)
        XCTAssertTrue(broken.output.contains(Self.ssids[29]) && broken.output.contains("Summary"), broken.output)
    }

    /// A grade axis with a stray code (`K`) still reads TK, KN, 01 … with the stray code last.
    func testAChartOfGradesWithAStrayCodeKeepsSchoolOrder() throws {
        let s = try Scratch()
        try s.write("g.csv", "GradeLevelCode,n\n03,30\nK,2\n01,10\nKN,25\nTK,18\n02,40\n")
        try s.write("g.playbook", "load g from \"g.csv\"\nchart g bar n by GradeLevelCode\n")
        let run = try tally(["run", "g.playbook", "--no-store", "--no-color"], in: s)
        XCTAssertEqual(run.exit, 0, run.output)
        let order = run.output.split(separator: "\n").compactMap { line -> String? in
            let parts = line.split(separator: "│")
            return parts.count == 2 ? parts[0].trimmingCharacters(in: .whitespaces) : nil
        }
        XCTAssertEqual(order, ["TK", "KN", "01", "02", "03", "K"], run.output)
    }
}
