import Foundation
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// Mostly distinct text columns (IDs, street lines) are read as bytes without interning and
/// numbered once afterwards (`DistinctText.dedupe`), and dictionaries keep bytes rather than one
/// `String` per value. Everything must come out exactly as interning gave it: the same distinct
/// values in the same order, the same code per row, the same exports, sorts and cache round trips.
final class DistinctTextTests: XCTestCase {
    /// What interning gives: distinct values in order of first appearance and each row's code.
    func reference(_ values: [String]) -> (distinct: [String], codes: [Int32]) {
        var seen: [String: Int32] = [:], distinct: [String] = [], codes: [Int32] = []
        for v in values {
            if let c = seen[v] {
                codes.append(c)
            } else {
                seen[v] = Int32(distinct.count); codes.append(Int32(distinct.count)); distinct.append(v)
            }
        }
        return (distinct, codes)
    }

    func distinctText(_ values: [String]) -> DistinctText {
        var t = DistinctText()
        for v in values { t.arena.append(contentsOf: v.utf8); t.ends.append(t.arena.count) }
        return t
    }

    func testDedupeNumbersValuesInOrderOfFirstAppearance() {
        // Empty values, repeats near and far, values that differ only in length or last byte,
        // accents, and enough rows for many partitions.
        var values: [String] = ["", "a", "", "ab", "a", "Muñoz", "Munoz"]
        for i in 0..<50_000 { values.append(i % 7 == 0 ? "S\(i / 3)" : "S\(i)") }
        for i in stride(from: 0, to: 50_000, by: 997) { values.append("S\(i)") }
        values += ["", "1234 Main St", "1234 Main St ", "1234 Main St"]
        let (interner, codes) = DistinctText.dedupe([distinctText(values)])
        let expected = reference(values)
        XCTAssertEqual(codes, expected.codes)
        XCTAssertEqual((0..<interner.count).map { interner.string(Int32($0)) }, expected.distinct)
        // Nothing, one value, and all the same.
        XCTAssertEqual(DistinctText.dedupe([distinctText([])]).codes, [])
        XCTAssertEqual(DistinctText.dedupe([distinctText(["x"])]).codes, [0])
        let same = DistinctText.dedupe([distinctText([String](repeating: "same", count: 5_000))])
        XCTAssertEqual(same.interner.count, 1)
        XCTAssertEqual(Set(same.codes), [0])
    }

    /// A column read in several chunks is numbered across its parts as if it were one, whether
    /// a value repeats within a part or across parts, and whatever parts are empty; a column of
    /// distinct values in one part keeps its bytes.
    func testDedupeAcrossPartsIsDedupeOfTheWhole() {
        var values: [String] = []
        for i in 0..<40_000 { values.append(i % 5 == 0 ? "V\(i / 10)" : "V\(i)") }
        values += ["", "V0", "", "Muñoz"]
        let expected = reference(values)
        for cuts in [[0], [20_000], [0, 13_000, 13_000, 39_999], [1, 2, 3, 40_000]] {
            var parts: [DistinctText] = []
            var from = 0
            for cut in cuts + [values.count] {
                parts.append(distinctText(Array(values[from..<cut])))
                from = cut
            }
            let (interner, codes) = DistinctText.dedupe(parts)
            XCTAssertEqual(codes, expected.codes, "cut at \(cuts)")
            XCTAssertEqual((0..<interner.count).map { interner.string(Int32($0)) }, expected.distinct, "cut at \(cuts)")
        }
        let unique = (0..<10_000).map { "ID\($0)" }
        let (interner, codes) = DistinctText.dedupe([distinctText(unique)])
        XCTAssertEqual(codes, (0..<10_000).map { Int32($0) })
        XCTAssertEqual((0..<interner.count).map { interner.string(Int32($0)) }, unique)
        XCTAssertEqual(DistinctText.dedupe([]).codes, [])
    }

    func read(_ text: String, chunks: Int) throws -> Table {
        var options = DelimitedOptions()
        options.chunks = chunks
        options.delimiter = UInt8(ascii: "^")
        let input = InputFile(path: "t.txt", displayName: "t.txt", bytes: FileBytes(Array(text.utf8)), size: text.utf8.count)
        return try DelimitedReader.read(input, options: options)
    }

    /// A file whose ID and street columns are mostly distinct (read without interning) and whose
    /// grade column is not: every column's dictionary and codes are what interning gives, in any
    /// number of chunks.
    func testAReaderGivesEachColumnTheDictionaryInterningGives() throws {
        var text = "RecordID^Street^Grade\n"
        var columns: [[String]] = [[], [], []]
        for i in 0..<30_011 {
            let row = ["R\(i % 4_000 == 3 ? 5 : i)", "\(i * 7 % 21_001) Oak Ave", ["KN", "01", "02", ""][i % 4]]
            for k in 0..<3 { columns[k].append(row[k]) }
            text += row.joined(separator: "^") + "\n"
        }
        let chosen = Array(text.utf8).withUnsafeBufferPointer {
            DelimitedReader.distinctColumns($0, from: 22, expected: 3, delimiter: UInt8(ascii: "^"))
        }
        XCTAssertEqual(chosen, [true, true, false], "IDs and streets are read without interning")
        for chunks in [1, 2, 5] {
            let table = try read(text, chunks: chunks)
            for (k, name) in ["RecordID", "Street", "Grade"].enumerated() {
                guard case .text(let codes, let dictionary) = table.column(name)?.data else { return XCTFail("\(name) is text") }
                let expected = reference(columns[k])
                XCTAssertEqual(codes, expected.codes, "\(name), \(chunks) chunks")
                XCTAssertEqual(dictionary.values, expected.distinct, "\(name), \(chunks) chunks")
            }
            XCTAssertEqual(table.column("Grade")?.nullCount, 30_011 / 4 + (30_011 % 4 > 3 ? 1 : 0))
        }
    }

