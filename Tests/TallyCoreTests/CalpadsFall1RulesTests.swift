import Foundation
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// Fall 1 enrollment, language status and program rules (issue #26), against the real `tally`
/// binary: each test writes small CALPADS files, validates them and asserts the exact findings
/// ("RULE FILE LINE"), near misses included; `tally rules` shows the IDs, years and former IDs.
final class CalpadsFall1RulesTests: XCTestCase {
    func tally(_ arguments: [String], in scratch: Scratch) throws -> (exit: Int32, output: String) {
        try ReliabilityTests.tally(arguments, in: scratch.url.path)
    }

    /// A caret-separated record of `type` in the layout of the academic year starting `year`: a
    /// valid grade 10 student (or program, language status) with `changes`.
    static func record(_ type: String, _ year: Int, _ changes: [String: String] = [:]) -> String {
        var values: [String: String] = [
            "RecordTypeCode": type, "ReportingLEA": "0161119", "SchoolOfAttendance": "0112345", "AcademicYearID": "\(year)-\(year + 1)",
            "SSID": "1000000001", "LocalStudentID": "100001", "StudentLegalFirstName": "Ana", "StudentLegalLastName": "Lee",
            "StudentBirthDate": "\(year - 15)0315", "StudentGenderCode": "F", "StudentBirthCountryCode": "US",
        ]
        switch type {
        case "SENR":
            values.merge(["EnrollmentSchoolStartDate": "\(year)0814", "EnrollmentStatusCode": "10", "GradeLevelCode": "10"]) { $1 }
        case "SINF":
            values.merge([
                "EffectiveStartDate": "\(year)0814", "StudentHispanicEthnicityIndicator": "N", "StudentEthnicityMissingIndicator": "N",
                "StudentRace1Code": "700", "StudentRaceMissingIndicator": "N", "AddressZipCode": "95814",
            ]) { $1 }
        case "SPRG": values.merge(["EducationProgramCode": "181", "EducationProgramMembershipStartDate": "\(year)0814"]) { $1 }
        case "SELA":
            values.merge([
                "EnglishAcquisitionStatusCode": "EO", "EnglishLanguageAcquisitionStatusStartDate": "\(year - 10)0815",
                "PrimaryLanguageCode": year >= 2023 ? "eng" : "00",
            ]) { $1 }
        default: break
        }
        values.merge(changes) { $1 }
        let fields = CalpadsLayouts.layout(type, year: year)?.fields.map(\.name) ?? []
        return fields.map { values[$0] ?? "" }.joined(separator: "^") + "\r\n"
    }

    /// Validates each file (type: records) with the `with` list given and returns the findings as
    /// "RULE FILE LINE", sorted.
    func findings(_ files: [String: [String]], validate: [(type: String, with: String)]) throws -> [String] {
        let scratch = try Scratch()
        var play = ""
        for (type, records) in files.sorted(by: { $0.key < $1.key }) {
            try scratch.write("\(type).txt", records.joined())
            play += "load \(type.lowercased()) from \"\(type).txt\" as calpads \(type)\n"
        }
        var names: [String] = []
        for (k, v) in validate.enumerated() {
            play += "f\(k) = \(v.type.lowercased()) | validate calpads \(v.type)\(v.with.isEmpty ? "" : " with " + v.with)\n"
            names.append("f\(k)")
        }
        play += "all = " + names.joined(separator: " | union ") + "\nexport all to \"out/findings.csv\"\n"
        try scratch.write("v.playbook", play)
        let run = try tally(["run", "v.playbook", "--no-store"], in: scratch)
        XCTAssertEqual(run.exit, 0, run.output)
        let table = try readCSV(scratch.read("out/findings.csv") ?? "") { $0.inferTypes = false }
        let (rules, files, lines) = (table.strings("rule"), table.strings("file"), table.strings("line"))
        return (0..<table.rowCount).map { "\(rules[$0] ?? "") \(files[$0] ?? "") \(lines[$0] ?? "")" }.sorted()
    }

