import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// `tally sample calpads --plant rules` plants a defect for every rule active in the year; the
/// playbook below validates every file (with the file each cross-file rule needs), and the
/// findings must be exactly the planted ones: same rule, file and line, nothing more.
final class RulePlantTests: XCTestCase {
    static let files = [
        "SENR", "SINF", "SPRG", "SELA", "STAS", "SCSE", "SCSC", "SDEM", "SASS", "CRSE", "CRSC", "SOFF", "SCTE", "SINC", "SIRS",
    ]
    static let with = [
        "SENR": "sinf, stas, sela, sprg, scse, scsc", "SPRG": "senr", "SELA": "senr", "STAS": "senr, sirs, sinc", "SCSE": "crse",
        "SCSC": "crsc, senr", "SASS": "sdem, crse", "CRSE": "sass, sdem", "CRSC": "scsc",
    ]

    /// Generates a district, validates every file and returns (findings, planted), each as
    /// "RULE FILE LINE" strings.
    func run(year: String, plant: PlantMode, sped: Bool) throws -> (found: [String], planted: [String], district: SampleDistrict) {
        let scratch = try Scratch()
        var options = SampleOptions()
        options.students = 3000
        options.seed = 5
        options.academicYear = year
        options.plant = plant
        let district = try DistrictGenerator.write(options, to: scratch.path("d"))
        // SPED through 2022-23, SWDS from 2023-24: the district writes the one its year has.
        let types =
            Self.files + (sped ? ["SPED"] : []) + (FileManager.default.fileExists(atPath: scratch.path("d/SWDS.txt")) ? ["SWDS"] : [])
        var play = types.map { "load \($0.lowercased()) from \"d/\($0).txt\" as calpads \($0)" }.joined(separator: "\n") + "\n"
        for type in types {
            play +=
                "f_\(type.lowercased()) = \(type.lowercased()) | validate calpads \(type)\(Self.with[type].map { " with \($0)" } ?? "")\n"
        }
        play += "all = " + types.map { "f_\($0.lowercased())" }.joined(separator: " | union ") + "\n"
        play += "export all to \"out/findings.csv\"\n"
        try scratch.write("v.playbook", play)
        let record = Runner.run(path: scratch.path("v.playbook"), options: scratch.options)
        XCTAssertEqual(record.errors, [])
        let findings = try readCSV(scratch.read("out/findings.csv") ?? "") { $0.inferTypes = false }
        let (rules, files, lines) = (findings.strings("rule"), findings.strings("file"), findings.strings("line"))
        let found = (0..<findings.rowCount).map { "\(rules[$0] ?? "") \(files[$0] ?? "") \(lines[$0] ?? "")" }
        let planted = district.plantedFindings.map { "\($0.rule) d/\($0.file) \($0.line)" }
        // The manifest on disk says the same.
        let manifest = try readCSV(scratch.read("d/planted_rules.csv") ?? "") { $0.inferTypes = false }
        XCTAssertEqual(manifest.rowCount, district.plantedFindings.count)
        return (found.sorted(), planted.sorted(), district)
    }

    func testEveryRuleIsPlantedAndValidateFindsExactlyThePlantedDefects() throws {
        var covered = Set<String>()
        // 2022-23 still has SPED and CERT164; 2025-26 has the rules added since; 2020-21 has the
        // STAS rules written on the 2019-20 STAS field names (13.16, 13.21 renamed from 2021-22).
        for (year, sped) in [("2020-2021", true), ("2022-2023", true), ("2025-2026", false)] {
            let (found, planted, district) = try run(year: year, plant: .rules, sped: sped)
            XCTAssertEqual(found.count, planted.count, year)
            XCTAssertEqual(Set(found).subtracting(planted).sorted(), [], "\(year): findings that were not planted")
            XCTAssertEqual(Set(planted).subtracting(found).sorted(), [], "\(year): planted defects not found")
            XCTAssertEqual(found, planted, "\(year): each planted finding once")
            // Five instances of each rule at 3,000 students.
            let perRule = Dictionary(grouping: district.plantedFindings.filter { $0.rule == $0.rule }, by: \.rule).mapValues(\.count)
            XCTAssertEqual(perRule["SENR0018"], 5)
            covered.formUnion(district.plantedFindings.map(\.rule))
        }
        let plantable = CalpadsRules.all.filter { !$0.atLoad }.map(\.id)
        XCTAssertEqual(Set(plantable).subtracting(covered).sorted(), [], "rules never planted")
        XCTAssertGreaterThanOrEqual(covered.count, 120)
    }

