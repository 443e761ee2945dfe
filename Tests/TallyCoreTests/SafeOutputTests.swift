import Foundation
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// Outputs that cannot hurt their reader or the person who runs a playbook from someone else.
final class SafeOutputTests: XCTestCase {
    func run(_ scratch: Scratch, _ playbook: String) throws -> RunRecord {
        try scratch.write("p.playbook", playbook)
        return Runner.run(path: scratch.path("p.playbook"), options: scratch.options)
    }

    func testTextThatASpreadsheetWouldRunIsWrittenAfterAQuoteUnlessRaw() throws {
        let scratch = try Scratch()
        // Each text value starts as OWASP lists; numbers (also negative ones) are left alone.
        try scratch.write(
            "values.csv",
            "id,text,n,d\n1,=1+1,-5,-1.5\n2,+cmd|' /C calc'!A0,6,2.5\n3,-2+3,7,3\n4,@SUM(A1),8,4\n5,\"\tTAB\",9,5\n6,\"\rCR\",10,6\n7,plain,11,7\n"
        )
        let record = try run(
            scratch,
            """
            load t from "values.csv" with columns (id: text, text: text)
            export t to "out/safe.csv"
            export t to "out/safe.tsv"
            export t to "out/raw.csv" with raw
            """)
        XCTAssertEqual(record.exitStatus, 0, "\(record.errors)")
        XCTAssertEqual(
            scratch.read("out/safe.csv"),
            """
            id,text,n,d
            1,'=1+1,-5,-1.5
            2,'+cmd|' /C calc'!A0,6,2.5
            3,'-2+3,7,3.0
            4,'@SUM(A1),8,4.0
            5,'\tTAB,9,5.0
            6,"'\rCR",10,6.0
            7,plain,11,7.0

            """)
        XCTAssertEqual(scratch.read("out/safe.tsv")?.split(separator: "\n").dropFirst().first, "1\t'=1+1\t-5\t-1.5")
        XCTAssertEqual(
            scratch.read("out/raw.csv"),
            "id,text,n,d\n1,=1+1,-5,-1.5\n2,+cmd|' /C calc'!A0,6,2.5\n3,-2+3,7,3.0\n4,@SUM(A1),8,4.0\n5,\tTAB,9,5.0\n6,\"\rCR\",10,6.0\n7,plain,11,7.0\n"
        )
    }

    func testACalpadsExportIsNeverAltered() throws {
        let scratch = try Scratch()
        let senr = "SENR^A^^0161119^0112345^^2024-2025^1000000000^100000^=Nathan^^-Lopez^^^^^20150224^F^^^US^20240814^10^03^^^^^^^^^^^\n"
        try scratch.write("SENR.txt", senr)
        let record = try run(
            scratch,
            """
            load senr from "SENR.txt" as calpads SENR
            export senr to "out/SENR.txt" as calpads SENR
            """)
        XCTAssertEqual(record.exitStatus, 0, "\(record.errors)")
        // Byte for byte as CALPADS lays it out (its records end in CR LF).
        XCTAssertEqual(scratch.read("out/SENR.txt"), senr.replacingOccurrences(of: "\n", with: "\r\n"))
        let raw = try run(
            scratch,
            """
            load senr from "SENR.txt" as calpads SENR
            export senr to "out/SENR.txt" as calpads SENR with raw
            """)
        XCTAssertEqual(raw.errors.first?.message, "a CALPADS file is always written exactly as its layout says: raw does not apply")
        let load = try run(scratch, "load senr from \"SENR.txt\" as calpads SENR with raw\n")
        XCTAssertEqual(load.errors.first?.message, "raw applies to a CSV, TSV or delimited export, not a load")
    }

