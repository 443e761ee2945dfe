import Foundation
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// `tally sample calpads` writes a district that looks like a California district (issue #26):
/// schools with grade spans, CDE-like shares, languages that agree with the English status and
/// the year's code set, language programs for English learners, unique Local Record IDs, names
/// and addresses with variety, error reports with fatals and warnings, Report 1.17 as CALPADS
/// titles it now, and the same bytes for the same seed. Each test reads the files written.
final class SampleRealismTests: XCTestCase {
    /// A generated district in a scratch folder.
    func generate(
        students: Int, seed: UInt64 = 3, year: String = "2024-2025", plant: PlantMode = .defects
    )
        throws -> (scratch: Scratch, district: SampleDistrict)
    {
        let scratch = try Scratch()
        var options = SampleOptions()
        options.students = students
        options.seed = seed
        options.academicYear = year
        options.plant = plant
        let district = try DistrictGenerator.write(options, to: scratch.path("d"))
        return (scratch, district)
    }

    /// A generated CALPADS file's records as dictionaries by the year's layout field names.
    func records(_ scratch: Scratch, _ type: String, year: Int) throws -> [[String: String]] {
        let layout = try XCTUnwrap(CalpadsLayouts.layout(type, year: year), type)
        let text = try XCTUnwrap(scratch.read("d/\(type).txt"), type)
        return text.split(separator: "\r\n", omittingEmptySubsequences: true).map { line in
            let cells = line.split(separator: "^", omittingEmptySubsequences: false).map(String.init)
            XCTAssertEqual(cells.count, layout.fields.count, "\(type): \(line)")
            return Dictionary(uniqueKeysWithValues: zip(layout.fields.map(\.name), cells))
        }
    }

    func share(_ part: Int, _ whole: Int) -> Double { Double(part) / Double(max(1, whole)) }

    /// A CCYYMMDD date as days, nil when blank.
    func day(_ text: String?) -> Int32? {
        guard let t = text, t.count == 8, let v = Int(t) else { return nil }
        return DateCodec.days(year: v / 10_000, month: v / 100 % 100, day: v % 100)
    }

    func testSharesAreLikeCaliforniasOnATwentyThousandStudentDistrict() throws {
        let (scratch, district) = try generate(students: 20_000)
        let senr = try records(scratch, "SENR", year: 2024)
        let students = Set(senr.map { $0["SSID"] ?? "" })
        XCTAssertEqual(students.count, 20_000)
        var programs: [String: Set<String>] = [:]
        for r in try records(scratch, "SPRG", year: 2024) { programs[r["EducationProgramCode"] ?? "", default: []].insert(r["SSID"] ?? "") }
        // English learners of the district: those in the SELA upload and those whose status
        // came from TOMS (EL since July 2020: not in the upload, SELA0520), who each have a
        // language instruction program.
        let sela = try records(scratch, "SELA", year: 2024)
        let uploaded = Set(sela.filter { $0["EnglishAcquisitionStatusCode"] == "EL" }.map { $0["SSID"] ?? "" })
        let learners = uploaded.union((300...307).reduce(into: Set<String>()) { $0.formUnion(programs[String($1)] ?? []) })
        XCTAssertEqual(share(learners.count, students.count), 0.186, accuracy: 0.015, "English learners (state 18.6%)")
        XCTAssertLessThan(uploaded.count, learners.count, "EL statuses from July 2020 come from TOMS, not the upload")
        let meals = programs["181", default: []].union(programs["182", default: []])
        XCTAssertEqual(share(meals.count, students.count), 0.578, accuracy: 0.03, "free or reduced-price meals (state 57.8%)")
        XCTAssertEqual(share(programs["191"]?.count ?? 0, students.count), 0.036, accuracy: 0.008, "homeless (state 3.6%)")
        XCTAssertEqual(share(programs["193"]?.count ?? 0, students.count), 0.005, accuracy: 0.0025, "foster")
        XCTAssertEqual(share(programs["135"]?.count ?? 0, students.count), 0.01, accuracy: 0.004, "migrant")
        let primaries = senr.filter { $0["EnrollmentStatusCode"] == "10" }
        let tk = primaries.filter { $0["GradeLevelCode"] == "TK" }.count
        XCTAssertTrue((0.03...0.04).contains(share(tk, primaries.count)), "TK is \(share(tk, primaries.count)) of primary enrollments")
        // Statuses: mostly primary; secondary, short-term and non-ADA enrollments too.
        var statuses: [String: Int] = [:]
        for r in senr { statuses[r["EnrollmentStatusCode"] ?? "", default: 0] += 1 }
        XCTAssertEqual(Set(statuses.keys), ["10", "20", "30", "50"])
        XCTAssertGreaterThan(share(statuses["10"] ?? 0, senr.count), 0.95)
        for s in ["20", "30", "50"] {
            XCTAssertTrue((0.001...0.04).contains(share(statuses[s] ?? 0, senr.count)), "status \(s): \(statuses[s] ?? 0)")
        }
        // A short-term enrollment lasts 30 days or less (beyond that CALPADS counts it as primary).
        for r in senr where r["EnrollmentStatusCode"] == "30" {
            let start = try XCTUnwrap(day(r["EnrollmentSchoolStartDate"]))
            let exit = try XCTUnwrap(day(r["EnrollmentSchoolExitDate"]))
            XCTAssertLessThanOrEqual(exit - start, 30)
        }
        XCTAssertEqual(district.schools.count, 36)
    }

