import Foundation
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// CALPADS as it is in 2025-26 (issue #26): the layouts by academic year from
/// scripts/calpads_layout_changes.tsv, the language code set of the record's year, and the
/// one-letter severities of rejected-records extracts. Against the real `tally` binary.
final class CalpadsLayoutsNowTests: XCTestCase {
    func tally(_ arguments: [String], in scratch: Scratch) throws -> (exit: Int32, output: String) {
        try ReliabilityTests.tally(arguments, in: scratch.url.path)
    }

    static func sela(_ year: String, _ language: String, ssid: String = "1000000001") -> String {
        "SELA^^^0161119^0112345^\(year)^\(ssid)^Ana^Lee^20150301^F^100001^EO^^\(language)^\r\n"
    }

    /// STAS 13.01-13.20, then the independent study days and the fields of the year.
    static func stas(_ year: String, tail: String, ssid: String = "1000000001") -> String {
        "STAS^^R1^0161119^0112345^\(year)^\(ssid)^100001^Ana^Lee^20150301^F^N^N^180^170^0^0^6^4^\(tail)\r\n"
    }

    static func validate(_ type: String) -> String {
        let t = type.lowercased()
        return
            "load \(t) from \"\(type).txt\" as calpads \(type)\n\(t)_findings = \(t) | validate calpads \(type)\nshow \(t)_findings\nassert \(t) is valid calpads \(type)\n"
    }

    func testA2025SELAWithThreeLetterLanguagesAndA24FieldSTASHaveNoFinding() throws {
        let scratch = try Scratch()
        let languages = ["eng", "spa", "vie", "ase"]
        try scratch.write("SELA.txt", languages.enumerated().map { Self.sela("2025-2026", $1, ssid: "100000000\($0)") }.joined())
        // 13.21 non-ADA IS days, 13.22 ADA IS days, 13.23 period-by-period, 13.24 attendance recovery.
        try scratch.write("STAS.txt", Self.stas("2025-2026", tail: "0^0^N^2"))
        try scratch.write("v.playbook", Self.validate("SELA") + Self.validate("STAS"))
        let run = try tally(["run", "v.playbook", "--no-store"], in: scratch)
        XCTAssertEqual(run.exit, 0, run.output)
        XCTAssertTrue(run.output.contains("4 rows × 16 columns"), run.output)
        XCTAssertTrue(run.output.contains("1 rows × 24 columns"), run.output)
    }

    func testTheLanguageCodeSetIsTheRecordsYear() throws {
        XCTAssertTrue(CalpadsCodes.validLanguage("eng", year: 2025))
        XCTAssertTrue(CalpadsCodes.validLanguage("ase", year: 2023))
        XCTAssertFalse(CalpadsCodes.validLanguage("01", year: 2025))
        XCTAssertTrue(CalpadsCodes.validLanguage("01", year: 2022))
        XCTAssertFalse(CalpadsCodes.validLanguage("spa", year: 2022))
        let scratch = try Scratch()
        // An old two-digit code in a three-letter year is refused (GERR0002, fatal): CALPADS rejects it.
        try scratch.write("SELA.txt", Self.sela("2025-2026", "01"))
        try scratch.write("v.playbook", Self.validate("SELA"))
        let old = try tally(["run", "v.playbook", "--no-store"], in: scratch)
        XCTAssertTrue(old.output.contains("GERR0002"), old.output)
        XCTAssertEqual(old.exit, 1, old.output)
        for (year, code) in [("2025-2026", "xyz"), ("2022-2023", "vie")] {
            try scratch.write("SELA.txt", Self.sela(year, code))
            try scratch.write("v.playbook", Self.validate("SELA"))
            let run = try tally(["run", "v.playbook", "--no-store"], in: scratch)
            // SELA-LANGUAGE is a warning: the run passes and shows it.
            XCTAssertTrue(run.output.contains("SELA-LANGUAGE"), "\(year) \(code): \(run.output)")
            XCTAssertTrue(run.output.contains("is not a CALPADS language"), run.output)
        }
        // The two-digit code is right in its own year.
        try scratch.write("SELA.txt", Self.sela("2022-2023", "01"))
        let clean = try tally(["run", "v.playbook", "--no-store"], in: scratch)
        XCTAssertEqual(clean.exit, 0, clean.output)
        XCTAssertFalse(clean.output.contains("SELA-LANGUAGE"), clean.output)
        XCTAssertTrue(clean.output.contains("1 rows × 16 columns"), clean.output)
    }

