import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

final class KernelTests: XCTestCase {
    let left = """
        SSID,School
        1,A
        2,A
        3,B
        ,B
        4,C
        """
    let right = """
        SSID,Name
        1,Ann
        2,Bo
        2,Bob
        ,Nobody
        9,Zed
        """

    func plan(_ kind: JoinKind) throws -> JoinPlan {
        let l = try readCSV(left), r = try readCSV(right)
        return Table.planJoin(
            kind: kind, left: [l.column("SSID")!], right: [r.column("SSID")!],
            leftCount: l.rowCount, rightCount: r.rowCount)
    }

    func testInnerJoinKeepsLeftOrderAndNullKeysNeverMatch() throws {
        let p = try plan(.inner)
        XCTAssertEqual(p.leftRows, [0, 1, 1])
        XCTAssertEqual(p.rightRows, [0, 1, 2])
        XCTAssertEqual(p.stats, JoinStats(leftMatched: 2, leftUnmatched: 3, rightMatched: 3, rightUnmatched: 2, leftNullKeys: 1))
        XCTAssertEqual(p.rightDuplicates.map(\.count), [2])
    }

    func testFullJoinKeepsEveryRowOfBothSides() throws {
        let p = try plan(.full)
        XCTAssertEqual(p.leftRows, [0, 1, 1, 2, 3, 4, -1, -1])
        XCTAssertEqual(p.rightRows, [0, 1, 2, -1, -1, -1, 3, 4])
        XCTAssertEqual(p.rightOnlyFrom, 6)
        XCTAssertEqual(p.stats, JoinStats(leftMatched: 2, leftUnmatched: 3, rightMatched: 3, rightUnmatched: 2, leftNullKeys: 1))
    }

    func testLeftAntiSemi() throws {
        XCTAssertEqual(try plan(.left).rightRows, [0, 1, 2, -1, -1, -1])
        XCTAssertEqual(try plan(.anti).leftRows, [2, 3, 4])
        XCTAssertEqual(try plan(.semi).leftRows, [0, 1])
    }

    func testAggregateGroupsInKeyOrderWithNullGroupLast() throws {
        let t = try readCSV("k,v\nb,1\na,2\n,3\nb,4\n")
        let out = t.aggregate(
            by: ["k"],
            [
                Table.AggregateSpec(name: "n", function: .count, input: nil),
                Table.AggregateSpec(name: "s", function: .sum, input: t.column("v")),
            ])
        XCTAssertEqual(out.strings("k"), ["a", "b", nil])
        XCTAssertEqual(out.strings("n"), ["1", "2", "1"])
        XCTAssertEqual(out.strings("s"), ["2", "5", "3"])
    }

    func testSortIsStableAndPutsNullsLastBothWays() throws {
        let t = try readCSV("id,v\n1,3\n2,\n3,1\n4,3\n")
        let up = t.gather(t.sortPermutation([(t.column("v")!, false)]))
        XCTAssertEqual(up.strings("id"), ["3", "1", "4", "2"])
        let down = t.gather(t.sortPermutation([(t.column("v")!, true)]))
        XCTAssertEqual(down.strings("id"), ["1", "4", "3", "2"])
    }

    /// Text keys are numbered through the dictionaries (`KeyEncoder.textSlots`): over random
    /// columns with nulls, values on one side only and a dictionary shared by a filtered copy,
    /// two rows get the same id exactly when their values are equal, and null never gets one.
    func testTextKeyIdsAreEqualExactlyWhenValuesAre() throws {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<20 {
            func column(_ n: Int, pool: Int) throws -> Table {
                var text = "k\n"
                for _ in 0..<n {
                    let v = Int.random(in: 0..<pool, using: &generator)
                    text += v % 11 == 0 ? "\n" : "v\(v)\n"
                }
                return try readCSV(text)
            }
            let a = try column(300 + round * 37, pool: 40 + round * 9)
            let b = try column(200 + round * 11, pool: 60)
            let shared = a.gather((0..<Int32(a.rowCount)).filter { $0 % 3 == 0 })
            let sides = [a, b, shared]
            let encoded = KeyEncoder.encode(sides.map { [$0.column("k")!] })
            var idOf: [String: Int32] = [:]
            for (s, t) in sides.enumerated() {
                let values = t.strings("k")
                for (r, value) in values.enumerated() {
                    let id = encoded.ids[s][r]
                    guard let value else { XCTAssertEqual(id, -1); continue }
                    if let known = idOf[value] {
                        XCTAssertEqual(id, known, "\(value) on side \(s)")
                    } else {
                        XCTAssertFalse(idOf.values.contains(id), "\(value) shares an id with another value")
                        idOf[value] = id
                    }
                }
            }
            XCTAssertEqual(encoded.distinct, idOf.count)
            // Grouping one side: one group per distinct value, the null group included.
            let grouping = Table.groupIds([b.column("k")!], rowCount: b.rowCount)
            let distinct = Set(b.strings("k").map { $0 ?? "\u{0}null" })
            XCTAssertEqual(grouping.representatives.count, distinct.count)
        }
    }

    func testKeysMatchAcrossDifferentDictionaries() throws {
        let a = try readCSV("k\nx\ny\n"), b = try readCSV("k\ny\nz\nx\n")
        let encoded = KeyEncoder.encode([[a.column("k")!], [b.column("k")!]])
        XCTAssertEqual(encoded.ids[0][0], encoded.ids[1][2])
        XCTAssertEqual(encoded.ids[0][1], encoded.ids[1][0])
        XCTAssertNotEqual(encoded.ids[1][1], encoded.ids[0][0])
    }

    func testDateCodecRoundTripsAndRejectsImpossibleDates() {
        for (y, m, d) in [(1970, 1, 1), (2000, 2, 29), (2024, 10, 2), (1899, 12, 31)] {
            let days = DateCodec.days(year: y, month: m, day: d)
            XCTAssertNotNil(days)
            XCTAssertTrue(DateCodec.civil(days ?? 0) == (y, m, d))
        }
        XCTAssertNil(DateCodec.days(year: 2023, month: 2, day: 29))
        XCTAssertNil(DateCodec.Pattern.compact.parse("20241301"))
        XCTAssertEqual(DateCodec.Pattern("MM/DD/YYYY")?.parse("10/02/2024"), DateCodec.days(year: 2024, month: 10, day: 2))
        XCTAssertEqual(DistrictGenerator.censusDay(startYear: 2024), DateCodec.days(year: 2024, month: 10, day: 2))
        XCTAssertEqual(DistrictGenerator.censusDay(startYear: 2025), DateCodec.days(year: 2025, month: 10, day: 1))
    }
}