    func testRulesShowTheNewIDsYearsAndFormerIDs() throws {
        let scratch = try Scratch()
        let y2024 = try tally(["rules", "SENR", "--year", "2024-2025"], in: scratch)
        let y2025 = try tally(["rules", "SENR", "--year", "2025-2026"], in: scratch)
        let y2023 = try tally(["rules", "SENR", "--year", "2023-2024"], in: scratch)
        XCTAssertEqual(y2024.exit, 0)
        // A rule's row starts with its ID (descriptions may name other IDs).
        func lists(_ run: (exit: Int32, output: String), _ id: String) -> Bool {
            run.output.split(separator: "\n").contains { $0.hasPrefix(id + " ") }
        }
        // SENR0742 was added in November 2025.
        XCTAssertFalse(lists(y2024, "SENR0742"), y2024.output)
        XCTAssertTrue(lists(y2025, "SENR0742"))
        // CERT146 and CERT004 became SENR0644F1 and SENR0661F1 in 2024-25.
        for id in ["SENR0644F1", "SENR0661F1"] {
            XCTAssertTrue(lists(y2024, id), id)
            XCTAssertFalse(lists(y2023, id), id)
        }
        for id in ["CERT146", "CERT004"] {
            XCTAssertTrue(lists(y2023, id), id)
            XCTAssertFalse(lists(y2024, id), id)
        }
        for id in ["CERT112", "CERT041", "SENR0286", "SENR0523", "IVR0012"] { XCTAssertTrue(lists(y2024, id), id) }
        // Former IDs explain the move.
        for (old, new) in [
            ("SINF-GUARDIAN2", "SINF0635"), ("SPRG-NO-ENROLLMENT", "GERR0005"), ("SPRG0249", "SPRG0249F1"), ("SASS-NO-SDEM", "CERT049"),
        ] {
            let run = try tally(["rules", old], in: scratch)
            XCTAssertEqual(run.exit, 0, old)
            XCTAssertTrue(run.output.contains("\(old) is now \(new)"), run.output)
        }
        XCTAssertEqual(CalpadsRules.rule("SINF0635")?.firstYear, 2024)
        XCTAssertEqual(CalpadsRules.rule("IVR0012")?.severity, .warning)
        XCTAssertEqual(CalpadsRules.rule("CERT106")?.severity, .warning)
        XCTAssertEqual(CalpadsRules.renamed("SPRG0249")?.id, "SPRG0249F1")
        let sela = try tally(["rules", "SELA", "--year", "2019-2020"], in: scratch)
        XCTAssertFalse(lists(sela, "SELA0520"), "SELA0520 applies from July 2020")
        XCTAssertTrue(lists(sela, "SELA0280"))
    }

    /// SENR alone: E170 on a primary enrollment, E150 without the next day's enrollment, a
    /// prior-year enrollment still open, a concurrent enrollment in another LEA, status 40, an
    /// adult-grade student of 15; and the near miss of each.
    func testEnrollmentRules() throws {
        let y = 2024
        let senr = [
            Self.record("SENR", y, ["EnrollmentSchoolExitDate": "\(y)1015", "StudentExitReasonCode": "E170"]), // 1 SENR0523
            Self.record(
                "SENR", y,
                [
                    "SSID": "1000000002", "EnrollmentStatusCode": "20", "SchoolOfAttendance": "6999999",
                    "EnrollmentSchoolExitDate": "\(y)1015", "StudentExitReasonCode": "E170",
                ]), // 2 ok
            // 3 SENR0286
            Self.record("SENR", y, ["SSID": "1000000003", "EnrollmentSchoolExitDate": "\(y)1015", "StudentExitReasonCode": "E150"]),
            Self.record("SENR", y, ["SSID": "1000000003", "EnrollmentSchoolStartDate": "\(y)1020"]), // 4
            Self.record("SENR", y, ["SSID": "1000000004", "EnrollmentSchoolExitDate": "\(y)1015", "StudentExitReasonCode": "E150"]), // 5 ok
            Self.record("SENR", y, ["SSID": "1000000004", "EnrollmentSchoolStartDate": "\(y)1016"]), // 6
            Self.record("SENR", y - 1, ["SSID": "1000000005", "GradeLevelCode": "09"]), // 7 CERT112
            Self.record(
                "SENR", y - 1,
                [
                    "SSID": "1000000006", "GradeLevelCode": "09", "EnrollmentSchoolExitDate": "\(y)0815",
                    "StudentExitReasonCode": "E155",
                ]), // 8 ok
            Self.record("SENR", y, ["SSID": "1000000007"]), // 9
            Self.record(
                "SENR", y,
                [
                    "SSID": "1000000007", "ReportingLEA": "0999999", "SchoolOfAttendance": "6999999",
                    "EnrollmentSchoolStartDate": "\(y)0901",
                ]), // 10 CERT041
            Self.record("SENR", y, ["SSID": "1000000008", "EnrollmentSchoolExitDate": "\(y)0831", "StudentExitReasonCode": "T160"]), // 11
            Self.record(
                "SENR", y,
                [
                    "SSID": "1000000008", "ReportingLEA": "0999999", "SchoolOfAttendance": "6999999",
                    "EnrollmentSchoolStartDate": "\(y)0901",
                ]), // 12 ok
            Self.record("SENR", y, ["SSID": "1000000009", "EnrollmentStatusCode": "40"]), // 13 GERR0007
            Self.record("SENR", y, ["SSID": "1000000010", "GradeLevelCode": "AD"]), // 14 IVR0012 (15)
            Self.record("SENR", y, ["SSID": "1000000011", "GradeLevelCode": "AD", "StudentBirthDate": "\(y - 40)0315"]), // 15 ok
        ]
        let found = try findings(["SENR": senr], validate: [("SENR", "")])
        XCTAssertEqual(
            found,
            [
                "CERT041 SENR.txt 10", "CERT112 SENR.txt 7", "GERR0007 SENR.txt 13", "IVR0012 SENR.txt 14",
                "SENR0286 SENR.txt 3", "SENR0523 SENR.txt 1",
            ])
    }

