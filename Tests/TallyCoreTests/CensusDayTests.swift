import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// Done-when 2 of the core issue: on a generated district, a Census Day playbook gives the
/// answers computed here independently from the generator's own records.
final class CensusDayTests: XCTestCase {
    let playbook = """
        param census_day: date = @2024-10-02
        load senr from "data/SENR.txt" as calpads SENR
        load sinf from "data/SINF.txt" as calpads SINF
        load sis from "data/sis_enrollment.csv" with columns (EntryDate: date "MM/DD/YYYY", ExitDate: date "MM/DD/YYYY", BirthDate: date "MM/DD/YYYY")
        enrolled = senr
          | filter EnrollmentStatusCode in ("10", "30")
          | filter EnrollmentSchoolStartDate <= census_day
          | filter EnrollmentSchoolExitDate is null or EnrollmentSchoolExitDate > census_day
        counts = enrolled | aggregate students = count() by SchoolOfAttendance, GradeLevelCode
        missing = enrolled | join anti sinf on SSID
        assert missing is empty
        duplicates = enrolled | filter EnrollmentStatusCode == "10" | aggregate n = count() by SSID | filter n > 1
        sis_open = sis | filter EntryDate <= census_day and (ExitDate is null or ExitDate > census_day)
        not_reported = sis_open | join anti enrolled on SSID
        export counts to "out/counts.csv"
        export missing to "out/missing.csv"
        export duplicates to "out/duplicates.csv"
        export not_reported to "out/not_reported.csv"
        """

    func column(_ csv: String?, _ name: String) -> [String] {
        guard let csv else { return [] }
        var lines = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        guard !lines.isEmpty, let k = lines[0].firstIndex(of: name) else { return [] }
        lines.removeFirst()
        return lines.map { $0[k] }
    }

    func testCensusDayAnswersMatchTheGeneratedDistrict() throws {
        let scratch = try Scratch()
        var options = SampleOptions()
        options.students = 1500
        options.seed = 42
        let district = try DistrictGenerator.write(options, to: scratch.path("data"))
        try scratch.write("census.playbook", playbook)
        let record = Runner.run(path: scratch.path("census.playbook"), options: scratch.options)
        XCTAssertEqual(record.errors, [])
        XCTAssertEqual(record.exitStatus, 1, "the missing-SINF assert has error severity and must fail")

        let census = district.censusDay
        let enrolled = district.enrollments.filter {
            ["10", "30"].contains($0.status) && $0.start <= census && ($0.exit.map { $0 > census } ?? true)
        }
        var expectedCounts: [String: Int] = [:]
        for e in enrolled { expectedCounts["\(e.school)|\(e.grade)", default: 0] += 1 }
        let out = scratch.read("out/counts.csv")
        let schools = column(out, "SchoolOfAttendance"), grades = column(out, "GradeLevelCode"), n = column(out, "students")
        var actualCounts: [String: Int] = [:]
        for i in 0..<schools.count { actualCounts["\(schools[i])|\(grades[i])"] = Int(n[i]) }
        XCTAssertEqual(actualCounts, expectedCounts)
        XCTAssertTrue(schools.contains("0112345"), "a school code with a leading zero stays text")

        let expectedMissing = Set(enrolled.filter { !district.sinfSSIDs.contains($0.ssid) }.map(\.ssid))
        XCTAssertFalse(expectedMissing.isEmpty)
        XCTAssertEqual(Set(column(scratch.read("out/missing.csv"), "SSID")), expectedMissing)

        var primaries: [String: Int] = [:]
        for e in enrolled where e.status == "10" { primaries[e.ssid, default: 0] += 1 }
        let expectedDuplicates = Set(primaries.filter { $0.value > 1 }.map(\.key))
        XCTAssertEqual(Set(column(scratch.read("out/duplicates.csv"), "SSID")), expectedDuplicates)
        let planted = Set(district.defects.filter { $0.kind == "duplicate_primary" }.map(\.ssid))
        XCTAssertTrue(planted.isSuperset(of: expectedDuplicates) && !expectedDuplicates.isEmpty)

        let notReported = Set(column(scratch.read("out/not_reported.csv"), "SSID"))
        XCTAssertEqual(notReported, Set(district.defects.filter { $0.kind == "missing_from_state" }.map(\.ssid)))
    }

    func testGeneratorIsDeterministicForASeed() throws {
        let a = try Scratch(), b = try Scratch()
        var options = SampleOptions()
        options.students = 300
        options.seed = 9
        try DistrictGenerator.write(options, to: a.path("d"))
        try DistrictGenerator.write(options, to: b.path("d"))
        for file in ["SENR.txt", "SINF.txt", "SPRG.txt", "SELA.txt", "sis_enrollment.csv", "defects.csv"] {
            XCTAssertEqual(a.read("d/" + file), b.read("d/" + file), file)
        }
        options.seed = 10
        let c = try Scratch()
        try DistrictGenerator.write(options, to: c.path("d"))
        XCTAssertNotEqual(a.read("d/SENR.txt"), c.read("d/SENR.txt"))
    }
}
