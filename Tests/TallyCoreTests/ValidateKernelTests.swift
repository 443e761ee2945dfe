import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// The column views `validate calpads` reads fields through (issue #27, item 3): a code check
/// judges each distinct value once, rows group by a value's dense id, and a field name finds the
/// column the old `[String: Column]` map found. Findings on whole districts are checked against
/// the planted rules by `RulePlantTests`; these pin the kernels' own behaviour.
final class ValidateKernelTests: XCTestCase {
    typealias V = CalpadsValidator

    func textColumn(_ values: [String?], dictionary: TextDictionary = TextDictionary()) -> Column {
        var b = ColumnBuilder(type: .text, dictionary: dictionary)
        for v in values { b.append(v.map { .text($0) } ?? .null) }
        return b.build()
    }

    func testCodeCheckJudgesEachDistinctValueOnceAndSkipsBlanks() {
        var values: [String?] = []
        for i in 0..<3000 { values.append(i % 10 == 0 ? nil : i % 10 == 1 ? "" : ["M", "F", "Q"][i % 3]) }
        let view = V.FieldView(textColumn(values))
        var calls: [String] = []
        let rows = view.rows(failing: {
            calls.append($0); return $0 == "Q"
        })
        XCTAssertEqual(calls.sorted(), ["F", "M", "Q"], "one call per distinct non-empty value")
        let expected = values.indices.filter { values[$0] == "Q" }
        XCTAssertEqual(rows, expected)
        XCTAssertEqual(view.blankRows(), values.indices.filter { values[$0] == nil || values[$0] == "" })
        XCTAssertNil(view.text(0)); XCTAssertNil(view.text(1)); XCTAssertEqual(view.text(2), ["M", "F", "Q"][2])
        let judged = view.judged { $0.lowercased() }
        XCTAssertEqual(judged(5), "q"); XCTAssertNil(judged(10)); XCTAssertNil(judged(11))
    }

    func testSharedDictionaryDoesNotLeakOtherColumnsValues() {
        let shared = TextDictionary()
        _ = textColumn(["X1", "X2"], dictionary: shared)
        let view = V.FieldView(textColumn(["A", nil, "A", "B"], dictionary: shared))
        var seen: [String] = []
        _ = view.rows(failing: {
            seen.append($0); return false
        })
        XCTAssertEqual(seen.sorted(), ["A", "B"])
        XCTAssertEqual((0..<view.idCount).compactMap { view.value(ofID: $0) }.sorted(), ["A", "B"])
    }

    func testRowGroupsOfTextAndOfNumbers() {
        let text = V.FieldView(textColumn(["A", "B", "A", nil, "", "B", "A", "C"]))
        XCTAssertEqual(text.groups.repeated.map { "\($0.value):\(Array($0.rows))" }.sorted(), ["A:[0, 2, 6]", "B:[1, 5]"])
        XCTAssertEqual(Array(text.groups.rows(sameAs: 6)), [0, 2, 6])
        XCTAssertEqual(Array(text.groups.rows(sameAs: 7)), [7])
        XCTAssertEqual(Array(text.groups.rows(sameAs: 3)), [])
        XCTAssertEqual(Array(text.groups.rows(sameAs: 4)), [])
        // An SSID column read as numbers (a table built in the playbook) groups the same way.
        var b = ColumnBuilder(type: .integer)
        for v: Int64? in [7, 8, 7, nil, 8, 7] { b.append(v.map { .integer($0) } ?? .null) }
        let numbers = V.FieldView(b.build())
        XCTAssertEqual(numbers.groups.repeated.map { "\($0.value):\(Array($0.rows))" }.sorted(), ["7:[0, 2, 5]", "8:[1, 4]"])
        XCTAssertEqual(numbers.text(4), "8"); XCTAssertNil(numbers.text(3))
    }

    func testFieldNamesFindTheColumnsTheMapFound() {
        let table = Table(
            names: ["SSID", "AcademicYearID", "SSID", "StudentBirthDate"],
            columns: [
                textColumn(["1", "2"]), textColumn(["2025-2026", "bad"]), textColumn(["3", "4"]),
                Column(data: .date([100, 200]), validity: nil),
            ],
            provenance: .none(count: 2))
        let r = V.Record(table)
        XCTAssertEqual(r.text("SSID", 0), "3", "the last column of a name, as the [String: Column] map")
        XCTAssertNil(r.text("NoSuchField", 0))
        XCTAssertNil(r.date("SSID", 0))
        XCTAssertEqual(r.date("StudentBirthDate", 1), 200)
        XCTAssertEqual(r.text("StudentBirthDate", 1), DateCodec.iso(200))
        XCTAssertEqual(r.startYear(0), 2025)
        XCTAssertNil(r.startYear(1))
        // Every layout field name finds itself among many (the bucket table's collisions).
        let names = CalpadsLayouts.all.flatMap { $0.fields.map(\.name) }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let wide = Table(names: names, columns: names.indices.map { textColumn(["v\($0)"]) }, provenance: .none(count: 1))
        let w = V.Record(wide)
        for (i, name) in names.enumerated() { XCTAssertEqual(w.text(name, 0), "v\(i)", name) }
    }

