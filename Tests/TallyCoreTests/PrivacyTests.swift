import Foundation
import XCTest
import ZIPFoundation

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// Masking follows values into every output, matches whole words only, is keyed by a secret of
/// the store, and suppression hides what could give a small count away.
final class PrivacyTests: XCTestCase {
    static let students = """
        SSID,LastName,FirstName,School,Grade
        1000000001,Lopez,Ana,0112345,03
        1000000002,Nguyen,Mia,0112345,03
        1000000003,Okafor,Ethan,0112345,04
        1000000003,Okafor,Ethan,6001734,04
        1000000005,Baptiste,Noor,6001734,05

        """
    static let ssids = ["1000000001", "1000000002", "1000000003", "1000000005"]
    static let names = ["Lopez", "Nguyen", "Okafor", "Baptiste", "Ana", "Mia", "Ethan", "Noor"]

    /// Every place a value can travel: renamed, derived, aggregated as a key, joined, compared by,
    /// diffed against a snapshot, quoted in a check's detail and in the failing rows.
    static let playbook = """
        playbook "Privacy"
        ## Analysis of the roster. Ana's name here is the author's narrative and stays as written.
        load students from "students.csv"
        load other from "students.csv"
        renamed = students | select SSID as StudentID, Grade
        show renamed
        named = students | derive full = concat(LastName, ", ", FirstName) | select full, School
        show named
        per_student = students | aggregate n = count(), first_name = min(FirstName) by SSID
        show per_student
        joined = students | join inner other on SSID, School
        show joined
        changes = students | diff snapshot "roster"
        show changes
        snapshot students by SSID, School as "roster"
        compare per_student.n with per_student.n by SSID as self_check
        assert students unique by SSID
        assert renamed: Grade != "04"
        assert max(students.LastName) == "Zed"
        """

    func run(_ scratch: Scratch, students: String = PrivacyTests.students) throws -> RunRecord {
        try scratch.write("students.csv", students)
        try scratch.write("privacy.playbook", PrivacyTests.playbook)
        var options = scratch.options
        options.storePath = scratch.path(".tally/tally.sqlite")
        return Runner.run(path: scratch.path("privacy.playbook"), options: options)
    }

    /// The terminal, HTML, Markdown, JSON and JUnit of a run under a privacy setting.
    func outputs(_ record: RunRecord, _ privacy: ReportPrivacy) throws -> [String: String] {
        let report = ReportRecord(record)
        var options = ReportOptions()
        options.privacy = privacy
        let (html, markdown) = try ReportRenderer.render(report, options: options)
        let masked = privacy.apply(report)
        return [
            "terminal": TerminalReport(color: false, timings: false).render(privacy.apply(record)),
            "html": html, "markdown": markdown, "json": MachineOutput.json(masked), "junit": MachineOutput.junit(masked),
        ]
    }

    static func containsWord(_ text: String, _ word: String) -> Bool {
        var rest = Substring(text)
        while let range = rest.range(of: word) {
            let before = range.lowerBound > rest.startIndex ? rest[rest.index(before: range.lowerBound)] : nil
            let after = range.upperBound < rest.endIndex ? rest[range.upperBound] : nil
            if !(before.map(ReportPrivacy.isWordCharacter) ?? false), !(after.map(ReportPrivacy.isWordCharacter) ?? false) { return true }
            rest = rest[range.upperBound...]
        }
        return false
    }