    func testA2022STASHasItsOwn23FieldLayout() throws {
        let scratch = try Scratch()
        try scratch.write("STAS.txt", Self.stas("2022-2023", tail: "0^0^N"))
        try scratch.write("v.playbook", Self.validate("STAS"))
        let run = try tally(["run", "v.playbook", "--no-store"], in: scratch)
        XCTAssertEqual(run.exit, 0, run.output)
        XCTAssertTrue(run.output.contains("1 rows × 23 columns"), run.output)
        // A 2025-26 record without 13.24 is named for what it is.
        try scratch.write("STAS.txt", Self.stas("2025-2026", tail: "0^0^N"))
        let short = try tally(["run", "v.playbook", "--no-store"], in: scratch)
        XCTAssertEqual(short.exit, 2, short.output)
        XCTAssertTrue(short.output.contains("STAS.txt:1"), short.output)
        XCTAssertTrue(short.output.contains("has 24 fields"), short.output)
        let layouts = CalpadsLayouts.layouts(for: "STAS").map { "\($0.firstYear)-\($0.lastYear) \($0.fields.count)" }
        XCTAssertEqual(layouts, ["2019-2020 21", "2021-2024 23", "2025-9999 24"])
        let now = try XCTUnwrap(CalpadsLayouts.layout("STAS", year: 2025))
        XCTAssertEqual(
            Array(now.fields.suffix(4).map(\.name)),
            [
                "NonADAGeneratingIndependentStudyDays", "ADAGeneratingIndependentStudyDays",
                "PeriodByPeriodAttendanceMethodIndicator", "AttendanceRecoveryDays",
            ])
        XCTAssertEqual(CalpadsLayouts.layout("SELA", year: 2025)?.fields.first { $0.number == "12.15" }?.maxLength, 3)
        XCTAssertEqual(CalpadsLayouts.layout("SELA", year: 2022)?.fields.first { $0.number == "12.15" }?.maxLength, 2)
        XCTAssertEqual(CalpadsLayouts.layout("SPRG", year: 2025)?.fields.first { $0.number == "3.24" }?.maxLength, 1)
    }

    func testA2025STASLoadedAs2024NamesTheYearItsFieldCountBelongsTo() throws {
        let scratch = try Scratch()
        try scratch.write("STAS.txt", Self.stas("2025-2026", tail: "0^0^N^2"))
        try scratch.write("p.playbook", "load s from \"STAS.txt\" as calpads STAS year \"2024-2025\"\nassert row_count(s) > 0\n")
        let run = try tally(["run", "p.playbook", "--no-store"], in: scratch)
        XCTAssertEqual(run.exit, 2, run.output)
        XCTAssertTrue(run.output.contains("STAS.txt:1: error: this row has 24 fields, expected 23"), run.output)
        XCTAssertTrue(run.output.contains("24 fields is the STAS layout for 2025-2026 onward"), run.output)
    }

    func testLayoutsOfARetiredFileOrAnEarlyYearSaySo() throws {
        let scratch = try Scratch()
        let retired = try tally(["layouts", "SPED", "--year", "2024-2025"], in: scratch)
        XCTAssertNotEqual(retired.exit, 0, retired.output)
        XCTAssertTrue(retired.output.contains("SPED was last reported in 2022-2023"), retired.output)
        XCTAssertTrue(retired.output.contains("SWDS"), retired.output)
        let early = try tally(["layouts", "SENR", "--year", "2015-2016"], in: scratch)
        XCTAssertEqual(early.exit, 0, early.output)
        XCTAssertTrue(early.output.contains("no SENR layout before 2019-2020"), early.output)
    }

