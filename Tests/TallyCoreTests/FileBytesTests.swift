import Foundation
import XCTest

@testable import TallyCore
@testable import TallyModel

/// Large inputs are mapped from the file (`FileBytes`) rather than read into fresh memory. What
/// a load gives must not depend on it, and a file written to while it is mapped must never give
/// a table or a SHA-256 of half-rewritten bytes.
final class FileBytesTests: XCTestCase {
    /// A CSV of `rows` rows (about 40 bytes each), with a byte-order mark when asked.
    func writeCSV(_ path: String, rows: Int, bom: Bool = false) throws -> [UInt8] {
        var text = "SSID,Name,Grade\n"
        for i in 0..<rows { text += "\(1_000_000_000 + i),Student Número \(i % 997),\(["KN", "01", "12"][i % 3])\n" }
        let bytes = (bom ? [0xEF, 0xBB, 0xBF] : []) + Array(text.utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return bytes
    }

    func testALargeFileIsMappedAndReadsAsTheSameBytes() throws {
        let scratch = try Scratch()
        let big = scratch.path("big.csv"), small = scratch.path("small.csv")
        let bytes = try writeCSV(big, rows: 60_000)
        _ = try writeCSV(small, rows: 10)
        XCTAssertGreaterThan(bytes.count, FileBytes.mapAtLeast)
        let input = try InputFile.read(path: big, displayName: "big.csv")
        XCTAssertTrue(input.bytes.isMapped)
        XCTAssertEqual(input.bytes.count, bytes.count)
        XCTAssertEqual(input.bytes.array, bytes)
        XCTAssertEqual(Fingerprint.sha256(input.bytes), Fingerprint.sha256(bytes))
        XCTAssertFalse(try InputFile.read(path: small, displayName: "small.csv").bytes.isMapped, "a small file is read")
        // A byte-order mark is dropped without copying, and the table is the one read from an array.
        let marked = scratch.path("bom.csv")
        let withMark = try writeCSV(marked, rows: 60_000, bom: true)
        let mapped = try InputFile.read(path: marked, displayName: "bom.csv")
        XCTAssertEqual(try mapped.textBytes(encoding: nil).array, Array(withMark.dropFirst(3)))
        let fromFile = try Loader.read(
            LoadRequest(table: "t", path: marked, displayPath: "bom.csv", format: .csv, options: IOOptions(), span: .none), progress: nil
        ).table
        let fromArray = try DelimitedReader.read(InputFile(bytes: withMark, displayName: "bom.csv"), options: DelimitedOptions())
        XCTAssertEqual(fromFile.names, ["SSID", "Name", "Grade"])
        XCTAssertEqual(fromFile.rowCount, 60_000)
        for name in fromFile.names {
            XCTAssertEqual(
                (0..<fromFile.rowCount).map { fromFile.column(name)?.value($0).display },
                (0..<fromArray.rowCount).map { fromArray.column(name)?.value($0).display }, name)
        }
    }

    func testAFileWrittenToWhileMappedIsRefused() throws {
        let scratch = try Scratch()
        let path = scratch.path("sis.csv")
        _ = try writeCSV(path, rows: 60_000)
        let input = try InputFile.read(path: path, displayName: "sis.csv")
        XCTAssertNoThrow(try input.requireUnchanged())
        // Another program appends to the file (an export still being written).
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("2000000000,Late Row,01\n".utf8))
        try handle.close()
        XCTAssertThrowsError(try input.requireUnchanged()) { error in
            let d = error as? Diagnostic
            XCTAssertEqual(d?.code, .fileChanged)
            XCTAssertEqual(d?.file, "sis.csv")
            XCTAssertTrue(d?.message.contains("changed while Tally was reading it") ?? false, "\(String(describing: d?.message))")
        }
        // Bytes held in memory never change under Tally.
        XCTAssertNoThrow(try InputFile(bytes: Array("a\n1\n".utf8), displayName: "m.csv").requireUnchanged())
    }
}