    func testACleanDistrictHasNoFindingsInAnyFile() throws {
        for (year, sped) in [("2021-2022", true), ("2024-2025", false)] {
            let (found, planted, _) = try run(year: year, plant: .none, sped: sped)
            XCTAssertEqual(planted, [])
            XCTAssertEqual(found, [], year)
        }
    }

    /// Every file of a generated clean district reads and writes back byte for byte in its
    /// layout (2022-23: the year SPED still has a layout). A planted defect such as a name too
    /// long for its field is refused by the writer instead: CALPADS files are never truncated.
    func testEveryGeneratedFileRoundTripsByteForByte() throws {
        let scratch = try Scratch()
        var options = SampleOptions()
        options.students = 600
        options.seed = 3
        options.academicYear = "2022-2023"
        options.plant = .none
        try DistrictGenerator.write(options, to: scratch.path("d"))
        let types = Self.files + ["SPED"]
        var play = ""
        for type in types {
            play += "load t\(type) from \"d/\(type).txt\" as calpads \(type)\nexport t\(type) to \"out/\(type).txt\" as calpads \(type)\n"
        }
        try scratch.write("rt.playbook", play)
        let record = Runner.run(path: scratch.path("rt.playbook"), options: scratch.options)
        XCTAssertEqual(record.errors, [])
        for type in types {
            let original = scratch.read("d/\(type).txt") ?? ""
            XCTAssertFalse(original.isEmpty, type)
            XCTAssertTrue(scratch.read("out/\(type).txt") == original, "\(type) differs after the round trip")
        }
    }

    /// A plant is data: its grammar parses for every rule, and its clean records fill in.
    func testPlantsParseAndRecordsFillIn() {
        for rule in CalpadsRules.all where !rule.atLoad {
            XCTAssertNotNil(RulePlant.parse(rule.plant), "\(rule.id): \(rule.plant)")
            if !rule.nearMiss.isEmpty { XCTAssertNotNil(RulePlant.parse(rule.nearMiss), "\(rule.id) near miss") }
        }
        let senr = SampleRecords.base("SENR", year: 2024, ["SSID": "1000000001", "SCHOOL": "0112345"])
        XCTAssertEqual(senr["StudentBirthDate"], "20090315")
        XCTAssertEqual(senr["AcademicYearID"], "2024-2025")
        XCTAssertEqual(senr["SSID"], "1000000001")
        let plant = RulePlant.parse(
            "SENR: EnrollmentSchoolExitDate={Y}1015;StudentExitReasonCode=T160 + EnrollmentSchoolStartDate={Y}1001 & SINF: DROP => SENR0022"
        )
        XCTAssertEqual(plant?.clauses.map(\.type), ["SENR", "SINF"])
        XCTAssertEqual(plant?.clauses.first?.parts.count, 2)
        XCTAssertEqual(plant?.clauses.last?.drop, true)
        XCTAssertEqual(plant?.also, ["SENR0022"])
    }

    /// A union of a table with a text column that is null in every row (its dictionary is
    /// empty) used to crash; it now keeps the nulls.
    func testUnionWithAnAllNullTextColumnKeepsTheNulls() throws {
        let a = Table(names: ["x"], columns: [Column.nulls(type: .text, count: 2)], provenance: .none(count: 2))
        var builder = ColumnBuilder(type: .text)
        builder.append(.text("v")); builder.append(.null)
        let b = Table(names: ["x"], columns: [builder.build()], provenance: .none(count: 2))
        let ab = a.columns[0].appending(b.columns[0]), ba = b.columns[0].appending(a.columns[0])
        XCTAssertEqual((0..<4).map { ab.value($0).display }, ["", "", "v", ""])
        XCTAssertEqual((0..<4).map { ab.isNull($0) }, [true, true, false, true])
        XCTAssertEqual((0..<4).map { ba.isNull($0) }, [false, true, true, true])
    }
}