    /// A cross-file join numbers equal keys alike on both sides: texts from two dictionaries, a
    /// blank (null or empty) in any key field joins nothing, a missing column joins nothing, and a
    /// column read as numbers joins by its text as the String dictionaries did.
    func testJoinOnDenseIDs() {
        let own = V.Record(
            Table(
                names: ["SSID", "School"],
                columns: [textColumn(["1", "2", "1", nil, "", "3"]), textColumn(["A", "A", "B", "A", "A", "A"])],
                provenance: .none(count: 6)))
        let other = V.Record(
            Table(
                names: ["SSID", "School"],
                columns: [textColumn(["2", "1", "9", "1", ""]), textColumn(["A", "B", "A", "A", "A"])],
                provenance: .none(count: 5)))
        let join = V.Join(own, other, on: ["SSID", "School"])
        // Which own rows share a key with which other rows, by the texts.
        func key(_ r: V.Record, _ row: Int) -> String? {
            guard let s = r.text("SSID", row), let c = r.text("School", row) else { return nil }
            return s + "/" + c
        }
        for a in 0..<6 {
            XCTAssertEqual(join.own[a] < 0, key(own, a) == nil, "row \(a)")
            for b in 0..<5 where join.own[a] >= 0 && join.other[b] >= 0 {
                XCTAssertEqual(join.own[a] == join.other[b], key(own, a) == key(other, b), "rows \(a), \(b)")
            }
        }
        XCTAssertTrue(join.own.allSatisfy { $0 < join.count } && join.other.allSatisfy { $0 < join.count })
        XCTAssertEqual(join.own[0], join.other[3]); XCTAssertEqual(join.own[2], join.other[1]); XCTAssertEqual(join.own[1], join.other[0])
        XCTAssertEqual(join.other[4], -1, "an empty SSID joins nothing")
        XCTAssertTrue(V.Join(own, other, on: ["SSID", "NoSuchField"]).own.allSatisfy { $0 == -1 })
        // An SSID column read as numbers against text.
        var b = ColumnBuilder(type: .integer)
        for v: Int64? in [3, nil, 1] { b.append(v.map { .integer($0) } ?? .null) }
        let numbers = V.Record(Table(names: ["SSID"], columns: [b.build()], provenance: .none(count: 3)))
        let mixed = V.Join(own, numbers, on: ["SSID"])
        XCTAssertEqual(mixed.own[5], mixed.other[0]); XCTAssertEqual(mixed.own[0], mixed.other[2])
        XCTAssertEqual(mixed.other[1], -1); XCTAssertNotEqual(mixed.own[1], mixed.other[0])

        let groups = V.IDGroups([2, -1, 0, 2, 2, 0], count: 4) { $0 != 4 }
        XCTAssertEqual(Array(groups[2]), [0, 3]); XCTAssertEqual(Array(groups[0]), [2, 5])
        XCTAssertEqual(Array(groups[1]), []); XCTAssertEqual(Array(groups[3]), []); XCTAssertEqual(Array(groups[-1]), [])
    }

    /// A verdict per code answers as the test on the row's text; a blank row or a missing column
    /// is false. A rule's years answer as `active`.
    func testVerdictsAndRuleYears() {
        let column = textColumn(["10", nil, "30", "", "10", "40"])
        var calls = 0
        let primary = V.Verdicts(V.FieldView(column)) {
            calls += 1; return $0 == "10" || $0 == "40"
        }
        XCTAssertEqual((0..<6).map { primary[$0] }, [true, false, false, false, true, true])
        XCTAssertEqual(calls, 3, "one test per distinct non-empty value")
        XCTAssertFalse(V.Verdicts(nil) { _ in true }[0])
        for id in ["SENR0742", "CERT004", "SENR0661F1", "GERR0005", "NO-SUCH-RULE"] {
            let years = V.RuleYears(id)
            for year in 2010...2030 { XCTAssertEqual(years.contains(year), V.active(id, year), "\(id) \(year)") }
        }
    }

    /// The byte-level tests (third pass) answer exactly as the character-level ones they replace,
    /// on the texts where bytes and characters part: other scripts' digits, combining marks, CR LF,
    /// letters outside ASCII.
    func testByteTestsAgreeWithCharacterTests() {
        let texts = [
            "1234567890", "123456789", "12345678901", "１２３４５６７８９０", "123456789\u{0663}", "12345678\u{301}90", "1234\r\n6789",
            "", "O'Brien", "Anne-Marie St. Clair", "Zoë", "Jose\u{301}", "A@B", "Li\u{00A0}Na", "Nguyễn", "\r\n", "x\u{301}@", "Ω-7",
        ]
        for s in texts {
            for count in [2, 5, 10] {
                XCTAssertEqual(
                    V.allDigits(s, count: count), s.count == count && s.allSatisfy { $0.isASCII && $0.isNumber }, "\(s) \(count)")
            }
            XCTAssertEqual(V.nameCharsOnly(s), s.allSatisfy { $0.isLetter || $0.isNumber || " .-'".contains($0) }, s)
        }
    }