    func testEveryEnrollmentIsAtASchoolServingItsGrade() throws {
        for year in ["2024-2025", "2025-2026"] {
            let (scratch, district) = try generate(students: 6_000, year: year)
            let spans = Dictionary(uniqueKeysWithValues: district.schoolDetails.map { ($0.code, $0.grades) })
            XCTAssertEqual(Set(district.schoolDetails.map(\.grades)), [0...6, 0...7, 7...9, 10...13], "TK-5, TK-6, 6-8 and 9-12 schools")
            let invalid = Set(district.defects.filter { $0.kind == "invalid_grade" }.map(\.line))
            for (k, r) in try records(scratch, "SENR", year: 2024).enumerated() where !invalid.contains(k + 1) {
                let school = r["SchoolOfAttendance"] ?? "", grade = r["GradeLevelCode"] ?? ""
                let g = try XCTUnwrap(DistrictGenerator.grades.firstIndex(of: grade), "line \(k + 1): grade \(grade)")
                XCTAssertTrue(
                    spans[school]?.contains(g) ?? false,
                    "line \(k + 1): grade \(grade) at \(school), which serves \(String(describing: spans[school]))")
            }
        }
    }

    func testLanguagesAgreeWithTheEnglishStatusAndTheYearsCodeSet() throws {
        for year in [2022, 2023, 2025] {
            let (scratch, _) = try generate(students: 4_000, year: "\(year)-\(year + 1)", plant: .none)
            let sela = try records(scratch, "SELA", year: year)
            var languages = Set<String>()
            for r in sela {
                let code = r["PrimaryLanguageCode"] ?? "", status = r["EnglishAcquisitionStatusCode"] ?? ""
                languages.insert(code)
                XCTAssertTrue(CalpadsCodes.validLanguage(code, year: year), "\(year): \(code)")
                XCTAssertEqual(code.count, year >= 2023 ? 3 : 2, "\(year): \(code)")
                if status == "EO" {
                    XCTAssertTrue(["eng", "ase", "00"].contains(code), "\(year): EO with \(code)")
                } else {
                    XCTAssertFalse(["eng", "ase", "00"].contains(code), "\(year): \(status) with \(code)")
                }
            }
            XCTAssertGreaterThan(languages.count, 10, "\(year): languages \(languages.sorted())")
        }
    }

    func testEveryEnglishLearnerHasALanguageProgramDuringTheEnrollment() throws {
        let (scratch, district) = try generate(students: 5_000)
        // A planted exit before the start leaves no day for a program to overlap.
        let broken = Set(district.defects.filter { $0.kind == "exit_before_start" }.map(\.ssid))
        var enrollments: [String: [(school: String, start: Int32, exit: Int32)]] = [:]
        for r in try records(scratch, "SENR", year: 2024) {
            guard let start = day(r["EnrollmentSchoolStartDate"]) else { continue }
            enrollments[r["SSID"] ?? "", default: []].append(
                (r["SchoolOfAttendance"] ?? "", start, day(r["EnrollmentSchoolExitDate"]) ?? .max))
        }
        var programs: [String: [(code: String, school: String, start: Int32, end: Int32)]] = [:]
        for r in try records(scratch, "SPRG", year: 2024) {
            programs[r["SSID"] ?? "", default: []].append(
                (
                    r["EducationProgramCode"] ?? "", r["SchoolOfAttendance"] ?? "",
                    day(r["EducationProgramMembershipStartDate"]) ?? 0,
                    day(r["EducationProgramMembershipEndDate"]) ?? .max
                ))
        }
        let learners = try records(scratch, "SELA", year: 2024).filter { $0["EnglishAcquisitionStatusCode"] == "EL" }.map {
            $0["SSID"] ?? ""
        }
        XCTAssertGreaterThan(learners.count, 500)
        for ssid in learners where !broken.contains(ssid) {
            let lips = programs[ssid, default: []].filter { (300...307).contains(Int($0.code) ?? 0) }
            XCTAssertEqual(lips.count, 1, "EL \(ssid): \(lips.count) language programs")
            XCTAssertTrue(
                lips.contains { p in
                    enrollments[ssid, default: []].contains { $0.school == p.school && $0.start <= p.end && p.start <= $0.exit }
                },
                "EL \(ssid): no language program overlapping an enrollment")
        }
    }

