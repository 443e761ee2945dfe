import Foundation
import XCTest
import ZIPFoundation

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

final class XlsxTests: XCTestCase {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/cupc2324-k12.xlsx").path

    /// Writes a small workbook: a sheet "Students" with every cell kind and a second sheet.
    func makeWorkbook(_ scratch: Scratch) throws -> String {
        let path = scratch.path("small.xlsx")
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
        func add(_ name: String, _ text: String) throws {
            let data = Data(text.utf8)
            try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) {
                position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        try add("[Content_Types].xml", "<?xml version=\"1.0\"?><Types/>")
        try add(
            "xl/workbook.xml",
            """
            <?xml version="1.0" encoding="UTF-8"?><workbook xmlns:r="r"><sheets>\
            <sheet name="Students" sheetId="1" r:id="rId1"/><sheet name="Schools" sheetId="2" r:id="rId2"/></sheets></workbook>
            """)
        try add(
            "xl/_rels/workbook.xml.rels",
            """
            <Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Target="worksheets/sheet2.xml"/></Relationships>
            """)
        try add(
            "xl/sharedStrings.xml",
            """
            <sst><si><t>Local
            Student   ID</t></si><si><t>Name</t></si><si><r><t>Jos</t></r><r><t>é &amp; Co</t></r></si><si><t>0123456</t></si></sst>
            """)
        try add(
            "xl/styles.xml",
            """
            <styleSheet><numFmts><numFmt numFmtId="164" formatCode="mm/dd/yyyy"/></numFmts>\
            <cellXfs><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="14"/></cellXfs></styleSheet>
            """)
        try add(
            "xl/worksheets/sheet1.xml",
            """
            <worksheet><sheetData>\
            <row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t>Score</t></is></c>\
            <c r="D1" t="inlineStr"><is><t>Enrolled</t></is></c><c r="E1" t="inlineStr"><is><t>Active</t></is></c></row>\
            <row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" t="s"><v>2</v></c><c r="C2"><v>12</v></c><c r="D2" s="1"><v>45567</v></c><c r="E2" t="b"><v>1</v></c></row>\
            <row r="3"><c r="A3" t="inlineStr"><is><t>0123457</t></is></c><c r="C3"><v>7.5</v></c><c r="D3" s="2"><v>45536</v></c><c r="E3" t="b"><v>0</v></c></row>\
            <row r="4"/>\
            <row r="5"><c r="A5" t="inlineStr"><is><t>0123458</t></is></c><c r="B5" t="str"><v>Formula text</v></c></row>\
            </sheetData></worksheet>
            """)
        try add(
            "xl/worksheets/sheet2.xml",
            """
            <worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Title row</t></is></c></row>\
            <row r="2"><c r="A2" t="inlineStr"><is><t>SchoolCode</t></is></c><c r="B2" t="inlineStr"><is><t>Seats</t></is></c></row>\
            <row r="3"><c r="A3"><v>112345</v></c><c r="B3"><v>400</v></c></row></sheetData></worksheet>
            """)
        return path
    }

    func testCellKindsHeadersAndSheets() throws {
        let scratch = try Scratch()
        let path = try makeWorkbook(scratch)
        XCTAssertEqual(try XlsxReader.sheetNames(path: path, displayName: "small.xlsx"), ["Students", "Schools"])
        let t = try XlsxReader.read(path: path, displayName: "small.xlsx", sheet: nil, headerRow: nil)
        XCTAssertEqual(t.names, ["Local Student ID", "Name", "Score", "Enrolled", "Active"])
        XCTAssertEqual(t.rowCount, 3, "the empty row 4 is skipped")
        XCTAssertEqual(t.strings("Local Student ID"), ["0123456", "0123457", "0123458"])
        XCTAssertEqual(t.strings("Name"), ["José & Co", nil, "Formula text"])
        XCTAssertEqual(t.column("Score")?.type, .decimal)
        XCTAssertEqual(t.strings("Score"), ["12.0", "7.5", nil])
        XCTAssertEqual(t.strings("Enrolled"), ["2024-10-02", "2024-09-01", nil])
        XCTAssertEqual(t.strings("Active"), ["true", "false", nil])
        XCTAssertEqual(t.provenance.line, [2, 3, 5])
        let schools = try XlsxReader.read(path: path, displayName: "small.xlsx", sheet: "Schools", headerRow: 2)
        XCTAssertEqual(schools.names, ["SchoolCode", "Seats"])
        XCTAssertEqual(schools.column("SchoolCode")?.type, .text, "code columns stay text")
        XCTAssertEqual(schools.strings("Seats"), ["400"])
    }

    func testErrors() throws {
        let scratch = try Scratch()
        let path = try makeWorkbook(scratch)
        XCTAssertThrowsError(try XlsxReader.read(path: path, displayName: "small.xlsx", sheet: "Student", headerRow: nil)) {
            XCTAssertEqual(($0 as? Diagnostic)?.help, "did you mean \"Students\"?")
        }
        let text = try scratch.write("fake.xlsx", "SSID,Name\n1,Ann\n")
        XCTAssertThrowsError(try XlsxReader.read(path: text, displayName: "fake.xlsx", sheet: nil, headerRow: nil)) {
            XCTAssertTrue(($0 as? Diagnostic)?.message.contains("not an Excel workbook") ?? false)
        }
    }

    /// `profile` on the CDE 2023-24 school sheet finds "No " (8,696 schools) beside "No" (17).
    func testProfileFlagsValuesThatDifferOnlyBySpaces() throws {
        let scratch = try Scratch()
        try scratch.write(
            "p.playbook",
            """
            load schools from "\(XlsxTests.fixture)" as xlsx sheet "School-Level CALPADS UPC Data"
            profile schools
            """)
        let record = Runner.run(path: scratch.path("p.playbook"), options: scratch.options)
        XCTAssertEqual(record.exitStatus, 0, "\(record.errors)")
        let cell = try XCTUnwrap(record.cells.first { $0.kind == .profile })
        XCTAssertTrue(
            cell.notes.contains("Charter School (Y/N): \"No \" (8,696 rows), \"No\" (17 rows) differ only by case or spaces"),
            "\(cell.notes)")
        let preview = try XCTUnwrap(cell.preview)
        let row = try XCTUnwrap(preview.rows.first { $0.first == "Charter School (Y/N)" })
        XCTAssertEqual(row[preview.columns.firstIndex(of: "look-alikes") ?? 0], "\"No \" ×8,696 / No ×17")
        XCTAssertEqual(row[preview.columns.firstIndex(of: "distinct") ?? 0], "4")
        let total = try XCTUnwrap(preview.rows.first { $0.first == "Total Enrollment" })
        XCTAssertEqual(total[preview.columns.firstIndex(of: "max") ?? 0], "9069")
    }

    func testCDEWorkbookTotalsAndLEAReconciliation() throws {
        let scratch = try Scratch()
        try scratch.write(
            "upc.playbook",
            """
            load schools from "\(XlsxTests.fixture)" as xlsx sheet "School-Level CALPADS UPC Data"
            load leas from "\(XlsxTests.fixture)" as xlsx sheet "LEA-Level CALPADS UPC Data"
            school_totals = schools | aggregate enrollment = sum(`Total Enrollment`) by `County Code`, `District Code`
            lea_totals = leas | aggregate enrollment = sum(`Total Enrollment`) by `County Code`, `District Code`
            compare school_totals.enrollment with lea_totals.enrollment by `County Code`, `District Code` as reconciliation
            assert sum(schools.`Total Enrollment`) == 5822745
            assert sum(leas.`Total Enrollment`) == 5822745
            """)
        let record = Runner.run(path: scratch.path("upc.playbook"), options: scratch.options)
        XCTAssertEqual(record.exitStatus, 0, "\(record.errors) \(record.checks.filter { !$0.passed })")
        XCTAssertEqual(record.checks.count, 3)
        XCTAssertTrue(record.checks.allSatisfy(\.passed))
        XCTAssertEqual(record.inputs.first?.rows, 10577)
        XCTAssertEqual(record.checks.first?.detail, "1,016 ok")
    }
}
