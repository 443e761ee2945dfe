import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// Small CALPADS files for rule tests, run through the real `tally` binary: a record of a type in
/// a year's layout, and the findings of validating one file with others as "RULE FILE:LINE".
protocol CalpadsRuleFiles {}

extension CalpadsRuleFiles {
    /// One caret-delimited record of `type` in the layout of the academic year starting `year`:
    /// the clean sample record (scripts/calpads_sample_records.tsv) with `changes`.
    func line(
        _ type: String, year: Int, _ changes: [String: String] = [:], ssid: String = "1000000001", seid: String = "1234567890",
        school: String = "0112345", section: String = "ENG10-1", k: Int = 1
    ) throws -> String {
        let layout = try XCTUnwrap(CalpadsLayouts.layout(type, year: year), "\(type) \(year)")
        var r = SampleRecords.base(
            type, year: year,
            [
                "LEA": "0161119", "SCHOOL": school, "SSID": ssid, "LOCAL": "100001", "SEID": seid,
                "STAFF": "T1", "COURSE": "ENG10", "SECTION": section, "REC": "R\(k)", "K": String(k),
            ])
        for (f, v) in changes { r[f] = v }
        return layout.fields.map { r[$0.name] ?? "" }.joined(separator: "^") + "\r\n"
    }

    /// Writes the files, validates `type` with the others and returns its findings as "RULE FILE:LINE".
    func findings(_ files: [String: [String]], validate type: String, with others: [String] = []) throws -> [String] {
        let scratch = try Scratch()
        var play = ""
        for (name, lines) in files {
            try scratch.write("\(name).txt", lines.joined())
            play += "load \(name.lowercased()) from \"\(name).txt\" as calpads \(name)\n"
        }
        let with = others.isEmpty ? "" : " with " + others.map { $0.lowercased() }.joined(separator: ", ")
        play += "findings = \(type.lowercased()) | validate calpads \(type)\(with)\nexport findings to \"out/findings.csv\"\n"
        try scratch.write("v.playbook", play)
        let run = try ReliabilityTests.tally(["run", "v.playbook", "--no-store"], in: scratch.url.path)
        XCTAssertEqual(run.exit, 0, run.output)
        let table = try readCSV(scratch.read("out/findings.csv") ?? "") { $0.inferTypes = false }
        let (rules, names, lines) = (table.strings("rule"), table.strings("file"), table.strings("line"))
        return (0..<table.rowCount).map { "\(rules[$0] ?? "") \(names[$0] ?? ""):\(lines[$0] ?? "")" }.sorted()
    }
}
