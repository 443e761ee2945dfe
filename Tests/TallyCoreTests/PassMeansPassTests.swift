import Foundation
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// Outcomes that must say what really happened: a preview writes nothing, and suppression that
/// did not apply to a file is stated where the file is named.
final class PassMeansPassTests: XCTestCase {
    func run(_ scratch: Scratch, _ playbook: String, _ configure: (inout RunOptions) -> Void = { _ in }) throws -> RunRecord {
        try scratch.write("p.playbook", playbook)
        var options = scratch.options
        configure(&options)
        return Runner.run(path: scratch.path("p.playbook"), options: options)
    }

    /// `tally watch` reruns are previews: a half-edited playbook never replaces a worklist.
    func testAPreviewWritesNoExport() throws {
        let scratch = try Scratch()
        try scratch.write("in.csv", "School,SSID\nA,1\nB,2\n")
        try scratch.write("out/A/list.csv", "earlier\n")
        let record = try run(scratch, "load t from \"in.csv\"\nexport t to \"out/{School}/list.csv\"\n") { $0.writeExports = false }
        XCTAssertEqual(record.exitStatus, 0, "\(record.errors)")
        XCTAssertEqual(scratch.read("out/A/list.csv"), "earlier\n")
        XCTAssertNil(scratch.read("out/B/list.csv"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path("out/A")), ["list.csv"], "nothing staged left")
        XCTAssertTrue(
            record.cells.last?.notes.contains("preview: not written (tally run writes it)") ?? false, "\(record.cells.last?.notes ?? [])")
        // The same playbook run for real writes both.
        let real = try run(scratch, "load t from \"in.csv\"\nexport t to \"out/{School}/list.csv\"\n")
        XCTAssertEqual(real.exitStatus, 0)
        XCTAssertEqual(scratch.read("out/B/list.csv"), "School,SSID\nB,2\n")
    }

    /// With --suppress-below, a plain CSV export of counts keeps its small counts (it is a data
    /// file) and the cell and the report's exports say so; `with masked` suppresses them.
    func testSuppressionThatDoesNotApplyIsStated() throws {
        let scratch = try Scratch()
        try scratch.write("in.csv", "School,SSID\nA,1\nA,2\nB,3\n")
        let playbook =
            "load t from \"in.csv\"\nc = t | aggregate n = count() by School\nexport c to \"c.csv\"\nexport c to \"m.csv\" with masked\n"
        let record = try run(scratch, playbook) { $0.suppressBelow = 11 }
        XCTAssertEqual(record.exitStatus, 0, "\(record.errors)")
        XCTAssertEqual(scratch.read("c.csv"), "School,n\nA,2\nB,1\n")
        XCTAssertEqual(scratch.read("m.csv"), "School,n\nA,*\nB,*\n")
        let plain = try XCTUnwrap(record.exports.first)
        XCTAssertEqual(
            plain.privacy, "not masked (a data file; add with masked to mask it): 2 counts below 11 written in clear (add with masked)")
        XCTAssertTrue(record.cells[2].notes.contains(plain.privacy ?? "-"))
        let markdown = try ReportRenderer.render(ReportRecord(record), options: ReportOptions()).markdown
        XCTAssertTrue(markdown.contains("2 counts below 11 written in clear"), markdown)
        // Without suppression nothing is said.
        let quiet = try run(scratch, playbook)
        XCTAssertNil(quiet.exports.first?.privacy)
    }