    func testNarrativeCannotInjectHTMLOrScriptLinks() {
        let html = SafeMarkdown.html(
            """
            Intro <script>alert(1)</script> <img src=x onerror=alert(2)> & "q" `a < b && c`
            [bad](javascript:alert(3)) [Bad](JaVa&#115;cript:alert(4)) [ok](https://example.org/a?b=1&c=2) [rel](report.md#cell-2)
            ![img](javascript:alert(5)) \\`<script>alert(6)</script>\\`
            """)
        XCTAssertFalse(html.contains("<script"), html)
        XCTAssertFalse(html.contains("<img src=x"), html)
        XCTAssertFalse(html.lowercased().contains("javascript:alert(3)\""), html)
        XCTAssertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), html)
        XCTAssertTrue(html.contains("<code>a &lt; b &amp;&amp; c</code>"), html)
        XCTAssertTrue(html.contains("<a href=\"#\">bad</a>"), html)
        XCTAssertTrue(html.contains("<a href=\"#\">Bad</a>"), html)
        XCTAssertTrue(html.contains("<a href=\"https://example.org/a?b=1&amp;c=2\">ok</a>"), html)
        XCTAssertTrue(html.contains("<a href=\"report.md#cell-2\">rel</a>"), html)
        XCTAssertTrue(html.contains("src=\"#\""), html)
    }

    func testAnExportNeverReplacesAnInputALinkOrAFolderOrLeavesThePlaybooksFolder() throws {
        let scratch = try Scratch()
        let input = "a,b\n1,2\n"
        try scratch.write("input.csv", input)
        var record = try run(scratch, "load t from \"input.csv\"\nexport t to \"input.csv\"\n")
        XCTAssertEqual(record.exitStatus, 2)
        XCTAssertEqual(record.errors.first?.message, "export to input.csv would overwrite input.csv, an input of this run")
        XCTAssertEqual(record.errors.first?.line, 2)
        // The same file reached through a link in the path.
        try FileManager.default.createSymbolicLink(atPath: scratch.path("same"), withDestinationPath: scratch.url.path)
        record = try run(scratch, "load t from \"input.csv\"\nexport t to \"same/input.csv\"\n")
        XCTAssertEqual(record.errors.first?.message, "export to same/input.csv would overwrite input.csv, an input of this run")
        XCTAssertEqual(record.errors.first?.line, 2)
        XCTAssertEqual(scratch.read("input.csv"), input)

        // A link at the export's path, to a file outside the folder: neither replaced nor written through.
        let outside = try Scratch()
        try outside.write("precious.txt", "keep me\n")
        try FileManager.default.createDirectory(atPath: scratch.path("out"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: scratch.path("out/report.csv"), withDestinationPath: outside.path("precious.txt"))
        record = try run(scratch, "load t from \"input.csv\"\nexport t to \"out/ok.csv\"\nexport t to \"out/report.csv\"\n")
        XCTAssertEqual(
            record.errors.first?.message,
            "cannot export to out/report.csv: it leads outside the playbook's folder through a symbolic link (it is really \(Interpreter.realPath(outside.path("precious.txt"))))"
        )
        XCTAssertEqual(outside.read("precious.txt"), "keep me\n")
        XCTAssertNil(scratch.read("out/ok.csv"), "no export is written when one cannot be")

        // A folder in the path that is a link to somewhere else.
        try FileManager.default.createSymbolicLink(atPath: scratch.path("elsewhere"), withDestinationPath: outside.url.path)
        record = try run(scratch, "load t from \"input.csv\"\nexport t to \"elsewhere/precious.txt\" as csv\n")
        XCTAssertEqual(
            record.errors.first?.message,
            "cannot export to elsewhere/precious.txt: it leads outside the playbook's folder through a symbolic link (it is really \(Interpreter.realPath(outside.path("precious.txt"))))"
        )
        XCTAssertEqual(outside.read("precious.txt"), "keep me\n")

        // A folder where the file should be.
        try FileManager.default.createDirectory(atPath: scratch.path("out/folder.csv"), withIntermediateDirectories: true)
        record = try run(scratch, "load t from \"input.csv\"\nexport t to \"out/folder.csv\"\n")
        XCTAssertEqual(record.errors.first?.message, "out/folder.csv is a folder: an export needs a file name")
        XCTAssertEqual(record.exitStatus, 2)
    }

    func testAStagedFileOfAKilledRunIsRemovedByTheNextRun() throws {
        let scratch = try Scratch()
        try scratch.write("input.csv", "a,b\n1,2\n")
        // What a run killed while writing leaves: a staged file owned by a process that is gone.
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        try scratch.write("out/.result.csv.tally-partial-\(gone.processIdentifier)-0000aaaa-0", "a,b\n1,")
        // One of a process that still runs (this one) is left alone.
        try scratch.write("out/.result.csv.tally-partial-\(getpid())-0000bbbb-0", "a,b\n")
        let record = try run(scratch, "load t from \"input.csv\"\nexport t to \"out/result.csv\"\n")
        XCTAssertEqual(record.exitStatus, 0, "\(record.errors)")
        let left = try FileManager.default.contentsOfDirectory(atPath: scratch.path("out")).sorted()
        XCTAssertEqual(left, [".result.csv.tally-partial-\(getpid())-0000bbbb-0", "result.csv"])
    }

    func testPathsInMessagesAndReportsAreNeverHomeFolderPaths() {
        let home = (NSHomeDirectory() as NSString).standardizingPath
        XCTAssertEqual(Checker.display("/srv/district/fall1/data/SENR.txt", relativeTo: "/srv/district/fall1"), "data/SENR.txt")
        XCTAssertEqual(Checker.display("/srv/district/shared/SENR.txt", relativeTo: "/srv/district/fall1"), "../shared/SENR.txt")
        XCTAssertEqual(Checker.display(home + "/Downloads/SENR.txt", relativeTo: "/"), "~/Downloads/SENR.txt")
    }
}
