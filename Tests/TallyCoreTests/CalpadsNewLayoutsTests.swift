import Foundation
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// CALPADS layouts newer than the 2020 facts (issue #26): SWDS (Students with Disabilities
/// Status, SPED's successor from 2023-24), from scripts/calpads_layout_changes.tsv. Against the
/// real `tally` binary.
final class CalpadsNewLayoutsTests: XCTestCase {
    func tally(_ arguments: [String], in scratch: Scratch) throws -> (exit: Int32, output: String) {
        try ReliabilityTests.tally(arguments, in: scratch.url.path)
    }

    /// A SWDS record, 22.01-22.13: eligible and participating (status 1) from the start date.
    static func swds(_ year: String, ssid: String = "1000000001", status: String = "1", reason: String = "") -> String {
        let start = String(year.prefix(4)) + "0815"
        return "SWDS^^R\(ssid.suffix(2))^0161119^\(year)^\(ssid)^100001^SE100001^3410^20200901^\(start)^\(status)^\(reason)\r\n"
    }

    func testSWDSIsALayoutFrom2023WithItsSources() throws {
        XCTAssertNil(CalpadsLayouts.layouts(for: "SWDS").first { $0.firstYear < 2023 })
        let now = try XCTUnwrap(CalpadsLayouts.layout("SWDS", year: 2025))
        XCTAssertEqual(now.firstYear, 2023)
        XCTAssertEqual(now.fields.map(\.number), (1...13).map { String(format: "22.%02d", $0) })
        XCTAssertEqual(now.fields[10].name, "SpecialEducationStatusEffectiveStartDate")
        XCTAssertTrue(now.fields[10].isDate)
        XCTAssertEqual(now.spec, "CFS v15.1 (2023-24 rollover)")
        XCTAssertTrue(now.sources.contains("SWDS0443"), now.sources)
        XCTAssertTrue(now.sources.contains("NOT CONFIRMED"), now.sources)
        // SPED ends where SWDS starts.
        XCTAssertEqual(CalpadsLayouts.layouts(for: "SPED").map(\.lastYear).max(), 2022)
    }

    func testA2025SWDSLoadsAndValidatesClean() throws {
        let scratch = try Scratch()
        try scratch.write("SWDS.txt", Self.swds("2025-2026") + Self.swds("2025-2026", ssid: "1000000002", status: "4", reason: "23"))
        try scratch.write("v.playbook", CalpadsLayoutsNowTests.validate("SWDS"))
        let run = try tally(["run", "v.playbook", "--no-store"], in: scratch)
        XCTAssertEqual(run.exit, 0, run.output)
        XCTAssertTrue(run.output.contains("2 rows × 13 columns"), run.output)
        XCTAssertTrue(run.output.contains("0 rows"), run.output)
    }

    func testAShortSWDSRecordIsNamedByFileAndLine() throws {
        let scratch = try Scratch()
        let short = Self.swds("2024-2025").replacingOccurrences(of: "^\r\n", with: "\r\n")
        try scratch.write("SWDS.txt", Self.swds("2024-2025") + short)
        try scratch.write("v.playbook", CalpadsLayoutsNowTests.validate("SWDS"))
        let run = try tally(["run", "v.playbook", "--no-store"], in: scratch)
        XCTAssertEqual(run.exit, 2, run.output)
        XCTAssertTrue(run.output.contains("SWDS.txt:2"), run.output)
    }

    func testA2025SWDSRoundTripsByteForByte() throws {
        let scratch = try Scratch()
        let text = Self.swds("2025-2026") + Self.swds("2025-2026", ssid: "1000000002", status: "2", reason: "10")
        try scratch.write("SWDS.txt", text)
        try scratch.write("t.playbook", "load s from \"SWDS.txt\" as calpads SWDS\nexport s to \"out/SWDS.txt\" as calpads SWDS\n")
        let run = try tally(["run", "t.playbook", "--no-store"], in: scratch)
        XCTAssertEqual(run.exit, 0, run.output)
        XCTAssertEqual(scratch.read("out/SWDS.txt"), text)
    }

