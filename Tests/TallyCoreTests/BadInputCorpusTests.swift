import Foundation
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// The bad-input corpus: every case is a run of the real `tally` binary on files made here, in a
/// folder of its own, with an earlier export already at `out/result.csv`. A case either fails
/// with an error naming the file and line (exit 2), leaving that export and nothing else in
/// `out/`, or is processed as stated. No case may crash, take more than 60 seconds, or use more
/// than 4 GB of address space. Inputs the fuzzers (scripts/fuzz.sh) found are cases here too.
final class BadInputCorpusTests: XCTestCase {
    enum Expect {
        /// Exit 2 with `"<where>: error: <saying>"` in the output (where: "file:line" or "file:line:column").
        case error(_ where: String, _ saying: String)
        /// Exit `exit`, and `check` (given the case folder and the output) returns nil.
        case processed(exit: Int32, check: (Scratch, String) -> String?)
    }

    struct Case {
        let name: String
        var files: [String: [UInt8]] = [:]
        var playbook: [UInt8]?
        var arguments: [String] = ["--no-store"]
        var prepare: ((Scratch) throws -> Void)? = nil
        var asNobody = false
        let expect: Expect
    }

    static let earlier = "EARLIER EXPORT\n"

    // MARK: the corpus

    static var cases: [Case] {
        let csv = playbook()
        var c: [Case] = []
        // CSV and delimited text
        c.append(
            Case(
                name: "csv unterminated quote", files: ["input.csv": bytes("a,b\n1,2\n3,\"x\n4,5\n")], playbook: csv,
                expect: .error("input.csv:3", "a quoted field opened on this line is never closed")))
        c.append(
            Case(
                name: "csv row too long", files: ["input.csv": bytes("a,b\n1,2\n3,4,5\n")], playbook: csv,
                expect: .error("input.csv:3", "this row has 3 fields, expected 2")))
        c.append(
            Case(
                name: "csv row too short", files: ["input.csv": bytes("a,b\n1,2\n3\n")], playbook: csv,
                expect: .error("input.csv:3", "this row has 1 field, expected 2")))
        c.append(
            Case(
                name: "csv invalid UTF-8", files: ["input.csv": bytes("a,b\n1,2\n3,") + [0xFF, 0xFE, 10]], playbook: csv,
                expect: .error("input.csv:3", "bytes that are not valid UTF-8 (0xFF at byte 11)")))
        c.append(
            Case(
                name: "csv NUL byte", files: ["input.csv": bytes("a,b\n1,2\n3,x") + [0] + bytes("y\n")], playbook: csv,
                expect: .error("input.csv:3", "this looks like a binary file, not text (a NUL byte)")))
        c.append(
            Case(
                name: "csv BOM at the start", files: ["input.csv": [0xEF, 0xBB, 0xBF] + bytes("a,b\n1,2\n")], playbook: csv,
                expect: .processed(exit: 0, check: exported("a,b\n1,2\n"))))
        c.append(
            Case(
                name: "csv BOM in the middle", files: ["input.csv": bytes("a,b\n1,2\n") + [0xEF, 0xBB, 0xBF] + bytes("3,4\n")],
                playbook: csv,
                expect: .error("input.csv:3", "a byte-order mark (EF BB BF) in the middle of the file, at byte 9")))
        c.append(
            Case(
                name: "csv CR-only line ends", files: ["input.csv": bytes("a,b\r1,2\r3,4\r")], playbook: csv,
                expect: .processed(exit: 0, check: exported("a,b\n1,2\n3,4\n"))))
        c.append(
            Case(
                name: "csv CR-only ragged row", files: ["input.csv": bytes("a,b\r1,2\r3\r")], playbook: csv,
                expect: .error("input.csv:3", "this row has 1 field, expected 2")))
        c.append(
            Case(
                name: "csv CRLF", files: ["input.csv": bytes("a,b\r\n1,2\r\n")], playbook: csv,
                expect: .processed(exit: 0, check: exported("a,b\n1,2\n"))))
        c.append(
            Case(
                name: "csv no final line end", files: ["input.csv": bytes("a,b\n1,2")], playbook: csv,
                expect: .processed(exit: 0, check: exported("a,b\n1,2\n"))))
        c.append(Case(name: "csv empty file", files: ["input.csv": []], playbook: csv, expect: .error("input.csv", "the file is empty")))
        c.append(
            Case(
                name: "csv only a line end", files: ["input.csv": [10]], playbook: csv,
                expect: .error("input.csv", "the file has no header row")))
        c.append(
            Case(
                name: "csv header only", files: ["input.csv": bytes("a,b\n")], playbook: csv,
                expect: .processed(exit: 0, check: exported("a,b\n"))))
        c.append(
            Case(
                name: "csv binary file", files: ["input.csv": (0..<5120).map { UInt8($0 % 256) }], playbook: csv,
                expect: .error("input.csv:1", "this looks like a binary file, not text (a NUL byte)")))
        c.append(
            Case(
                name: "csv a folder", files: ["input.csv/inside.txt": bytes("x")], playbook: csv,
                expect: .error("input.csv", "is a folder, not a file")))
        c.append(Case(name: "csv missing", playbook: csv, expect: .error("input.csv", "file not found")))
        c.append(
            Case(
                name: "csv a named pipe", playbook: csv, prepare: { s in XCTAssertEqual(mkfifo(s.path("input.csv"), 0o644), 0) },
                expect: .error("input.csv", "is not a regular file (a pipe, socket or device)")))
        c.append(
            Case(
                name: "csv unreadable", files: ["input.csv": bytes("a,b\n1,2\n")], playbook: csv,
                prepare: { s in XCTAssertEqual(chmod(s.path("input.csv"), 0), 0) }, asNobody: true,
                expect: .error("input.csv", "cannot read the file (permissions?)")))
        c.append(
            Case(
                name: "csv 50 MB field", files: ["input.csv": bytes("a,b\n1,") + [UInt8](repeating: 120, count: 50 << 20) + [10]],
                playbook: csv,
                expect: .processed(
                    exit: 0,
                    check: { s, _ in
                        let size = (try? FileManager.default.attributesOfItem(atPath: s.path("out/result.csv"))[.size] as? Int) ?? 0
                        return size == 4 + 2 + (50 << 20) + 1 ? nil : "out/result.csv has \(size) bytes"
                    })))
        let wide = (0..<100_000).map { "c\($0)" }.joined(separator: ",")
        c.append(
            Case(
                name: "csv header of 100,000 columns",
                files: ["input.csv": bytes(wide + "\n" + [String](repeating: "1", count: 100_000).joined(separator: ",") + "\n")],
                playbook: csv, expect: .processed(exit: 0, check: exportedRows(1, header: wide))))
        c.append(
            Case(
                name: "csv date that does not exist", files: ["input.csv": bytes("a,d\n1,20250228\n2,20250230\n")],
                playbook: playbook("load t from \"input.csv\" with columns (d: date \"YYYYMMDD\")"),
                expect: .error("input.csv:3", "column \"d\": \"20250230\" is not a date in the format \"YYYYMMDD\"")))
        c.append(
            Case(
                name: "csv integer past Int64", files: ["input.csv": bytes("a,n\n1,5\n2,99999999999999999999\n")],
                playbook: playbook("load t from \"input.csv\" with columns (n: integer)"),
                expect: .error("input.csv:3", "column \"n\": \"99999999999999999999\" is not an integer")))
        c.append(
            Case(
                name: "csv integer past Int64 undeclared", files: ["input.csv": bytes("a,n\n1,5\n2,99999999999999999999\n")],
                playbook: playbook("load t from \"input.csv\"", "assert count(t) == 2\n"),
                expect: .processed(exit: 0, check: exported("a,n\n1,5\n2,99999999999999999999\n"))))
        c.append(
            Case(
                name: "csv repeated and empty column names", files: ["input.csv": bytes("a,a,\n1,2,3\n")], playbook: csv,
                expect: .processed(exit: 0, check: exported("a,a_2,column_3\n1,2,3\n"))))
        c.append(
            Case(
                name: "csv quote inside a bare field", files: ["input.csv": bytes("a,b\n1,x\"y\n")], playbook: csv,
                expect: .processed(exit: 0, check: exported("a,b\n1,\"x\"\"y\"\n"))))
        c.append(
            Case(
                name: "csv infinite and NaN sums in the report", files: ["input.csv": bytes("s,v\nA,inf\nB,nan\nC,1e308\nC,1e308\n")],
                playbook: playbook(
                    "load t0 from \"input.csv\" with columns (v: decimal)", "t = t0 | aggregate total = sum(v) by s\nassert count(t) == 3\n"
                ),
                arguments: ["--no-store", "--report", "out/report"],
                expect: .processed(
                    exit: 0,
                    check: all(
                        exportedRows(3),
                        { s, _ in s.read("out/report/report.html")?.contains("Ready to certify") == true ? nil : "no report" }))))
        c.append(
            Case(
                name: "tsv row too long", files: ["input.tsv": bytes("a\tb\n1\t2\t3\n")], playbook: playbook("load t from \"input.tsv\""),
                expect: .error("input.tsv:2", "this row has 3 fields, expected 2")))
        c.append(
            Case(
                name: "delimited unterminated quote", files: ["input.txt": bytes("a|b\n\"1|2\n")],
                playbook: playbook("load t from \"input.txt\" as delimited \"|\""),
                expect: .error("input.txt:2", "a quoted field opened on this line is never closed")))
        c.append(
            Case(
                name: "delimited cp1252", files: ["input.txt": bytes("a|b\n1|Jos") + [0xE9] + bytes("\n")],
                playbook: playbook("load t from \"input.txt\" as delimited \"|\" with encoding \"cp1252\""),
                expect: .processed(exit: 0, check: exported("a,b\n1,José\n"))))
        c.append(
            Case(
                name: "csv a ZIP file", files: ["input.csv": zip([("a.txt", bytes("x"))])], playbook: csv,
                expect: .error("input.csv", "this is a ZIP file (an Excel workbook?), not delimited text")))
        // CALPADS
        let senr = bytes(senr)
        let calpads = playbook("load t from \"input.txt\" as calpads SENR")
        c.append(
            Case(
                name: "calpads CRLF", files: ["input.txt": bytes((Self.senr + Self.senr).replacingOccurrences(of: "\n", with: "\r\n"))],
                playbook: calpads,
                expect: .processed(exit: 0, check: exportedRows(2))))
        c.append(
            Case(
                name: "calpads CR-only",
                files: ["input.txt": bytes((Self.senr + Self.senr + Self.senr).replacingOccurrences(of: "\n", with: "\r"))],
                playbook: calpads,
                expect: .processed(exit: 0, check: exportedRows(3))))
        c.append(
            Case(
                name: "calpads short row", files: ["input.txt": senr + bytes("SENR^^^0161119\n")], playbook: calpads,
                expect: .error("input.txt:2", "this row has 4 fields, expected 35")))
        c.append(
            Case(
                name: "calpads long row", files: ["input.txt": senr + senr.dropLast() + bytes("^^^^\n")], playbook: calpads,
                expect: .error("input.txt:2", "this row has 39 fields, expected 35")))
        c.append(
            Case(
                name: "calpads date that does not exist",
                files: ["input.txt": senr + bytes(Self.senr.replacingOccurrences(of: "20150224", with: "20250230"))],
                playbook: calpads,
                expect: .processed(
                    exit: 0,
                    check: all(exportedRows(2), says("1 value that is not a date read as null (validate reports them as FRMT0002)")))))
        c.append(
            Case(
                name: "calpads another file type", files: ["input.txt": bytes(Self.senr.replacingOccurrences(of: "SENR", with: "SINF"))],
                playbook: calpads,
                expect: .error("input.txt:1", "this looks like a SINF file (its first record is SINF), not SENR")))
        c.append(
            Case(
                name: "calpads unknown layout", files: ["input.txt": senr], playbook: playbook("load t from \"input.txt\" as calpads SENX"),
                expect: .error("input.txt:1", "this looks like a SENR file (its first record is SENR), not SENX")))
        c.append(
            Case(
                name: "calpads invalid UTF-8", files: ["input.txt": senr + bytes("SENR^^^") + [0xFF] + bytes("\n")], playbook: calpads,
                expect: .error("input.txt:2", "bytes that are not valid UTF-8 (0xFF at byte")))
        c.append(
            Case(
                name: "calpads NUL byte", files: ["input.txt": senr + bytes("SENR") + [0, 10]], playbook: calpads,
                expect: .error("input.txt:2", "this looks like a binary file, not text (a NUL byte)")))
        c.append(Case(name: "calpads empty", files: ["input.txt": []], playbook: calpads, expect: .error("input.txt", "the file is empty")))
        c.append(
            Case(
                name: "calpads 50 MB line", files: ["input.txt": senr + bytes("SENR^") + [UInt8](repeating: 120, count: 50 << 20) + [10]],
                playbook: calpads,
                expect: .error("input.txt:2", "this row has 2 fields, expected 35")))
        c.append(
            Case(
                name: "calpads BOM in the middle", files: ["input.txt": senr + [0xEF, 0xBB, 0xBF] + senr], playbook: calpads,
                expect: .error("input.txt:2", "a byte-order mark (EF BB BF) in the middle of the file")))
        // Excel workbooks
        let xlsx = playbook("load t from \"input.xlsx\" as xlsx")
        let header = "<row r=\"1\">\(inline("A1", "a"))</row>"
        c.append(
            Case(
                name: "xlsx a text file", files: ["input.xlsx": bytes("a,b\n1,2\n")], playbook: xlsx,
                expect: .error("input.xlsx", "this is not an Excel workbook (.xlsx is a ZIP file; this one is not)")))
        c.append(
            Case(
                name: "xlsx a ZIP that is not a workbook", files: ["input.xlsx": zip([("hello.txt", bytes("hi"))])], playbook: xlsx,
                expect: .error("input.xlsx", "this ZIP file is not an Excel workbook (no xl/workbook.xml)")))
        c.append(
            Case(
                name: "xlsx cut short", files: ["input.xlsx": Array(workbook(sheet(header)).prefix(200))], playbook: xlsx,
                expect: .error("input.xlsx", "this is not an Excel workbook")))
        c.append(
            Case(
                name: "xlsx no sheets", files: ["input.xlsx": zip([("xl/workbook.xml", bytes("<workbook><sheets></sheets></workbook>"))])],
                playbook: xlsx,
                expect: .error("input.xlsx", "the workbook has no sheets")))
        c.append(
            Case(
                name: "xlsx sheet part missing",
                files: [
                    "input.xlsx": zip([
                        ("xl/workbook.xml", bytes("<workbook><sheets><sheet name=\"S\" sheetId=\"1\"/></sheets></workbook>"))
                    ])
                ],
                playbook: xlsx, expect: .error("input.xlsx", "sheet \"S\" is listed but its part")))
        let columns = (1...16_384).map { inline("\(column($0))1", "h\($0)") }.joined()
        c.append(
            Case(
                name: "xlsx 16,384 columns",
                files: ["input.xlsx": workbook(sheet("<row r=\"1\">\(columns)</row><row r=\"2\"><c r=\"XFD2\"><v>7</v></c></row>"))],
                playbook: xlsx,
                expect: .processed(
                    exit: 0,
                    check: { s, _ in
                        (s.read("out/result.csv") ?? "").hasSuffix(String(repeating: ",", count: 16_383) + "7\n")
                            ? nil : "the last column's 7 is not at XFD"
                    })))
        c.append(
            Case(
                name: "xlsx cell past column XFD",
                files: ["input.xlsx": workbook(sheet("<row r=\"1\">\(inline("A1", "a"))<c r=\"XFE1\"><v>1</v></c></row>"))],
                playbook: xlsx, expect: .error("input.xlsx [S]:1", "a cell at \"XFE1\", which is not a cell of a sheet")))
        c.append(
            Case(
                name: "xlsx row past 1,048,576",
                files: ["input.xlsx": workbook(sheet(header + "<row r=\"99999999999999999999\"><c><v>1</v></c></row>"))],
                playbook: xlsx, expect: .error("input.xlsx [S]:2", "a row numbered \"99999999999999999999\"")))
        let laughs =
            "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
            + (1...9).map { i in
                "<!ENTITY lol\(i) \"" + String(repeating: "&lol\(i == 1 ? "" : String(i - 1));", count: 10) + "\">"
            }.joined() + "]>"
        c.append(
            Case(
                name: "xlsx entity expansion",
                files: ["input.xlsx": workbook(laughs + sheet(header + "<row r=\"2\">\(inline("A2", "&lol9;"))</row>"))],
                playbook: xlsx, expect: .processed(exit: 0, check: exported("a\n&lol9;\n"))))
        let external = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
        c.append(
            Case(
                name: "xlsx external entity",
                files: ["input.xlsx": workbook(external + sheet(header + "<row r=\"2\">\(inline("A2", "&xxe;"))</row>"))],
                playbook: xlsx, expect: .processed(exit: 0, check: all(exported("a\n&xxe;\n"), lacks("root:")))))
        let styles = ["xl/styles.xml": "<styleSheet><cellXfs><xf numFmtId=\"0\"/><xf numFmtId=\"14\"/></cellXfs></styleSheet>"]
        c.append(
            Case(
                name: "xlsx date cell past Int32",
                files: ["input.xlsx": workbook(sheet(header + "<row r=\"2\"><c r=\"A2\" s=\"1\"><v>1e300</v></c></row>"), styles)],
                playbook: xlsx, expect: .processed(exit: 0, check: exported("a\n1e+300\n"))))
        c.append(
            Case(
                name: "xlsx shared string out of range",
                files: [
                    "input.xlsx": workbook(
                        sheet("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>5</v></c></row>"),
                        ["xl/sharedStrings.xml": "<sst><si><t>x</t></si></sst>"])
                ],
                playbook: xlsx, expect: .error("input.xlsx [S]:1", "cell refers to shared string 5, which the workbook lacks")))
        let big =
            "<row r=\"1\">\(inline("A1", "s"))\(inline("B1", "v"))</row>"
            + (2...3).map { "<row r=\"\($0)\">\(inline("A\($0)", "x"))<c r=\"B\($0)\"><v>1e308</v></c></row>" }.joined()
        c.append(
            Case(
                name: "xlsx sum past the largest number", files: ["input.xlsx": workbook(sheet(big))],
                playbook: playbook("load t0 from \"input.xlsx\" as xlsx", "t = t0 | aggregate total = sum(v) by s\nassert count(t) == 1\n"),
                arguments: ["--no-store", "--report", "out/report"],
                expect: .processed(
                    exit: 0,
                    check: all(exported("s,total\nx,inf\n"), { s, _ in s.read("out/report/report.html") == nil ? "no report" : nil }))))
        c.append(
            Case(
                name: "xlsx sheet that does not exist", files: ["input.xlsx": workbook(sheet(header))],
                playbook: playbook("load t from \"input.xlsx\" as xlsx sheet \"Nope\""),
                expect: .error("input.xlsx", "the workbook has no sheet \"Nope\"")))
        c.append(
            Case(
                name: "xlsx part that unpacks to 2 GB",
                files: ["input.xlsx": workbook(sheet(header), declaredSize: ["xl/worksheets/sheet1.xml": 2_000_000_000])],
                playbook: xlsx, expect: .error("input.xlsx", "the workbook's part xl/worksheets/sheet1.xml unpacks to more than 1 GB")))
        // The QA store
        let store = ["--store", "store.sqlite"]
        let input = ["input.csv": bytes("a,b\n1,2\n")]
        c.append(
            Case(
                name: "store not SQLite",
                files: input.merging(["store.sqlite": bytes(String(repeating: "not a database\n", count: 100))]) { $1 },
                playbook: csv, arguments: store, expect: .error("store.sqlite", "cannot open the QA store: file is not a database")))
        c.append(
            Case(
                name: "store a folder", files: input.merging(["store.sqlite/x": bytes("x")]) { $1 }, playbook: csv, arguments: store,
                expect: .error("store.sqlite", "cannot open the QA store")))
        c.append(
            Case(
                name: "store empty file", files: input.merging(["store.sqlite": []]) { $1 }, playbook: csv, arguments: store,
                expect: .processed(exit: 0, check: exported("a,b\n1,2\n"))))
        c.append(
            Case(
                name: "store another program's database", files: input, playbook: csv, arguments: store,
                prepare: { s in try sqlite(s.path("store.sqlite"), "CREATE TABLE students(id TEXT)") },
                expect: .error(
                    "store.sqlite", "this SQLite database is not a Tally QA store (it has 1 table of its own); it is left unchanged")))
        c.append(
            Case(
                name: "store from a newer Tally", files: input, playbook: csv, arguments: store,
                prepare: { s in
                    _ = try QAStore(path: s.path("store.sqlite"))
                    try sqlite(s.path("store.sqlite"), "INSERT INTO grdb_migrations VALUES ('v99: from a later version')")
                },
                expect: .error(
                    "store.sqlite", "this QA store was changed by a newer version of Tally (it has \"v99: from a later version\")")))
        c.append(
            Case(
                name: "store cut in half", files: input, playbook: csv, arguments: store,
                prepare: { s in
                    let full = s.path("full.sqlite")
                    _ = try QAStore(path: full)
                    try sqlite(
                        full,
                        "CREATE TABLE filler AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) SELECT i, printf('%.200c', 'x') AS t FROM n"
                    )
                    try sqlite(full, "PRAGMA wal_checkpoint(TRUNCATE)")
                    let data = try Data(contentsOf: URL(fileURLWithPath: full))
                    try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: s.path("store.sqlite")))
                },
                expect: .error("store.sqlite", "cannot open the QA store")))
        // Playbook text
        func text(_ body: String) -> [UInt8] {
            bytes("playbook \"corpus\"\nload t from \"input.csv\"\n\(body)export t to \"out/result.csv\"\n")
        }
        c.append(
            Case(
                name: "playbook unclosed parenthesis", files: input, playbook: text("x = t | filter (a > 1 and\n  b < 3\nshow x\n"),
                expect: .error("p.playbook:3:16", "this ( is never closed")))
        c.append(
            Case(
                name: "playbook unclosed quote", files: input, playbook: text("x = t | filter b == \"abc\nshow x\n"),
                expect: .error("p.playbook:3:21", "unterminated text: the closing \" is missing")))
        c.append(
            Case(
                name: "playbook unclosed brace", files: input,
                playbook: bytes("playbook \"c\"\nload t from \"input.csv\"\nexport t to \"out/{a.csv\"\n"),
                expect: .error("p.playbook:3:18", "this { in the path is never closed")))
        c.append(
            Case(
                name: "playbook 5,000 nested parentheses", files: input,
                playbook: text(
                    "x = t | derive c = " + String(repeating: "(", count: 5000) + "a" + String(repeating: ")", count: 5000) + "\n"),
                expect: .error("p.playbook:3:220", "expression nested too deeply (more than 200 levels)")))
        c.append(
            Case(
                name: "playbook 11,000 chained +", files: input,
                playbook: text("x = t | derive c = " + [String](repeating: "a", count: 11_000).joined(separator: " + ") + "\n"),
                expect: .error("p.playbook:3:20", "expression too long or nested too deeply (more than 1000 levels")))
        c.append(
            Case(
                name: "playbook 990 chained + and a 400-branch case", files: input,
                playbook: text(
                    "x = t | derive c = " + [String](repeating: "a", count: 990).joined(separator: " + ")
                        + ", k = case " + (0..<400).map { "when a == \($0) then \($0 * 10)" }.joined(separator: " ") + " else 0 end\n"
                        + "assert count(x) == 1\nexport x to \"out/x.csv\"\n"),
                expect: .processed(
                    exit: 0,
                    check: { s, _ in
                        s.read("out/x.csv") == "a,b,c,k\n1,2,990,10\n" ? nil : "out/x.csv is \(s.read("out/x.csv") ?? "missing")"
                    })))
        let lines = (0..<100_000).map { $0 % 10 == 0 ? "## note \($0)\nx\($0) = t | filter a > \($0 % 7)" : "# comment \($0)" }.joined(
            separator: "\n")
        c.append(
            Case(
                name: "playbook of 100,000 lines", files: input, playbook: text(lines + "\n"),
                expect: .processed(exit: 0, check: exported("a,b\n1,2\n"))))
        c.append(
            Case(
                name: "playbook not UTF-8", files: input, playbook: bytes("playbook \"c") + [0xFF] + bytes("\"\n"),
                expect: .error("p.playbook", "the playbook is not UTF-8 text")))
        c.append(
            Case(
                name: "playbook NUL byte", files: input, playbook: bytes("playbook \"c\"\nload t from \"input.csv\"") + [0] + bytes("\n"),
                expect: .error("p.playbook:2:24", "")))
        c.append(
            Case(
                name: "playbook BOM", files: input, playbook: [0xEF, 0xBB, 0xBF] + text(""),
                expect: .processed(exit: 0, check: exported("a,b\n1,2\n"))))
        c.append(
            Case(
                name: "playbook CR-only line ends", files: input,
                playbook: bytes(String(decoding: text("x = t | filter a > 0\n"), as: UTF8.self).replacingOccurrences(of: "\n", with: "\r")),
                expect: .processed(exit: 0, check: exported("a,b\n1,2\n"))))
        c.append(
            Case(name: "playbook empty", files: input, playbook: [], expect: .error("p.playbook:1:1", "the playbook has no statements")))
        c.append(
            Case(name: "playbook unknown statement", files: input, playbook: text("frobnicate t\n"), expect: .error("p.playbook:3:1", "")))
        c.append(
            Case(
                name: "playbook integer literal past Int64", files: input, playbook: text("x = t | filter a > 99999999999999999999999\n"),
                expect: .error("p.playbook:3:20", "")))
        c.append(
            Case(
                name: "playbook 1 MB text literal", files: input,
                playbook: text("x = t | derive s = \"" + String(repeating: "y", count: 1 << 20) + "\"\nassert count(x) == 1\n"),
                expect: .processed(exit: 0, check: exported("a,b\n1,2\n"))))
        c.append(
            Case(
                name: "playbook a folder", files: input.merging(["p.playbook/x": bytes("x")]) { $1 },
                expect: .error("p.playbook", "playbook not found")))
        c.append(
            Case(
                name: "playbook date literal that does not exist", files: input,
                playbook: text("x = t | filter @2025-02-30 > @2025-01-01\n"),
                expect: .error("p.playbook:3:16", "")))
        return c
    }

    static func sqlite(_ path: String, _ sql: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]).fetchall(); c.commit()", path, sql,
        ]
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "sqlite: \(sql)")
    }

    // MARK: running

    /// Runs the case; nil when it behaved, else what went wrong.
    static func run(_ c: Case) throws -> String? {
        let scratch = try Scratch()
        for (name, data) in c.files { try scratch.write(name, Data(data)) }
        if let playbook = c.playbook { try scratch.write("p.playbook", Data(playbook)) }
        try scratch.write("out/result.csv", earlier)
        try c.prepare?(scratch)
        // The limits: 4 GB of address space (the 1 GB reserved for the stack included), 60 s.
        var command = "ulimit -v 4194304; exec \"$0\" run p.playbook \"$@\""
        if c.asNobody, getuid() == 0 {
            // As root every file is readable: the unreadable case runs as nobody.
            _ = chmod(scratch.url.path, 0o777)
            _ = chmod(scratch.path("out"), 0o777)
            command = "ulimit -v 4194304; exec setpriv --reuid=65534 --regid=65534 --clear-groups \"$0\" run p.playbook \"$@\""
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command, MatrixTests.tally] + c.arguments
        process.currentDirectoryURL = scratch.url
        let output = scratch.url.appendingPathComponent("output.txt")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        let started = Date()
        try process.run()
        while process.isRunning, Date().timeIntervalSince(started) < 60 { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            return "hung: still running after 60 s"
        }
        try handle.close()
        let text = String(decoding: (try? Data(contentsOf: output)) ?? Data(), as: UTF8.self)
        let shown = String(text.prefix(1500))
        if process.terminationReason == .uncaughtSignal { return "crashed with signal \(process.terminationStatus): \(shown)" }
        let status = process.terminationStatus
        let outFiles = ((try? FileManager.default.contentsOfDirectory(atPath: scratch.path("out"))) ?? []).sorted()
        switch c.expect {
        case .error(let location, let saying):
            guard status == 2 else { return "exit \(status), expected 2: \(shown)" }
            guard text.contains("\(location): error: \(saying)") else { return "no \"\(location): error: \(saying)\" in: \(shown)" }
            guard scratch.read("out/result.csv") == earlier else { return "the earlier export was changed" }
            guard outFiles == ["result.csv"] else { return "out/ holds \(outFiles) after a failed run" }
        case .processed(let exit, let check):
            guard status == exit else { return "exit \(status), expected \(exit): \(shown)" }
            if let problem = check(scratch, text) { return problem + "\n" + shown }
            guard !outFiles.contains(where: { $0.contains("tally-partial") || $0.hasPrefix(".") }) else {
                return "a temporary file was left in out/: \(outFiles)"
            }
        }
        return nil
    }

    func testTheBadInputCorpus() throws {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: MatrixTests.tally), "build tally first: swift build")
        let cases = Self.cases
        XCTAssertGreaterThanOrEqual(cases.count, 60)
        XCTAssertEqual(Set(cases.map(\.name)).count, cases.count, "case names are unique")
        // Two at a time: each case is a process of its own.
        final class Work: @unchecked Sendable {
            let cases: [Case]
            var results: [String?]
            var taken = 0
            let lock = NSLock()
            init(_ cases: [Case]) { self.cases = cases; results = Array(repeating: nil, count: cases.count) }
        }
        let work = Work(cases)
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            while true {
                work.lock.lock(); let k = work.taken; work.taken += 1; work.lock.unlock()
                guard k < work.cases.count else { return }
                let result: String?
                do { result = try Self.run(work.cases[k]) } catch { result = "could not set up: \(error)" }
                work.lock.lock(); work.results[k] = result; work.lock.unlock()
            }
        }
        for (k, c) in cases.enumerated() {
            if let problem = work.results[k] { XCTFail("corpus case \"\(c.name)\": \(problem)") }
        }
    }
}
