import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// Course enrollment and completion across files (CERT077, CERT098, CERT099, CERT100) and the
/// teacher-without-a-section rule under the ID of the record's year (CERT048 through 2023-24,
/// SDEM0684F2 from 2024-25), run through the real `tally` binary on small CALPADS files. Each test
/// asserts the exact rule, file and line of every finding of the validated file, so a finding on a
/// correct record fails as surely as a missed one.
final class CalpadsCourseRulesTests: XCTestCase, CalpadsRuleFiles {
    /// CERT077 (Fall 2): a primary enrollment in KN-12 open on Census Day (October 2, 2024) has
    /// course enrollment records; CERT099 (End of Year 1): a primary enrollment in 9-12 has
    /// course completion records. A record at any school of the LEA counts.
    func testEnrollmentsNeedCourseEnrollmentAndCompletion() throws {
        let y = 2024
        let senr = [
            try line("SENR", year: y), // 1: both, SCSE at another school
            try line("SENR", year: y, [:], ssid: "1000000002"), // 2: neither: CERT077, CERT099
            try line("SENR", year: y, ["GradeLevelCode": "04", "StudentBirthDate": "20150315"], ssid: "1000000003"), // 3: grade 4: CERT077
            // 4: left before Census Day: CERT099
            try line("SENR", year: y, ["EnrollmentSchoolExitDate": "20240930", "StudentExitReasonCode": "T160"], ssid: "1000000004"),
            try line("SENR", year: y, ["EnrollmentStatusCode": "20"], ssid: "1000000005", school: "6999999"), // 5: secondary
            try line("SENR", year: y, ["SchoolOfAttendance": "0000001", "SchoolOfAttendanceNPS": "1996644"], ssid: "1000000006"), // 6: NPS
            try line("SENR", year: y, ["GradeLevelCode": "TK", "StudentBirthDate": "20200315"], ssid: "1000000007"), // 7: TK: not required
            // 8: no-show
            try line("SENR", year: y, ["EnrollmentSchoolExitDate": "20240813", "StudentExitReasonCode": "N470"], ssid: "1000000008"),
            try line("SENR", year: y, ["EnrollmentSchoolStartDate": "20241015"], ssid: "1000000009"), // 9: came after Census Day: CERT099
            // 10: grade 8, has SCSE
            try line("SENR", year: y, ["GradeLevelCode": "08", "StudentBirthDate": "20110315"], ssid: "1000000010"),
        ]
        let scse = [
            try line("SCSE", year: y, [:], school: "6999999"), try line("SCSE", year: y, [:], ssid: "1000000010"),
            try line("SCSE", year: y, ["AcademicYearID": "2023-2024"], ssid: "1000000002"),
        ] // last year's does not count
        let scsc = [try line("SCSC", year: y)]
        XCTAssertEqual(
            try findings(["SENR": senr, "SCSE": scse, "SCSC": scsc], validate: "SENR", with: ["SCSE", "SCSC"]),
            ["CERT077 SENR.txt:2", "CERT077 SENR.txt:3", "CERT099 SENR.txt:2", "CERT099 SENR.txt:4", "CERT099 SENR.txt:9"])
        // Each rule runs only with its file; the order of the with list does not matter.
        XCTAssertEqual(
            try findings(["SENR": senr, "SCSE": scse], validate: "SENR", with: ["SCSE"]), ["CERT077 SENR.txt:2", "CERT077 SENR.txt:3"])
        XCTAssertEqual(
            try findings(["SENR": senr, "SCSC": scsc, "SCSE": scse], validate: "SENR", with: ["SCSC", "SCSE"]).filter {
                $0.hasPrefix("CERT099")
            },
            ["CERT099 SENR.txt:2", "CERT099 SENR.txt:4", "CERT099 SENR.txt:9"])
        XCTAssertEqual(try findings(["SENR": senr], validate: "SENR"), [])
    }

    /// CERT098: a completion's student is enrolled in the LEA at some time in the year; CERT100:
    /// a completed section has a completion at its school, in its year.
    func testCompletionsAndCompletedSectionsAcrossFiles() throws {
        let y = 2024
        let senr = [
            try line("SENR", year: y),
            try line(
                "SENR", year: y, ["EnrollmentStatusCode": "30", "EnrollmentSchoolExitDate": "20240901", "StudentExitReasonCode": "T160"],
                ssid: "1000000002"),
            // Last year's enrollment, still open: it reaches into this year.
            try line("SENR", year: 2023, ["EnrollmentSchoolStartDate": "20240105"], ssid: "1000000003"),
            // Last year's enrollment, exited in June: not enrolled this year.
            try line("SENR", year: 2023, ["EnrollmentSchoolExitDate": "20240607", "StudentExitReasonCode": "T160"], ssid: "1000000004"),
        ]
        let scsc = [
            try line("SCSC", year: y),
            try line("SCSC", year: y, [:], ssid: "1000000002"),
            try line("SCSC", year: y, [:], ssid: "1000000003"),
            try line("SCSC", year: y, [:], ssid: "1000000004"), // CERT098
            try line("SCSC", year: y, [:], ssid: "1999999999"), // CERT098
        ]
        XCTAssertEqual(
            try findings(["SCSC": scsc, "SENR": senr], validate: "SCSC", with: ["SENR"]), ["CERT098 SCSC.txt:4", "CERT098 SCSC.txt:5"])
        let crsc = [
            try line("CRSC", year: y), // completed
            try line("CRSC", year: y, [:], section: "ENG10-2"), // two teachers, no completion:
            try line("CRSC", year: y, [:], seid: "1234567891", section: "ENG10-2"), // one CERT100, on the last record
            try line("CRSC", year: y, [:], school: "6999999"), // ENG10-1 is completed at 0112345 only
        ]
        XCTAssertEqual(
            try findings(["CRSC": crsc, "SCSC": scsc], validate: "CRSC", with: ["SCSC"]), ["CERT100 CRSC.txt:3", "CERT100 CRSC.txt:4"])
        XCTAssertEqual(try findings(["CRSC": crsc], validate: "CRSC"), [])
    }

