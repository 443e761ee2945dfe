import Foundation
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// "A pass means pass": the data a new user met on main that gave a wrong answer or a dead end —
/// a CSV without its header losing a student, findings without a school, expected counts that
/// could not come from CALPADS' report, the `tally new` template, a comma file loaded as CALPADS,
/// and error reports naming fields other than Tally's columns.
final class PassMeansPassDataTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let data = root.appendingPathComponent("playbooks/data")

    func bundled(_ name: String) throws -> String {
        try String(contentsOf: PassMeansPassDataTests.data.appendingPathComponent(name), encoding: .utf8)
    }

    @discardableResult
    func tally(_ arguments: [String], in scratch: Scratch) throws -> (exit: Int32, output: String) {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: MatrixTests.tally), "build tally first: swift build")
        return try ReliabilityTests.tally(arguments, in: scratch.url.path)
    }

    /// A scratch folder with the bundled data in `data/`.
    func withBundledData() throws -> Scratch {
        let scratch = try Scratch()
        try FileManager.default.copyItem(at: PassMeansPassDataTests.data, to: scratch.url.appendingPathComponent("data"))
        return scratch
    }

    /// The first-row error's message, or nil when the text reads with its first row as the header.
    func headerError(_ text: String, delimiter: UInt8 = UInt8(ascii: ","), headerGiven: Bool = false) -> Diagnostic? {
        var options = DelimitedOptions()
        options.delimiter = delimiter
        options.headerGiven = headerGiven
        do {
            _ = try DelimitedReader.read(InputFile(bytes: Array(text.utf8), displayName: "t.csv"), options: options)
            return nil
        } catch let d as Diagnostic {
            return d.message.contains("looks like data") ? d : nil
        } catch {
            return nil
        }
    }

    // MARK: a CSV without its header

    func testTheBundledSISExportWithoutItsHeaderIsAnErrorNotOneStudentShort() throws {
        let scratch = try Scratch()
        let sis = try bundled("sis_enrollment.csv")
        let body = sis.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().joined(separator: "\n")
        let students = body.split(separator: "\n").count
        try scratch.write("sis.csv", body)
        try scratch.write("p.playbook", "load sis from \"sis.csv\"\nassert count(sis) > 0\n")
        let run = try tally(["run", "p.playbook", "--no-store"], in: scratch)
        XCTAssertEqual(run.exit, 2, run.output)
        XCTAssertTrue(run.output.contains("sis.csv:1: error: the first row looks like data"), run.output)
        XCTAssertTrue(run.output.contains("with header false"), run.output)
        let check = try tally(["check", "p.playbook"], in: scratch)
        XCTAssertEqual(check.exit, 2, check.output)
        XCTAssertTrue(check.output.contains("sis.csv:1:"), check.output)
        // The fix the help gives reads every student.
        try scratch.write("q.playbook", "load sis from \"sis.csv\" with header false\nassert count(sis) == \(students)\n")
        let fixed = try tally(["run", "q.playbook", "--no-store"], in: scratch)
        XCTAssertEqual(fixed.exit, 0, fixed.output)
        // `header true` says the first row is the header even so.
        try scratch.write("r.playbook", "load sis from \"sis.csv\" with header true\nassert count(sis) == \(students - 1)\n")
        XCTAssertEqual(try tally(["run", "r.playbook", "--no-store"], in: scratch).exit, 0)
    }

    func testFirstRowsThatAreDataAreFlaggedWhicheverWayTheyAreRead() {
        let data = [
            // Most cells numbers, dates or IDs (the report: a name and an empty cell let it through).
            "1000000000,100000,0112345,11,08/14/2024,,Davis,Mateo,07/13/2007\n1000007919,100001,6001734,06,08/14/2024,,Lee,Ann,01/02/2010\n",
            // An empty cell beside a number.
            "1000000000,Garcia,,Lincoln\n1000000001,Lee,Ann,Lincoln\n",
            // Mostly words, but the ID repeats the next row's shape.
            "1000000000,Garcia,Maria,F,Lincoln Elementary,Y\n1000000001,Lee,Ann,M,Lincoln Elementary,N\n",
            "ENR-000005,Garcia,Maria,F\nENR-000006,Lee,Ann,M\n",
            // Every cell a number (as before).
            "1000000000,100000,0112345\n1000000001,100001,0112345\n",
        ]
        for text in data {
            XCTAssertNotNil(headerError(text), "unquoted: \(text)")
            // A quote anywhere takes the other parser.
            let quoted = text.replacingOccurrences(of: "Lee", with: "\"Lee, Jr.\"")
            XCTAssertNotNil(headerError(quoted), "quoted: \(quoted)")
            XCTAssertNotNil(headerError(text.replacingOccurrences(of: ",", with: "\t"), delimiter: 9), "tab: \(text)")
            XCTAssertNil(headerError(text, headerGiven: true), "header true trusts it: \(text)")
        }
        let error = headerError(data[0])
        XCTAssertEqual(error?.line, 1)
        XCTAssertEqual(error?.file, "t.csv")
        XCTAssertTrue(error?.help?.contains("with header false") == true)
    }

    func testRealHeadersAreNotFlagged() {
        let headers = [
            "SSID,School,Grade\n1000000000,0112345,KN\n",
            "School,Grade 12 Count,2024-25 Enrollment\n0112345,45,1200\n",
            "School,2023,2024,2025\nLincoln,512,498,530\n",
            "SchoolOfAttendance,01,02,03,KN,TK\n0112345,12,9,14,10,3\n",
            "SSID,School,Grade,\n1000000000,0112345,KN,\n",
            ",Name,Grade\n0,Ann,KN\n",
            "FY2024,FY2025\n512,530\n",
            "Student Name,SSID,Local Student ID,Local Record ID\n\"Le, Daniel\",1000023757,100003,ENR-000005\n",
            "SSID,Q1 Score,Q2 Score\n1000000000,3.5,4\n",
            "ID\n1000000000\n",
            "Name,Code1\nLee,A1\n",
            "c0,c1,c12345,c99999\n1,1,1,1\n",
        ]
        let layout = CalpadsLayouts.layouts(for: "SENR").last?.fields.map(\.name) ?? []
        XCTAssertFalse(layout.isEmpty)
        var all = headers
        all.append(layout.joined(separator: ",") + "\n" + layout.map { _ in "1" }.joined(separator: ",") + "\n")
        for text in all {
            XCTAssertNil(headerError(text), text)
            XCTAssertNil(headerError(text.replacingOccurrences(of: "\n1", with: "\n\"1\"")), "quoted: \(text)")
        }
    }

    /// Every CSV and TSV the project ships (playbooks/data, the golden cases, fixtures) that a
    /// playbook reads with a header keeps reading with one: only the headerless cases are flagged.
    func testNoBundledOrGoldenFileIsFlagged() throws {
        let root = PassMeansPassDataTests.root
        var files: [String] = []
        for folder in ["playbooks", "Tests/GoldenTests/Cases", "Tests/TallyCoreTests/Fixtures"] {
            let base = root.appendingPathComponent(folder)
            guard let walk = FileManager.default.enumerator(atPath: base.path) else { continue }
            for case let path as String in walk where (path.hasSuffix(".csv") || path.hasSuffix(".tsv")) && !path.contains("/expected/") {
                files.append(base.appendingPathComponent(path).path)
            }
        }
        XCTAssertGreaterThan(files.count, 50)
        var flagged: [String] = []
        for file in files {
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: file))).map { [UInt8]($0) } ?? []
            guard let text = String(bytes: bytes, encoding: .utf8) else { continue } // cp1252 and binary cases
            if headerError(text, delimiter: file.hasSuffix(".tsv") ? 9 : UInt8(ascii: ",")) != nil {
                flagged.append(file.replacingOccurrences(of: root.path + "/", with: ""))
            }
        }
        // A 0.1 error report without its header (read `as calpads errors`, which knows its columns) is data too.
        XCTAssertEqual(
            flagged.sorted(),
            [
                "Tests/GoldenTests/Cases/io/headerless_csv/students.csv",
                "Tests/GoldenTests/Cases/io/headerless_csv_trusted/years.csv",
                "Tests/GoldenTests/Cases/returns/error_report_no_header/errors.csv",
            ])
    }

    // MARK: findings carry the school and the local IDs

    func testFindingsHaveTheRecordsSchoolAndLocalIDsAfterTheirColumns() throws {
        let senr = try Loader.load(
            LoadRequest(
                table: "senr", path: PassMeansPassDataTests.data.appendingPathComponent("SENR.txt").path,
                displayPath: "SENR.txt", format: .calpads(layout: "SENR", year: nil, extract: false),
                options: IOOptions(), span: .none), progress: nil)
        let findings = try CalpadsValidator.validate(senr, type: "SENR", file: "p.playbook")
        XCTAssertEqual(findings.names, CalpadsValidator.findingColumns + ["SchoolOfAttendance", "LocalRecordID", "LocalStudentID"])
        XCTAssertEqual(
            Array(findings.names.prefix(9)), ["rule", "severity", "field", "value", "message", "file", "line", "SSID", "resolution"])
        XCTAssertGreaterThan(findings.rowCount, 5)
        // Each finding's values are its record's (found by line).
        let lines = senr.provenance.line
        for row in 0..<findings.rowCount {
            guard let line = findings.column("line")?.value(row), case .integer(let l) = line,
                let source = lines.firstIndex(of: Int32(l))
            else { return XCTFail("finding \(row) has no line") }
            for name in ["SchoolOfAttendance", "LocalRecordID", "LocalStudentID"] {
                XCTAssertEqual(findings.column(name)?.value(row), senr.column(name)?.value(source), "\(name) of finding \(row)")
            }
        }
    }

    /// Findings of every file have the same columns (they union into one worklist); a course
    /// file's school is its School of Course Delivery, a file without local IDs has them null.
    func testFindingsOfDifferentFilesUnionAndCourseFilesHaveTheirSchool() throws {
        let scratch = try Scratch()
        let cases = PassMeansPassDataTests.root.appendingPathComponent("Tests/GoldenTests/Cases/rules")
        try FileManager.default.copyItem(
            at: cases.appendingPathComponent("crse0122/CRSE.txt"), to: scratch.url.appendingPathComponent("CRSE.txt"))
        try FileManager.default.copyItem(
            at: PassMeansPassDataTests.data.appendingPathComponent("SENR.txt"), to: scratch.url.appendingPathComponent("SENR.txt"))
        try scratch.write(
            "u.playbook",
            """
            load crse from "CRSE.txt" as calpads CRSE
            load senr from "SENR.txt" as calpads SENR
            f_senr = senr | validate calpads SENR
            all = crse | validate calpads CRSE | union f_senr
            export all to "out/{SchoolOfAttendance}/findings.csv"
            """)
        let run = try tally(["run", "u.playbook", "--no-store"], in: scratch)
        XCTAssertEqual(run.exit, 0, run.output)
        let crse = try Loader.load(
            LoadRequest(
                table: "crse", path: scratch.path("CRSE.txt"), displayPath: "CRSE.txt",
                format: .calpads(layout: "CRSE", year: nil, extract: false), options: IOOptions(), span: .none), progress: nil)
        let findings = try CalpadsValidator.validate(crse, type: "CRSE", file: "u.playbook")
        XCTAssertGreaterThan(findings.rowCount, 0)
        for row in 0..<findings.rowCount {
            guard case .integer(let line) = findings.column("line")?.value(row) ?? .null,
                let source = crse.provenance.line.firstIndex(of: Int32(line))
            else { return XCTFail("finding \(row) has no line") }
            let school = try XCTUnwrap(crse.column("SchoolOfCourseDelivery")).value(source).display
            XCTAssertEqual(findings.column("SchoolOfAttendance")?.value(row).display, school)
            XCTAssertEqual(findings.column("LocalStudentID")?.value(row), .null)
            XCTAssertTrue(scratch.read("out/\(school)/findings.csv")?.contains("CRSE.txt") == true)
        }
    }

    /// The README's worklist per school, with the real binary on the bundled data.
    func testTheReadmeWorklistPerSchoolWorks() throws {
        let readme = try String(contentsOf: PassMeansPassDataTests.root.appendingPathComponent("README.md"), encoding: .utf8)
        let example = "export findings to \"out/{SchoolOfAttendance}/findings.csv\""
        XCTAssertTrue(readme.contains(example))
        let scratch = try withBundledData()
        try scratch.write(
            "w.playbook",
            """
            load senr from "data/SENR.txt" as calpads SENR
            load sinf from "data/SINF.txt" as calpads SINF
            findings = senr | validate calpads SENR with sinf
            \(example)
            """)
        let check = try tally(["check", "w.playbook"], in: scratch)
        XCTAssertEqual(check.exit, 0, check.output)
        let run = try tally(["run", "w.playbook", "--no-store"], in: scratch)
        XCTAssertEqual(run.exit, 0, run.output)
        let schools = try FileManager.default.contentsOfDirectory(atPath: scratch.path("out")).sorted()
        XCTAssertGreaterThanOrEqual(schools.count, 2, "\(schools)")
        var rows = 0
        for school in schools {
            let text = try XCTUnwrap(scratch.read("out/\(school)/findings.csv"))
            let table = try DelimitedReader.read(InputFile(bytes: Array(text.utf8), displayName: school), options: DelimitedOptions())
            XCTAssertEqual(Array(table.names.prefix(9)), CalpadsValidator.findingColumns)
            let column = try XCTUnwrap(table.column("SchoolOfAttendance"))
            for row in 0..<table.rowCount { XCTAssertEqual(column.value(row).display, school) }
            rows += table.rowCount
        }
        XCTAssertTrue(run.output.contains("(\(rows) rows)"), run.output)
    }

    /// The new columns are masked like the record's own: `mask LocalStudentID` hides them in findings.
    func testMaskedLocalIDsStayMaskedInFindings() throws {
        let scratch = try withBundledData()
        try scratch.write(
            "m.playbook",
            """
            mask LocalStudentID
            load senr from "data/SENR.txt" as calpads SENR
            findings = senr | validate calpads SENR
            show findings columns rule, LocalStudentID limit 100
            """)
        let run = try tally(["run", "m.playbook", "--no-store"], in: scratch)
        XCTAssertEqual(run.exit, 0, run.output)
        let senr = try Loader.load(
            LoadRequest(
                table: "senr", path: scratch.path("data/SENR.txt"), displayPath: "SENR.txt",
                format: .calpads(layout: "SENR", year: nil, extract: false), options: IOOptions(), span: .none), progress: nil)
        let findings = try CalpadsValidator.validate(senr, type: "SENR", file: "m.playbook")
        let ids = Set((0..<findings.rowCount).compactMap { findings.column("LocalStudentID")?.value($0).display })
        XCTAssertFalse(ids.isEmpty)
        for id in ids {
            XCTAssertNil(run.output.range(of: "\\b\(id)\\b", options: .regularExpression), "\(id) shown in clear")
        }
        XCTAssertTrue(run.output.contains("#"), run.output)
    }

    // MARK: expected counts from CALPADS' own report

    /// Report 1.17's rows read straight from the file: (school, grade) → Total Enrollment.
    func reportCounts(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        var header: [String]? = nil
        for line in text.split(whereSeparator: \.isNewline) {
            let cells = CalpadsReturns.splitCSV(ArraySlice(Array(line.utf8)))
            if header == nil { if cells.contains("Total Enrollment") { header = cells }; continue }
            guard let h = header, let s = h.firstIndex(of: "School Code"), let g = h.firstIndex(of: "Grade"),
                let t = h.firstIndex(of: "Total Enrollment"), cells.count == h.count, !cells[s].hasPrefix("Total"),
                !cells[g].hasPrefix("Total")
            else { continue }
            out[cells[s] + " " + cells[g]] = cells[t]
        }
        return out
    }

    func testExpectedCountsImportFromTheCalpadsReportByItsTitleOrFormat() throws {
        let scratch = try withBundledData()
        for (file, format) in [
            ("Report_1.17.csv", nil), ("Report_1.17_resubmission.csv", "calpads report \"1.17\""),
            ("Report_1.17.csv", "as calpads report \"1.17\""),
        ] {
            let counts = reportCounts(try bundled(file))
            XCTAssertGreaterThan(counts.count, 10)
            var arguments = [
                "expected", "import", "data/\(file)", "--name", "fall1/upc", "--keys", "SchoolOfAttendance,GradeLevelCode",
                "--value", "TotalEnrollment", "--store", "s.sqlite",
            ]
            if let format { arguments += ["--format", format] }
            let imported = try tally(arguments, in: scratch)
            XCTAssertEqual(imported.exit, 0, imported.output)
            XCTAssertTrue(imported.output.contains("\(counts.count) values"), imported.output)
            let shown = try tally(["expected", "show", "fall1/upc", "--store", "s.sqlite"], in: scratch)
            var seen: [String: String] = [:]
            for line in shown.output.split(separator: "\n") {
                let parts = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
                if parts.count == 3, parts[0].count == 7, parts[0].allSatisfy(\.isNumber) { seen[parts[0] + " " + parts[1]] = parts[2] }
            }
            XCTAssertEqual(seen, counts, "\(file) \(format ?? "")")
        }
        // Other forms of `as`, and a wrong one.
        try scratch.write("counts.txt", "School^Grade^n\n0112345^KN^12\n0112345^01^9\n")
        let caret = try tally(
            [
                "expected", "import", "counts.txt", "--format", "delimited \"^\"", "--name", "c", "--keys", "School,Grade",
                "--value", "n", "--store", "s.sqlite",
            ], in: scratch)
        XCTAssertEqual(caret.exit, 0, caret.output)
        XCTAssertTrue(caret.output.contains("2 values"), caret.output)
        let bad = try tally(
            [
                "expected", "import", "counts.txt", "--format", "calpads report \"9.9\"", "--name", "c", "--keys", "School",
                "--value", "n", "--store", "s.sqlite",
            ], in: scratch)
        XCTAssertEqual(bad.exit, 2, bad.output)
        XCTAssertTrue(bad.output.contains("counts.txt") && bad.output.contains("--format"), bad.output)
        // A plain CSV still reads as CSV, keys as text.
        try scratch.write("plain.csv", "SchoolOfAttendance,GradeLevelCode,students\n0112345,01,9\n")
        let plain = try tally(
            [
                "expected", "import", "plain.csv", "--name", "p", "--keys", "SchoolOfAttendance,GradeLevelCode",
                "--value", "students", "--store", "s.sqlite",
            ], in: scratch)
        XCTAssertEqual(plain.exit, 0, plain.output)
        XCTAssertTrue(try tally(["expected", "show", "p", "--store", "s.sqlite"], in: scratch).output.contains("0112345             01"))
    }

    // MARK: the `tally new` template

    func testEveryStatementOfTheNewTemplateChecksAndRunsWhenUncommented() throws {
        let scratch = try withBundledData()
        XCTAssertEqual(try tally(["new", "census"], in: scratch).exit, 0)
        let template = try XCTUnwrap(scratch.read("census.playbook"))
        let commented = template.split(separator: "\n", omittingEmptySubsequences: false).filter { $0.hasPrefix("# ") }
        XCTAssertGreaterThanOrEqual(commented.count, 15)
        let uncommented = template.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("# ") ? String($0.dropFirst(2)) : String($0) }.joined(separator: "\n")
        try scratch.write("census.playbook", uncommented)
        // The compare needs the expected set the template names.
        let imported = try tally(
            [
                "expected", "import", "data/Report_1.17.csv", "--name", "fall1/census", "--keys",
                "SchoolOfAttendance,GradeLevelCode", "--value", "TotalEnrollment", "--store", "s.sqlite",
            ], in: scratch)
        XCTAssertEqual(imported.exit, 0, imported.output)
        let check = try tally(["check", "census.playbook", "--store", "s.sqlite"], in: scratch)
        XCTAssertEqual(check.exit, 0, check.output)
        let run = try tally(["run", "census.playbook", "--store", "s.sqlite"], in: scratch)
        XCTAssertTrue(run.exit == 0 || run.exit == 1, "exit \(run.exit): \(run.output)")
        XCTAssertTrue(run.output.contains("3 run"), run.output)
        XCTAssertNotNil(scratch.read("out/census_counts.csv"))
    }

    // MARK: a comma file loaded as CALPADS

    func testACommaFileLoadedAsCalpadsIsAnErrorInCheckAndRun() throws {
        let scratch = try Scratch()
        let layout = try XCTUnwrap(CalpadsLayouts.layouts(for: "SENR").last).fields.map(\.name)
        try scratch.write(
            "senr.csv",
            layout.joined(separator: ",") + "\n" + layout.map { $0 == "RecordTypeCode" ? "SENR" : "" }.joined(separator: ",") + "\n")
        try scratch.write("p.playbook", "load senr from \"senr.csv\" as calpads SENR\nassert count(senr) > 0\n")
        for command in [["check", "p.playbook"], ["run", "p.playbook", "--no-store"]] {
            let result = try tally(command, in: scratch)
            XCTAssertEqual(result.exit, 2, result.output)
            XCTAssertTrue(result.output.contains("senr.csv:1: error: this is a comma-separated file with a header row"), result.output)
            XCTAssertTrue(result.output.contains("load it as csv"), result.output)
        }
        // Without a header, and tab-separated, it says so too; a caret file still loads.
        try scratch.write("senr.csv", "SENR,,ENR-000001,0161119,0112345\n")
        XCTAssertTrue(try tally(["check", "p.playbook"], in: scratch).output.contains("comma-separated file, not a CALPADS file"))
        try scratch.write("senr.csv", "SENR\t\tENR-000001\t0161119\t0112345\n")
        XCTAssertTrue(try tally(["check", "p.playbook"], in: scratch).output.contains("load it as tsv"))
        try FileManager.default.copyItem(
            atPath: PassMeansPassDataTests.data.appendingPathComponent("SENR.txt").path, toPath: scratch.path("SENR.txt"))
        try scratch.write("q.playbook", "load senr from \"SENR.txt\" as calpads SENR\nassert count(senr) > 0\n")
        XCTAssertEqual(try tally(["check", "q.playbook"], in: scratch).exit, 0)
    }

    // MARK: error reports name Tally's columns

    func testErrorReportsNameFieldsAsTallysColumns() throws {
        let columns = Set(CalpadsLayouts.layouts(for: "SENR").flatMap { $0.fields.map(\.name) })
        func fieldNames(_ file: String, _ format: FormatSpec) throws -> [String] {
            let table = try Loader.load(
                LoadRequest(
                    table: "e", path: PassMeansPassDataTests.data.appendingPathComponent(file).path, displayPath: file,
                    format: format, options: IOOptions(), span: .none), progress: nil)
            let column = try XCTUnwrap(table.column("FieldName"))
            return (0..<table.rowCount).map { column.value($0).display }
        }
        for (file, format) in [
            ("ErrorReport_0.1_SENR.csv", FormatSpec.calpadsErrors), ("ErrorReport_0.1_SENR_resubmission.csv", .calpadsErrors),
            ("SENR_rejected.txt", .calpadsRejected(layout: "SENR", year: nil)),
        ] {
            let names = try fieldNames(file, format)
            XCTAssertFalse(names.isEmpty)
            // The report says "Enrollment Start Date"; Tally's column is EnrollmentSchoolStartDate.
            for name in names where !name.isEmpty { XCTAssertTrue(columns.contains(name), "\(file): \(name) is not a SENR column") }
        }
        XCTAssertTrue(try fieldNames("ErrorReport_0.1_SENR.csv", .calpadsErrors).contains("EnrollmentSchoolStartDate"))
        XCTAssertEqual(CalpadsReturns.fieldColumn("Enrollment Exit Date"), "EnrollmentSchoolExitDate")
        XCTAssertEqual(CalpadsReturns.fieldColumn("Grade Level Code"), "GradeLevelCode")
        // Too short to say which field: kept as written.
        XCTAssertEqual(CalpadsReturns.fieldColumn("Start Date"), "StartDate")
    }
}
