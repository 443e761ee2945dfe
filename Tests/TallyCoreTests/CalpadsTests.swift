import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

final class CalpadsTests: XCTestCase {
    func testLoadThenExportIsByteIdentical() throws {
        let scratch = try Scratch()
        var options = SampleOptions()
        options.students = 600
        options.seed = 3
        try DistrictGenerator.write(options, to: scratch.path("data"))
        var playbook = ""
        for type in ["SENR", "SINF", "SPRG", "SELA"] {
            playbook += "load t\(type) from \"data/\(type).txt\" as calpads \(type)\n"
            playbook += "export t\(type) to \"out/\(type).txt\" as calpads \(type)\n"
        }
        try scratch.write("rt.playbook", playbook)
        let record = Runner.run(path: scratch.path("rt.playbook"), options: scratch.options)
        XCTAssertEqual(record.exitStatus, 0, "\(record.errors)")
        for type in ["SENR", "SINF", "SPRG", "SELA"] {
            let original = FileManager.default.contents(atPath: scratch.path("data/\(type).txt"))
            let exported = FileManager.default.contents(atPath: scratch.path("out/\(type).txt"))
            XCTAssertNotNil(original)
            XCTAssertEqual(original, exported, type)
        }
    }

    /// Every layout of every year: records with every field filled (dates as CCYYMMDD, text up to
    /// its length) load and export byte for byte.
    func testEveryLayoutRoundTripsByteForByte() throws {
        let scratch = try Scratch()
        var playbook = ""
        var files: [String] = []
        for layout in CalpadsLayouts.all {
            let year = "\(layout.lastYear >= 9999 ? 2025 : layout.lastYear)-\(layout.lastYear >= 9999 ? 2026 : layout.lastYear + 1)"
            var text = ""
            for n in 1...3 {
                let fields = layout.fields.enumerated().map { (k, field) -> String in
                    switch field.name {
                    case "RecordTypeCode": return layout.type
                    case "TransactionTypeCode": return n == 2 ? "" : "R"
                    case "AcademicYearID": return year
                    default:
                        if field.isDate { return "2024091\(n)" }
                        if n == 3, !field.required { return "" }
                        let value = "V\(k)é\(n)"
                        return String(value.prefix(field.maxLength > 0 ? field.maxLength : value.count))
                    }
                }
                text += fields.joined(separator: "^") + "\r\n"
            }
            let name = "\(layout.type)_\(layout.firstYear).txt"
            try scratch.write("in/" + name, text)
            files.append(name)
            let table = "t\(layout.type)\(layout.firstYear)"
            playbook += "load \(table) from \"in/\(name)\" as calpads \(layout.type) year \"\(year)\"\n"
            playbook += "export \(table) to \"out/\(name)\" as calpads \(layout.type) year \"\(year)\"\n"
        }
        XCTAssertEqual(files.count, CalpadsLayouts.all.count)
        XCTAssertTrue(Set(CalpadsLayouts.types).isSuperset(of: ["SPED", "SSRV", "SDIS"]))
        try scratch.write("rt.playbook", playbook)
        let record = Runner.run(path: scratch.path("rt.playbook"), options: scratch.options)
        XCTAssertEqual(record.errors, [])
        for name in files {
            XCTAssertEqual(
                FileManager.default.contents(atPath: scratch.path("in/" + name)),
                FileManager.default.contents(atPath: scratch.path("out/" + name)), name)
        }
    }

    func testTooLongValueIsAnErrorNamingTheRowAndNothingIsWritten() throws {
        let scratch = try Scratch()
        let line = "SENR^^^0161119^0112345^^2024-2025^1000000001^100000^Ann^^Lee^^^^^20150224^F^^^US^20240814^10^KN^^^^^^^^^^^\r\n"
        try scratch.write("SENR.txt", line + line)
        try scratch.write(
            "t.playbook",
            """
            load senr from "SENR.txt" as calpads SENR
            bad = senr | derive GradeLevelCode = "KNX"
            export bad to "out/SENR.txt" as calpads SENR
            """)
        let record = Runner.run(path: scratch.path("t.playbook"), options: scratch.options)
        XCTAssertEqual(record.exitStatus, 2)
        XCTAssertEqual(
            record.errors.first?.message,
            "row 1 (from SENR.txt:1): field 1.24 GradeLevelCode is 3 characters, at most 2 allowed: \"KNX\"")
        XCTAssertNil(scratch.read("out/SENR.txt"))
    }

