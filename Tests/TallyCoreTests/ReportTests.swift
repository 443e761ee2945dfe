import Foundation
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

#if canImport(FoundationXML)
import FoundationXML
#endif

/// The reports issue's Done-when list, checked on the report files themselves.
final class ReportTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Runs the Census Day example on a generated district with a store; returns the run.
    func runExample(_ scratch: Scratch) throws -> RunRecord {
        var sample = SampleOptions()
        sample.students = 500
        sample.seed = 8
        try DistrictGenerator.write(sample, to: scratch.path("data"))
        let source = try String(contentsOf: ReportTests.repository.appendingPathComponent("playbooks/census_day.playbook"), encoding: .utf8)
        try scratch.write("census_day.playbook", source)
        var options = scratch.options
        options.storePath = scratch.store
        return Runner.run(path: scratch.path("census_day.playbook"), options: options)
    }

    func testHTMLReportIsSelfContainedAndShowsFailingRowsChartsAndFingerprints() throws {
        let scratch = try Scratch()
        let record = try runExample(scratch)
        XCTAssertEqual(record.exitStatus, 1)
        let (html, markdown) = try ReportRenderer.render(ReportRecord(record), options: ReportOptions())
        // Offline and from a shared drive: nothing loaded from elsewhere.
        for forbidden in ["<script", "<link", "src=", "@import", "url(", "href=\"http"] {
            XCTAssertFalse(html.contains(forbidden), "the report must not contain \(forbidden)")
        }
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertTrue(html.contains("<h1>Fall 1 Census Day enrollment</h1>"))
        // Input fingerprints.
        for input in record.inputs {
            XCTAssertEqual(input.sha256.count, 64)
            XCTAssertTrue(html.contains(input.sha256), "input \(input.table) fingerprint")
            XCTAssertTrue(markdown.contains(input.sha256))
        }
        // Failing rows with their file and line, a chart, and a link from the summary to the cell.
        XCTAssertTrue(html.contains("data/SENR.txt:"), "failing rows carry their source line")
        XCTAssertTrue(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""), "a bar chart for the aggregate")
        let failedCell = try XCTUnwrap(ReportRecord(record).cells.first { $0.check?.passed == false })
        XCTAssertTrue(html.contains("href=\"#cell-\(failedCell.number)\""))
        // One section per cell in both reports.
        let cells = ReportRecord(record).cells.count
        XCTAssertEqual(html.components(separatedBy: "<section class=\"cell").count - 1, cells)
        XCTAssertEqual(markdown.components(separatedBy: "<a id=\"cell-").count - 1, cells)
        XCTAssertTrue(markdown.contains("data/SENR.txt:"))

        // Parse the tags: sections, tables and charts open and close in balance, and every cell
        // section has its heading.
        var scanner = XMLScanner(Array(html.utf8))
        var opened: [String: Int] = [:], closed: [String: Int] = [:]
        var headingsInSections = 0, inSection = false
        while let event = scanner.next() {
            switch event {
            case .start(let name, let attributes, let selfClosing):
                if !selfClosing { opened[name, default: 0] += 1 }
                if name == "section", attributes["class"]?.hasPrefix("cell") == true { inSection = true }
                if name == "h3", inSection { headingsInSections += 1 }
            case .end(let name):
                closed[name, default: 0] += 1
                if name == "section" { inSection = false }
            case .text: break
            }
        }
        for tag in ["section", "table", "svg", "pre", "figure", "html", "body"] {
            XCTAssertEqual(opened[tag], closed[tag], "<\(tag)> opened and closed")
        }
        XCTAssertEqual(headingsInSections, cells)
        XCTAssertGreaterThan(opened["table"] ?? 0, 5)
    }

    /// The first screen answers "can we certify?" in plain words: the verdict, then each blocking
    /// problem with its count and the schools most affected; run metadata waits in an appendix.
    func testAFailingRunsReportOpensWithTheVerdictAndKeepsEveryFailingRow() throws {
        let scratch = try Scratch()
        var csv = "SSID,SchoolOfAttendance,GradeLevelCode\n"
        for i in 0..<260 {
            csv += "\(1_000_000_000 + i),\(["0101", "0202", "0303"][i % 3 == 0 ? 0 : i % 7 == 0 ? 2 : 1]),\(i < 250 ? "XX" : "01")\n"
        }
        try scratch.write("senr.csv", csv)
        try scratch.write(
            "p.playbook",
            """
            ## Fall 1 census check for the board.
            ## Written by the data office.
            playbook "Census check"
            ## The day the counts are taken.
            param census_day: date = @2024-10-02
            load senr from "senr.csv"
            assert senr: GradeLevelCode in ("KN", "01", "02") message "grade is not a CALPADS grade"
            assert count(senr) > 1000 severity warning message "fewer students than last year"
            """)
        let record = Runner.run(path: scratch.path("p.playbook"), options: scratch.options)
        XCTAssertEqual(record.exitStatus, 1)
        let (html, markdown) = try ReportRenderer.render(ReportRecord(record), options: ReportOptions())
        let verdict = try XCTUnwrap(html.range(of: "Not ready to certify: 1 blocking problem, 1 warning to review"))
        let blocker = try XCTUnwrap(html.range(of: "grade is not a CALPADS grade"))
        XCTAssertTrue(html.contains("250 failing rows"))
        XCTAssertTrue(
            html.contains("most in SchoolOfAttendance") || html.contains("by SchoolOfAttendance: 0202 (1"), "schools most affected")
        let affected = try XCTUnwrap(html.range(of: "SchoolOfAttendance: 0202 ("))
        let hash = try XCTUnwrap(html.range(of: "Playbook SHA-256"))
        let intro = try XCTUnwrap(html.range(of: "Fall 1 census check for the board."))
        XCTAssertTrue(verdict.lowerBound < blocker.lowerBound && blocker.lowerBound < affected.lowerBound)
        XCTAssertTrue(intro.lowerBound < hash.lowerBound && affected.lowerBound < hash.lowerBound, "metadata after the answer")
        XCTAssertTrue(html.contains("The day the counts are taken."), "narrative before param is kept")
        XCTAssertTrue(markdown.contains("## Not ready to certify: 1 blocking problem, 1 warning to review"))
        // Every failing row is in the report, with its line; the long tail in collapsed pages.
        for i in 0..<250 { XCTAssertTrue(html.contains(">\(1_000_000_000 + i)<"), "failing row \(i)") }
        XCTAssertTrue(html.contains("senr.csv:251<"))
        XCTAssertTrue(html.contains("<summary>rows 11–210 of 250</summary>"))
        XCTAssertTrue(html.contains("<summary>rows 211–250 of 250</summary>"))
        XCTAssertFalse(html.contains(">\(1_000_000_000 + 255)<"), "a passing row is not listed")

        // A run that passes says so.
        try scratch.write("ok.playbook", "load senr from \"senr.csv\"\nassert count(senr) == 260\n")
        let passing = Runner.run(path: scratch.path("ok.playbook"), options: scratch.options)
        XCTAssertTrue(
            try ReportRenderer.render(ReportRecord(passing), options: ReportOptions()).html.contains(
                "<p class=\"answer\">Ready to certify</p>"))
    }

    /// A comparison's chart shows each difference against the band its tolerance allows, with
    /// the true totals; long labels wrap and are never cut.
    func testComparisonChartShowsTheDifferenceAndTheTolerance() throws {
        let scratch = try Scratch()
        var sis = "School,students\n", state = "School,students\n"
        let long = "Very Long Elementary School Name / SENR-COMPLETER-NO-DIPLOMA"
        for i in 0..<208 {
            let name = i == 9 ? long : String(6_000_000 + i)
            let n = 300 + i, d = i == 9 ? 40 : [0, 0, 1, -3, 12][i % 5]
            sis += "\"\(name)\",\(n)\n"; state += "\"\(name)\",\(n - d)\n"
        }
        try scratch.write("sis.csv", sis); try scratch.write("state.csv", state)
        try scratch.write(
            "p.playbook",
            """
            load sis from "sis.csv"
            load state from "state.csv"
            compare sis.students with state.students by School within 1% or 2
            counts = sis | aggregate students = sum(students) by School
            """)
        let record = Runner.run(path: scratch.path("p.playbook"), options: scratch.options)
        let html = try ReportRenderer.render(ReportRecord(record), options: ReportOptions()).html
        XCTAssertTrue(html.contains("aria-label=\"differences, actual minus expected, with the tolerance\""))
        XCTAssertTrue(html.contains("allowed by the tolerance"))
        XCTAssertTrue(html.contains("fill-opacity=\"0.09\""), "the tolerance band is drawn")
        // 208 keys: 0, 1 and -3 are within "1% or 2" only where 1% of ~400 covers them; +12 never is.
        let outside = (0..<208).filter { i in
            let d = Double(i == 9 ? 40 : [0, 0, 1, -3, 12][i % 5]); let e = Double(300 + i) - d; return abs(d) > max(2, e / 100)
        }.count
        XCTAssertTrue(html.contains("208 keys compared, \(Format.count(208 - outside)) within the tolerance (1% or 2)"), "true totals")
        XCTAssertTrue(html.contains("the 25 largest of \(outside) differences shown"))
        XCTAssertTrue(html.contains("+12: "), "the value is written beside its bar")
        // The long label is all there, over two lines.
        XCTAssertTrue(
            html.contains(">Very Long Elementary School Name /</tspan>") || html.contains(">Very Long Elementary School Name</tspan>"))
        XCTAssertTrue(html.contains("SENR-COMPLETER-NO-DIPLOMA</tspan>"))
        XCTAssertFalse(html.contains("SENR-COMPLETER-NO-<"), "no label is cut")
        // The aggregate's chart: the largest groups of all 208, and says so.
        XCTAssertTrue(html.contains("students by School: the 25 largest of 208 groups; 183 smaller ones not drawn"))
    }

    /// After five runs of one playbook, each check's failing rows and each compared total are
    /// drawn across them, in the report and by `tally report --history`.
    func testTheReportShowsEachChecksTrendAcrossRuns() throws {
        let scratch = try Scratch()
        var options = scratch.options
        options.storePath = scratch.store
        try scratch.write(
            "p.playbook",
            """
            load senr from "senr.csv"
            assert senr: GradeLevelCode != "XX" message "grade is not a CALPADS grade"
            counts = senr | aggregate students = count() by SchoolOfAttendance
            compare counts.students with previous run by SchoolOfAttendance severity warning
            """)
        var record: RunRecord? = nil
        for run in 0..<5 {
            // Each day the clerks fix one more record, and one student enrols.
            var csv = "SSID,SchoolOfAttendance,GradeLevelCode\n"
            for i in 0..<(40 + run) { csv += "\(1_000_000_000 + i),\(i % 2 == 0 ? "0101" : "0202"),\(i < 4 - run ? "XX" : "01")\n" }
            try scratch.write("senr.csv", csv)
            record = Runner.run(path: scratch.path("p.playbook"), options: options)
        }
        let last = try XCTUnwrap(record)
        let history = try XCTUnwrap(last.history)
        XCTAssertEqual(history.runs.count, 5)
        let failing = try XCTUnwrap(history.series.first { $0.name == "grade is not a CALPADS grade" })
        XCTAssertEqual(failing.values, [4, 3, 2, 1, 0])
        let total = try XCTUnwrap(history.series.first { $0.name == "counts.students" })
        XCTAssertEqual(total.values, [40, 41, 42, 43, 44])
        let (html, markdown) = try ReportRenderer.render(ReportRecord(last), options: ReportOptions())
        XCTAssertTrue(html.contains("History: the last 5 runs with these parameters"))
        XCTAssertTrue(html.contains("down from 4 to 0 over 5 runs"))
        XCTAssertTrue(html.contains("up from 40 to 44 over 5 runs"))
        XCTAssertTrue(html.contains("<polyline"), "a line per series")
        XCTAssertTrue(
            markdown.contains("| grade is not a CALPADS grade (failing rows) | 4 | 3 | 2 | 1 | 0 | down from 4 to 0 over 5 runs |"))
        // The same from the ledger, as tally report --history prints it.
        let store = try QAStore(path: scratch.store)
        let latest = try XCTUnwrap(try store.latestRun(playbook: last.playbookPath))
        let text = HistoryText.render(
            try store.history(playbook: last.playbookPath, params: latest.params, upTo: latest.id),
            playbook: last.playbookPath, privacy: ReportPrivacy(masks: [], suppressBelow: nil, key: "k"))
        XCTAssertTrue(text.contains("the last 5 runs"))
        XCTAssertTrue(text.contains("down from 4 to 0 over 5 runs"))
    }

    func testMaskedSSIDsAppearNowhereAndTokensAreStable() throws {
        let scratch = try Scratch()
        let record = try runExample(scratch)
        let ssids = Set(
            (scratch.read("data/SENR.txt") ?? "").split(separator: "\r\n").map { line in
                String(line.split(separator: "^", omittingEmptySubsequences: false)[7])
            })
        XCTAssertGreaterThan(ssids.count, 400)
        var options = ReportOptions()
        options.privacy = ReportPrivacy(masks: ["SSID"], suppressBelow: nil, key: "secret")
        let (html, markdown) = try ReportRenderer.render(ReportRecord(record), options: options)
        let unmasked = try ReportRenderer.render(ReportRecord(record), options: ReportOptions())
        XCTAssertTrue(ssids.contains { unmasked.html.contains($0) }, "the unmasked report does show SSIDs")
        for ssid in ssids {
            XCTAssertFalse(html.contains(ssid), "SSID \(ssid) in the HTML")
            XCTAssertFalse(markdown.contains(ssid), "SSID \(ssid) in the Markdown")
        }
        let privacy = options.privacy
        XCTAssertEqual(privacy.token("1000000000"), privacy.token("1000000000"))
        XCTAssertNotEqual(privacy.token("1000000000"), ReportPrivacy(masks: [], suppressBelow: nil, key: "other").token("1000000000"))
        XCTAssertTrue(
            html.contains(privacy.token(try XCTUnwrap(record.checks.first { !$0.passed }?.failingRows?.rows.first?.first ?? nil))))
    }

    func testSuppressionHidesSmallCounts() throws {
        let scratch = try Scratch()
        let record = try runExample(scratch)
        var options = ReportOptions()
        options.privacy = ReportPrivacy(masks: [], suppressBelow: 11, key: "k")
        let masked = options.privacy.apply(ReportRecord(record))
        let shown = masked.cells.first { $0.kind == .show }?.preview
        let studentsColumn = try XCTUnwrap(shown?.columns.firstIndex(of: "students"))
        for row in shown?.rows ?? [] {
            let value = row[studentsColumn] ?? ""
            XCTAssertTrue(value == "*" || (Int(value) ?? 0) >= 11, "\(value) should be suppressed")
        }
    }

    func testReportRendersAgainIdenticallyFromTheStore() throws {
        let scratch = try Scratch()
        let record = try runExample(scratch)
        let first = try ReportRenderer.write(ReportRecord(record), to: scratch.path("today"), options: ReportOptions())
        let store = try QAStore(path: scratch.store)
        let stored = try XCTUnwrap(try store.report(run: try XCTUnwrap(record.runId)))
        XCTAssertEqual(stored, ReportRecord(record))
        let second = try ReportRenderer.write(stored, to: scratch.path("later"), options: ReportOptions())
        for (a, b) in zip(first, second) {
            let x = (try? String(contentsOfFile: a, encoding: .utf8)) ?? "", y = (try? String(contentsOfFile: b, encoding: .utf8)) ?? ""
            if x != y {
                let xl = x.split(separator: "\n"), yl = y.split(separator: "\n")
                for (l, r) in zip(xl, yl) where l != r { XCTFail("differs:\n\(l.prefix(300))\n\(r.prefix(300))"); break }
            }
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: first[0])
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600, "reports are readable by their owner only")
    }

    func testJSONParsesAndJUnitIsWellFormed() throws {
        let scratch = try Scratch()
        let record = try runExample(scratch)
        let report = ReportRecord(record)
        let json = try JSONSerialization.jsonObject(with: Data(MachineOutput.json(report).utf8)) as? [String: Any]
        XCTAssertEqual(json?["exitStatus"] as? Int, 1)
        XCTAssertEqual((json?["checks"] as? [Any])?.count, record.checks.count)
        let junit = MachineOutput.junit(report)
        #if canImport(FoundationXML) || canImport(Darwin)
        let parser = XMLParser(data: Data(junit.utf8))
        let counter = JUnitCounter()
        parser.delegate = counter
        XCTAssertTrue(parser.parse(), "JUnit XML parses: \(parser.parserError.map { "\($0)" } ?? "")")
        XCTAssertEqual(counter.testcases, record.checks.count)
        XCTAssertEqual(counter.failures, record.checksFailed)
        #endif
    }

    func testEmbeddedTemplatesMatchTheTemplatesFolder() throws {
        let folder = ReportTests.repository.appendingPathComponent("templates")
        XCTAssertEqual(
            try String(contentsOf: folder.appendingPathComponent("report.html.mustache"), encoding: .utf8), DefaultTemplates.html,
            "run scripts/embed_templates.py")
        XCTAssertEqual(
            try String(contentsOf: folder.appendingPathComponent("report.md.mustache"), encoding: .utf8), DefaultTemplates.markdown)
    }

    func testDistrictTemplatesAreUsed() throws {
        let scratch = try Scratch()
        let record = try runExample(scratch)
        try scratch.write(
            "mine/report.html.mustache", "<html><body><h1>District {{title}}</h1>{{#cells}}<p>{{number}}</p>{{/cells}}</body></html>")
        try scratch.write("mine/report.md.mustache", "{{% CONTENT_TYPE: TEXT}}\n# District {{title}}\n")
        var options = ReportOptions()
        options.templates = scratch.path("mine")
        let (html, markdown) = try ReportRenderer.render(ReportRecord(record), options: options)
        XCTAssertTrue(html.hasPrefix("<html><body><h1>District Fall 1 Census Day enrollment</h1><p>1</p>"))
        XCTAssertEqual(markdown, "# District Fall 1 Census Day enrollment\n")
    }
}

#if canImport(FoundationXML) || canImport(Darwin)
final class JUnitCounter: NSObject, XMLParserDelegate {
    var testcases = 0
    var failures = 0
    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        if name == "testcase" { testcases += 1 }
        if name == "failure" { failures += 1 }
    }
}
#endif
