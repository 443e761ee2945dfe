import Foundation
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// `tally run --matrix`, through the command line as a user runs it.
final class MatrixTests: XCTestCase {
    /// The `tally` built beside the tests (`swift build --build-tests` and `swift test` build it).
    static let tally = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/debug/tally").path

    func tally(_ arguments: [String], in folder: String) throws -> (exit: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: MatrixTests.tally)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func testAMatrixOverTwentySchoolsRecordsTwentyRuns() throws {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: MatrixTests.tally), "build tally first: swift build")
        let scratch = try Scratch()
        var students = "SSID,School,Grade\n"
        let schools = (1...20).map { String(format: "60%05d", $0) }
        for (k, school) in schools.enumerated() {
            for s in 0..<5 { students += "\(1_000_000_000 + k * 10 + s),\(school),0\(s + 1)\n" }
        }
        // School 7 has a student twice: its run fails its check.
        students += "\(1_000_000_000 + 6 * 10),\(schools[6]),01\n"
        try scratch.write("students.csv", students)
        try scratch.write(
            "school.playbook",
            """
            param school: text = "6000001"
            load students from "students.csv" with columns (School: text)
            mine = students | filter School == school
            counts = mine | aggregate students = count() by Grade
            assert mine unique by SSID
            export counts to "out/{school}.csv"
            """)
        try scratch.write("schools.csv", "school\n" + schools.joined(separator: "\n") + "\n")
        let result = try tally(["run", "school.playbook", "--matrix", "schools.csv"], in: scratch.url.path)
        XCTAssertEqual(result.exit, 1, result.out + result.err)
        XCTAssertTrue(
            result.out.contains("Matrix: 20 runs of school.playbook — 19 passed, 1 failed a check, 0 could not run; exit 1"), result.out)
        XCTAssertTrue(result.out.contains("7    6000007  failed"), result.out)
        let store = try QAStore(path: scratch.path(".tally/tally.sqlite"))
        let runs = try store.runs()
        XCTAssertEqual(runs.count, 20)
        XCTAssertEqual(Set(try runs.map { try XCTUnwrap(store.run($0.id)).params["school"] ?? "" }), Set(schools))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path("out")).count, 20)
        XCTAssertEqual(scratch.read("out/6000003.csv"), "Grade,students\n01,1\n02,1\n03,1\n04,1\n05,1\n")

        // A header that is not a parameter: exit 2, naming the file and the parameter meant.
        try scratch.write("bad.csv", "scool\n6000001\n")
        let bad = try tally(["run", "school.playbook", "--matrix", "bad.csv"], in: scratch.url.path)
        XCTAssertEqual(bad.exit, 2)
        XCTAssertTrue(bad.err.contains("bad.csv:1: error: column \"scool\" is not a parameter of school.playbook"), bad.err)
        XCTAssertTrue(bad.err.contains("did you mean \"school\"?"), bad.err)
    }

    func testNewAndFmtFromTheCommandLine() throws {
        let scratch = try Scratch()
        let made = try tally(["new", "fall1_census"], in: scratch.url.path)
        XCTAssertEqual(made.exit, 0, made.err)
        XCTAssertTrue(scratch.read("fall1_census.playbook")?.contains("playbook \"Fall1 Census\"") ?? false)
        XCTAssertEqual(try tally(["new", "fall1_census"], in: scratch.url.path).exit, 2, "never overwrites")
        XCTAssertEqual(try tally(["check", "fall1_census.playbook"], in: scratch.url.path).exit, 0)
        try scratch.write("messy.playbook", "load  s from \"s.csv\"\nt = s | filter a == 1 | select a\n")
        let check = try tally(["fmt", "--check", "messy.playbook", "fall1_census.playbook"], in: scratch.url.path)
        XCTAssertEqual(check.exit, 1)
        XCTAssertEqual(check.out, "would reformat messy.playbook\n")
        XCTAssertEqual(try tally(["fmt", "messy.playbook"], in: scratch.url.path).exit, 0)
        XCTAssertEqual(scratch.read("messy.playbook"), "load s from \"s.csv\"\nt = s\n  | filter a == 1\n  | select a\n")
        XCTAssertEqual(try tally(["fmt", "--check", "messy.playbook"], in: scratch.url.path).exit, 0)
        try scratch.write("broken.playbook", "load s from\n")
        let broken = try tally(["fmt", "broken.playbook"], in: scratch.url.path)
        XCTAssertEqual(broken.exit, 2)
        XCTAssertTrue(broken.err.contains("broken.playbook:1"), broken.err)
        XCTAssertEqual(scratch.read("broken.playbook"), "load s from\n", "a playbook that does not parse is left alone")
    }
}
