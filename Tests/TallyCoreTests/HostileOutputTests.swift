import Foundation
import Ink
import XCTest
import ZIPFoundation

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Outputs of a playbook someone else wrote, over data someone else made: report.md carries no
/// live markup, the terminal obeys no control character from data, a masked run stays masked
/// when its report is rendered again, and workbooks are private and well-formed. Against the
/// real `tally` binary where the output is the command line's.
final class HostileOutputTests: XCTestCase {
    func tally(_ arguments: [String], in scratch: Scratch) throws -> (exit: Int32, output: String) {
        try ReliabilityTests.tally(arguments, in: scratch.url.path)
    }

    /// A CSV field, quoted.
    static func field(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    static func csv(_ header: [String], _ rows: [[String]]) -> String {
        ([header] + rows).map { $0.map(field).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    /// Values that are live Markdown or HTML when pasted into a Markdown file.
    static let markup = [
        "<img src=x onerror=alert(1)>", "![x](http://evil.example/b.png?ssid=1000000009)", "[link](javascript:x)",
        "<script>alert(2)</script>", "<http://evil.example/auto>", "www.evil.example/w",
    ]
    /// Values that drive a terminal: an OSC 8 link, an OSC 0 window title, a C1 CSI, backspaces, CR.
    static let controls = [
        "\u{1B}]8;;http://x\u{7}click\u{1B}]8;;\u{7}", "\u{1B}]0;title\u{7}", "\u{9B}31mred", "a\u{8}\u{8}b", "over\rwritten",
    ]

    /// report.md with its code spans and fenced code blocks taken out: what a renderer reads as
    /// Markdown (nothing inside a code span or block is live).
    static func outsideCode(_ markdown: String) -> String {
        var out: [String] = []
        var fence: String? = nil
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let run = String(line.prefix { $0 == "`" })
            if let open = fence {
                if run.count >= open.count, line.dropFirst(run.count).allSatisfy({ $0 == " " }) { fence = nil }
                continue
            }
            if run.count >= 3 { fence = run; continue }
            // Code spans: a run of n backticks to the next run of exactly n.
            let chars = Array(line)
            var kept = "", i = 0
            while i < chars.count {
                guard chars[i] == "`" else { kept.append(chars[i]); i += 1; continue }
                var n = 0
                while i + n < chars.count, chars[i + n] == "`" { n += 1 }
                var j = i + n, close: Int? = nil
                while j < chars.count {
                    guard chars[j] == "`" else { j += 1; continue }
                    var m = 0
                    while j + m < chars.count, chars[j + m] == "`" { m += 1 }
                    if m == n { close = j + m; break }
                    j += m
                }
                if let close { kept += " "; i = close } else { kept += String(chars[i..<(i + n)]); i += n }
            }
            out.append(kept)
        }
        return out.joined(separator: "\n")
    }

    // MARK: report.md

    func testReportMarkdownCarriesNoLiveMarkupFromDataTitlesParametersFileNamesOrMessages() throws {
        let scratch = try Scratch()
        let rows = HostileOutputTests.markup.enumerated().map { k, v in ["100000000\(k)", "Student \(k)", v] }
        // A file name with markup in it, too.
        let input = "<img src=x onerror=alert(6)> (f).csv"
        try scratch.write(input, HostileOutputTests.csv(["SSID", "Name", "Note"], rows))
        try scratch.write(
            "p.playbook",
            """
            ## Intro <script>alert(3)</script> ![n](http://evil.example/n.png) [j](javascript:alert(4)) [ok](https://example.org/ok) `a < b`
            playbook "Roster <img src=x onerror=alert(5)> ![t](http://evil.example/t.png)"
            param who: text = "<b>x</b> ![p](http://evil.example/p.png)"
            load s from "\(input)"
            ## A cell's narrative: ![i](//evil.example/i.png) <iframe src=http://evil.example>
            show s
            assert s: Name == "nobody" message "msg <img src=y onerror=z> ![m](http://evil.example/m.png) [l](javascript:q)"
            export s to "out/[e](javascript:x).csv"

            """)
        let run = try tally(["run", "p.playbook", "--report", "rep", "--no-color"], in: scratch)
        XCTAssertEqual(run.exit, 1, run.output)
        let markdown = try XCTUnwrap(scratch.read("rep/report.md"))
        // What a renderer reads as Markdown: outside code, and without backslash-escaped characters.
        let live = HostileOutputTests.outsideCode(markdown).replacingOccurrences(
            of: #"\\[!-/:-@\[-`{-~]"#, with: " ", options: .regularExpression)
        // The template's own anchors and line breaks are the only tags; no data makes one.
        let withoutTemplateTags = live.replacingOccurrences(of: #"<a id="cell-[0-9]+"></a>"#, with: "", options: .regularExpression)
            .replacingOccurrences(of: "<br>", with: "")
        XCTAssertFalse(withoutTemplateTags.contains("<"), "a raw < outside code:\n" + withoutTemplateTags)
        for needle in ["<img", "<script", "<b>", "<iframe", "![", "<http", "](javascript", "javascript:alert(4)"] {
            XCTAssertFalse(live.contains(needle), "\(needle) is live in report.md:\n\(markdown)")
        }
        // Links and GFM autolinks (`http://…`, `www.…`) from data, titles, parameters and messages:
        // none. (The author's narrative may link, not show images: its image is now a link.)
        let fromData = live.split(separator: "\n").filter { !$0.hasPrefix("Intro") && !$0.hasPrefix("A cell's narrative") }.joined(
            separator: "\n")
        for needle in ["](http", "](//", "http://evil", "www.evil"] {
            XCTAssertFalse(fromData.contains(needle), "\(needle) outside code:\n\(markdown)")
        }
        // The author's own Markdown still works: the allowed link is kept, the bad one goes nowhere.
        XCTAssertTrue(live.contains("[ok](https://example.org/ok)"), markdown)
        XCTAssertTrue(live.contains("[j](#)"), markdown)

        // Rendered by a Markdown renderer: nothing runs, nothing loads, data links nowhere.
        let rendered = MarkdownParser().html(from: markdown)
        for needle in [
            "<img", "<script", "<iframe", "<b>", "href=\"javascript", "src=\"", "href=\"http://evil.example/b.png",
            "href=\"http://evil.example/t.png", "href=\"http://evil.example/p.png", "href=\"http://evil.example/m.png",
            "href=\"http://evil.example/auto", "href=\"http://www.evil",
        ] {
            XCTAssertFalse(rendered.contains(needle), "\(needle) in the rendered report.md:\n\(rendered)")
        }
        // …and the values are still there to read.
        XCTAssertTrue(rendered.contains("onerror=alert(1)"), rendered)
        XCTAssertTrue(rendered.contains("Roster"), rendered)

        // The HTML report: the same values escaped, and a narrative image loads nothing remote.
        let html = try XCTUnwrap(scratch.read("rep/report.html"))
        for needle in ["<img src=x", "<script", "<iframe", "<b>x", "src=\"http", "src=\"//", "href=\"javascript"] {
            XCTAssertFalse(html.contains(needle), "\(needle) in report.html")
        }
        XCTAssertTrue(html.contains("&lt;img src=x onerror=alert(1)&gt;"))
    }

    func testMarkdownPiecesHoldAnyTextInert() {
        // A code span's fence is longer than any run of backticks inside; a pipe keeps its cell.
        XCTAssertEqual(MarkdownText.code("a ``` b"), "```` a ``` b ````")
        XCTAssertEqual(MarkdownText.code("x|y"), "` x\\|y `")
        XCTAssertEqual(MarkdownText.block("```\n![x](http://e/x.png)\n```"), "````text\n```\n![x](http://e/x.png)\n```\n````")
        XCTAssertEqual(MarkdownText.inline("<b>*x*</b> & [y]"), "&lt;b&gt;\\*x\\*&lt;/b&gt; &amp; \\[y\\]")
        XCTAssertEqual(MarkdownText.inline("# heading"), "\\# heading")
        XCTAssertEqual(MarkdownText.inline("1. item"), "1\\. item")
        XCTAssertEqual(MarkdownText.inline("-5"), "-5", "a negative number is text")
        XCTAssertEqual(MarkdownText.inline("see https://x.org"), "` see https://x.org `", "an address is a code span: never linked")
        XCTAssertEqual(MarkdownText.inline("a@b.org"), "` a@b.org `")
        XCTAssertEqual(MarkdownText.inline("line\nbreak\u{1B}[2J"), #"line break\\u\{1B\}\[2J"#)
        // Narrative keeps its Markdown but no tag, image or bad link; code is left as written.
        XCTAssertEqual(
            MarkdownText.narrative("**b** <i>x</i> `<i>` ![a](http://e/a.png) [j](javascript:alert(1)) [o](https://o.org)"),
            "**b** &lt;i>x&lt;/i> `<i>` !\\[a](http://e/a.png) [j](#) [o](https://o.org)")
        XCTAssertEqual(MarkdownText.narrative("[r]: javascript&colon;alert(1)\n[s]: https://s.org"), "[r]: #\n[s]: https://s.org")
        XCTAssertEqual(MarkdownText.narrative("```\n<script>\n```\n<script>"), "```\n<script>\n```\n&lt;script>")
        // The HTML report's narrative: a remote (or protocol-relative) image loads nothing.
        let html = SafeMarkdown.html("![a](http://e/a.png) ![b](//e/b.png) ![c](chart.png) [d](http://e/d)")
        XCTAssertFalse(html.contains("src=\"http"), html)
        XCTAssertFalse(html.contains("src=\"//"), html)
        XCTAssertTrue(html.contains("src=\"chart.png\""), html)
        XCTAssertTrue(html.contains("href=\"http://e/d\""), html)
    }

    // MARK: the terminal

    /// Scalars a terminal would obey: ESC, BEL, backspace, CR, C1 controls.
    static func obeyed(_ text: String) -> [String] {
        text.unicodeScalars.filter { [0x1B, 0x07, 0x08, 0x0D].contains($0.value) || (0x80...0x9F).contains($0.value) }
            .map { "U+" + String($0.value, radix: 16, uppercase: true) }
    }

    func testTerminalOutputsShowControlCharactersVisibly() throws {
        let scratch = try Scratch()
        let rows = HostileOutputTests.controls.enumerated().map { k, v in ["100000000\(k)", "0112345", "n\(k)\u{1B}[8m", v] }
        try scratch.write("s.csv", HostileOutputTests.csv(["SSID", "School", "Name", "Note"], rows))
        // A CALPADS error report whose description and field value drive the terminal.
        try scratch.write(
            "err.csv",
            HostileOutputTests.csv(
                [
                    "Student Name", "SSID", "Local Student ID", "Local Record ID", "School of Attendance", "Error Code",
                    "Error Description",
                    "Field Name", "Field Value", "Error Severity",
                ],
                [
                    [
                        "Doe\u{1B}]0;pwned\u{7}, Jo", "1000000001", "100001", "ENR-1", "0112345", "SENR0027",
                        "desc \u{1B}]8;;http://evil\u{7}link\u{1B}]8;;\u{7} \u{9B}2J", "Grade Level Code", "K\u{8}X", "Fatal",
                    ]
                ]))
        try scratch.write(
            "p.playbook",
            """
            playbook "Title \u{1B}]0;window\u{7} \u{1B}[2J end"
            load s from "s.csv"
            load errs from "err.csv" as calpads errors
            show s
            assert s: Name == "none" message "msg \u{1B}]8;;http://x\u{7}here\u{1B}]8;;\u{7} \u{9B}1m"
            track errs

            """)
        let run = try tally(["run", "p.playbook", "--no-color"], in: scratch)
        XCTAssertEqual(run.exit, 1, run.output)
        XCTAssertEqual(HostileOutputTests.obeyed(run.output), [], run.output)
        XCTAssertTrue(run.output.contains("Title \\u{1B}]0;window\\u{7} \\u{1B}[2J end"), run.output)
        XCTAssertTrue(run.output.contains("msg \\u{1B}]8;;http://x\\u{7}here\\u{1B}]8;;\\u{7} \\u{9B}1m"), run.output)
        XCTAssertTrue(run.output.contains("a\\u{8}\\u{8}b"), run.output)

        let show = try tally(["runs", "show", "1"], in: scratch)
        XCTAssertEqual(show.exit, 0, show.output)
        XCTAssertEqual(HostileOutputTests.obeyed(show.output), [], show.output)
        XCTAssertTrue(show.output.contains("Title \\u{1B}]0;window\\u{7}"), show.output)
        let list = try tally(["runs"], in: scratch)
        XCTAssertEqual(HostileOutputTests.obeyed(list.output), [], list.output)
        XCTAssertTrue(list.output.contains("Title \\u{1B}]0;window"), list.output)
        let errors = try tally(["errors"], in: scratch)
        XCTAssertEqual(errors.exit, 0, errors.output)
        XCTAssertEqual(HostileOutputTests.obeyed(errors.output), [], errors.output)
        XCTAssertTrue(errors.output.contains("desc \\u{1B}]8;;http"), errors.output)
    }

    /// With colour on, the only escape sequences are Tally's own SGR colours, added after the
    /// text's control characters were made visible.
    func testColourIsTallysOwnAndDataCannotAddAny() throws {
        let scratch = try Scratch()
        try scratch.write(
            "s.csv",
            HostileOutputTests.csv(["Name", "Note"], [["a", "\u{1B}[31mred\u{1B}[0m \u{1B}]8;;http://x\u{7}l"], ["b", "\u{9B}8m"]]))
        try scratch.write(
            "p.playbook", "playbook \"T \u{1B}[5m\"\nload s from \"s.csv\"\nshow s\nassert s: Name == \"a\" message \"m \u{1B}[8m\"\n")
        let record = Runner.run(path: scratch.path("p.playbook"), options: scratch.options)
        XCTAssertEqual(record.exitStatus, 1, "\(record.errors)")
        let text = TerminalReport(color: true, timings: false).render(record)
        let sequences = try NSRegularExpression(pattern: "\u{1B}\\[[0-9;]*m")
        let whole = NSRange(text.startIndex..., in: text)
        XCTAssertGreaterThan(sequences.numberOfMatches(in: text, range: whole), 4, "the notebook is coloured")
        let stripped = sequences.stringByReplacingMatches(in: text, range: whole, withTemplate: "")
        XCTAssertEqual(HostileOutputTests.obeyed(stripped), [], text)
        // Every colour Tally wrote is one of its own: bold, dim, red, yellow, green, reset.
        let codes = Set(sequences.matches(in: text, range: whole).compactMap { Range($0.range, in: text).map { String(text[$0]) } })
        XCTAssertTrue(
            codes.isSubset(of: ["\u{1B}[1m", "\u{1B}[2m", "\u{1B}[31;1m", "\u{1B}[33;1m", "\u{1B}[32m", "\u{1B}[0m"]), "\(codes)")
        XCTAssertTrue(text.contains("\\u{1B}[31mred"), text)
        XCTAssertTrue(text.contains("m \\u{1B}[8m"), text)
    }

    // MARK: masks kept with the run

    /// On the store the tests run with: SQLite, or PostgreSQL inside scripts/with-postgres.sh
    /// with TALLY_TEST_STORE_BACKEND=postgres (the v5 migration on both).
    func testAMaskedRunStaysMaskedWhenItsReportIsRenderedAgain() throws {
        let scratch = try Scratch()
        let store = scratch.store
        let ssids = (1...6).map { "100000\(String(format: "%04d", $0 * 37))" }
        let rows = ssids.enumerated().map { k, s in [s, k < 5 ? "0112345" : "6001734", "Student \(k)", k == 0 ? "see \(ssids[1])" : ""] }
        try scratch.write("s.csv", HostileOutputTests.csv(["SSID", "School", "Name", "Note"], rows))
        try scratch.write(
            "p.playbook",
            """
            load s from "s.csv" with columns (SSID: text, School: text)
            show s
            by_school = s | aggregate students = count() by School
            show by_school
            assert s: Name == "Student 0" message "not the first student"

            """)
        let run = try tally(
            ["run", "p.playbook", "--mask", "SSID", "--suppress-below", "3", "--report", "r0", "--store", store], in: scratch)
        XCTAssertEqual(run.exit, 1, run.output)
        for ssid in ssids { XCTAssertFalse(run.output.contains(ssid), "\(ssid) in the notebook") }

        // Rendered again without any flag: the run's masks and suppression apply.
        let again = try tally(["report", "1", "--store", store], in: scratch)
        XCTAssertEqual(again.exit, 0, again.output)
        XCTAssertFalse(again.output.contains("recorded before"), again.output)
        for name in ["report-1/report.html", "report-1/report.md"] {
            let text = try XCTUnwrap(scratch.read(name))
            for ssid in ssids { XCTAssertFalse(text.contains(ssid), "\(ssid) in \(name)") }
            XCTAssertTrue(text.contains("SSID (shown as tokens everywhere in this report)"), name)
            XCTAssertTrue(text.contains("counts of students from 1 to 2 shown as *"), name)
            XCTAssertFalse(text.contains("Rendered unmasked"), name)
        }
        // The school with one student: its count is suppressed in the re-rendered report too.
        XCTAssertTrue(scratch.read("report-1/report.md")?.contains("| 6001734 | * |") ?? false, scratch.read("report-1/report.md") ?? "")
        XCTAssertEqual(
            scratch.read("report-1/report.md")?.replacingOccurrences(of: #"[0-9T:.-]+Z"#, with: "TIME", options: .regularExpression),
            scratch.read("r0/report.md")?.replacingOccurrences(of: #"[0-9T:.-]+Z"#, with: "TIME", options: .regularExpression),
            "re-rendered exactly as the run rendered it")

        // The ledger shows them too, and `tally runs show` masks with them.
        let show = try tally(["runs", "show", "1", "--store", store], in: scratch)
        XCTAssertTrue(show.output.contains("masked: SSID; counts below 3 suppressed"), show.output)
        for ssid in ssids { XCTAssertFalse(show.output.contains(ssid), "\(ssid) in runs show") }

        // In clear only when asked, and the report says who asked and when.
        let clear = try tally(["report", "1", "--unmask", "--out", "clear", "--store", store], in: scratch)
        XCTAssertEqual(clear.exit, 0, clear.output)
        XCTAssertTrue(clear.output.contains("Rendered unmasked at the request of"), clear.output)
        for name in ["clear/report.html", "clear/report.md"] {
            let text = try XCTUnwrap(scratch.read(name))
            for ssid in ssids { XCTAssertTrue(text.contains(ssid), "\(ssid) not in \(name)") }
            XCTAssertTrue(text.contains("Rendered unmasked at the request of"), name)
            XCTAssertTrue(text.contains("the run masked SSID and suppressed counts below 3"), name)
        }
        // A --mask naming no column the run shows is refused (it would mask nothing while the
        // report said the column was masked); one it shows masks it.
        let misspelt = try tally(["report", "1", "--mask", "Nmae", "--out", "m", "--store", store], in: scratch)
        XCTAssertEqual(misspelt.exit, 2, misspelt.output)
        XCTAssertTrue(misspelt.output.contains("--mask Nmae: run 1 shows no column \"Nmae\" to mask"), misspelt.output)
        XCTAssertTrue(misspelt.output.contains("did you mean \"Name\"?"), misspelt.output)
        XCTAssertNil(scratch.read("m/report.html"), "no report written for a refused mask")
        let named = try tally(["report", "1", "--mask", "Name", "--out", "n", "--store", store], in: scratch)
        XCTAssertEqual(named.exit, 0, named.output)
        XCTAssertFalse(try XCTUnwrap(scratch.read("n/report.md")).contains("Student 3"), "Name masked")
        let both = try tally(["report", "1", "--unmask", "--mask", "Name", "--out", "x", "--store", store], in: scratch)
        XCTAssertNotEqual(both.exit, 0, both.output)
        XCTAssertTrue(both.output.contains("--unmask renders the run in clear"), both.output)

        // A run recorded before runs kept their masks: rendered as recorded (its playbook's mask
        // statements are all there is to apply), and the command says so.
        let qa = try QAStore(path: store)
        try qa.write { db in try db.execute(sql: "UPDATE run SET privacy = NULL WHERE id = 1") }
        XCTAssertNil(try qa.privacy(run: 1))
        let old = try tally(["report", "1", "--out", "old", "--store", store], in: scratch)
        XCTAssertEqual(old.exit, 0, old.output)
        XCTAssertTrue(old.output.contains("note: run 1 was recorded before runs kept their --mask and --suppress-below"), old.output)
        XCTAssertTrue(scratch.read("old/report.md")?.contains(ssids[0]) ?? false)
    }

    func testTheLedgerKeepsARunsMasksAndAPlaybooksMaskStatements() throws {
        let scratch = try Scratch()
        try scratch.write("s.csv", "SSID,LastName\n1000000001,Doe\n")
        try scratch.write("p.playbook", "mask LastName\nload s from \"s.csv\"\nshow s\n")
        var options = scratch.options
        options.storePath = scratch.store
        options.masks = ["SSID"]
        options.suppressBelow = 11
        let record = Runner.run(path: scratch.path("p.playbook"), options: options)
        XCTAssertEqual(record.exitStatus, 0, "\(record.errors)")
        let qa = try QAStore(path: scratch.store)
        XCTAssertEqual(try qa.privacy(run: try XCTUnwrap(record.runId)), RecordedPrivacy(masks: ["LastName", "SSID"], suppressBelow: 11))
        XCTAssertTrue(try qa.appliedMigrations().contains("v5: a run's masks and suppression"))
        options.masks = []
        options.suppressBelow = nil
        let plain = Runner.run(path: scratch.path("p.playbook"), options: options)
        XCTAssertEqual(try qa.privacy(run: try XCTUnwrap(plain.runId)), RecordedPrivacy(masks: ["LastName"], suppressBelow: nil))
    }

    // MARK: workbooks

    /// Every part of a workbook, by name.
    static func parts(_ path: String) throws -> [String: Data] {
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        var out: [String: Data] = [:]
        for entry in archive {
            var data = Data()
            _ = try archive.extract(entry) { data.append($0) }
            out[entry.path] = data
        }
        return out
    }

    func testWorkbooksArePrivateAndWellFormed() throws {
        let scratch = try Scratch()
        let long = String(repeating: "abcdefghij", count: 4_000)
        let names = ["'x'", "History", "a/b", String(repeating: "n", count: 40), "Dup", "dup", "[x]:*?\\"]
        let rows = names.enumerated().map { k, name in
            [name, k == 0 ? "bad \u{FFFE} and \u{FFFF} and \u{1} here" : "ok \(k)", k == 1 ? long : "short"]
        }
        try scratch.write("s.csv", HostileOutputTests.csv(["Group", "Text", "Long"], rows))
        try scratch.write(
            "p.playbook",
            """
            load s from "s.csv"
            export s to "out/w/book.xlsx" as xlsx sheet by Group

            """)
        let run = try tally(["run", "p.playbook", "--no-color"], in: scratch)
        XCTAssertEqual(run.exit, 0, run.output)
        let path = scratch.path("out/w/book.xlsx")
        let fm = FileManager.default
        XCTAssertEqual(
            (try fm.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue, 0o600, "the workbook is its owner's only")
        for folder in ["out", "out/w"] {
            XCTAssertEqual((try fm.attributesOfItem(atPath: scratch.path(folder))[.posixPermissions] as? NSNumber)?.intValue, 0o700, folder)
        }

        // Every part parses as XML, and none holds a character XML has no place for.
        let parts = try HostileOutputTests.parts(path)
        XCTAssertEqual(parts.keys.filter { $0.hasPrefix("xl/worksheets/") }.count, names.count)
        for (name, data) in parts {
            let parser = XMLParser(data: data)
            XCTAssertTrue(parser.parse(), "\(name): \(parser.parserError.map { "\($0)" } ?? "")")
            let text = String(decoding: data, as: UTF8.self)
            XCTAssertFalse(text.unicodeScalars.contains { $0.value == 0xFFFE || $0.value == 0xFFFF || $0.value == 1 }, name)
        }

        // Sheet names as Excel requires them.
        let sheets = try XlsxReader.sheetNames(path: path, displayName: "book.xlsx")
        XCTAssertEqual(Set(sheets), ["_x_", "History_", "a_b", String(repeating: "n", count: 31), "Dup", "dup (2)", "_x_____"])
        for name in sheets {
            XCTAssertTrue((1...31).contains(name.utf16.count), name)
            XCTAssertFalse(name.hasPrefix("'") || name.hasSuffix("'"), name)
            XCTAssertFalse(name.contains { "[]:*?/\\".contains($0) }, name)
            XCTAssertNotEqual(name.lowercased(), "history")
        }
        XCTAssertEqual(Set(sheets.map { $0.lowercased() }).count, sheets.count, "unique regardless of case")

        // Read back: the bad characters are U+FFFD, the long cell is cut to Excel's 32,767 and says so.
        let first = try XlsxReader.read(path: path, displayName: "book.xlsx", sheet: "_x_", headerRow: nil)
        XCTAssertEqual(first.strings("Text").first ?? nil, "bad \u{FFFD} and \u{FFFD} and \u{FFFD} here")
        let history = try XlsxReader.read(path: path, displayName: "book.xlsx", sheet: "History_", headerRow: nil)
        let cut = try XCTUnwrap(history.strings("Long").first ?? nil)
        XCTAssertEqual(cut.utf16.count, 32_767)
        XCTAssertTrue(cut.hasPrefix("abcdefghij"))
        XCTAssertTrue(cut.hasSuffix("… [cut: 40,000 characters, Excel holds 32,767]"), String(cut.suffix(60)))
    }

    func testAStyleIndexOutOfRangeInAWorkbookReadIsAnErrorNamingTheCell() throws {
        let scratch = try Scratch()
        let table = try readCSV("Name,Grade\n" + (1...8).map { "s\($0),\($0)" }.joined(separator: "\n") + "\n") { _ in }
        for (style, shown) in [("-1", "-1"), ("7", "7"), ("x", "x")] {
            let path = scratch.path("book\(shown).xlsx")
            _ = try XlsxWriter.write([XlsxWriter.Sheet(name: "X", table: table, rows: Array(0..<table.rowCount))], to: path)
            // Rewrite the sheet with a style on cell B7 that the workbook does not have.
            var parts = try HostileOutputTests.parts(path)
            let sheet = String(decoding: try XCTUnwrap(parts["xl/worksheets/sheet1.xml"]), as: UTF8.self)
            XCTAssertTrue(sheet.contains("<c r=\"B7\">"))
            parts["xl/worksheets/sheet1.xml"] = Data(
                sheet.replacingOccurrences(of: "<c r=\"B7\">", with: "<c r=\"B7\" s=\"\(style)\">").utf8)
            try fm.removeItem(atPath: path)
            let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
            for (name, data) in parts.sorted(by: { $0.key < $1.key }) {
                try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count)) { position, size in
                    data.subdata(in: Data.Index(position)..<min(data.count, Data.Index(position) + size))
                }
            }
            try scratch.write("p\(shown).playbook", "load t from \"book\(shown).xlsx\" as xlsx\nshow t\n")
            let run = try tally(["run", "p\(shown).playbook", "--no-store", "--no-color"], in: scratch)
            XCTAssertEqual(run.exit, 2, run.output)
            XCTAssertTrue(
                run.output.contains(
                    "book\(shown).xlsx: error: sheet \"X\" cell B7: style index \(shown) is out of range (the workbook has 3 cell styles)"),
                run.output)
        }
    }

    let fm = FileManager.default
}