    func testMaskedValuesAppearInNoOutputWhereverTheyTravel() throws {
        let scratch = try Scratch()
        _ = try run(scratch)
        // Day two: a last name changes, so the snapshot diff has a change of a masked column.
        let record = try run(scratch, students: PrivacyTests.students.replacingOccurrences(of: "Nguyen", with: "Tran"))
        XCTAssertEqual(record.exitStatus, 1, record.errors.map(\.message).joined())
        let privacy = ReportPrivacy(masks: ["SSID", "LastName", "FirstName"], suppressBelow: nil, key: "test-secret")
        let plain = try outputs(record, ReportPrivacy(masks: [], suppressBelow: nil, key: "k"))
        let masked = try outputs(record, privacy)
        // Without masks the values are there (so the search below can fail) ...
        XCTAssertTrue(plain["terminal"]!.contains("1000000003"))
        XCTAssertTrue(
            plain["html"]!.contains("Nguyen → Tran") || plain["html"]!.contains("Nguyen &#8594; Tran") || plain["html"]!.contains("Nguyen"))
        XCTAssertTrue(plain["terminal"]!.contains("Lopez, Ana"))
        // ... and with them, no SSID or name stands anywhere as a word.
        for (output, text) in masked {
            for value in PrivacyTests.ssids + PrivacyTests.names + ["Tran"] where value != "Ana" {
                XCTAssertFalse(PrivacyTests.containsWord(text, value), "\(value) in the \(output) output")
            }
            XCTAssertFalse(text.contains("Lopez, Ana"), "derived name in the \(output) output")
        }
        if ProcessInfo.processInfo.environment["DEBUG_PRIVACY"] != nil { print(masked["terminal"]!) }
        // Tokens stand where the values were: the renamed SSID and the changed name.
        XCTAssertTrue(masked["terminal"]!.contains(privacy.token("1000000003")))
        XCTAssertTrue(masked["html"]!.contains(privacy.token("Nguyen")) && masked["html"]!.contains(privacy.token("Tran")))
        XCTAssertTrue(masked["terminal"]!.contains(privacy.token("Lopez, Ana")), "the derived full name is one token")
        // The ledger as `tally runs show` and `tally runs diff` print it.
        let store = try QAStore(path: scratch.path(".tally/tally.sqlite"))
        let id = try XCTUnwrap(record.runId)
        let stored = try XCTUnwrap(try store.run(id))
        let encoder = JSONEncoder()
        let rawLedger = String(decoding: try encoder.encode(stored), as: UTF8.self)
        XCTAssertTrue(rawLedger.contains("1000000003"), "the ledger keeps the failing keys")
        let report = try store.report(run: id)
        let ledger = String(decoding: try encoder.encode(privacy.apply(stored, report: report)), as: UTF8.self)
        let diff = String(
            decoding: try encoder.encode(privacy.apply(try store.diff(id - 1, id), reports: [try store.report(run: id - 1), report])),
            as: UTF8.self)
        for value in PrivacyTests.ssids + ["Nguyen", "Tran", "Okafor"] {
            XCTAssertFalse(PrivacyTests.containsWord(ledger, value), "\(value) in runs show")
            XCTAssertFalse(PrivacyTests.containsWord(diff, value), "\(value) in runs diff")
        }
        // The narrative and the statements are the author's: never rewritten, so "Analysis" and
        // the narrative's "Ana" stay as written.
        XCTAssertTrue(
            masked["html"]!.contains("Analysis of the roster. Ana&#39;s name")
                || masked["html"]!.contains("Analysis of the roster. Ana's name"))
        XCTAssertTrue(masked["markdown"]!.contains("Analysis of the roster. Ana's name"))
        XCTAssertFalse(masked["html"]!.contains("#") && masked["html"]!.contains(privacy.token("Ana") + "lysis"))
    }