    func testLayoutsPrintsEachLayoutsSpecification() throws {
        let scratch = try Scratch()
        let list = try tally(["layouts"], in: scratch)
        XCTAssertEqual(list.exit, 0, list.output)
        XCTAssertTrue(list.output.contains("specification"), list.output)
        XCTAssertTrue(list.output.contains("CFS 2025-26 (Flash #305)"), list.output)
        XCTAssertTrue(list.output.contains("CFS v15.1 (2023-24 rollover)"), list.output)
        let stas = try tally(["layouts", "STAS", "--year", "2025-2026"], in: scratch)
        XCTAssertEqual(stas.exit, 0, stas.output)
        XCTAssertTrue(stas.output.contains("24 fields"), stas.output)
        XCTAssertTrue(stas.output.contains("specification: CFS 2025-26 (Flash #305)"), stas.output)
        XCTAssertTrue(stas.output.contains("13.24") && stas.output.contains("AttendanceRecoveryDays"), stas.output)
        let old = try tally(["layouts", "SELA", "--year", "2022-2023"], in: scratch)
        XCTAssertTrue(old.output.contains("2019-2020 to 2022-2023"), old.output)
    }

    func testRejectedRecordSeveritiesAreFatalOrWarning() throws {
        for (raw, want) in [
            ("F", "fatal"), ("W", "warning"), ("Fatal", "fatal"), ("Warning", "warning"), (" f ", "fatal"), ("Info", "Info"),
        ] {
            XCTAssertEqual(CalpadsReturns.severity(raw), want, raw)
        }
        let scratch = try Scratch()
        let record = Self.stas("2025-2026", tail: "0^0^N^12").replacingOccurrences(of: "\r\n", with: "")
            .replacingOccurrences(of: "STAS^", with: "STAS-E^")
        try scratch.write("r.txt", record + "^STAS0999^F^too many recovery days^13.24^12^CERT0001^W^a warning^13.05^0112345\r\n")
        try scratch.write("r.playbook", "load r from \"r.txt\" as calpads STAS rejected\nexport r to \"out/r.csv\"\n")
        let run = try tally(["run", "r.playbook", "--no-store"], in: scratch)
        XCTAssertEqual(run.exit, 0, run.output)
        let table = try readCSV(scratch.read("out/r.csv") ?? "") { $0.inferTypes = false }
        XCTAssertEqual(table.strings("ErrorSeverity"), ["fatal", "warning"])
        XCTAssertEqual(table.strings("AttendanceRecoveryDays"), ["12", "12"])
        // A severity that is neither F nor W is an error at its line, not a third kind of finding.
        try scratch.write("x.txt", record + "^STAS0999^F^too many^13.24^12\r\n" + record + "^STAS0999^X^too many^13.24^12\r\n")
        try scratch.write("x.playbook", "load r from \"x.txt\" as calpads STAS rejected\nexport r to \"out/x.csv\"\n")
        let bad = try tally(["run", "x.playbook", "--no-store"], in: scratch)
        XCTAssertEqual(bad.exit, 2, bad.output)
        XCTAssertTrue(bad.output.contains("x.txt:2: error: error severity \"X\" in a rejected record"), bad.output)
        XCTAssertNil(scratch.read("out/x.csv"))
    }

    func testA2025STASRoundTripsByteForByte() throws {
        let scratch = try Scratch()
        let text = Self.stas("2025-2026", tail: "1.5^0^Y^3") + Self.stas("2025-2026", tail: "0^2^N^0", ssid: "1000000002")
        try scratch.write("STAS.txt", text)
        try scratch.write("t.playbook", "load s from \"STAS.txt\" as calpads STAS\nexport s to \"out/STAS.txt\" as calpads STAS\n")
        let run = try tally(["run", "t.playbook", "--no-store"], in: scratch)
        XCTAssertEqual(run.exit, 0, run.output)
        XCTAssertEqual(scratch.read("out/STAS.txt"), text)
    }
}