    /// A partial run never ends with the words of a full pass: its last line, the JSON and the
    /// JUnit say which checks did not run.
    func testAPartialRunSaysSo() throws {
        let scratch = try Scratch()
        try scratch.write("in.csv", "School,SSID\nA,1\nA,1\n")
        let playbook =
            "load t from \"in.csv\"\ncounts = t | aggregate n = count() by School\nassert t unique by SSID\nassert counts: n > 0\n"
        let partial = try run(scratch, playbook) { $0.only = "counts" }
        XCTAssertEqual(partial.exitStatus, 0)
        let terminal = TerminalReport(color: false, timings: false).render(partial)
        XCTAssertTrue(terminal.hasSuffix("  exit 0: no check ran (2 not run: --only counts)\n"), terminal)
        XCTAssertFalse(terminal.contains("all error-severity checks passed"))
        let json = MachineOutput.json(ReportRecord(partial))
        XCTAssertTrue(json.contains("\"partial\" : \"--only counts\""), json)
        XCTAssertTrue(json.contains("\"checksNotRun\" : 2"), json)
        let junit = MachineOutput.junit(ReportRecord(partial))
        XCTAssertTrue(junit.contains("skipped=\"2\""), junit)
        XCTAssertTrue(junit.contains("<property name=\"partial\" value=\"--only counts\"/>"), junit)
        // Up to the second check: one ran and passed.
        let until = try run(scratch, playbook.replacingOccurrences(of: "assert t unique by SSID\n", with: "")) { $0.until = "3" }
        XCTAssertTrue(
            TerminalReport(color: false, timings: false).render(until).hasSuffix(
                "  exit 0: the 1 check that ran passed (0 not run: --until 3)\n"))
        // The whole run fails on the duplicate.
        let whole = try run(scratch, playbook)
        XCTAssertEqual(whole.exitStatus, 1)
        XCTAssertTrue(TerminalReport(color: false, timings: false).render(whole).hasSuffix("  exit 1: an error-severity check failed\n"))
    }

    /// `--only` with a name no cell makes suggests the one meant.
    func testOnlySuggestsTheTableMeant() throws {
        let scratch = try Scratch()
        try scratch.write("in.csv", "School,SSID\nA,1\n")
        let record = try run(scratch, "load t from \"in.csv\"\nmissing_demographics = t | filter SSID == \"2\"\n") { $0.only = "missing" }
        XCTAssertEqual(record.exitStatus, 2)
        XCTAssertEqual(record.errors.first?.help, "did you mean \"missing_demographics\"?")
    }

    /// `== null` kept 0 rows and every check on the result passed: now refused at check time
    /// with the fix, as are `!=`, `<>`, `=`, ordering with null and null in a list.
    func testComparingWithNullIsRefusedWithTheFix() throws {
        let scratch = try Scratch()
        try scratch.write("in.csv", "SSID,ExitDate\n1,\n1,\n2,2024-06-01\n")
        let cases = [
            ("ExitDate == null", "write: ExitDate is null"), ("ExitDate != null", "write: ExitDate is not null"),
            ("null == ExitDate", "write: ExitDate is null"), ("ExitDate <> null", "write: ExitDate is not null"),
            ("ExitDate = null", "write: ExitDate is null"), ("ExitDate > null", "write: ExitDate is null (or is not null)"),
            ("ExitDate between @2024-01-01 and null", "write: ExitDate is null (or is not null)"),
            ("SSID in (\"1\", null)", "leave null out and add: or SSID is null"),
            ("SSID not in (\"1\", null)", "leave null out and add: and SSID is not null"),
        ]
        for (condition, help) in cases {
            let record = try run(scratch, "load t from \"in.csv\"\nopen = t | filter \(condition)\nassert open unique by SSID\n")
            XCTAssertEqual(record.exitStatus, 2, condition)
            XCTAssertEqual(record.errors.first?.help, help, condition)
            XCTAssertEqual(record.errors.first?.line, 2, condition)
            XCTAssertTrue(record.errors.first?.message.contains("never") ?? false, "\(condition): \(record.errors)")
        }
        // The fix finds the duplicate open record.
        let fixed = try run(scratch, "load t from \"in.csv\"\nopen = t | filter ExitDate is null\nassert open unique by SSID\n")
        XCTAssertEqual(fixed.exitStatus, 1)
    }