    func testASWDSRejectedRecordsExtractReads() throws {
        let scratch = try Scratch()
        let record = Self.swds("2025-2026").replacingOccurrences(of: "\r\n", with: "").replacingOccurrences(of: "SWDS^", with: "SWDS-E^")
        try scratch.write("r.txt", record + "^SWDS0443^F^Invalid SELPA for Reporting LEA^22.09^3410\r\n")
        try scratch.write("r.playbook", "load r from \"r.txt\" as calpads SWDS rejected\nexport r to \"out/r.csv\"\n")
        let run = try tally(["run", "r.playbook", "--no-store"], in: scratch)
        XCTAssertEqual(run.exit, 0, run.output)
        let table = try readCSV(scratch.read("out/r.csv") ?? "") { $0.inferTypes = false }
        XCTAssertEqual(table.strings("ErrorCode"), ["SWDS0443"])
        XCTAssertEqual(table.strings("ErrorSeverity"), ["fatal"])
        XCTAssertEqual(table.strings("ReportingSELPA"), ["3410"])
        XCTAssertEqual(table.strings("SpecialEducationStatusCode"), ["1"])
    }

    func testLayoutsListsSWDSWithItsSpecificationAndSources() throws {
        let scratch = try Scratch()
        let list = try tally(["layouts"], in: scratch)
        XCTAssertEqual(list.exit, 0, list.output)
        let line = list.output.split(separator: "\n").first { $0.hasPrefix("SWDS") }.map(String.init) ?? ""
        XCTAssertTrue(line.contains("CFS v15.1 (2023-24 rollover)"), list.output)
        let one = try tally(["layouts", "SWDS", "--year", "2025-2026"], in: scratch)
        XCTAssertEqual(one.exit, 0, one.output)
        XCTAssertTrue(one.output.contains("13 fields"), one.output)
        XCTAssertTrue(one.output.contains("22.12") && one.output.contains("SpecialEducationStatusCode"), one.output)
        XCTAssertTrue(one.output.contains("documentation.calpads.org/Troubleshooting/SWDS/SWDS0443"), one.output)
        XCTAssertTrue(one.output.contains("NOT CONFIRMED"), one.output)
        // Asked for an earlier year, it shows the first layout, which says its years.
        let old = try tally(["layouts", "SWDS", "--year", "2022-2023"], in: scratch)
        XCTAssertTrue(old.output.contains("2023-2024 onward"), old.output)
    }

    func testTheCleanDistrictWritesSWDSFrom2023AndItValidatesClean() throws {
        let scratch = try Scratch()
        for (year, want) in [("2025-2026", true), ("2022-2023", false)] {
            let out = "d\(year.prefix(4))"
            let sample = try tally(
                ["sample", "calpads", "--students", "200", "--year", year, "--plant", "none", "--out", out], in: scratch)
            XCTAssertEqual(sample.exit, 0, sample.output)
            XCTAssertEqual(scratch.read("\(out)/SWDS.txt") != nil, want, year)
            XCTAssertEqual(scratch.read("\(out)/SPED.txt") != nil, !want, year)
        }
        let text = try XCTUnwrap(scratch.read("d2025/SWDS.txt"))
        XCTAssertEqual(text.components(separatedBy: "\r\n").filter { !$0.isEmpty }.count, 20)
        try scratch.write(
            "v.playbook", CalpadsLayoutsNowTests.validate("SWDS").replacingOccurrences(of: "\"SWDS.txt\"", with: "\"d2025/SWDS.txt\""))
        let run = try tally(["run", "v.playbook", "--no-store"], in: scratch)
        XCTAssertEqual(run.exit, 0, run.output)
        XCTAssertTrue(run.output.contains("20 rows × 13 columns"), run.output)
    }
}