    /// A teacher with neither a course section nor a non-classroom assignment is one finding,
    /// under CERT048 in 2023-24 and under SDEM0684F2 from 2024-25.
    func testATeacherWithoutASectionIsReportedUnderTheIDOfItsYear() throws {
        let sass = [
            try line("SASS", year: 2023),
            try line("SASS", year: 2024),
            try line("SASS", year: 2025, [:], seid: "1234567891"),
            try line("SASS", year: 2025, ["NonClassroomBasedJobAssignmentCode1": "6018"], seid: "1234567892"), // on leave
        ]
        XCTAssertEqual(
            try findings(
                ["SASS": sass, "CRSE": [try line("CRSE", year: 2025, [:], seid: "1234567899")]], validate: "SASS", with: ["CRSE"]),
            ["CERT048 SASS.txt:1", "SDEM0684F2 SASS.txt:2", "SDEM0684F2 SASS.txt:3"])
        XCTAssertEqual(
            try findings(["SASS": sass, "CRSE": [try line("CRSE", year: 2024)]], validate: "SASS", with: ["CRSE"]),
            ["CERT048 SASS.txt:1", "SDEM0684F2 SASS.txt:3"])
    }

    /// The course files share a layout in pairs (SCSE/SCSC, CRSE/CRSC), so while checking a
    /// playbook a with table may be either; the run tells them apart by record type and refuses
    /// the one no rule reads, naming it, with exit 2.
    func testWithListsOfCourseFiles() throws {
        let scratch = try Scratch()
        try scratch.write("CRSC.txt", try line("CRSC", year: 2024))
        try scratch.write("SCSE.txt", try line("SCSE", year: 2024))
        try scratch.write("SENR.txt", try line("SENR", year: 2024))
        let load =
            "load crsc from \"CRSC.txt\" as calpads CRSC\nload scse from \"SCSE.txt\" as calpads SCSE\nload senr from \"SENR.txt\" as calpads SENR\n"
        try scratch.write("a.playbook", load + "f = crsc | validate calpads CRSC with senr\n")
        let a = try ReliabilityTests.tally(["run", "a.playbook", "--no-store"], in: scratch.url.path)
        XCTAssertEqual(a.exit, 2, a.output)
        XCTAssertTrue(a.output.contains("a.playbook:4:"), a.output)
        XCTAssertTrue(a.output.contains("senr is a SENR file, which no rule of validate calpads CRSC reads"), a.output)
        XCTAssertTrue(a.output.contains("its cross-file rules read scsc"), a.output)
        // An SCSE file given for the SCSC that CRSC's rules read: refused when the run reads it.
        try scratch.write("b.playbook", load + "f = crsc | validate calpads CRSC with scse\nexport f to \"out/f.csv\"\n")
        let b = try ReliabilityTests.tally(["run", "b.playbook", "--no-store"], in: scratch.url.path)
        XCTAssertEqual(b.exit, 2, b.output)
        XCTAssertTrue(
            b.output.contains("b.playbook:4:39: error: scse is a SCSE file, which no rule of validate calpads CRSC reads"), b.output)
        XCTAssertNil(scratch.read("out/f.csv"))
    }

    /// `tally rules` shows each ID with its severity, years and the file it reads; `--year` lists
    /// the teacher rule under one ID per year.
    func testTallyRulesListsTheCourseRulesAndTheTeacherRuleByYear() throws {
        let scratch = try Scratch()
        for (id, expected) in [
            ("CERT077", ["warning", "2019-20 on", "with scse", "Census Day"]), ("CERT098", ["warning", "SCSC with senr"]),
            ("CERT099", ["warning", "with scsc", "grades 9-12"]), ("CERT100", ["warning", "CRSC with scsc"]),
            ("CERT048", ["fatal", "2019-20 to 2023-24", "SDEM0684F2"]), ("SDEM0684F2", ["fatal", "2024-25 on", "Flash #289"]),
        ] {
            let run = try ReliabilityTests.tally(["rules", id], in: scratch.url.path)
            XCTAssertEqual(run.exit, 0, id)
            XCTAssertTrue(run.output.hasPrefix(id + " — "), run.output)
            for text in expected { XCTAssertTrue(run.output.contains(text), "\(id) \(text): \(run.output)") }
        }
        for (year, shown, hidden) in [("2023-2024", "CERT048", "SDEM0684F2"), ("2024-2025", "SDEM0684F2", "CERT048")] {
            let run = try ReliabilityTests.tally(["rules", "SASS", "--year", year], in: scratch.url.path)
            XCTAssertEqual(run.exit, 0, run.output)
            XCTAssertTrue(run.output.contains(shown + " "), "\(year): \(run.output)")
            XCTAssertFalse(run.output.contains(hidden + " "), "\(year): \(run.output)")
        }
    }
}