    func testLocalRecordIDsAreUniqueInEveryFile() throws {
        for plant in [PlantMode.defects, .rules] {
            let (scratch, _) = try generate(students: 3_000, year: "2025-2026", plant: plant)
            let types = plant == .defects ? ["SENR", "SINF", "SPRG", "SELA"] : RulePlantTests.files
            for type in types {
                let ids = try records(scratch, type, year: 2025).map { $0["LocalRecordID"] ?? "" }
                XCTAssertFalse(ids.isEmpty, type)
                XCTAssertFalse(ids.contains(""), "\(plant) \(type): a blank Local Record ID")
                XCTAssertEqual(Set(ids).count, ids.count, "\(plant) \(type): Local Record IDs repeat")
            }
        }
    }

    func testNamesAndAddressesVary() throws {
        let (scratch, _) = try generate(students: 20_000)
        let sinf = try records(scratch, "SINF", year: 2024)
        func distinct(_ field: String) -> Int { Set(sinf.map { $0[field] ?? "" }).count }
        XCTAssertGreaterThan(distinct("AddressLine1"), sinf.count * 95 / 100, "street lines")
        XCTAssertTrue((24...60).contains(distinct("AddressCityName")), "cities: \(distinct("AddressCityName"))")
        XCTAssertGreaterThan(distinct("StudentLegalFirstName"), 600, "first names")
        XCTAssertGreaterThan(distinct("StudentLegalMiddleName"), 200, "middle names")
        XCTAssertGreaterThan(distinct("StudentLegalLastName"), 1_500, "last names")
        XCTAssertGreaterThan(distinct("Guardian1FirstName"), 100, "guardians' names")
        XCTAssertEqual(distinct("LocalRecordID"), sinf.count)
    }

    func testErrorReportsMixFatalsAndWarnings() throws {
        let (scratch, district) = try generate(students: 5_000)
        let path = scratch.path("d/" + CalpadsReturnsSample.errorReport)
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let table = try CalpadsReturns.readErrors(InputFile(path: path, displayName: path, bytes: bytes, size: bytes.count), encoding: nil)
        let codes = table.strings("ErrorCode").map { $0 ?? "" }
        // As written: CALPADS' one-letter severities.
        let raw = try XCTUnwrap(scratch.read("d/" + CalpadsReturnsSample.errorReport))
        let severities = raw.split(separator: "\r\n").dropFirst().map { $0.split(separator: ",").last.map(String.init) ?? "" }
        XCTAssertEqual(Set(severities), ["F", "W"])
        let warnings = severities.filter { $0 == "W" }.count
        XCTAssertTrue((0.2...0.7).contains(share(warnings, severities.count)), "\(warnings) warnings of \(severities.count)")
        var perCode: [String: Int] = [:]
        for c in codes { perCode[c, default: 0] += 1 }
        XCTAssertGreaterThanOrEqual(perCode.count, 10)
        XCTAssertGreaterThan(Set(perCode.values).count, 3, "codes recur at different rates: \(perCode)")
        // Only fatal errors reject a record.
        let rejected = try XCTUnwrap(scratch.read("d/" + CalpadsReturnsSample.rejectedExtract)).split(separator: "\r\n")
        XCTAssertEqual(rejected.count, severities.count - warnings)
        XCTAssertEqual(district.returned.filter { $0.resubmission != .new && $0.severity == "W" }.count, warnings)
    }

