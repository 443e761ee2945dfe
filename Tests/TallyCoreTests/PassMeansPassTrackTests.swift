import Foundation
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// A pass means pass: rerunning a tracked upload never rewrites its history (a submission is its
/// error report's bytes), daily monitoring finds yesterday when today's file is a `path`
/// parameter, and fatal errors CALPADS returned keep a run from "Ready to certify".
final class PassMeansPassTrackTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func tally(_ arguments: [String], in scratch: Scratch) throws -> (exit: Int32, output: String) {
        try ReliabilityTests.tally(arguments, in: scratch.url.path)
    }

    /// The bundled playbooks and their data, copied into the scratch folder.
    func copyPlaybooks(to scratch: Scratch) throws {
        try FileManager.default.copyItem(
            at: PassMeansPassTrackTests.repository.appendingPathComponent("playbooks"),
            to: scratch.url.appendingPathComponent("playbooks"))
    }

    /// The resubmission's parameters of resolve_errors.playbook, its data in `folder`.
    static func resubmission(_ folder: String) -> [String] {
        [
            "--param", "errors=\(folder)/ErrorReport_0.1_SENR_resubmission.csv", "--param",
            "rejected_records=\(folder)/SENR_rejected_resubmission.txt",
            "--param", "report_117=\(folder)/Report_1.17_resubmission.csv",
        ]
    }

    /// `tally errors`' counts line ("2 new, 6 still open, 12 resolved") and its JSON statuses.
    func errors(_ scratch: Scratch, store: String) throws -> (header: String, counts: String, statuses: [String]) {
        let text = try tally(["errors", "--store", store], in: scratch)
        XCTAssertEqual(text.exit, 0, text.output)
        let lines = text.output.split(separator: "\n").map(String.init)
        let json = try tally(["errors", "--store", store, "--json"], in: scratch)
        let histories = try JSONDecoder().decode([ErrorHistory].self, from: Data(json.output.utf8))
        let statuses = histories.flatMap { h in
            h.errors.map { "\($0.status.rawValue) \($0.error.errorCode) \($0.error.localRecordID ?? "") \($0.error.field ?? "")" }
        }
        return (lines.first ?? "", lines.count > 1 ? lines[1].trimmingCharacters(in: .whitespaces) : "", statuses.sorted())
    }

    /// The four runs of the issue: first upload, resubmission, resubmission again, first upload
    /// again. `tally errors` must say after the fourth exactly what it said after the second.
    func runFourTimes(
        _ scratch: Scratch, playbook: String, data: String
    ) throws -> (
        afterTwo: (header: String, counts: String, statuses: [String]),
        afterFour: (header: String, counts: String, statuses: [String]),
        outputs: [String]
    ) {
        let store = scratch.store
        var outputs: [String] = []
        func run(_ extra: [String]) throws {
            let r = try tally(["run", playbook, "--store", store] + extra, in: scratch)
            XCTAssertEqual(r.exit, 0, r.output)
            outputs.append(r.output)
        }
        try run([])
        try run(PassMeansPassTrackTests.resubmission(data))
        let afterTwo = try errors(scratch, store: store)
        try run(PassMeansPassTrackTests.resubmission(data))
        try run([])
        return (afterTwo, try errors(scratch, store: store), outputs)
    }

    func testRerunningTrackedUploadsLeavesTheCountsOfTheFirstTwoRunsOnTheBundledData() throws {
        let scratch = try Scratch()
        try copyPlaybooks(to: scratch)
        let (two, four, outputs) = try runFourTimes(scratch, playbook: "playbooks/resolve_errors.playbook", data: "playbooks/data")
        // The bundled returns: 51 errors (28 fatal, 23 SENR0028 warnings), then 35 of which 33 were there before.
        XCTAssertEqual(two.counts, "2 new, 33 still open, 18 resolved")
        XCTAssertEqual(four.counts, two.counts, "rerunning either upload changed the counts")
        XCTAssertEqual(four.statuses, two.statuses, "rerunning either upload changed an error's status")
        XCTAssertEqual(four.statuses.count, 53)
        // Which submission is latest, and from which runs.
        XCTAssertTrue(four.header.contains("2 submissions tracked by 4 runs: 1 (runs #1, #4), 2 (runs #2, #3)"), four.header)
        XCTAssertTrue(four.header.contains("latest: submission 2, error report SHA-256 "), four.header)
        XCTAssertTrue(four.header.contains("from runs #2, #3"), four.header)
        let resubmitted = try XCTUnwrap(Fingerprint.sha256(file: scratch.path("playbooks/data/ErrorReport_0.1_SENR_resubmission.csv")))
        XCTAssertTrue(four.header.contains(String(resubmitted.prefix(12))), "the latest submission is the resubmission's report")
        // Each rerun's cell says it is a submission already tracked, and shows it as it was.
        XCTAssertTrue(outputs[2].contains("35 errors in this submission: 2 new, 33 still open since run #1; 18 resolved"), outputs[2])
        XCTAssertTrue(outputs[2].contains("the same submission as run #2 (submission 2 of 2"), outputs[2])
        XCTAssertTrue(outputs[3].contains("51 errors in this submission, the first tracked for worklist in this playbook"), outputs[3])
        XCTAssertTrue(outputs[3].contains("the same submission as run #1 (submission 1 of 2"), outputs[3])
        XCTAssertTrue(outputs[3].contains("not the latest submission: run #2's is, and tally errors counts from it"), outputs[3])
    }

    /// The errors of a generated report, as `rule record field` keys (read with the real reader).
    func reportKeys(_ path: String) throws -> Set<String> {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let table = try CalpadsReturns.readErrors(InputFile(path: path, displayName: path, bytes: bytes, size: bytes.count), encoding: nil)
        return Set(Interpreter.trackedErrors(table).map(\.key))
    }

    func testRerunningTrackedUploadsOfAGeneratedDistrictKeepsItsCounts() throws {
        let scratch = try Scratch()
        let sample = try tally(["sample", "calpads", "--students", "5000", "--seed", "4", "--out", "d"], in: scratch)
        XCTAssertEqual(sample.exit, 0, sample.output)
        let playbook = try String(
            contentsOf: PassMeansPassTrackTests.repository.appendingPathComponent("playbooks/resolve_errors.playbook"), encoding: .utf8)
        try scratch.write("resolve.playbook", playbook.replacingOccurrences(of: "\"data/", with: "\"d/"))
        // What the counts must be, from the two reports themselves.
        let first = try reportKeys(scratch.path("d/ErrorReport_0.1_SENR.csv")),
            second = try reportKeys(scratch.path("d/ErrorReport_0.1_SENR_resubmission.csv"))
        let expected =
            "\(second.subtracting(first).count) new, \(second.intersection(first).count) still open, \(first.subtracting(second).count) resolved"
        XCTAssertEqual(expected, "25 new, 405 still open, 225 resolved", "the generated district's returns changed")
        let (two, four, _) = try runFourTimes(scratch, playbook: "resolve.playbook", data: "d")
        XCTAssertEqual(two.counts, expected)
        XCTAssertEqual(four.counts, expected, "rerunning either upload changed the counts")
        XCTAssertEqual(four.statuses, two.statuses)
        XCTAssertTrue(four.header.contains("2 submissions tracked by 4 runs"), four.header)
    }

    /// A report that carries its own upload date is ordered by it, not by when it was run: the
    /// later upload stays the latest even when the earlier one is tracked after it.
    func testSubmissionsAreOrderedByTheReportsOwnUploadDateWhenTheyHaveOne() throws {
        let scratch = try Scratch()
        let header =
            "Upload Date,SSID,Local Record ID,School of Attendance,Error Code,Error Description,Field Name,Field Value,Error Severity\n"
        try scratch.write(
            "early.csv",
            header + "10/01/2024,1000000001,R-1,0112345,SENR0018,Exit before start,Enrollment Exit Date,20240801,Fatal\n"
                + "10/01/2024,1000000002,R-2,0112345,GERR0002,Bad grade,Grade Level Code,K,Fatal\n")
        try scratch.write(
            "late.csv",
            header + "10/08/2024,1000000002,R-2,0112345,GERR0002,Bad grade,Grade Level Code,K,Fatal\n"
                + "10/08/2024,1000000003,R-3,0112345,SENR0022,Bad status,Student School Completion Status,,Fatal\n")
        try scratch.write(
            "t.playbook", "param errors: path = \"early.csv\"\nload reported from \"{errors}\" as calpads errors\ntrack reported\n")
        var options = scratch.options
        options.storePath = scratch.store
        options.params = ["errors": "late.csv"]
        XCTAssertEqual(Runner.run(path: scratch.path("t.playbook"), options: options).exitStatus, 0)
        options.params = ["errors": "early.csv"]
        let early = Runner.run(path: scratch.path("t.playbook"), options: options)
        let notes = early.cells.first { $0.kind == .track }?.notes ?? []
        XCTAssertTrue(notes.contains { $0.contains("submission 1 of 2 for reported") && $0.contains("dated 2024-10-01") }, "\(notes)")
        XCTAssertTrue(notes.contains { $0.contains("not the latest submission: run #1's is") }, "\(notes)")
        let history = try QAStore(path: scratch.store).errorHistory(playbook: early.playbookPath, name: "reported")
        XCTAssertEqual(history.submissions.map(\.runs), [[2], [1]], "the earlier upload comes first")
        XCTAssertEqual(history.submissions.map(\.submitted), ["d:2024-10-01", "d:2024-10-08"])
        let byStatus = Dictionary(grouping: history.errors, by: \.status).mapValues { $0.map { $0.error.localRecordID ?? "" }.sorted() }
        XCTAssertEqual(byStatus[.new], ["R-3"])
        XCTAssertEqual(byStatus[.open], ["R-2"])
        XCTAssertEqual(byStatus[.resolved], ["R-1"])
        let resolved = try XCTUnwrap(history.errors.first { $0.status == .resolved })
        XCTAssertEqual([resolved.firstSeen, resolved.lastSeen, resolved.resolvedIn], [2, 2, 1], "resolved by the later upload, run 1")
    }

    /// Runs tracked before submissions were kept (a store migrated from an earlier Tally): the
    /// migration links each run that loaded one error report to that report, so its reruns are
    /// one submission again; a run it cannot link is a submission of its own, in run order.
    func testRunsTrackedBeforeSubmissionsWereKeptAreASubmissionEach() throws {
        let scratch = try Scratch()
        try scratch.write(
            "a.csv",
            "SSID,Local Record ID,School of Attendance,Error Code,Error Description,Field Name,Field Value,Error Severity\n"
                + "1000000001,R-1,0112345,SENR0018,Exit before start,Enrollment Exit Date,20240801,Fatal\n")
        try scratch.write("t.playbook", "load reported from \"a.csv\" as calpads errors\ntrack reported\n")
        var options = scratch.options
        options.storePath = scratch.store
        var playbook = ""
        for _ in 0..<2 {
            let record = Runner.run(path: scratch.path("t.playbook"), options: options)
            XCTAssertEqual(record.exitStatus, 0)
            playbook = record.playbookPath
        }
        let store = try QAStore(path: scratch.store)
        XCTAssertEqual(try store.errorHistory(playbook: playbook, name: "reported").submissions.count, 1)
        try store.write { db in try db.execute(sql: "UPDATE tracked_run SET submission = NULL") }
        let history = try store.errorHistory(playbook: playbook, name: "reported")
        XCTAssertEqual(history.submissions.map(\.runs), [[1], [2]])
        XCTAssertEqual(history.errors.map(\.status), [.open])
        // The migration's link, run again on this store (on SQLite and PostgreSQL alike).
        let link = try XCTUnwrap(StoreMigrations.all.first { $0.identifier.hasPrefix("v5-track") }?.statements.last)
        try store.write { db in try db.execute(sql: link) }
        let linked = try store.errorHistory(playbook: playbook, name: "reported")
        XCTAssertEqual(linked.submissions.map(\.runs), [[1, 2]])
        XCTAssertEqual(linked.submissions.first?.report, Fingerprint.sha256(file: scratch.path("a.csv")))
        XCTAssertEqual(linked.errors.map(\.status), [.new])
    }

    // MARK: scope

    func testTheDefaultScopeLeavesOutWhereTheFileIsAndKeepsWhichData() throws {
        let playbook = try Parser.parse(
            source: """
                param senr_file: path = "a.txt"
                param stamp: text = "20241002"
                param lea: text = "A"
                param school: text = "1"
                param year: text = "2024"
                param region: text = "x"
                param day: date = @2024-10-02
                load senr from "{senr_file}" as calpads SENR
                load sis from "extracts/{lea}/sis_{stamp}.csv"
                load other from "by_year/{year}.csv"
                picked = sis | filter School == school
                export picked to "out/{region}/picked.csv"
                """, file: "p.playbook")
        let (scope, dates) = Interpreter.defaultScope(playbook)
        // lea names a folder; school is used in a filter; region in an export; year is a file name
        // only, so it says where the file is (scope (year) keeps it in).
        XCTAssertEqual(scope, ["lea", "school", "region"])
        XCTAssertEqual(dates, ["day"])
        let described = BaselineScope(
            playbook: "p",
            params: [
                "senr_file": "a", "stamp": "1", "lea": "A", "school": "1", "year": "2024", "region": "x",
                "day": "2024-10-02",
            ], dateParams: dates, inputs: [], scope: scope
        ).description
        XCTAssertEqual(
            described, "lea = A, region = x, school = 1; day ≤ 2024-10-02; senr_file, stamp, year left out: where the data is, not which")
    }

    /// The issue: `diff snapshot` with today's file as `--param senr_file=…` found "no earlier
    /// snapshot in this scope" every day. Through the real binary on the bundled example.
    func testDailyMonitoringShowsYesterdaysDifferencesWhenTodaysFileIsAPathParameter() throws {
        let scratch = try Scratch()
        try copyPlaybooks(to: scratch)
        let store = scratch.store
        func run(_ extra: [String]) throws -> String {
            let r = try tally(["run", "playbooks/daily_monitoring.playbook", "--store", store] + extra, in: scratch)
            XCTAssertEqual(r.exit, 0, r.output)
            return r.output
        }
        func changes(_ output: String) -> [String] {
            output.split(separator: "\n").compactMap { line -> String? in
                let words = line.split(separator: " ")
                guard words.count >= 3, ["added", "removed", "changed"].contains(words[0]), words[2].hasPrefix("ENR-") else { return nil }
                return "\(words[0]) \(words[2])"
            }.sorted()
        }
        let day1 = try run([])
        XCTAssertEqual(changes(day1), [])
        XCTAssertTrue(day1.contains("no baseline yet: no earlier snapshot in this scope (lea = 0161119; senr_file left out"), day1)
        let day2 = try run(["--param", "senr_file=playbooks/data/daily/SENR_2024-10-02.txt"])
        XCTAssertEqual(
            changes(day2), ["added ENR-000302", "added ENR-000303", "changed ENR-000005", "changed ENR-000010", "removed ENR-000020"], day2)
        XCTAssertTrue(day2.contains("2 added, 1 removed, 2 changed since snapshot \"senr\" of run 1 ("), day2)
        XCTAssertTrue(day2.contains("), scope: lea = 0161119; senr_file left out: where the data is, not which"), day2)
        XCTAssertTrue(day2.contains("GradeLevelCode: KN → 01"), day2)
        XCTAssertTrue(day2.contains("6 ok — against run 1 ("), day2)
        // Day 2 again is the same data: it compares with day 1 again, not with itself.
        let again = try run(["--param", "senr_file=playbooks/data/daily/SENR_2024-10-02.txt"])
        XCTAssertEqual(changes(again), changes(day2))
        XCTAssertTrue(again.contains("since snapshot \"senr\" of run 1 ("), again)
        // Another LEA is another scope.
        let other = try run(["--param", "senr_file=playbooks/data/daily/SENR_2024-10-02.txt", "--param", "lea=0999999"])
        XCTAssertTrue(other.contains("no baseline yet: no earlier snapshot in this scope (lea = 0999999"), other)
    }

    static let monitoring = """
        param lea: text = "A"
        load sis from "data/sis_{lea}.csv"
        changes = sis | diff snapshot "daily"
        show changes limit 50
        snapshot sis by SSID as "daily"
        """

    /// `scope (…)` names the parameters a baseline must share, on the diff or on the snapshot.
    func testAScopeClauseOverridesTheDefaultScope() throws {
        let scratch = try Scratch()
        try scratch.write("data/sis_A.csv", "SSID,Grade\n1000000001,03\n")
        try scratch.write("data/sis_B.csv", "SSID,Grade\n1000000002,04\n")
        var options = scratch.options
        options.storePath = scratch.store
        func diffNote(_ playbook: String, lea: String) throws -> String {
            try scratch.write("m.playbook", playbook)
            options.params = ["lea": lea]
            let record = Runner.run(path: scratch.path("m.playbook"), options: options)
            XCTAssertEqual(record.exitStatus, 0, record.errors.map(\.message).joined())
            return record.cells.first { $0.table == "changes" }?.steps.first?.notes.first ?? ""
        }
        // By default lea is only a file name, so B compares with A.
        _ = try diffNote(PassMeansPassTrackTests.monitoring, lea: "A")
        XCTAssertTrue(
            try diffNote(PassMeansPassTrackTests.monitoring, lea: "B").contains(
                "1 added, 1 removed, 0 changed since snapshot \"daily\" of run 1"))
        // scope (lea) on the diff: B's next day compares with B's last run, not A's.
        try scratch.write("data/sis_B.csv", "SSID,Grade\n1000000002,04\n1000000004,01\n")
        let onDiff = PassMeansPassTrackTests.monitoring.replacingOccurrences(
            of: "diff snapshot \"daily\"", with: "diff snapshot \"daily\" scope (lea)")
        let b = try diffNote(onDiff, lea: "B")
        XCTAssertTrue(b.contains("1 added, 0 removed, 0 changed since snapshot \"daily\" of run 2") && b.contains("scope: lea = B"), b)
        // scope (lea) on the snapshot is its diffs' default: A's next day compares with run 1, not run 3.
        try scratch.write("data/sis_A.csv", "SSID,Grade\n1000000001,04\n")
        let onSnapshot = PassMeansPassTrackTests.monitoring.replacingOccurrences(of: "as \"daily\"", with: "as \"daily\" scope (lea)")
        let a = try diffNote(onSnapshot, lea: "A")
        XCTAssertTrue(a.contains("0 added, 0 removed, 1 changed since snapshot \"daily\" of run 1") && a.contains("scope: lea = A"), a)
        // A scope naming no parameter is an error at its place, before anything runs.
        try scratch.write(
            "bad.playbook",
            PassMeansPassTrackTests.monitoring.replacingOccurrences(
                of: "diff snapshot \"daily\"", with: "diff snapshot \"daily\" scope (district)"))
        let bad = try tally(["run", "bad.playbook", "--store", scratch.store], in: scratch)
        XCTAssertEqual(bad.exit, 2, bad.output)
        XCTAssertTrue(bad.output.contains("bad.playbook:3:"), bad.output)
        XCTAssertTrue(bad.output.contains("scope names district, which is not a parameter of this playbook"), bad.output)
        // tally fmt keeps the clause, and it parses the same.
        let formatted = Formatter.format(onDiff)
        XCTAssertEqual(
            try Parser.parse(source: formatted, file: "m").statements.map(\.statement),
            try Parser.parse(source: onDiff, file: "m").statements.map(\.statement))
        XCTAssertTrue(formatted.contains("diff snapshot \"daily\" scope (lea)"))
    }

    // MARK: verdict

    func testFatalErrorsCALPADSReturnedKeepARunFromReadyToCertify() throws {
        let scratch = try Scratch()
        let header = "SSID,Local Record ID,School of Attendance,Error Code,Error Description,Field Name,Field Value,Error Severity\n"
        try scratch.write(
            "fatal.csv",
            header + "1000000001,R-1,0112345,SENR0018,Exit before start,Enrollment Exit Date,20240801,Fatal\n"
                + "1000000002,R-2,0112345,SENR0027,Overlap,Enrollment Start Date,20240801,Fatal\n"
                + "1000000003,R-3,0112345,SENR0100,Just a warning,Grade Level Code,05,Warning\n")
        try scratch.write("warnings.csv", header + "1000000003,R-3,0112345,SENR0100,Just a warning,Grade Level Code,05,Warning\n")
        try scratch.write(
            "t.playbook",
            """
            param errors: path = "fatal.csv"
            load reported from "{errors}" as calpads errors
            assert count(reported) < 10
              message "a handful of errors at most"
            """)
        func verdict(_ extra: [String], report: String) throws -> String {
            let r = try tally(["run", "t.playbook", "--no-store", "--report", report] + extra, in: scratch)
            XCTAssertEqual(r.exit, 0, r.output)
            return scratch.read("\(report)/report.md") ?? ""
        }
        let fatal = try verdict([], report: "r1")
        XCTAssertTrue(fatal.contains("## Not ready to certify: 1 blocking problem"), fatal)
        XCTAssertTrue(
            fatal.contains("1. [CALPADS returned fatal errors for this submission](#cell-1) — 2 fatal errors in reported (line 2)"), fatal)
        XCTAssertTrue(scratch.read("r1/report.html")?.contains("<p class=\"answer\">Not ready to certify: 1 blocking problem</p>") ?? false)
        // Warnings only: CALPADS accepted the records, and the playbook's checks decide.
        let warnings = try verdict(["--param", "errors=warnings.csv"], report: "r2")
        XCTAssertTrue(warnings.contains("## Ready to certify"), warnings)
        XCTAssertFalse(warnings.contains("CALPADS returned fatal errors"), warnings)
        // Tracked errors count too, and the bundled example names each table that holds them.
        try copyPlaybooks(to: scratch)
        let example = try tally(["run", "playbooks/resolve_errors.playbook", "--store", scratch.store, "--report", "r3"], in: scratch)
        XCTAssertEqual(example.exit, 0, example.output)
        let markdown = scratch.read("r3/report.md") ?? ""
        XCTAssertTrue(markdown.contains("## Not ready to certify: 1 blocking problem, 1 warning to review"), markdown)
        XCTAssertTrue(markdown.contains("— 28 fatal errors in reported; 28 in rejected; 28 in track worklist (line 18)"), markdown)
    }
}