    /// A row has text where `text` gives one; a date column's blanks are its nulls; a key of text
    /// and date fields is one id per distinct key, -1 where a field is null or empty, and parts rows
    /// as the field-by-field numbering does for a column that is not text.
    func testHasTextBlankDatesAndKeyIDs() {
        var valid = Bitmap(count: 6, filled: true)
        valid[3] = false
        let dates = Column(data: .date([100, 100, 200, 100, 100, 300]), validity: valid)
        let table = Table(
            names: ["SSID", "Day", "School"],
            columns: [textColumn(["1", "1", "2", "1", "", nil]), dates, textColumn(["A", "A", "A", "A", "A", "B"])],
            provenance: .none(count: 6))
        let r = V.Record(table)
        XCTAssertEqual((0..<6).map { r.view("SSID")!.hasText($0) }, [true, true, true, true, false, false])
        XCTAssertEqual((0..<6).map { r.view("Day")!.hasText($0) }, [true, true, true, false, true, true])
        XCTAssertEqual(r.view("Day")!.blankRows(), [3])
        let ids = r.keyIDs(["SSID", "Day", "School"])
        XCTAssertEqual(ids[0], ids[1]); XCTAssertNotEqual(ids[0], ids[2])
        XCTAssertEqual(Array(ids[3...]), [-1, -1, -1], "a null date, an empty and a null SSID are blank")
        XCTAssertEqual(r.keyIDs(["SSID", "NoSuchField"]), [Int](repeating: -1, count: 6))
        // The same keys with the SSID read as numbers (the field-by-field path) part rows alike.
        var b = ColumnBuilder(type: .integer)
        for v: Int64? in [1, 1, 2, 1, nil, nil] { b.append(v.map { .integer($0) } ?? .null) }
        let numbers = V.Record(
            Table(names: ["SSID", "Day", "School"], columns: [b.build(), dates, table.columns[2]], provenance: .none(count: 6)))
        let other = numbers.keyIDs(["SSID", "Day", "School"])
        for a in 0..<6 { for c in 0..<6 { XCTAssertEqual(ids[a] == ids[c], other[a] == other[c], "rows \(a), \(c)") } }
    }

    /// A join of two records is made once per validate call (the rules that read the same
    /// partner on the same fields share it), and is the join made directly.
    func testSharedJoinIsMadeOnce() {
        let own = V.Record(Table(names: ["SSID"], columns: [textColumn(["1", "2", "1"])], provenance: .none(count: 3)))
        let other = V.Record(Table(names: ["SSID"], columns: [textColumn(["2", "3"])], provenance: .none(count: 2)))
        let first = V.Join.shared(own, other, on: ["SSID"])
        XCTAssertEqual(own.views.joins.count, 1)
        let again = V.Join.shared(own, other, on: ["SSID"])
        XCTAssertEqual(own.views.joins.count, 1, "the second rule's join is the first's")
        let direct = V.Join(own, other, on: ["SSID"])
        XCTAssertEqual(again.own, first.own); XCTAssertEqual(again.other, first.other)
        XCTAssertEqual(first.own, direct.own); XCTAssertEqual(first.other, direct.other)
        XCTAssertEqual(first.own[1], first.other[0]); XCTAssertEqual(first.other[1] == first.own[0], false)
        _ = V.Join.shared(own, other, on: ["SSID", "School"])
        XCTAssertEqual(own.views.joins.count, 2, "other fields, another join")
    }

    /// A key's groups are the rows of its most varied text field; within one, `SeenKeys` answers
    /// as a `Set` of the fields' texts would — as a list for a few rows and as a set for a large
    /// group (every record under one placeholder SSID), where a list would be quadratic.
    func testKeyGroupsAndSeenKeysSmallAndLarge() {
        let n = 100
        let ssids = (0..<n).map { $0 < 80 ? "0000000000" : "11111111\($0 % 3)" }
        let schools = (0..<n).map { $0 % 7 == 0 ? nil : "S\($0 % 4)" }
        let r = V.Record(
            Table(
                names: ["SSID", "School", "Grade"],
                columns: [textColumn(ssids), textColumn(schools), textColumn((0..<n).map { _ in "09" })],
                provenance: .none(count: n)))
        let (groups, views) = r.keyGroups(["SSID", "School"])
        XCTAssertEqual(views.count, 2)
        XCTAssertEqual(
            groups.map(\.count).sorted(), [6, 7, 7, 80], "the repeated SSIDs' rows, grouped by the SSID (the most varied field)")
        for rows in groups {
            var seen = V.SeenKeys(views, rows: rows.count), texts = Set<String>()
            for row in rows where schools[row] != nil {
                XCTAssertEqual(seen.insert(row), texts.insert(ssids[row] + "/" + schools[row]!).inserted, "row \(row) of \(rows.count)")
            }
        }
        XCTAssertTrue(r.keyGroups(["SSID", "NoSuchField"]).groups.isEmpty)
    }
}