    /// A rerun that takes its cells from the cell cache masks exactly as much: lineage and quoted
    /// values are cached with the cells.
    func testMaskingHoldsForCellsTakenFromTheCache() throws {
        let scratch = try Scratch()
        try scratch.write("students.csv", PrivacyTests.students)
        let playbook = PrivacyTests.playbook.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.contains("snapshot") && !$0.contains("changes") }.joined(separator: "\n")
        try scratch.write("privacy.playbook", playbook)
        var options = scratch.options
        options.storePath = scratch.path(".tally/tally.sqlite")
        options.cacheFolder = CellCache.folder(forStore: scratch.path(".tally/tally.sqlite"))
        let first = Runner.run(path: scratch.path("privacy.playbook"), options: options)
        var again = Runner.run(path: scratch.path("privacy.playbook"), options: options)
        XCTAssertGreaterThan(again.cells.filter { $0.status == .cached }.count, 5)
        // The second run's report also has a history of the two runs; the rest must be the same.
        XCTAssertEqual(again.history?.runs.count, 2)
        again.history = nil
        let privacy = ReportPrivacy(masks: ["SSID", "LastName", "FirstName"], suppressBelow: nil, key: "test-secret")
        let fresh = try outputs(first, privacy), cached = try outputs(again, privacy)
        XCTAssertTrue(cached["terminal"]!.contains(privacy.token("Lopez, Ana")), "the derived name is masked from the cache too")
        for (output, text) in cached {
            for value in PrivacyTests.ssids + PrivacyTests.names where value != "Ana" {
                XCTAssertFalse(PrivacyTests.containsWord(text, value), "\(value) in the cached \(output) output")
            }
        }
        XCTAssertEqual(
            cached["markdown"]?.replacingOccurrences(
                of: #"\| Ran \|[^\n]*\n\| Ledger run \| \d+ \|"#, with: "", options: .regularExpression),
            fresh["markdown"]?.replacingOccurrences(of: #"\| Ran \|[^\n]*\n\| Ledger run \| \d+ \|"#, with: "", options: .regularExpression)
        )
    }

    /// A profile prints values of every column it profiles: masked columns stay masked there, and
    /// small counts written into its text are suppressed in reports.
    func testProfilesMaskValuesAndSuppressSmallCounts() throws {
        let scratch = try Scratch()
        try scratch.write("students.csv", PrivacyTests.students + "1000000006, Lopez,Zoe,6001734,05\n")
        try scratch.write("p.playbook", "load students from \"students.csv\"\nprofile students\n")
        let record = Runner.run(path: scratch.path("p.playbook"), options: scratch.options)
        XCTAssertEqual(record.exitStatus, 0, "\(record.errors)")
        let plain = try outputs(record, ReportPrivacy(masks: [], suppressBelow: nil, key: "k"))
        XCTAssertTrue(plain["terminal"]!.contains("1000000003 ×2"))
        XCTAssertTrue(plain["terminal"]!.contains("\" Lopez\" (1 row)"), plain["terminal"]!)
        let privacy = ReportPrivacy(masks: ["SSID", "LastName", "FirstName"], suppressBelow: 3, key: "test-secret")
        for (output, text) in try outputs(record, privacy) {
            for value in PrivacyTests.ssids + PrivacyTests.names + ["Zoe"] {
                XCTAssertFalse(PrivacyTests.containsWord(text, value), "\(value) in the profile's \(output) output")
            }
            if output == "markdown" || output == "html" {
                XCTAssertFalse(text.contains("×2") || text.contains("×1 "), "a small count in the profile's \(output) output")
            }
        }
    }

    /// A full join's right-only rows carry the right's keys in the left's key column: a mask on
    /// the right's key covers them.
    /// A mask that names no column masks nothing while the report says it masked: refused, with
    /// the column it probably meant, for a `mask` statement and for `--mask` (the real binary).
    func testAMaskNamingNoColumnIsAnErrorNotASilentNoOp() throws {
        let scratch = try Scratch()
        try scratch.write("state.csv", "SSID,Grade\n1000000001,03\n")
        try scratch.write("p.playbook", "load state from \"state.csv\"\nmask SSDI\nshow state\n")
        let typo = try ReliabilityTests.tally(["run", "p.playbook", "--no-store"], in: scratch.url.path)
        XCTAssertEqual(typo.exit, 2, typo.output)
        XCTAssertTrue(typo.output.contains("p.playbook:2:6: error: no table of this playbook has a column \"SSDI\" to mask"), typo.output)
        XCTAssertTrue(typo.output.contains("did you mean \"SSID\"?"), typo.output)
        XCTAssertFalse(typo.output.contains("1000000001"), typo.output)
        try scratch.write("q.playbook", "load state from \"state.csv\"\nshow state\n")
        let option = try ReliabilityTests.tally(
            ["run", "q.playbook", "--no-store", "--mask", "ssid", "--report", "rep"], in: scratch.url.path)
        XCTAssertEqual(option.exit, 2, option.output)
        XCTAssertTrue(option.output.contains("--mask ssid: no table of this playbook has a column \"ssid\" to mask"), option.output)
        XCTAssertFalse(option.output.contains("1000000001"), option.output)
        XCTAssertFalse(scratch.read("rep/report.html")?.contains("1000000001") ?? false)
        let right = try ReliabilityTests.tally(["run", "q.playbook", "--no-store", "--mask", "SSID"], in: scratch.url.path)
        XCTAssertEqual(right.exit, 0, right.output)
        XCTAssertFalse(right.output.contains("1000000001"), right.output)
    }

    func testAFullJoinsKeysFromTheRightAreMasked() throws {
        let scratch = try Scratch()
        try scratch.write("sis.csv", "ID,Grade\n1000000001,03\n")
        try scratch.write("state.csv", "SSID,Grade\n1000000001,03\n1000000009,01\n")
        try scratch.write(
            "p.playbook", "load sis from \"sis.csv\"\nload state from \"state.csv\"\nr = sis | join full state on ID == SSID\nshow r\n")
        let record = Runner.run(path: scratch.path("p.playbook"), options: scratch.options)
        XCTAssertEqual(record.exitStatus, 0, "\(record.errors)")
        XCTAssertTrue(try outputs(record, ReportPrivacy(masks: [], suppressBelow: nil, key: "k"))["terminal"]!.contains("1000000009"))
        for (output, text) in try outputs(record, ReportPrivacy(masks: ["SSID"], suppressBelow: nil, key: "k")) {
            XCTAssertFalse(PrivacyTests.containsWord(text, "1000000009"), "the right-only key in the \(output) output")
        }
    }

    func testValidateFindingsMaskTheValueOfAMaskedField() throws {
        let scratch = try Scratch()
        var sample = SampleOptions()
        sample.students = 300
        sample.seed = 3
        try DistrictGenerator.write(sample, to: scratch.path("data"))
        try scratch.write(
            "v.playbook",
            """
            load senr from "data/SENR.txt" as calpads SENR
            load sinf from "data/SINF.txt" as calpads SINF
            findings = senr | validate calpads SENR with sinf
            show findings limit 500
            assert senr is valid calpads SENR with sinf
            """)
        let record = Runner.run(path: scratch.path("v.playbook"), options: scratch.options)
        let findings = try XCTUnwrap(record.cells.first { $0.kind == .show }?.preview)
        let field = try XCTUnwrap(findings.columns.firstIndex(of: "field")), value = try XCTUnwrap(findings.columns.firstIndex(of: "value"))
        let ssidValues = findings.rows.filter { $0[field] == "SSID" }.compactMap { $0[value] }
        XCTAssertFalse(ssidValues.isEmpty, "the sample plants students without SINF (rule SENR-NO-SINF, field SSID)")
        let privacy = ReportPrivacy(masks: ["SSID"], suppressBelow: nil, key: "k2")
        let out = try outputs(record, privacy)
        let ssids = Set(
            (scratch.read("data/SENR.txt") ?? "").split(separator: "\r\n").map { line in
                String(line.split(separator: "^", omittingEmptySubsequences: false)[7])
            })
        for (output, text) in out {
            for ssid in ssids { XCTAssertFalse(text.contains(ssid), "SSID \(ssid) in the \(output) output") }
        }
        // Other fields' values stay readable: a bad grade code is what the clerk must fix.
        let masked = privacy.apply(ReportRecord(record)).cells.first { $0.kind == .show }?.preview
        let gradeRow = try XCTUnwrap(masked?.rows.first { $0[field] == "GradeLevelCode" })
        XCTAssertFalse(gradeRow[value]?.hasPrefix("#") ?? true)
    }

    func testAnErrorQuotingKeysIsMasked() throws {
        let scratch = try Scratch()
        try scratch.write("students.csv", PrivacyTests.students)
        try scratch.write(
            "j.playbook",
            """
            load students from "students.csv"
            load other from "students.csv"
            joined = students | join inner other on SSID expect many-to-one
            """)
        let record = Runner.run(path: scratch.path("j.playbook"), options: scratch.options)
        XCTAssertEqual(record.exitStatus, 2)
        XCTAssertTrue(record.errors.first?.message.contains("1000000003") ?? false)
        let out = try outputs(record, ReportPrivacy(masks: ["SSID"], suppressBelow: nil, key: "k3"))
        for (output, text) in out { XCTAssertFalse(text.contains("1000000003"), "the duplicate key in the \(output) output") }
    }

    func testWholeWordsOnlyAndTenDigitNumbers() {
        let privacy = ReportPrivacy(masks: ["SSID", "FirstName"], suppressBelow: nil, key: "k")
        XCTAssertEqual(
            privacy.replacingWords(in: "Analysis of Ana, and Ana's", ["Ana"]),
            "Analysis of \(privacy.token("Ana")), and \(privacy.token("Ana"))'s")
        XCTAssertEqual(
            privacy.text("SSID 1000000003 (2 rows); 12345678901 stays; x1000000003 stays", values: []),
            "SSID \(privacy.token("1000000003")) (2 rows); 12345678901 stays; x1000000003 stays")
    }

    func testTokensAreKeyedByASecretOfTheStoreThatOnlyItsOwnerCanRead() throws {
        let scratch = try Scratch()
        let path = scratch.path(".tally/tally.sqlite")
        let key = try QAStore(path: path).maskKey()
        XCTAssertEqual(key.count, 64)
        XCTAssertEqual(try QAStore(path: path).maskKey(), key, "stable within a store")
        XCTAssertNotEqual(try QAStore(path: scratch.path("other/tally.sqlite")).maskKey(), key, "each store has its own")
        let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        XCTAssertEqual(mode & 0o077, 0, "the store (and its secret) is readable by its owner only")
        let folderMode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: scratch.path(".tally"))[.posixPermissions] as? Int)
        XCTAssertEqual(folderMode & 0o077, 0)
        // A token is not the plain hash of the value: without the key it cannot be enumerated.
        let token = ReportPrivacy(masks: ["SSID"], suppressBelow: nil, key: key).token("1000000001")
        XCTAssertFalse(Fingerprint.sha256("1000000001").hasPrefix(String(token.dropFirst())))
        XCTAssertNotEqual(token, ReportPrivacy(masks: ["SSID"], suppressBelow: nil, key: QAStore.randomSecret()).token("1000000001"))
    }

    func testSuppressionHidesCountsAndWhatGivesThemAway() throws {
        let scratch = try Scratch()
        var rows = "School,Grade\n"
        for _ in 0..<3 { rows += "A,03\n" }
        for _ in 0..<40 { rows += "B,03\n" }
        for _ in 0..<5 { rows += "C,04\n" }
        try scratch.write("s.csv", rows)
        try scratch.write("expected.csv", "School,students\nA,5\nB,38\nC,30\n")
        try scratch.write(
            "s.playbook",
            """
            load s from "s.csv"
            load target from "expected.csv"
            counts = s | aggregate students = count() by School, Grade
            show counts
            compare counts.students with target.students by School
            """)
        let record = Runner.run(path: scratch.path("s.playbook"), options: scratch.options)
        let privacy = ReportPrivacy(masks: [], suppressBelow: 11, key: "k")
        let report = privacy.apply(ReportRecord(record))
        let shown = try XCTUnwrap(report.cells.first { $0.kind == .show }?.preview)
        XCTAssertEqual(shown.rows, [["A", "03", "*"], ["B", "03", "40"], ["C", "04", "*"]])
        let comparison = try XCTUnwrap(report.cells.first { $0.kind == .compare }?.preview)
        let byKey = Dictionary(uniqueKeysWithValues: comparison.rows.map { ($0[0] ?? "", $0) })
        let c = comparison.columns
        func cell(_ key: String, _ column: String) -> String? { byKey[key]?[c.firstIndex(of: column) ?? 0] ?? nil }
        // A: actual 3 and expected 5 are both small: every derived figure is hidden.
        XCTAssertEqual([cell("A", "actual"), cell("A", "expected"), cell("A", "difference"), cell("A", "percent")], ["*", "*", "*", "*"])
        // C: actual 5 is small, expected 30 is shown: the difference would give 5 away.
        XCTAssertEqual([cell("C", "actual"), cell("C", "expected"), cell("C", "difference")], ["*", "30", "*"])
        // B: both shown, so their difference reveals nothing and stays.
        XCTAssertEqual([cell("B", "actual"), cell("B", "expected"), cell("B", "difference")], ["40", "38", "2"])
        // The report says complementary suppression is not applied, and charts show no bar for a hidden count.
        var options = ReportOptions()
        options.privacy = privacy
        let (html, markdown) = try ReportRenderer.render(ReportRecord(record), options: options)
        XCTAssertTrue(html.contains("Complementary suppression is not applied"))
        XCTAssertTrue(markdown.contains("Complementary suppression is not applied"))
        XCTAssertFalse(html.contains(">3</text>"), "a suppressed count drawn in a chart")
    }

    /// Worklists and workbooks are files for people: the run's masks and suppression apply to
    /// them as to the reports (same tokens), a plain data file is masked only `with masked`, and
    /// the report says which file is which.
    func testWorklistsAndWorkbooksAreMaskedAndTheReportSaysSo() throws {
        let scratch = try Scratch()
        try scratch.write("students.csv", PrivacyTests.students)
        try scratch.write(
            "w.playbook",
            """
            playbook "Worklists"
            mask SSID, LastName
            load students from "students.csv"
            renamed = students | select SSID as StudentID, LastName, School, Grade
            show renamed
            export renamed to "out/{School}/list.csv"
            export renamed to "out/book.xlsx" as xlsx sheet by School
            export renamed to "out/masked.csv" with masked
            export renamed to "out/clear.csv"
            export renamed to "out/clear.xlsx" as xlsx with unmasked
            per_school = students | aggregate n = count() by School
            export per_school to "out/counts.xlsx" as xlsx
            """)
        var options = scratch.options
        options.storePath = scratch.path(".tally/tally.sqlite")
        options.suppressBelow = 3
        let record = Runner.run(path: scratch.path("w.playbook"), options: options)
        XCTAssertEqual(record.exitStatus, 0, "\(record.errors)")
        /// Every text a file holds (a workbook's XML parts unzipped).
        func contents(_ relative: String) throws -> String {
            let path = scratch.path(relative)
            guard relative.hasSuffix(".xlsx") else { return try String(contentsOfFile: path, encoding: .utf8) }
            let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
            var text = ""
            for entry in archive {
                _ = try archive.extract(entry) { text += String(decoding: $0, as: UTF8.self) }
            }
            return text
        }
        let key = try QAStore(path: scratch.path(".tally/tally.sqlite")).maskKey()
        let privacy = ReportPrivacy(masks: ["SSID", "LastName"], suppressBelow: 3, key: key)
        let masked = ["out/0112345/list.csv", "out/6001734/list.csv", "out/book.xlsx", "out/masked.csv"]
        for file in masked {
            let text = try contents(file)
            for value in PrivacyTests.ssids + ["Lopez", "Nguyen", "Okafor", "Baptiste"] {
                XCTAssertFalse(text.contains(value), "\(value) in \(file)")
            }
            XCTAssertTrue(text.contains(privacy.token("1000000003")), "\(file) has the report's token for the SSID")
            XCTAssertTrue(text.contains("0112345") || file.contains("6001734"), "\(file) keeps unmasked columns")
        }
        XCTAssertEqual(try contents("out/0112345/list.csv").split(separator: "\n").count, 4, "header and three students")
        for file in ["out/clear.csv", "out/clear.xlsx"] {
            XCTAssertTrue(try contents(file).contains("1000000001"), "\(file) is written in clear as asked")
        }
        // Counts of 2 and 3 at two schools: 2 is below 3 and is suppressed, 3 is shown as a number.
        let counts = try contents("out/counts.xlsx")
        XCTAssertTrue(counts.contains("<v>3</v>"), counts)
        XCTAssertFalse(counts.contains("<v>2</v>"), counts)
        XCTAssertTrue(counts.contains(">*<"), counts)
        // The report says which file is masked, what was suppressed and which holds values in clear.
        let (html, markdown) = try ReportRenderer.render(ReportRecord(record), options: ReportOptions())
        for text in [html, markdown] {
            XCTAssertTrue(text.contains("masked: StudentID, LastName as tokens; no count below 3 to suppress"), text)
            XCTAssertTrue(text.contains("not masked (a data file; add with masked to mask it): StudentID, LastName written in clear"))
            XCTAssertTrue(text.contains("not masked (with unmasked): StudentID, LastName written in clear"))
            XCTAssertTrue(text.contains("masked: 1 count below 3 as *"))
            XCTAssertTrue(text.contains("Exported files"))
        }
    }
}
