import XCTest
@testable import TallyCore

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

    func testTooLongValueIsAnErrorNamingTheRowAndNothingIsWritten() throws {
        let scratch = try Scratch()
        let line = "SENR^^^0161119^0112345^^2024-2025^1000000001^100000^Ann^^Lee^^^^^20150224^F^^^US^20240814^10^KN^^^^^^^^^^^\r\n"
        try scratch.write("SENR.txt", line + line)
        try scratch.write("t.playbook", """
        load senr from "SENR.txt" as calpads SENR
        bad = senr | derive GradeLevelCode = "KNX"
        export bad to "out/SENR.txt" as calpads SENR
        """)
        let record = Runner.run(path: scratch.path("t.playbook"), options: scratch.options)
        XCTAssertEqual(record.exitStatus, 2)
        XCTAssertEqual(record.errors.first?.message,
                       "row 1 (from SENR.txt:1): field 1.24 GradeLevelCode is 3 characters, at most 2 allowed: \"KNX\"")
        XCTAssertNil(scratch.read("out/SENR.txt"))
    }

    func testMissingRequiredColumnIsACheckError() throws {
        let scratch = try Scratch()
        try scratch.write("s.csv", "SSID,School\n1000000001,0112345\n")
        try scratch.write("t.playbook", "load s from \"s.csv\"\nexport s to \"out/SENR.txt\" as calpads SENR")
        let result = Runner.check(path: scratch.path("t.playbook"), options: scratch.options)
        XCTAssertTrue(result.diagnostics.first?.message.hasPrefix("s lacks required SENR fields 1.01 RecordTypeCode") ?? false,
                      "\(result.diagnostics)")
    }

    func testExtractColumnsAreAcceptedOnlyWhenAsked() throws {
        let scratch = try Scratch()
        let line = "SENR^^^0161119^0112345^^2024-2025^1000000001^100000^Ann^^Lee^^^^^20150224^F^^^US^20240814^10^KN^^^^^^^^^^^^20241001^20241002\r\n"
        try scratch.write("SENR.txt", line)
        try scratch.write("plain.playbook", "load senr from \"SENR.txt\" as calpads SENR")
        try scratch.write("extract.playbook", "load senr from \"SENR.txt\" as calpads SENR extract\nexport senr to \"out/e.txt\" as calpads SENR extract")
        XCTAssertEqual(Runner.run(path: scratch.path("plain.playbook"), options: scratch.options).errors.first?.line, 1)
        let record = Runner.run(path: scratch.path("extract.playbook"), options: scratch.options)
        XCTAssertEqual(record.exitStatus, 0, "\(record.errors)")
        XCTAssertEqual(scratch.read("out/e.txt"), line)
    }
}