    /// SENR with sinf, sela, sprg: an English learner without a language instruction program
    /// (SENR0644F1 from 2024-25, CERT146 before), and an enrollment no SINF with race data covers
    /// (SENR0661F1 / CERT004). Near misses: a program 300 at the school, a 20-day enrollment (from 2024-25), a
    /// later RFEP status, a SINF that overlaps by one day, a student with no SINF at all (SENR-NO-SINF).
    func testLanguageProgramAndRaceDataRules() throws {
        for (y, program, race) in [(2024, "SENR0644F1", "SENR0661F1"), (2023, "CERT146", "CERT004")] {
            let senr = [
                Self.record("SENR", y), // 1 EL, no program
                Self.record("SENR", y, ["SSID": "1000000002"]), // 2 EL with 300
                // 3 EL, 20 days
                Self.record("SENR", y, ["SSID": "1000000003", "EnrollmentSchoolExitDate": "\(y)0903", "StudentExitReasonCode": "T160"]),
                Self.record("SENR", y, ["SSID": "1000000004"]), // 4 EL then RFEP
                Self.record("SENR", y, ["SSID": "1000000005"]), // 5 SINF ended before
                Self.record("SENR", y, ["SSID": "1000000006"]), // 6 SINF overlaps a day
                Self.record("SENR", y, ["SSID": "1000000007"]), // 7 no SINF
            ]
            let sinf =
                (1...4).map { Self.record("SINF", y, ["SSID": "100000000\($0)"]) } + [
                    Self.record("SINF", y, ["SSID": "1000000005", "EffectiveStartDate": "\(y - 1)0814", "EffectiveEndDate": "\(y)0813"]),
                    Self.record("SINF", y, ["SSID": "1000000006", "EffectiveStartDate": "\(y - 1)0814", "EffectiveEndDate": "\(y)0814"]),
                ]
            let spanish = y >= 2023 ? "spa" : "01"
            let el: [String: String] = [
                "EnglishAcquisitionStatusCode": "EL", "PrimaryLanguageCode": spanish,
                "EnglishLanguageAcquisitionStatusStartDate": "20190301",
            ]
            let sela =
                (1...3).map { Self.record("SELA", y, el.merging(["SSID": "100000000\($0)"]) { $1 }) } + [
                    Self.record("SELA", y, el.merging(["SSID": "1000000004"]) { $1 }),
                    Self.record(
                        "SELA", y,
                        [
                            "SSID": "1000000004", "EnglishAcquisitionStatusCode": "RFEP", "PrimaryLanguageCode": spanish,
                            "EnglishLanguageAcquisitionStatusStartDate": "\(y)0301",
                        ]),
                ]
            let sprg = [
                Self.record("SPRG", y, ["SSID": "1000000002", "EducationProgramCode": "300"]),
                Self.record("SPRG", y, ["SSID": "1000000001", "EducationProgramCode": "300", "SchoolOfAttendance": "6999999"]),
            ]
            let found = try findings(["SENR": senr, "SINF": sinf, "SELA": sela, "SPRG": sprg], validate: [("SENR", "sinf, sela, sprg")])
            // CERT146 counts any primary enrollment; SENR0644F1 one over 30 days (student 3 has 20).
            let short = y == 2023 ? ["CERT146 SENR.txt 3"] : []
            XCTAssertEqual(found, (["\(program) SENR.txt 1", "\(race) SENR.txt 5", "SENR-NO-SINF SENR.txt 7"] + short).sorted(), "\(y)")
            // Without the program file the language program rule does not run.
            let without = try findings(["SENR": senr, "SINF": sinf, "SELA": sela], validate: [("SENR", "sinf, sela")])
            XCTAssertEqual(without, ["\(race) SENR.txt 5", "SENR-NO-SINF SENR.txt 7"].sorted(), "\(y)")
        }
    }