    /// Grade codes are text: `> "05"` counted KN and TK as above grade 5, and the help for `> 5`
    /// led there. Now a warning names grade_order, which orders them as grades.
    func testGradeCodesOrderAsGradesOnPurpose() throws {
        let scratch = try Scratch()
        try scratch.write("in.csv", "SSID,GradeLevelCode\n1,KN\n2,TK\n3,06\n4,05\n5,12\n")
        let text = try run(scratch, "load t from \"in.csv\"\nabove = t | filter GradeLevelCode > \"05\"\nassert count(above) == 2\n")
        XCTAssertEqual(text.checkWarnings.count, 1)
        XCTAssertEqual(text.checkWarnings.first?.line, 2)
        XCTAssertTrue(text.checkWarnings.first?.help?.contains("grade_order(GradeLevelCode)") ?? false)
        XCTAssertEqual(text.exitStatus, 1, "as text KN and TK are above 05: 4 rows, not 2")
        let ordered = try run(
            scratch, "load t from \"in.csv\"\nabove = t | filter grade_order(GradeLevelCode) > 5\nassert count(above) == 2\n")
        XCTAssertEqual(ordered.exitStatus, 0, "\(ordered.errors)")
        XCTAssertEqual(ordered.checkWarnings.count, 0)
        // The help for a number compared with a grade column names grade_order.
        let help = try run(scratch, "load t from \"in.csv\"\nabove = t | filter GradeLevelCode > 5\n")
        XCTAssertTrue(help.errors.first?.help?.contains("grade_order(GradeLevelCode) > 5") ?? false, "\(help.errors)")
        // An open pivot across grades orders its columns as grades.
        let pivot = try run(scratch, "load t from \"in.csv\"\np = t | pivot values count() by SSID across GradeLevelCode\nshow p\n")
        XCTAssertEqual(pivot.cells.last?.preview?.columns, ["SSID", "TK", "KN", "05", "06", "12"])
        // number() and integer() read text as numbers on purpose; derive says how many were not.
        let numbers = try run(scratch, "load t from \"in.csv\"\nn = t | derive g = integer(GradeLevelCode)\nshow n\n")
        let derive = try XCTUnwrap(numbers.cells[1].steps.first)
        XCTAssertEqual(TerminalReport.stepDetail(derive), "warning: g: 2 values of GradeLevelCode not an integer became null")
        // sort and max on grades warn too; tally check shows the warnings and still passes.
        let checked = Runner.check(path: scratch.path("p.playbook"), options: scratch.options)
        XCTAssertTrue(checked.diagnostics.isEmpty)
        try scratch.write(
            "p.playbook", "load t from \"in.csv\"\ns = t | sort GradeLevelCode\nm = t | aggregate top = max(GradeLevelCode) by SSID\n")
        let warned = Runner.check(path: scratch.path("p.playbook"), options: scratch.options)
        XCTAssertEqual(warned.plan?.warnings.map(\.line), [2, 3])
    }

    /// The first things a new user types from SQL, pandas, C or Python get help, not a bare error.
    func testHabitsFromOtherLanguagesGetHelp() throws {
        let scratch = try Scratch()
        try scratch.write("in.csv", "SSID,Grade\n1,KN\n2,01\n")
        let cases: [(String, String)] = [
            ("SELECT * FROM t", "a playbook is not SQL: write NAME = TABLE | filter CONDITION | select COLUMN, ..."),
            ("WHERE Grade == \"KN\"", "to keep some rows: NAME = TABLE | filter CONDITION"),
            ("GROUP BY Grade", "to count by a column: NAME = TABLE | aggregate n = count() by COLUMN"),
            ("x = t | group by Grade", "to count or sum by a column, write: aggregate n = count() by COLUMN, ..."),
            ("x = t | aggregate n = count() Grade", "did you forget by? … by Grade"),
            ("// a comment", "a comment starts with #: # like this"),
            ("x = t | select *", "to keep every column, leave select out; to leave some out, write: drop COLUMN, ..."),
            ("x = t | derive p = 2 % 3", "a remainder is not a playbook operation; to test divisibility, compare round(x / n) * n == x"),
            ("x = t | filter True", "true and false are written in lower case: true"),
            (
                "x = df[df.Grade == \"KN\"]",
                "a playbook is not pandas: filter rows with | filter CONDITION, pick columns with | select A, B"
            ),
        ]
        for (line, help) in cases {
            try scratch.write("p.playbook", "load t from \"in.csv\"\n\(line)\n")
            let checked = Runner.check(path: scratch.path("p.playbook"), options: scratch.options)
            XCTAssertEqual(checked.diagnostics.first?.help, help, "\(line): \(checked.diagnostics)")
            XCTAssertEqual(checked.diagnostics.first?.line, 2, line)
        }
    }