    func testMissingRequiredColumnIsACheckError() throws {
        let scratch = try Scratch()
        try scratch.write("s.csv", "SSID,School\n1000000001,0112345\n")
        try scratch.write("t.playbook", "load s from \"s.csv\"\nexport s to \"out/SENR.txt\" as calpads SENR")
        let result = Runner.check(path: scratch.path("t.playbook"), options: scratch.options)
        XCTAssertTrue(
            result.diagnostics.first?.message.hasPrefix("s lacks required SENR fields 1.01 RecordTypeCode") ?? false,
            "\(result.diagnostics)")
    }

    func testExtractColumnsAreAcceptedOnlyWhenAsked() throws {
        let scratch = try Scratch()
        let line =
            "SENR^^^0161119^0112345^^2024-2025^1000000001^100000^Ann^^Lee^^^^^20150224^F^^^US^20240814^10^KN^^^^^^^^^^^^20241001^20241002\r\n"
        try scratch.write("SENR.txt", line)
        try scratch.write("plain.playbook", "load senr from \"SENR.txt\" as calpads SENR")
        try scratch.write(
            "extract.playbook", "load senr from \"SENR.txt\" as calpads SENR extract\nexport senr to \"out/e.txt\" as calpads SENR extract")
        XCTAssertEqual(Runner.run(path: scratch.path("plain.playbook"), options: scratch.options).errors.first?.line, 1)
        let record = Runner.run(path: scratch.path("extract.playbook"), options: scratch.options)
        XCTAssertEqual(record.exitStatus, 0, "\(record.errors)")
        XCTAssertEqual(scratch.read("out/e.txt"), line)
    }
}

/// Done-when 1 of the CALPADS issue: validation finds exactly the defects the generator planted.
final class CalpadsValidationTests: XCTestCase {
    static let ruleForDefect = [
        "invalid_grade": "GERR0002", "duplicate_primary": "SENR0027", "missing_sinf": "SENR-NO-SINF",
        "exit_before_start": "SENR0018", "overlapping_enrollment": "SENR0178",
        "completer_without_status": "SENR-COMPLETER-NO-STATUS",
        "secondary_exit_reason": "SENR0302",
        "exemption_not_graduate": "SENR0630",
    ]

    func testValidateReportsExactlyThePlantedDefects() throws {
        let scratch = try Scratch()
        var options = SampleOptions()
        options.students = 3000
        options.seed = 11
        let district = try DistrictGenerator.write(options, to: scratch.path("d"))
        try scratch.write(
            "v.playbook",
            """
            load senr from "d/SENR.txt" as calpads SENR
            load sinf from "d/SINF.txt" as calpads SINF
            load sprg from "d/SPRG.txt" as calpads SPRG
            load sela from "d/SELA.txt" as calpads SELA
            findings = senr | validate calpads SENR with sinf
            others = sinf | validate calpads SINF | union sprg_findings
            sprg_findings = sprg | validate calpads SPRG
            sela_findings = sela | validate calpads SELA
            export findings to "out/findings.csv"
            assert sinf is valid calpads SINF
            assert sprg is valid calpads SPRG
            assert sela is valid calpads SELA
            assert senr is valid calpads SENR with sinf
            """.replacingOccurrences(
                of: "others = sinf | validate calpads SINF | union sprg_findings\n", with: "sinf_findings = sinf | validate calpads SINF\n")
        )
        let record = Runner.run(path: scratch.path("v.playbook"), options: scratch.options)
        XCTAssertEqual(record.errors, [])
        XCTAssertEqual(record.exitStatus, 1)
        XCTAssertEqual(record.checks.map(\.passed), [true, true, true, false])
        let csv = scratch.read("out/findings.csv") ?? ""
        // Read through the real CSV reader: messages hold commas.
        let findings = try readCSV(csv) { $0.inferTypes = false }
        var found = Set<String>()
        let (rules, lines, ssids) = (findings.strings("rule"), findings.strings("line"), findings.strings("SSID"))
        for row in 0..<findings.rowCount { found.insert("\(rules[row] ?? "") \(lines[row] ?? "") \(ssids[row] ?? "")") }
        let planted = Set(
            district.defects.compactMap { d in
                CalpadsValidationTests.ruleForDefect[d.kind].map { "\($0) \(d.line) \(d.ssid)" }
            })
        // Eight kinds, planted at different rates: 15 of each of five, 30 of duplicate primaries,
        // missing SINF and secondary exit reasons, 45 of exits before the start.
        XCTAssertEqual(planted.count, 13 * 15)
        XCTAssertEqual(found.subtracting(planted).sorted(), [], "findings that were not planted")
        XCTAssertEqual(planted.subtracting(found).sorted(), [], "planted defects not found")
    }

