import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// The Fall 2 staff/section and End-of-Year absence rules of issue #26, run through the real
/// `tally` binary on small CALPADS files: each test asserts the exact rule, file and line of every
/// finding, so a false fatal on a correct record fails as surely as a missed defect.
final class CalpadsFall2EOYRulesTests: XCTestCase, CalpadsRuleFiles {
    /// STAS0318 adds 13.22 ADA-generating independent study days from 2021-22 (the old check gave
    /// a false fatal); STAS0311 and STAS-DAYS-RANGE read the renamed fields; Attendance Recovery
    /// Days (2025-26) are a whole number from 0 to 10 (STAS0739) and at most 10 per student across
    /// the LEA (STAS0740E1).
    func testAbsenceSummaryCountsByYear() throws {
        // 2020-21: Days Attended and Incomplete Independent Study Days.
        XCTAssertEqual(
            try findings(
                [
                    "STAS": [
                        try line("STAS", year: 2020),
                        try line("STAS", year: 2020, ["DaysAbsentExcusedNonSuspension": "7"], ssid: "1000000002"),
                        try line(
                            "STAS", year: 2020,
                            [
                                "IncompleteIndependentStudyDays": "11", "DaysAbsentExcusedNonSuspension": "0",
                                "DaysAbsentUnexcusedNonSuspension": "0",
                            ], ssid: "1000000003"),
                    ]
                ], validate: "STAS"), ["STAS0311 STAS.txt:3", "STAS0318 STAS.txt:2", "STAS0318 STAS.txt:3"])
        // 2022-23: 165 days in person and 5 ADA-generating independent study days make 180.
        XCTAssertEqual(
            try findings(
                [
                    "STAS": [
                        try line("STAS", year: 2022, ["DaysAttendedInPerson": "165", "ADAGeneratingIndependentStudyDays": "5"]),
                        try line("STAS", year: 2022, ["DaysAttendedInPerson": "165"], ssid: "1000000002"),
                        try line(
                            "STAS", year: 2022,
                            [
                                "NonADAGeneratingIndependentStudyDays": "11", "DaysAbsentExcusedNonSuspension": "0",
                                "DaysAbsentUnexcusedNonSuspension": "0",
                            ], ssid: "1000000003"),
                        try line("STAS", year: 2022, ["ExpectedAttendanceDays": "400", "DaysAttendedInPerson": "390"], ssid: "1000000004"),
                    ]
                ], validate: "STAS"), ["STAS-DAYS-RANGE STAS.txt:4", "STAS0311 STAS.txt:3", "STAS0318 STAS.txt:2", "STAS0318 STAS.txt:3"])
        // 2025-26: recovery days.
        XCTAssertEqual(
            try findings(
                [
                    "STAS": [
                        try line("STAS", year: 2025, ["AttendanceRecoveryDays": "10"]),
                        try line("STAS", year: 2025, ["AttendanceRecoveryDays": "2.5"], ssid: "1000000002"),
                        try line("STAS", year: 2025, ["AttendanceRecoveryDays": "6"], ssid: "1000000003"),
                        try line("STAS", year: 2025, ["AttendanceRecoveryDays": "5"], ssid: "1000000003", school: "6999999"),
                        try line("STAS", year: 2025, ["AttendanceRecoveryDays": "11"], ssid: "1000000004"),
                    ]
                ], validate: "STAS"), ["STAS0739 STAS.txt:2", "STAS0739 STAS.txt:5", "STAS0740E1 STAS.txt:4"])
        // Line 5's 11 is STAS0739's alone: a value STAS0739 refuses is not added up for STAS0740E1.
    }