    /// `== "kn"` where the file says "KN" kept no row silently; the cell now says so.
    func testALiteralThatDiffersOnlyByCaseIsSaid() throws {
        let scratch = try Scratch()
        try scratch.write("in.csv", "SSID,Grade\n1,KN\n2,KN\n3,01\n")
        let record = try run(scratch, "load t from \"in.csv\"\nk = t | filter Grade == \"kn\" or Grade in (\"02\", \" 01\")\n")
        let step = try XCTUnwrap(record.cells[1].steps.first)
        XCTAssertEqual(step.rowsOut, 0)
        XCTAssertEqual(
            step.notes,
            [
                "warning: no Grade is \"kn\", but 2 rows hold it in another case or with spaces",
                "warning: no Grade is \" 01\", but 1 row holds it in another case or with spaces",
            ])
        XCTAssertTrue(TerminalReport.stepDetail(step).contains("warning: no Grade is \"kn\""))
        let fine = try run(scratch, "load t from \"in.csv\"\nk = t | filter Grade == \"KN\" or Grade == \"05\"\n")
        XCTAssertEqual(fine.cells[1].steps.first?.notes, [])
    }

    /// A `mask` statement after the statement that stopped the run still masks its error.
    func testAMaskAfterTheStatementThatStoppedStillMasksItsError() throws {
        let scratch = try Scratch()
        try scratch.write("in.csv", "SSID,School\n1000000001,A\n1000000001,B\n")
        try scratch.write("p.playbook", "load t from \"in.csv\"\nsnapshot t by SSID as \"s\"\nmask SSID\n")
        let (exit, output) = try ReliabilityTests.tally(["run", "p.playbook", "--no-color"], in: scratch.url.path)
        XCTAssertEqual(exit, 2, output)
        XCTAssertTrue(output.contains("needs one row per SSID"), output)
        XCTAssertFalse(output.contains("1000000001"), output)
    }

    /// Errors tracked before field labels were read as Tally's columns ("Enrollment Start Date")
    /// keep their identity: the next submission does not show them as resolved and new.
    func testErrorsTrackedWithAnOlderFieldLabelKeepTheirIdentity() throws {
        let playbooks = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("playbooks").path
        let scratch = try Scratch()
        let resubmission = [
            "--param", "errors=data/ErrorReport_0.1_SENR_resubmission.csv",
            "--param", "rejected_records=data/SENR_rejected_resubmission.txt",
            "--param", "report_117=data/Report_1.17_resubmission.csv",
        ]
        var listings: [String] = []
        for old in [false, true] {
            let store = scratch.path(old ? "old.sqlite" : "new.sqlite")
            _ = try ReliabilityTests.tally(["run", "resolve_errors.playbook", "--store", store, "--no-cache"], in: playbooks)
            if old {
                // As an earlier Tally kept them: the report's own labels, in the field and the key.
                try BadInputCorpusTests.sqlite(
                    store,
                    "UPDATE tracked_error SET field = 'Enrollment Start Date', error_key = replace(error_key, 'EnrollmentSchoolStartDate', 'Enrollment Start Date') WHERE field = 'EnrollmentSchoolStartDate'"
                )
                try BadInputCorpusTests.sqlite(
                    store,
                    "UPDATE tracked_error SET field = 'Enrollment Exit Date', error_key = replace(error_key, 'EnrollmentSchoolExitDate', 'Enrollment Exit Date') WHERE field = 'EnrollmentSchoolExitDate'"
                )
            }
            _ = try ReliabilityTests.tally(
                ["run", "resolve_errors.playbook", "--store", store, "--no-cache"] + resubmission, in: playbooks)
            let listing = try ReliabilityTests.tally(["errors", "--store", store], in: playbooks).output
            listings.append(listing.split(separator: "\n").dropFirst().joined(separator: "\n"))
        }
        XCTAssertTrue(listings[0].contains("2 new, 33 still open, 18 resolved"), listings[0])
        XCTAssertEqual(listings[1], listings[0])
    }
}