    func testReport117HasTheCurrentTitleAndColumns() throws {
        let (scratch, district) = try generate(students: 3_000)
        let text = try XCTUnwrap(scratch.read("d/" + CalpadsReturnsSample.report117))
        XCTAssertEqual(text.split(separator: "\r\n").first, "1.17 - LCFF Unduplicated Pupil – Count")
        try scratch.write(
            "r.playbook",
            """
            load upc from "d/Report_1.17.csv" as calpads report "1.17"
            export upc to "out/upc.csv"
            """)
        let record = Runner.run(path: scratch.path("r.playbook"), options: scratch.options)
        XCTAssertEqual(record.errors, [])
        let upc = try readCSV(try XCTUnwrap(scratch.read("out/upc.csv"))) { $0.inferTypes = false }
        for column in [
            "SchoolOfAttendance", "SchoolName", "GradeLevelCode", "TotalEnrollment", "FreeReducedMeal", "FosterYouth", "TribalFosterYouth",
            "Homeless", "Migrant", "DirectCertification", "UnduplicatedFRPM", "EnglishLearner", "UnduplicatedCount",
        ] {
            XCTAssertNotNil(upc.column(column), "Report 1.17 read without \(column): \(upc.names)")
        }
        func ints(_ name: String) -> [Int] { upc.strings(name).map { Int($0 ?? "") ?? -1 } }
        let total = ints("TotalEnrollment"), count = ints("UnduplicatedCount"), eligible = ints("UnduplicatedFRPM"),
            el = ints("EnglishLearner")
        for row in 0..<upc.rowCount {
            XCTAssertTrue(count[row] >= max(eligible[row], el[row]) && count[row] <= total[row], "row \(row + 1)")
        }
        // The posted Census Day enrollment: status 10 or 30, open on Census Day, not rejected.
        let rejected = Set(district.returned.filter { $0.resubmission != .new && $0.severity == "F" }.map(\.line))
        let posted = district.enrollments.filter {
            ["10", "30"].contains($0.status) && $0.start <= district.censusDay && ($0.exit.map { $0 > district.censusDay } ?? true)
                && !rejected.contains($0.line)
        }
        XCTAssertEqual(total.reduce(0, +), posted.count)
        XCTAssertTrue((0.55...0.72).contains(share(count.reduce(0, +), posted.count)), "unduplicated pupil percentage")
    }

    /// Through the real binary: the same seed writes the same bytes; another seed another district.
    func testTheSameSeedWritesTheSameBytes() throws {
        let scratch = try Scratch()
        for (folder, seed) in [("a", "7"), ("b", "7"), ("c", "8")] {
            let r = try ReliabilityTests.tally(
                [
                    "sample", "calpads", "--students", "2000", "--seed", seed, "--year", "2025-2026",
                    "--plant", "rules", "--out", folder,
                ], in: scratch.url.path)
            XCTAssertEqual(r.exit, 0, r.output)
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: scratch.path("a")).sorted()
        XCTAssertGreaterThan(files.count, 15)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path("b")).sorted(), files)
        for file in files {
            XCTAssertEqual(
                FileManager.default.contents(atPath: scratch.path("a/\(file)")),
                FileManager.default.contents(atPath: scratch.path("b/\(file)")), file)
        }
        XCTAssertNotEqual(
            FileManager.default.contents(atPath: scratch.path("a/SINF.txt")),
            FileManager.default.contents(atPath: scratch.path("c/SINF.txt")))
    }

    /// `--plant rules` in the years since the language code set changed: validate finds exactly
    /// the planted findings; `--plant none` gives none; 2025-26's STAS has Attendance Recovery Days.
    func testTheCurrentYearsPlantExactlyTheRulesAndACleanDistrictHasNone() throws {
        for year in [2023, 2024, 2025] {
            for plant in [PlantMode.rules, .none] {
                let (scratch, district) = try generate(students: 3_000, seed: 5, year: "\(year)-\(year + 1)", plant: plant)
                let types = RulePlantTests.files
                var play = types.map { "load \($0.lowercased()) from \"d/\($0).txt\" as calpads \($0)" }.joined(separator: "\n") + "\n"
                for type in types {
                    play +=
                        "f_\(type.lowercased()) = \(type.lowercased()) | validate calpads \(type)\(RulePlantTests.with[type].map { " with \($0)" } ?? "")\n"
                }
                play +=
                    "all = " + types.map { "f_\($0.lowercased())" }.joined(separator: " | union ")
                    + "\nexport all to \"out/findings.csv\"\n"
                try scratch.write("v.playbook", play)
                let record = Runner.run(path: scratch.path("v.playbook"), options: scratch.options)
                XCTAssertEqual(record.errors, [])
                let findings = try readCSV(scratch.read("out/findings.csv") ?? "") { $0.inferTypes = false }
                let (rules, files, lines) = (findings.strings("rule"), findings.strings("file"), findings.strings("line"))
                let found = (0..<findings.rowCount).map { "\(rules[$0] ?? "") \(files[$0] ?? "") \(lines[$0] ?? "")" }.sorted()
                let planted = district.plantedFindings.map { "\($0.rule) d/\($0.file) \($0.line)" }.sorted()
                XCTAssertEqual(found, planted, "\(year) \(plant)")
                if plant == .rules { XCTAssertGreaterThan(planted.count, 100) }
                if plant == .none, year == 2025 {
                    let days = try records(scratch, "STAS", year: 2025).map { Int($0["AttendanceRecoveryDays"] ?? "") ?? -1 }
                    XCTAssertGreaterThan(days.count, 2_000)
                    XCTAssertTrue(days.allSatisfy { (0...10).contains($0) })
                    XCTAssertGreaterThan(share(days.filter { $0 == 0 }.count, days.count), 0.7)
                    XCTAssertTrue(days.contains { $0 > 0 })
                }
            }
        }
    }
}
