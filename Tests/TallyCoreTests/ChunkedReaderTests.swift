import Foundation
import XCTest
@testable import TallyCore

/// The parallel reader must give exactly what one pass gives: values, types, lines and errors.
final class ChunkedReaderTests: XCTestCase {
    func read(_ text: String, chunks: Int, header: Bool = true, delimiter: String = ",") throws -> Table {
        var options = DelimitedOptions()
        options.chunks = chunks
        options.header = header
        options.delimiter = UInt8(ascii: Unicode.Scalar(delimiter)!)
        let input = InputFile(path: "t.csv", displayName: "t.csv", bytes: Array(text.utf8), size: text.utf8.count)
        return try DelimitedReader.read(input, options: options)
    }

    func rows(_ t: Table) -> [[String]] { (0..<t.rowCount).map { r in t.columns.map { $0.value(r).display } } }

    func testChunksGiveTheSameTableAsOnePass() throws {
        var text = "SSID,Grade,Score,Day\r\n"
        for i in 0..<997 {
            text += "\(1000000000 + i % 640),\(["KN", "01", "02"][i % 3]),\(i % 50),2024-10-\(String(format: "%02d", i % 28 + 1))\r\n"
            if i % 101 == 0 { text += "\r\n" }   // blank lines here and there, in every chunk
        }
        let one = try read(text, chunks: 1)
        for chunks in [2, 3, 7] {
            let many = try read(text, chunks: chunks)
            XCTAssertEqual(many.names, one.names)
            XCTAssertEqual(many.schema, one.schema, "types inferred from every chunk")
            XCTAssertEqual(rows(many), rows(one))
            XCTAssertEqual(many.provenance.line, one.provenance.line, "every record keeps its line, \(chunks) chunks")
        }
        XCTAssertEqual(one.rowCount, 997)
        XCTAssertEqual(one.provenance.line.last, Int32(997 + 10 + 1))
        XCTAssertEqual(one.schema.type(of: "Score"), .integer)
        XCTAssertEqual(one.schema.type(of: "Day"), .date)
    }

    func testABadRowInALaterChunkIsReportedOnItsLine() throws {
        var text = "a^b\n"
        for i in 0..<500 { text += "\(i)^x\n" }
        text += "\n1^2^3\n4^5\n"
        for chunks in [1, 2, 4] {
            XCTAssertThrowsError(try read(text, chunks: chunks, delimiter: "^")) { error in
                XCTAssertEqual((error as? Diagnostic)?.line, 503, "\(chunks) chunks")
                XCTAssertTrue((error as? Diagnostic)?.message.contains("3 fields, expected 2") ?? false)
            }
        }
    }

    func testAFileWithQuotesTakesTheQuotingPath() throws {
        let t = try read("a,b\n\"x, y\",1\n\"he said \"\"hi\"\"\",2\n", chunks: 3)
        XCTAssertEqual(rows(t), [["x, y", "1"], ["he said \"hi\"", "2"]])
    }
}