    /// Fall 2: CERT046 (FTE over 200%), CERT047/CERT054 (a section's SEID without a teaching
    /// assignment / demographics), CERT048 (a teacher with neither a section nor a non-classroom
    /// assignment) and CRSE0130 matching co-teachers on Class ID.
    func testStaffAndCourseSections() throws {
        let y = 2024
        let sdem = [
            try line("SDEM", year: y), try line("SDEM", year: y, seid: "1234567891"), try line("SDEM", year: y, seid: "1234567892"),
        ]
        let sass = [
            try line("SASS", year: y), // teaches ENG10-1
            try line("SASS", year: y, seid: "1234567891"), // a teacher with no section
            try line("SASS", year: y, ["NonClassroomBasedJobAssignmentCode1": "6018"], seid: "1234567892"), // on leave
            try line("SASS", year: y, ["StaffJobClassificationFTEPercentage": "150"], seid: "1234567893"),
            try line(
                "SASS", year: y, ["StaffJobClassificationCode": "11", "NonClassroomBasedJobAssignmentCode1": "0202"], seid: "1234567893"),
        ]
        let crse = [
            try line("CRSE", year: y, ["MultipleTeacherCode": "1", "ClassID": "C1"]),
            try line("CRSE", year: y, ["MultipleTeacherCode": "1", "ClassID": "C1", "CourseSectionID": "ENG10-1B"], seid: "1234567893"),
            try line("CRSE", year: y, ["MultipleTeacherCode": "1", "ClassID": "C2", "CourseSectionID": "ENG10-2"]),
            try line("CRSE", year: y, ["CourseSectionID": "ENG10-3"], seid: "1234567899"),
            try line("CRSE", year: y, ["CourseSectionID": "ENG10-4"], seid: "9999999999"),
        ]
        XCTAssertEqual(
            try findings(["SASS": sass, "SDEM": sdem, "CRSE": crse], validate: "SASS", with: ["SDEM", "CRSE"]),
            ["CERT046 SASS.txt:5", "CERT049 SASS.txt:4", "CERT049 SASS.txt:5", "SDEM0684F2 SASS.txt:2"])
        // Line 2's SEID 1234567893 teaches as pupil services staff and a 150% teacher: it has a
        // teaching assignment but no SDEM.
        XCTAssertEqual(
            try findings(["SASS": sass, "SDEM": sdem, "CRSE": crse], validate: "CRSE", with: ["SASS", "SDEM"]),
            ["CERT047 CRSE.txt:4", "CERT054 CRSE.txt:2", "CERT054 CRSE.txt:4", "CRSE0130 CRSE.txt:3"])
        // Without the other files the cross-file rules do not run.
        XCTAssertEqual(try findings(["CRSE": crse], validate: "CRSE"), ["CRSE0130 CRSE.txt:3"])
    }

    /// End of Year across files: CERT128 (an enrollment without an absence summary), CERT129
    /// (more expected days than days enrolled) and CERT127 (suspension days without a suspension).
    func testEndOfYearAcrossFiles() throws {
        let y = 2024
        let senr = [
            try line("SENR", year: y),
            try line("SENR", year: y, ["EnrollmentSchoolExitDate": "20240930", "StudentExitReasonCode": "T160"], ssid: "1000000002"),
            try line("SENR", year: y, [:], ssid: "1000000003"), // no STAS: CERT128
            try line("SENR", year: y, ["EnrollmentStatusCode": "20"], ssid: "1000000004", school: "6999999"), // secondary: none needed
            try line("SENR", year: y, ["EnrollmentSchoolExitDate": "20240813", "StudentExitReasonCode": "N470"], ssid: "1000000005"),
            try line("SENR", year: y, ["SchoolOfAttendance": "0000001", "SchoolOfAttendanceNPS": "1996644"], ssid: "1000000006"),
        ]
        let stas = [
            try line("STAS", year: y, ["DaysAbsentOutOfSchoolSuspension": "2", "DaysAbsentExcusedNonSuspension": "4"]),
            try line("STAS", year: y, ["ExpectedAttendanceDays": "48", "DaysAttendedInPerson": "38"], ssid: "1000000002"),
            try line("STAS", year: y, ["DaysAbsentOutOfSchoolSuspension": "2", "DaysAbsentExcusedNonSuspension": "4"], ssid: "1000000002"),
        ]
        XCTAssertEqual(try findings(["SENR": senr, "STAS": stas], validate: "SENR", with: ["STAS"]), ["CERT128 SENR.txt:3"])
        // Student 2 was enrolled August 14 to September 30: 48 days, so 180 expected is too many.
        let sirs = [try line("SIRS", year: y), try line("SIRS", year: y, ["IncidentResultCode": "300"], ssid: "1000000002", k: 2)]
        let sinc = [try line("SINC", year: y), try line("SINC", year: y, [:], ssid: "1000000002", k: 2)]
        XCTAssertEqual(
            try findings(["SENR": senr, "STAS": stas, "SIRS": sirs, "SINC": sinc], validate: "STAS", with: ["SENR", "SIRS", "SINC"]),
            ["CERT129 STAS.txt:3", "CERT127 STAS.txt:3"].sorted())
        // An incident dated before April 1 of the year's first calendar year does not count.
        let early = [try line("SINC", year: y, ["IncidentOccurrenceDate": "20240315"]), sinc[1]]
        XCTAssertEqual(
            try findings(["STAS": stas, "SIRS": sirs, "SINC": early], validate: "STAS", with: ["SIRS", "SINC"]),
            ["CERT127 STAS.txt:1", "CERT127 STAS.txt:3"])
    }