    /// SELA: English as the language of a non-EO status (codes and TBD by year), EL submitted
    /// without a correction reason, a new status dated before the latest, and (with senr) a TBD
    /// older than 30 days on Census Day.
    func testLanguageStatusRules() throws {
        let y = 2024
        let sela = [
            Self.record("SELA", y, ["EnglishAcquisitionStatusCode": "RFEP"]), // 1 SELA0280 (eng)
            Self.record("SELA", y, ["SSID": "1000000002", "EnglishAcquisitionStatusCode": "RFEP", "PrimaryLanguageCode": "spa"]), // 2 ok
            Self.record("SELA", y, ["SSID": "1000000003", "PrimaryLanguageCode": "ase"]), // 3 ok: EO
            Self.record(
                "SELA", y,
                [
                    "SSID": "1000000004", "EnglishAcquisitionStatusCode": "EL", "PrimaryLanguageCode": "spa",
                    "EnglishLanguageAcquisitionStatusStartDate": "\(y)0901",
                ]), // 4 SELA0520
            Self.record(
                "SELA", y,
                [
                    "SSID": "1000000005", "EnglishAcquisitionStatusCode": "IFEP", "PrimaryLanguageCode": "spa",
                    "EnglishLanguageAcquisitionStatusStartDate": "\(y)0901", "CorrectionReasonCode": "2",
                ]), // 5 ok
            Self.record("SELA", y, ["SSID": "1000000006", "EnglishLanguageAcquisitionStatusStartDate": "\(y)0920"]), // 6
            Self.record(
                "SELA", y,
                [
                    "SSID": "1000000006", "EnglishAcquisitionStatusCode": "TBD", "PrimaryLanguageCode": "spa",
                    "EnglishLanguageAcquisitionStatusStartDate": "\(y)0901",
                ]), // 7 SELA0285
            Self.record(
                "SELA", y,
                [
                    "SSID": "1000000007", "EnglishAcquisitionStatusCode": "TBD", "PrimaryLanguageCode": "spa",
                    "EnglishLanguageAcquisitionStatusStartDate": "\(y)0801",
                ]), // 8 CERT106
            Self.record(
                "SELA", y,
                [
                    "SSID": "1000000008", "EnglishAcquisitionStatusCode": "TBD", "PrimaryLanguageCode": "spa",
                    "EnglishLanguageAcquisitionStatusStartDate": "\(y)0910",
                ]), // 9 ok
        ]
        let senr = (1...8).map { Self.record("SENR", y, ["SSID": "100000000\($0)"]) }
        let found = try findings(["SELA": sela, "SENR": senr], validate: [("SELA", "senr")])
        XCTAssertEqual(found, ["CERT106 SELA.txt 8", "SELA0280 SELA.txt 1", "SELA0285 SELA.txt 7", "SELA0520 SELA.txt 4"])
        // 2023-24: TBD with English is accepted, and the codes are eng or sgn; 2022-23: 00 or 37.
        let old = [
            Self.record("SELA", 2023, ["EnglishAcquisitionStatusCode": "TBD", "EnglishLanguageAcquisitionStatusStartDate": "20230920"]),
            Self.record("SELA", 2023, ["SSID": "1000000002", "EnglishAcquisitionStatusCode": "RFEP", "PrimaryLanguageCode": "sgn"]),
        ]
        XCTAssertEqual(try findings(["SELA": old], validate: [("SELA", "")]), ["SELA0280 SELA.txt 2"])
        let older = [Self.record("SELA", 2022, ["EnglishAcquisitionStatusCode": "RFEP", "PrimaryLanguageCode": "37"])]
        XCTAssertEqual(try findings(["SELA": older], validate: [("SELA", "")]), ["SELA0280 SELA.txt 1"])
    }

