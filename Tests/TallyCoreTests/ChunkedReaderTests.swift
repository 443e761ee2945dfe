import Foundation
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

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
            if i % 101 == 0 { text += "\r\n" } // blank lines here and there, in every chunk
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

    /// Many blocks per chunk (records are split 4,096 at a time, and fields interned sixteen at a
    /// time): a column of distinct IDs, one of names repeated within a batch, and blank lines.
    func testLargeFilesGiveTheSameTableInAnyNumberOfChunks() throws {
        var text = "ID^Name^Grade\n"
        var expected: [[String]] = []
        for i in 0..<23_456 {
            let row = ["S\(9_000_000 + i * 7)", "N\(i % 13)" + String(repeating: "x", count: i % 40), ["KN", "01", ""][i % 3]]
            expected.append(row)
            text += row.joined(separator: "^") + "\n"
            if i % 5_001 == 0 { text += "\n" }
        }
        let one = try read(text, chunks: 1, delimiter: "^")
        XCTAssertEqual(rows(one), expected)
        for chunks in [2, 5] {
            let many = try read(text, chunks: chunks, delimiter: "^")
            XCTAssertEqual(rows(many), expected, "\(chunks) chunks")
            XCTAssertEqual(many.provenance.line, one.provenance.line)
        }
        guard case .text(_, let ids) = one.column("ID")!.data, case .text(_, let names) = one.column("Name")!.data else {
            return XCTFail("text columns expected")
        }
        XCTAssertEqual(ids.count, 23_456, "one dictionary entry per distinct ID")
        XCTAssertEqual(names.count, Set(expected.map { $0[1] }).count)
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

/// `tally check` learns schemas from the beginning of each file, and a run holds the rest of the
/// file to the types learnt there.
final class SchemaSampleTests: XCTestCase {
    func testCheckLearnsTheSameSchemaAsARunWithoutReadingEverything() throws {
        let scratch = try Scratch()
        var sample = SampleOptions()
        sample.students = 20_000
        sample.seed = 5
        try DistrictGenerator.write(sample, to: scratch.path("data"))
        try scratch.write(
            "p.playbook",
            """
            load senr from "data/SENR.txt" as calpads SENR
            load sinf from "data/SINF.txt" as calpads SINF
            load sis from "data/sis_enrollment.csv" with columns (EntryDate: date "MM/DD/YYYY")
            """)
        let check = Runner.check(path: scratch.path("p.playbook"), options: scratch.options)
        XCTAssertTrue(check.diagnostics.isEmpty, check.diagnostics.map(\.message).joined())
        let run = Runner.run(path: scratch.path("p.playbook"), options: scratch.options)
        XCTAssertEqual(run.exitStatus, 0)
        for (request, schema) in check.inputs {
            XCTAssertEqual(schema, run.cells.first { $0.table == request.table }?.schema, "\(request.table): check and run agree")
        }
        XCTAssertGreaterThan(run.inputs.first { $0.table == "sis" }?.bytes ?? 0, 1 << 20, "the CSV is larger than the prefix read")
    }

    func testAValueAfterTheInferenceRowsThatBreaksTheTypeIsAnErrorOnItsLine() throws {
        let scratch = try Scratch()
        var text = "School,Score\n"
        for i in 0..<ValueParsing.inferenceRows + 500 { text += "A,\(i % 90)\n" }
        text += "B,N/A\n"
        try scratch.write("s.csv", text)
        try scratch.write("p.playbook", "load s from \"s.csv\"\nx = s | filter Score > 10\n")
        let run = Runner.run(path: scratch.path("p.playbook"), options: scratch.options)
        XCTAssertEqual(run.exitStatus, 2)
        let error = try XCTUnwrap(run.errors.first)
        XCTAssertEqual(error.line, ValueParsing.inferenceRows + 502)
        XCTAssertTrue(error.message.contains("\"N/A\" is not an integer"), error.message)
        XCTAssertTrue(error.help?.contains("with columns (Score: text)") ?? false, error.help ?? "")
        // The file is smaller than what check reads, so check finds the same error.
        let check = Runner.check(path: scratch.path("p.playbook"), options: scratch.options)
        XCTAssertEqual(check.diagnostics.first?.line, error.line)
        // Declared, it reads.
        try scratch.write("q.playbook", "load s from \"s.csv\" with columns (Score: text)\n")
        XCTAssertEqual(Runner.run(path: scratch.path("q.playbook"), options: scratch.options).exitStatus, 0)
    }
}

final class ParallelValidationTests: XCTestCase {
    func testParallelUTF8CheckFindsTheFirstBadByte() {
        var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 40 << 20)
        let e = Array("é".utf8)
        for i in stride(from: 1000, to: bytes.count - 2, by: 7919) { bytes[i] = e[0]; bytes[i + 1] = e[1] }
        XCTAssertNil(TextDecoding.firstInvalidUTF8Parallel(FileBytes(bytes)))
        bytes[30 << 20] = 0xFF
        bytes[35 << 20] = 0xC3
        XCTAssertEqual(TextDecoding.firstInvalidUTF8Parallel(FileBytes(bytes)), TextDecoding.firstInvalidUTF8(bytes))
        XCTAssertEqual(TextDecoding.firstInvalidUTF8Parallel(FileBytes(bytes)), 30 << 20)
    }
}

/// Interners are values: a copy that inserts never changes the original (their slot tables are
/// shared until one inserts), large tables included.
final class ByteInternerTests: XCTestCase {
    func intern(_ interner: inout ByteInterner, _ value: String) -> Int32 {
        let bytes = Array(value.utf8)
        return bytes.withUnsafeBufferPointer { interner.intern($0, 0, $0.count) }
    }

    func testCopiesAreIndependentSmallAndLarge() {
        for size in [10, 700_000] {
            var a = ByteInterner(capacity: 0)
            for i in 0..<size { XCTAssertEqual(intern(&a, "v\(i)"), Int32(i)) }
            var b = a
            XCTAssertEqual(intern(&b, "only in b"), Int32(size))
            XCTAssertEqual(intern(&a, "only in a"), Int32(size))
            XCTAssertEqual(intern(&a, "only in b"), Int32(size + 1), "a never saw b's value")
            XCTAssertEqual(intern(&b, "v\(size / 2)"), Int32(size / 2))
            XCTAssertEqual(b.string(Int32(size)), "only in b")
            XCTAssertEqual(a.string(Int32(size)), "only in a")
        }
    }

    func testInternAllMapsEveryValueIncludingRepeats() {
        var base = ByteInterner(capacity: 0)
        for i in 0..<1_000 { _ = intern(&base, "k\(i)") }
        let incoming = ByteInterner.packing((0..<3_000).map { "k\($0 % 1_500)" })
        let codes = base.internAll(of: incoming)
        for (i, code) in codes.enumerated() {
            XCTAssertEqual(base.string(code), "k\(i % 1_500)")
        }
        XCTAssertEqual(base.count, 1_500)
    }
}