    /// `tally rules` shows one ID per rule with its years, and what each cross-file rule reads.
    func testTallyRulesListsTheRulesAndTheirYears() throws {
        let scratch = try Scratch()
        for (id, expected) in [
            ("STAS0318", "2019-20 on"), ("STAS0739", "2025-26 on"), ("STAS0740E1", "2025-26 on"), ("CERT046", "warning"),
            ("CERT047", "validate calpads CRSE with sass"), ("CERT048", "SDEM0684F2"), ("CERT054", "SDEM"),
            ("CERT127", "with sirs, sinc"), ("CERT128", "SENR with stas"), ("CERT129", "STAS with senr"), ("CRSE0130", "9.18 Class ID"),
        ] {
            let run = try ReliabilityTests.tally(["rules", id], in: scratch.url.path)
            XCTAssertEqual(run.exit, 0, id)
            XCTAssertTrue(run.output.hasPrefix(id + " — "), run.output)
            XCTAssertTrue(run.output.contains(expected), "\(id): \(run.output)")
        }
        let stas = try ReliabilityTests.tally(["rules", "STAS"], in: scratch.url.path).output
        XCTAssertEqual(stas.components(separatedBy: "STAS0318").count - 1, 1, "one STAS0318 row in every year:\n\(stas)")
    }

    /// `--plant rules` in the years RulePlantTests does not run: validate finds exactly the
    /// planted findings (with every file the cross-file rules read), and a clean district none.
    func testPlantedRulesAreFoundIn2023And2024() throws {
        let types = [
            "SENR", "SINF", "SPRG", "SELA", "STAS", "SCSE", "SCSC", "SDEM", "SASS", "CRSE", "CRSC", "SOFF", "SCTE", "SINC", "SIRS",
        ]
        for year in ["2023-2024", "2024-2025"] {
            for plant in [PlantMode.rules, .none] {
                let scratch = try Scratch()
                var options = SampleOptions()
                options.students = 1200
                options.seed = 11
                options.academicYear = year
                options.plant = plant
                let district = try DistrictGenerator.write(options, to: scratch.path("d"))
                var play = types.map { "load \($0.lowercased()) from \"d/\($0).txt\" as calpads \($0)" }.joined(separator: "\n") + "\n"
                for type in types {
                    play +=
                        "f_\(type.lowercased()) = \(type.lowercased()) | validate calpads \(type)\(RulePlantTests.with[type].map { " with \($0)" } ?? "")\n"
                }
                play +=
                    "all = " + types.map { "f_\($0.lowercased())" }.joined(separator: " | union ")
                    + "\nexport all to \"out/findings.csv\"\n"
                try scratch.write("v.playbook", play)
                let run = try ReliabilityTests.tally(["run", "v.playbook", "--no-store"], in: scratch.url.path)
                XCTAssertEqual(run.exit, 0, run.output)
                let table = try readCSV(scratch.read("out/findings.csv") ?? "") { $0.inferTypes = false }
                let (rules, files, lines) = (table.strings("rule"), table.strings("file"), table.strings("line"))
                let found = (0..<table.rowCount).map { "\(rules[$0] ?? "") \(files[$0] ?? "") \(lines[$0] ?? "")" }.sorted()
                let planted = district.plantedFindings.map { "\($0.rule) d/\($0.file) \($0.line)" }.sorted()
                XCTAssertEqual(found, planted, "\(year) \(plant)")
                if plant == .rules {
                    // CERT048 is SDEM0684F2 from 2024-25.
                    for id in [
                        "CERT046", "CERT047", year == "2023-2024" ? "CERT048" : "SDEM0684F2", "CERT054", "CERT127", "CERT128", "CERT129",
                        "CRSE0130", "STAS0318",
                    ] {
                        XCTAssertTrue(planted.contains { $0.hasPrefix(id + " ") }, "\(year): \(id) planted")
                    }
                }
            }
        }
    }
}
