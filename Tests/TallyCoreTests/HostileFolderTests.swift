import Foundation
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// A playbook folder from someone else, run with the real `tally` binary: whatever it ships
/// (a commit journal, exports to paths outside it, names no file system takes), nothing outside
/// the folder moves, the store and the playbook survive, and a failed commit replaces nothing.
final class HostileFolderTests: XCTestCase {
    /// A folder holding a playbook and its input, and a second folder outside it with files the
    /// person running Tally cares about.
    struct Setup {
        let folder: Scratch
        let home: Scratch
        init() throws {
            folder = try Scratch()
            home = try Scratch()
            try folder.write("in.csv", "SSID,School\n1000000001,A\n1000000002,B\n")
            try home.write(".bashrc", "precious\n")
            try home.write(".ssh/id_rsa", "secret key\n")
        }
    }

    @discardableResult
    func tally(_ arguments: [String], in folder: Scratch) throws -> (exit: Int32, output: String) {
        try ReliabilityTests.tally(arguments, in: folder.url.path)
    }

    /// Every file below `folder` with its contents.
    func snapshot(_ folder: Scratch) -> [String: String] {
        var files: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: folder.url.path)
        while let name = enumerator?.nextObject() as? String {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder.path(name), isDirectory: &isFolder), !isFolder.boolValue {
                files[name] = folder.read(name) ?? "(not text)"
            }
        }
        return files
    }

    /// Item 1: a journal shipped in `out/` naming files outside the folder (absolute and `../`
    /// paths, the old format) or in the right form but not sealed by the store moves nothing.
    func testAJournalInTheFolderMovesNothing() throws {
        let s = try Setup()
        let before = snapshot(s.home)
        let pid = try deadProcessID()
        try s.folder.write("out/.evil", "attacker's content\n")
        try s.folder.write(
            "out/.tally-commit-\(pid)-abcd1234.journal",
            "\(s.folder.path("out/.evil"))\t\(s.home.path(".bashrc"))\n\(s.home.path(".ssh/id_rsa"))\tstolen\n../../x\t../y\nend\n")
        // The right form, names in the folder, but not sealed with this store's secret.
        let token = "\(pid)-feedbeef"
        try s.folder.write("out/.p.playbook.tally-partial-\(token)-0", "load t from \"/etc/passwd\"\n")
        try s.folder.write(
            "out/.tally-commit-\(token).journal",
            "tally-commit 2\nrun 1\n.p.playbook.tally-partial-\(token)-0\ta.csv\t-\nend -\n")
        try s.folder.write("p.playbook", "load t from \"in.csv\"\nexport t to \"out/a.csv\"\nexport t to \"out/b.csv\"\n")
        let (exit, output) = try tally(["run", "p.playbook", "--no-color"], in: s.folder)
        XCTAssertEqual(exit, 0, output)
        XCTAssertEqual(snapshot(s.home), before, "nothing outside the folder changed")
        XCTAssertEqual(s.folder.read("out/a.csv"), "SSID,School\n1000000001,A\n1000000002,B\n")
        XCTAssertNil(s.folder.read("out/stolen"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: s.folder.path("out/.tally-commit-\(pid)-abcd1234.journal")), "left in place")
        XCTAssertTrue(FileManager.default.fileExists(atPath: s.folder.path("out/.tally-commit-\(token).journal")), "left in place")
        let notes = output.split(separator: "\n").filter { $0.hasPrefix("note: left out/.tally-commit-") }
        XCTAssertEqual(notes.count, 2, "one line for each journal left alone:\n\(output)")
        XCTAssertTrue(output.contains("not a journal this version of Tally wrote"), output)
        XCTAssertTrue(output.contains("not sealed by this QA store"), output)
    }

    /// Item 2: exports outside the folder, over the store, the playbook, a template or the
    /// cache, or through `.` and `..` that two parameters make, exit 2 with nothing written.
    func testExportsStayInsideThePlaybooksFolder() throws {
        let s = try Setup()
        try s.folder.write("templates/report.html.mustache", "{{title}}")
        try FileManager.default.createSymbolicLink(atPath: s.folder.path("linked"), withDestinationPath: s.home.url.path)
        let cases: [(String, String)] = [
            (
                "export t to \"../\(s.home.url.lastPathComponent)/.ssh/authorized_keys\" as csv with raw",
                "it is outside the playbook's folder"
            ),
            ("export t to \"\(s.home.path(".bashrc"))\" as csv", "it is outside the playbook's folder"),
            ("export t to \"linked/.bashrc\" as csv", "it leads outside the playbook's folder through a symbolic link"),
            ("export t to \".tally/tally.sqlite\" as csv", "it is the QA store"),
            ("export t to \".tally/tally.sqlite-wal\" as csv", "it is a file of the QA store"),
            ("export t to \"p.playbook\" as csv", "it is the playbook"),
            ("export t to \"templates/report.html.mustache\" as csv", "it is inside the report templates' folder"),
            ("export t to \".tally/cache/x.csv\"", "it is inside the cell cache"),
            ("param a: text = \".\"\nparam b: text = \".\"\nexport t to \"{a}{b}/x.csv\"", "the parameters in this path together make"),
        ]
        try tally(["run", "p.playbook"], in: s.folder) // makes the store (p.playbook does not exist yet: exit 2)
        for (line, expected) in cases {
            let playbook =
                line.hasPrefix("param")
                ? line.replacingOccurrences(of: "\nexport", with: "\nload t from \"in.csv\"\nexport")
                : "load t from \"in.csv\"\n" + line + "\n"
            try s.folder.write("p.playbook", playbook)
            let storeBefore = try Data(contentsOf: s.folder.url.appendingPathComponent(".tally/tally.sqlite"))
            let before = snapshot(s.home)
            let (exit, output) = try tally(["run", "p.playbook", "--no-color", "--templates", "templates"], in: s.folder)
            XCTAssertEqual(exit, 2, "\(line)\n\(output)")
            XCTAssertTrue(output.contains(expected), "\(line): \(output)")
            XCTAssertEqual(snapshot(s.home), before, line)
            XCTAssertEqual(s.folder.read("p.playbook"), playbook, "the playbook survives")
            XCTAssertEqual(s.folder.read("templates/report.html.mustache"), "{{title}}")
            XCTAssertNil(s.folder.read("x.csv"))
            XCTAssertFalse(FileManager.default.fileExists(atPath: s.folder.path(".tally/cache/x.csv")))
            // The store is whole and still has its ledger.
            let store = try QAStore(path: s.folder.path(".tally/tally.sqlite"))
            XCTAssertEqual(try store.integrityCheck(), ["ok"])
            XCTAssertFalse(try store.runs().isEmpty)
            XCTAssertNotEqual(storeBefore.count, 0)
            // `tally check` says so too, before anything runs (it renders no report: no templates).
            if line.contains("templates/") { continue }
            let checked = try tally(["check", "p.playbook"], in: s.folder)
            XCTAssertEqual(checked.exit, 2, "\(line)\n\(checked.output)")
            XCTAssertTrue(checked.output.contains(expected), "check: \(line): \(checked.output)")
        }
    }

    /// The person running the playbook may name other places on the command line: --out,
    /// --allow-export-to and a path parameter given with --param; the playbook cannot.
    func testThePersonRunningItNamesOtherPlaces() throws {
        let s = try Setup()
        let outside = try Scratch()
        try s.folder.write(
            "p.playbook", "param out: path = \"\(outside.url.path)\"\nload t from \"in.csv\"\nexport t to \"{out}/lists/t.csv\"\n")
        var (exit, output) = try tally(["run", "p.playbook", "--no-store"], in: s.folder)
        XCTAssertEqual(exit, 2, "a default in the playbook is not the user's choice: \(output)")
        XCTAssertNil(outside.read("lists/t.csv"))
        (exit, output) = try tally(["run", "p.playbook", "--no-store", "--param", "out=\(outside.url.path)"], in: s.folder)
        XCTAssertEqual(exit, 0, output)
        XCTAssertNotNil(outside.read("lists/t.csv"))
        try s.folder.write("q.playbook", "load t from \"in.csv\"\nexport t to \"\(outside.path("x/q.csv"))\"\n")
        (exit, output) = try tally(["run", "q.playbook", "--no-store", "--allow-export-to", outside.path("x")], in: s.folder)
        XCTAssertEqual(exit, 0, output)
        XCTAssertNotNil(outside.read("x/q.csv"))
        // --out: relative exports start there, and the cell says so.
        try s.folder.write("r.playbook", "load t from \"in.csv\"\nexport t to \"r.csv\"\n")
        (exit, output) = try tally(["run", "r.playbook", "--no-store", "--no-color", "--out", outside.path("o")], in: s.folder)
        XCTAssertEqual(exit, 0, output)
        XCTAssertNotNil(outside.read("o/r.csv"))
        XCTAssertNil(s.folder.read("r.csv"))
        XCTAssertTrue(output.contains("written under --out"), output)
        // A file made with 0700 folders and 0600 files.
        let mode = try FileManager.default.attributesOfItem(atPath: outside.path("o"))[.posixPermissions] as? NSNumber
        XCTAssertEqual(mode?.intValue, 0o700)
    }

    /// Item 3: a worklist where one value makes a name longer than 255 bytes replaces nothing:
    /// exit 2, the reason in words, no staged file, journal or temporary folder left.
    func testACommitThatCannotCompleteReplacesNothing() throws {
        let s = try Setup()
        let long = String(repeating: "S", count: 300)
        try s.folder.write("w.csv", "School,v\nA,1\nB,2\n\(long),3\nC,4\n")
        for school in ["A", "B", "C"] { try s.folder.write("wl/\(school)/worklist.csv", "old \(school)\n") }
        try s.folder.write("wl/all.csv", "old all\n")
        try s.folder.write("p.playbook", "load t from \"w.csv\"\nexport t to \"wl/all.csv\"\nexport t to \"wl/{School}/worklist.csv\"\n")
        let temporaryBefore = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter {
            $0.hasPrefix("tally-export-")
        }
        let before = snapshot(s.folder)
        let (exit, output) = try tally(["run", "p.playbook", "--no-color"], in: s.folder)
        XCTAssertEqual(exit, 2, output)
        XCTAssertTrue(output.contains("is 300 bytes long; file and folder names are at most 255"), output)
        XCTAssertFalse(output.contains("Error Domain"), output)
        XCTAssertTrue(output.contains("exports: none written"), output)
        var after = snapshot(s.folder)
        after = after.filter { !$0.key.hasPrefix(".tally/") }
        XCTAssertEqual(after, before.filter { !$0.key.hasPrefix(".tally/") }, "nothing replaced, nothing left beside")
        let temporaryAfter = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter {
            $0.hasPrefix("tally-export-")
        }
        XCTAssertEqual(Set(temporaryAfter).subtracting(temporaryBefore), [], "no temporary folder left")
    }

    /// A one-character pattern (`"*"`) trapped in Foundation's deletingLastPathComponent.
    func testAOneCharacterPatternIsReadNotATrap() throws {
        let s = try Setup()
        try s.folder.write("p.playbook", "load t from \"*\" as csv\nassert count(t) > 0\n")
        try FileManager.default.removeItem(atPath: s.folder.path("in.csv"))
        try s.folder.write("a.csv", "SSID\n1\n")
        let (exit, output) = try tally(["run", "p.playbook", "--no-store"], in: s.folder)
        XCTAssertEqual(exit, 2, output) // p.playbook matches "*" too, and is not CSV with SSID
        XCTAssertFalse(output.contains("Illegal instruction") || output.contains("Fatal error"), output)
        XCTAssertTrue(output.contains("error:"), output)
    }

    /// Found by trying: without a store, a shipped journal in the right form moved a file onto
    /// an input of the run; `tally check` missed an export over an input or through its map; two
    /// worklist values making one name, or two exports to one file, kept only the last.
    func testWhatAnAttackerFoundIsRefused() throws {
        let s = try Setup()
        let pid = try deadProcessID()
        try s.folder.write("x.csv", "ORIG\n")
        try s.folder.write(".x.csv.tally-partial-\(pid)-abcd-0", "EVIL\n")
        try s.folder.write(
            ".tally-commit-\(pid)-abcd.journal", "tally-commit 2\nrun -\n.x.csv.tally-partial-\(pid)-abcd-0\tin.csv\t-\nend -\n")
        try s.folder.write("p.playbook", "load t from \"in.csv\"\nexport t to \"x.csv\"\n")
        var (exit, output) = try tally(["run", "p.playbook", "--no-store", "--no-color"], in: s.folder)
        XCTAssertEqual(exit, 0, output)
        XCTAssertEqual(s.folder.read("in.csv"), "SSID,School\n1000000001,A\n1000000002,B\n", "the input was not replaced")
        XCTAssertTrue(output.contains("note: left ./.tally-commit-\(pid)-abcd.journal alone: in.csv is an input of this run"), output)
        XCTAssertNotNil(s.folder.read(".x.csv.tally-partial-\(pid)-abcd-0"), "a journal left alone keeps the files it names")

        for playbook in [
            "load t from \"in.csv\"\nexport t to \"in.csv\" as csv\n",
            "load t from \"in.csv\"\nexport t to \"out/a.csv\"\nexport t to \"out/a.csv\"\n",
        ] {
            try s.folder.write("p.playbook", playbook)
            (exit, output) = try tally(["check", "p.playbook"], in: s.folder)
            XCTAssertEqual(exit, 2, "check: \(playbook)\n\(output)")
        }
        try s.folder.write("e.csv", "School,n\na/b,1\na_b,2\n")
        try s.folder.write("p.playbook", "load t from \"e.csv\"\nexport t to \"lists/{School}/x.csv\"\n")
        (exit, output) = try tally(["run", "p.playbook", "--no-store"], in: s.folder)
        XCTAssertEqual(exit, 2, output)
        XCTAssertTrue(output.contains("School values \"a/b\" and \"a_b\" both make the file lists/a_b/x.csv"), output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: s.folder.path("lists")))
    }
}