    /// Rule metadata is data (scripts/calpads_rules.tsv): every rule has years, the fields it
    /// names are its file types' layout fields, and a rule added in a year applies from then on.
    func testRuleMetadataComesFromTheDataFile() {
        XCTAssertEqual(CalpadsRules.all.count, CalpadsRuleData.tsv.split(separator: "\n").count)
        for rule in CalpadsRules.all {
            XCTAssertFalse(rule.resolution.isEmpty, rule.id)
            XCTAssertLessThanOrEqual(rule.firstYear, rule.lastYear, rule.id)
            // A rule of several file types validates each field where the file has it.
            let partners = rule.with.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }
            let types = rule.types.filter { $0 != "*" } + partners
            let names = Set(types.flatMap { CalpadsLayouts.layouts(for: $0).flatMap { $0.fields.map(\.name) } })
            if !rule.types.contains("*") {
                for field in rule.fields {
                    XCTAssertTrue(names.contains(field), "\(rule.id): no layout of \(rule.types) has field \(field)")
                }
            }
            // Every check that is not code parses, and names only fields of its file types.
            if rule.check != "code" { XCTAssertNotNil(CalpadsCheck.parse(rule.check), "\(rule.id): \(rule.check)") }
            for partner in partners { XCTAssertFalse(CalpadsLayouts.layouts(for: partner).isEmpty, "\(rule.id): \(partner)") }
        }
        XCTAssertEqual(CalpadsRules.rule("SENR0731")?.id, "SENR0731F1", "an ID matches with and without its F1 suffix")
        XCTAssertFalse(CalpadsRules.rules(for: "SENR", year: 2024).contains { $0.id == "SENR0731F1" })
        XCTAssertTrue(CalpadsRules.rules(for: "SENR", year: 2025).contains { $0.id == "SENR0731F1" })
        XCTAssertFalse(CalpadsRules.rules(for: "SENR", year: 2022).contains { $0.id == "SENR0630" })
        XCTAssertEqual(CalpadsRules.rule("SENR0175")?.isCALPADS, true)
        XCTAssertEqual(
            CalpadsRules.rules(for: "STAS").map(\.id).filter { !$0.hasPrefix("G") && !$0.hasPrefix("F") },
            [
                "CERT126", "CERT127", "CERT129", "IVR0006", "IVR0009", "STAS0318", "STAS0311", "STAS0651", "STAS-DAYS-RANGE", "STAS0739",
                "STAS0740E1",
            ])
        XCTAssertEqual(CalpadsRules.rule("SPRG0645F1")?.firstYear, 2024)
        XCTAssertEqual(CalpadsRules.rule("CERT164")?.lastYear, 2023, "the same check under CERT164 until 2023-24, then SPRG0645F1")
        XCTAssertEqual(CalpadsRules.rule("SENR-NO-SINF")?.isCALPADS, false)
    }

    func testEveryRuleIsListedOnceWithAFileType() {
        let ids = CalpadsRules.all.map(\.id)
        XCTAssertEqual(ids.count, Set(ids).count)
        XCTAssertGreaterThanOrEqual(ids.count, 120)
        XCTAssertGreaterThan(CalpadsRules.all.filter(\.isCALPADS).count * 2, ids.count, "most rules are under CALPADS IDs")
        XCTAssertEqual(
            CalpadsRules.rules(for: "SELA").map(\.id).filter { $0.hasPrefix("SELA") },
            [
                "SELA-NO-ENROLLMENT", "SELA-LANGUAGE", "SELA0326", "SELA0255", "SELA0281", "SELA-CORRECTION-CODE",
                "SELA-START-FUTURE", "SELA-START-BEFORE-BIRTH", "SELA0280", "SELA0520", "SELA0285",
            ])
        // Every rule the sample generator can plant has a plant (the two load-time rules stop a
        // run instead: their golden cases show it).
        for rule in CalpadsRules.all where !rule.atLoad { XCTAssertFalse(rule.plant.isEmpty, "\(rule.id) has no plant") }
        XCTAssertTrue(CalpadsRules.rules(for: "SENR").contains { $0.id == "SENR0018" })
    }
}
