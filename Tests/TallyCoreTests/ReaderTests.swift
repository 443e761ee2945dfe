import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

final class ReaderTests: XCTestCase {
    func testRFC4180QuotingEmbeddedDelimitersNewlinesAndDoubledQuotes() throws {
        let t = try readCSV("id,name,note\r\n1,\"Smith, Jr.\",\"said \"\"hi\"\"\r\nthen left\"\r\n2,Lee,\r\n")
        XCTAssertEqual(t.rowCount, 2)
        XCTAssertEqual(t.strings("name"), ["Smith, Jr.", "Lee"])
        XCTAssertEqual(t.strings("note"), ["said \"hi\"\r\nthen left", nil])
        // Provenance: the second record starts on physical line 4.
        XCTAssertEqual(t.provenance.line, [2, 4])
    }

    func testBOMIsStrippedAndLFOrCRLFBothWork() throws {
        let withBOM = try readBytes([0xEF, 0xBB, 0xBF] + Array("a,b\n1,2\n".utf8))
        XCTAssertEqual(withBOM.names, ["a", "b"])
        let crlf = try readCSV("a,b\r\n1,2\r\n3,4")
        XCTAssertEqual(crlf.strings("b"), ["2", "4"])
    }

    func testConservativeInferenceKeepsIdentifiersText() throws {
        let t = try readCSV(
            """
            LocalID,Student,SchoolCode,Count,Ratio,When,Flag,Mixed
            0123456,1000012345,0112345,12,0.5,2024-10-02,true,1
            0123457,1000012346,6001734,7,1.25,2024-10-03,false,x
            """)
        XCTAssertEqual(t.schema.columns.map(\.type), [.text, .text, .text, .integer, .decimal, .date, .boolean, .text])
        XCTAssertEqual(t.strings("LocalID"), ["0123456", "0123457"])
        XCTAssertEqual(t.strings("Student"), ["1000012345", "1000012346"])
    }

    func testIdentifierNamedColumnsStayTextEvenWithSmallNumbers() throws {
        let t = try readCSV("StudentID,school_code,n\n12,34,5\n")
        XCTAssertEqual(t.schema.columns.map(\.type), [.text, .text, .integer])
    }

    func testDeclaredTypesAndDateFormats() throws {
        let t = try readCSV("id,entry,status\n1,10/02/2024,10\n2,1/5/2025,30\n") {
            $0.columns = [
                ColumnDeclaration(name: Name("entry", .none), type: .date, dateFormat: "M/D/YYYY"),
                ColumnDeclaration(name: Name("status", .none), type: .text, dateFormat: nil),
            ]
        }
        XCTAssertEqual(t.column("entry")?.value(0), .date(DateCodec.days(year: 2024, month: 10, day: 2) ?? 0))
        XCTAssertEqual(t.column("entry")?.value(1), .date(DateCodec.days(year: 2025, month: 1, day: 5) ?? 0))
        XCTAssertEqual(t.column("status")?.type, .text)
    }

    func testNoHeaderWithDeclaredNamesAndOtherDelimiters() throws {
        let t = try readCSV("SENR^0112345^20240814\r\nSENR^6001734^20240901\r\n") {
            $0.delimiter = UInt8(ascii: "^")
            $0.header = false
            $0.columns = [
                ColumnDeclaration(name: Name("Type", .none), type: .text, dateFormat: nil),
                ColumnDeclaration(name: Name("School", .none), type: .text, dateFormat: nil),
                ColumnDeclaration(name: Name("Start", .none), type: .date, dateFormat: "YYYYMMDD"),
            ]
        }
        XCTAssertEqual(t.strings("School"), ["0112345", "6001734"])
        XCTAssertEqual(t.strings("Start"), ["2024-08-14", "2024-09-01"])
        let tsv = try readCSV("a\tb\n1\t2\n") { $0.delimiter = 9 }
        XCTAssertEqual(tsv.names, ["a", "b"])
    }

    func testCp1252IsDecodedOnlyWhenAsked() throws {
        let bytes: [UInt8] = Array("name\nJos".utf8) + [0xE9] + Array("\n".utf8) + [0x93] + Array("q".utf8) + [0x94] + [10]
        XCTAssertThrowsError(try readBytes(bytes)) { error in
            let d = error as? Diagnostic
            XCTAssertEqual(d?.line, 2)
            XCTAssertTrue(d?.message.contains("not valid UTF-8") ?? false)
            XCTAssertTrue(d?.help?.contains("encoding \"cp1252\"") ?? false)
        }
        let t = try readBytes(bytes) { $0.encoding = "cp1252" }
        XCTAssertEqual(t.strings("name"), ["José", "\u{201C}q\u{201D}"])
    }

    func testMalformedInputsNameFileAndLine() {
        func failure(_ text: String) -> Diagnostic? {
            do { _ = try readCSV(text); return nil } catch { return error as? Diagnostic }
        }
        XCTAssertEqual(failure("a,b\n1,2\n3\n")?.line, 3)
        XCTAssertEqual(failure("a,b\n1,2\n3,4,5\n")?.message, "this row has 3 fields, expected 2")
        XCTAssertEqual(failure("a,b\n1,\"open\n2,3\n")?.line, 2)
        XCTAssertTrue(failure("a,b\n1,\"x\"y\n")?.message.contains("after a closing quote") ?? false)
        XCTAssertEqual(failure("a,b\n1,2\n")?.file, nil)
        XCTAssertTrue((try? readBytes([0x61, 0, 0x62])) == nil)
    }

    func testDeclaredValueThatDoesNotParseNamesTheLine() {
        XCTAssertThrowsError(
            try readCSV("id,n\n1,5\n2,five\n") {
                $0.columns = [ColumnDeclaration(name: Name("n", .none), type: .integer, dateFormat: nil)]
            }
        ) { error in
            XCTAssertEqual((error as? Diagnostic)?.line, 3)
            XCTAssertEqual((error as? Diagnostic)?.message, "column \"n\": \"five\" is not an integer")
        }
    }

    func testMissingValuesOption() throws {
        let t = try readCSV("id,score\n1,N/A\n2,\n3,7\n") { $0.missing = ["N/A"] }
        // With missing ("N/A"), an empty field is text, so the column is text.
        XCTAssertEqual(t.column("score")?.nullCount, 1)
    }

    func testCalpadsReaderPicksLayoutByAcademicYear() throws {
        let old = "SENR" + String(repeating: "^", count: 6) + "2021-2022" + String(repeating: "^", count: 32) + "\r\n"
        let input = InputFile(path: "SENR.txt", displayName: "SENR.txt", bytes: Array(old.utf8), size: old.utf8.count)
        let (table, layout) = try CalpadsReader.read(input, type: "SENR", year: nil, extract: false, encoding: nil, progress: nil)
        XCTAssertEqual(layout.fields.count, 39)
        XCTAssertEqual(table.column("AcademicYearID")?.value(0), .text("2021-2022"))
        XCTAssertEqual(CalpadsLayouts.layout("SENR", year: 2025)?.fields.count, 35)
        XCTAssertEqual(CalpadsLayouts.layout("SENR", year: 2025)?.fields[28].name, "StudentMetAllUCCSURequirementsIndicator")
    }
}
