import Foundation
import XCTest

@testable import TallyCore
@testable import TallyModel

/// The parse loop at scale (issue #27, item 2): the word-at-a-time separator scanner must find
/// exactly what a byte-at-a-time scan finds, and a file split by it must read as before.
final class FieldSplitTests: XCTestCase {
    /// The byte-at-a-time scan `SeparatorScanner` replaced.
    func naiveEnd(_ bytes: [UInt8], _ from: Int, _ to: Int, _ delimiter: UInt8) -> Int {
        var j = from
        while j < to, bytes[j] != delimiter, bytes[j] != 10, bytes[j] != 13 { j += 1 }
        return j
    }

    func testScannerFindsTheFirstSeparatorAtEveryOffset() {
        // Every separator at every position of a 20-byte window, from every start and to every
        // end: the word loop, its tail loop and the seam between them. Bytes with the high bit set
        // and bytes one off a separator (0x0B, 0x5D, 0x5F around '^') are the carries' cases.
        let fillers: [UInt8] = [0x41, 0xFF, 0x80, 0x0B, 0x0C, 0x5D, 0x5F, 0x00, 0x7F]
        for delimiter: UInt8 in [UInt8(ascii: "^"), UInt8(ascii: ","), 9] {
            for separator in [delimiter, 10, 13] {
                for filler in fillers where filler != delimiter {
                    for at in 0..<20 {
                        var bytes = [UInt8](repeating: filler, count: 20)
                        bytes[at] = separator
                        bytes.withUnsafeBytes { raw in
                            for from in 0..<20 {
                                for to in from...20 {
                                    var scan = DelimitedReader.SeparatorScanner(raw.baseAddress!, from: from, to: to, delimiter: delimiter)
                                    let got = scan.next(from)
                                    XCTAssertEqual(
                                        got, naiveEnd(bytes, from, to, delimiter), "separator \(separator) at \(at), \(from)..<\(to)")
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    func testSuccessiveCallsFindEverySeparatorInOrder() {
        // As the parse calls it: from just past each separator found, sometimes a byte or two
        // further (a CR LF, a blank line), over text dense and sparse in separators.
        var generator = SystemRandomNumberGenerator()
        for density in [2, 5, 12, 40] {
            for _ in 0..<50 {
                let count = Int.random(in: 0..<200, using: &generator)
                let bytes = (0..<count).map { _ -> UInt8 in
                    Int.random(in: 0..<density, using: &generator) == 0
                        ? [UInt8(ascii: "^"), 10, 13].randomElement(using: &generator)! : UInt8.random(in: 0...255, using: &generator)
                }
                bytes.withUnsafeBytes { raw in
                    guard let base = raw.baseAddress else { return }
                    var scan = DelimitedReader.SeparatorScanner(base, from: 0, to: count, delimiter: UInt8(ascii: "^"))
                    var start = 0
                    while start <= count {
                        let got = scan.next(start)
                        XCTAssertEqual(got, naiveEnd(bytes, start, count, UInt8(ascii: "^")), "from \(start) in \(bytes)")
                        if got >= count { break }
                        start = min(count, got + 1 + Int.random(in: 0...2, using: &generator))
                    }
                }
            }
        }
    }

    func testLongAndEmptyFieldsReadAsWritten() throws {
        // Fields of 0 to 40 bytes (shorter than, equal to and longer than a word), caret-delimited
        // with CR LF and LF endings, read in one chunk and in three.
        var lines: [[String]] = []
        var text = ""
        for r in 0..<300 {
            let fields = (0..<5).map { k in
                String(repeating: Character(Unicode.Scalar(UInt8(97 + (r + k) % 26))), count: (r * 7 + k * 3) % 41)
            }
            lines.append(fields)
            text += fields.joined(separator: "^") + (r % 2 == 0 ? "\r\n" : "\n")
        }
        for chunks in [1, 3] {
            var options = DelimitedOptions()
            options.chunks = chunks
            options.header = false
            options.delimiter = UInt8(ascii: "^")
            let input = InputFile(path: "t.txt", displayName: "t.txt", bytes: Array(text.utf8), size: text.utf8.count)
            let table = try DelimitedReader.read(input, options: options)
            XCTAssertEqual(table.rowCount, 300)
            for (r, fields) in lines.enumerated() {
                XCTAssertEqual(table.columns.map { $0.isNull(r) ? "" : $0.value(r).display }, fields, "row \(r), \(chunks) chunks")
            }
        }
    }
}