    /// SPRG with senr: GERR0005 (dates and school of the enrollment, participating records
    /// within it), SPRG0070 (a second open record of a program), SPRG0249F1 (a duplicate start).
    func testProgramRules() throws {
        let y = 2024
        let senr = [
            Self.record("SENR", y),
            Self.record("SENR", y, ["SSID": "1000000002", "EnrollmentSchoolExitDate": "\(y)0930", "StudentExitReasonCode": "T160"]),
            // An exit before the start is SENR0018's finding, not a program's; a no-show was never enrolled.
            Self.record("SENR", y, ["SSID": "1000000003", "EnrollmentSchoolExitDate": "\(y)0801", "StudentExitReasonCode": "T160"]),
            Self.record("SENR", y, ["SSID": "1000000004", "EnrollmentSchoolExitDate": "\(y)0813", "StudentExitReasonCode": "N470"]),
        ]
        let sprg = [
            Self.record("SPRG", y), // 1 ok
            Self.record("SPRG", y, ["SSID": "1000000002", "EducationProgramMembershipStartDate": "\(y)1001"]), // 2 GERR0005
            // 3 GERR0005
            Self.record("SPRG", y, ["SSID": "1000000002", "EducationProgramCode": "182", "EducationProgramMembershipEndDate": "\(y)1031"]),
            Self.record(
                "SPRG", y,
                [
                    "SSID": "1000000002", "EducationProgramCode": "108", "EducationProgramMembershipCode": "3",
                    "EducationProgramMembershipStartDate": "\(y)0901",
                ]), // 4 ok: open participation
            Self.record(
                "SPRG", y,
                [
                    "SSID": "1000000002", "EducationProgramCode": "113", "EducationProgramMembershipCode": "3",
                    "EducationProgramMembershipStartDate": "\(y)0801",
                ]), // 5 GERR0005
            Self.record("SPRG", y, ["SchoolOfAttendance": "6999999"]), // 6 GERR0005
            Self.record("SPRG", y, ["EducationProgramMembershipStartDate": "\(y)0901"]), // 7 SPRG0070
            Self.record(
                "SPRG", y,
                ["EducationProgramCode": "191", "HomelessDwellingTypeCode": "110", "EducationProgramMembershipEndDate": "\(y)0831"]), // 8
            Self.record(
                "SPRG", y,
                // 9 ok
                ["EducationProgramCode": "191", "HomelessDwellingTypeCode": "110", "EducationProgramMembershipStartDate": "\(y)0901"]),
            Self.record("SPRG", y, ["EducationProgramMembershipStartDate": "\(y)0901"]), // 10 SPRG0249F1 only
            Self.record("SPRG", y, ["SSID": "1000000003"]), // 11 ok
            Self.record("SPRG", y, ["SSID": "1000000004"]), // 12 GERR0005
        ]
        let found = try findings(["SENR": senr, "SPRG": sprg], validate: [("SPRG", "senr")])
        XCTAssertEqual(
            found,
            [
                "GERR0005 SPRG.txt 2", "GERR0005 SPRG.txt 3", "GERR0005 SPRG.txt 5", "GERR0005 SPRG.txt 6",
                "GERR0005 SPRG.txt 12", "SPRG0070 SPRG.txt 7", "SPRG0249F1 SPRG.txt 10",
            ].sorted())
    }
}