    /// A dictionary a reader made (bytes, no table) finds, interns and reads back its values.
    func testADictionaryFromBytesLooksUpAndGrowsLikeOneFromStrings() throws {
        let (interner, _) = DistinctText.dedupe([distinctText(["b", "a", "b", "c", ""])])
        let d = TextDictionary(interned: interner)
        XCTAssertEqual(d.count, 4)
        XCTAssertEqual(d.code(of: "a"), 1)
        XCTAssertEqual(d.code(of: ""), 3)
        XCTAssertNil(d.code(of: "z"))
        XCTAssertEqual(d.intern("c"), 2, "an existing value keeps its code")
        XCTAssertEqual(d.intern("z"), 4)
        XCTAssertEqual(d.values, ["b", "a", "c", "", "z"])
        XCTAssertEqual(d.intern("y"), 5, "interning after values were made keeps them in step")
        XCTAssertEqual(d.values, ["b", "a", "c", "", "z", "y"])
        XCTAssertEqual(d[5], "y")
        XCTAssertEqual(TextDictionary(values: ["x", "y", "x"]).values, ["x", "y"])
    }

    /// The cell cache writes a dictionary's bytes as they lie and reads them back.
    func testACachedTableReadsBackTheSameText() throws {
        let (interner, codes) = DistinctText.dedupe([distinctText(["Muñoz", "", "O'Neil", "Muñoz", "a,b"])])
        let column = Column(data: .text(codes: codes, dictionary: TextDictionary(interned: interner)), validity: nil)
        let table = Table(names: ["Name"], columns: [column], provenance: Provenance(file: "f", lines: [1, 2, 3, 4, 5]))
        let path = NSTemporaryDirectory() + "distinct-\(getpid()).table"
        defer { unlink(path) }
        let sum = try XCTUnwrap(table.writeBinary(to: path))
        let back = try XCTUnwrap(Table.readBinary(from: path, sha256: sum))
        XCTAssertEqual((0..<5).map { back.columns[0].value($0).display }, ["Muñoz", "", "O'Neil", "Muñoz", "a,b"])
        guard case .text(let c, let d) = back.columns[0].data else { return XCTFail("text") }
        XCTAssertEqual(c, codes)
        XCTAssertEqual(d.values, ["Muñoz", "", "O'Neil", "a,b"])
        XCTAssertEqual(d.code(of: "a,b"), 3)
    }

    /// Exports encode each value from the dictionary's bytes: quoted when it holds the delimiter or
    /// a quote, neutralised when it could run as a formula, copied as it is otherwise.
    func testExportsQuoteAndNeutraliseFromBytes() throws {
        let values = ["plain", "a,b", "say \"hi\"", "=1+2", "Muñoz", ""]
        let (interner, codes) = DistinctText.dedupe([distinctText(values)])
        let column = Column(data: .text(codes: codes, dictionary: TextDictionary(interned: interner)), validity: nil)
        let table = Table(names: ["V"], columns: [column], provenance: Provenance.none(count: values.count))
        var options = DelimitedWriteOptions()
        options.neutralizeFormulas = true
        let path = NSTemporaryDirectory() + "distinct-\(getpid()).csv"
        defer { unlink(path) }
        _ = try DelimitedWriter.write(table, to: path, options: options)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertEqual(text, "V\nplain\n\"a,b\"\n\"say \"\"hi\"\"\"\n'=1+2\nMuñoz\n\n")
    }

    /// Sorting a few rows over a large dictionary ranks only the values they hold, in the same
    /// order as ranking all of them.
    func testSortingFewRowsOfALargeDictionary() {
        let dictionary = TextDictionary(values: (0..<10_000).map { "ID\(9_999 - $0)" })
        let codes: [Int32] = [5, 9_000, 17, 5, 2]
        let column = Column(data: .text(codes: codes, dictionary: dictionary), validity: nil)
        let table = Table(names: ["ID"], columns: [column], provenance: Provenance.none(count: 5))
        let order = table.sortPermutation([(column, false)])
        let strings = codes.map { dictionary[$0] }
        let expected = (0..<5).sorted { (strings[$0], $0) < (strings[$1], $1) }.map { Int32($0) }
        XCTAssertEqual(order, expected, "ties keep their row order")
        XCTAssertEqual(order.map { strings[Int($0)] }, ["ID9982", "ID999", "ID9994", "ID9994", "ID9997"])
    }
}
