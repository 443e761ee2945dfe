import Foundation
import TallyCore
import Testing

@testable import TallyModel

/// A golden case: `Cases/<area>/<case>/` holds a playbook (`case.playbook`, or a file `example`
/// naming one in `playbooks/`), its inputs, optional `params` (name=value lines), `command`
/// (`run` or `check`) and `store` (present: the run has a QA store of its own, in the scratch
/// folder), and `expected/`: `output.txt`, `exit`, and `exports/` (every file the run left under
/// `out/`). A step's cases are named `steps/<keyword>-<what>`.
struct GoldenCase: Sendable, CustomTestStringConvertible {
    let folder: URL
    let area: String
    let command: String
    /// The example playbook in `playbooks/` this case runs, if any.
    let example: String?
    let usesStore: Bool

    var name: String { area + "/" + folder.lastPathComponent }
    var testDescription: String { name }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let repository = root.deletingLastPathComponent().deletingLastPathComponent()
    static let record = ProcessInfo.processInfo.environment["UPDATE_GOLDENS"] == "1"

    /// Every case in `Cases/`, by area and name.
    static let everyCase: [GoldenCase] = {
        let fm = FileManager.default
        let cases = root.appendingPathComponent("Cases")
        var found: [GoldenCase] = []
        for area in ((try? fm.contentsOfDirectory(atPath: cases.path)) ?? []).sorted() {
            let areaURL = cases.appendingPathComponent(area)
            for name in ((try? fm.contentsOfDirectory(atPath: areaURL.path)) ?? []).sorted() {
                let folder = areaURL.appendingPathComponent(name)
                let example = (try? String(contentsOf: folder.appendingPathComponent("example"), encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                guard example != nil || fm.fileExists(atPath: folder.appendingPathComponent("case.playbook").path) else { continue }
                let command =
                    (try? String(contentsOf: folder.appendingPathComponent("command"), encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines) ?? "run"
                found.append(
                    GoldenCase(
                        folder: folder, area: area, command: command, example: example,
                        usesStore: fm.fileExists(atPath: folder.appendingPathComponent("store").path)))
            }
        }
        return found
    }()

    /// The cases the parameterised tests run: every one, or with `GOLDEN_CASE=steps/drop-columns`
    /// (comma-separated; a name ending in `/` or `*` is a prefix) only those.
    static let all: [GoldenCase] = {
        guard let wanted = ProcessInfo.processInfo.environment["GOLDEN_CASE"], !wanted.isEmpty else { return everyCase }
        let names = wanted.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return everyCase.filter { c in
            names.contains {
                $0 == c.name || (($0.hasSuffix("/") || $0.hasSuffix("*")) && c.name.hasPrefix($0.trimmingCharacters(in: ["*"])))
            }
        }
    }()

    /// What one run of the case gave.
    struct Result {
        var output: String
        var exit: Int32
        var exports: [String: Data]
        var reports: [String] = []
        var cachedCells = 0
    }

    /// A scratch folder with the case's playbook and inputs; returns it and the playbook's name.
    func scratch(crlf: Bool) throws -> (URL, String) {
        let fm = FileManager.default
        let scratch = fm.temporaryDirectory.appendingPathComponent("tally-golden-\(UUID().uuidString)")
        try fm.createDirectory(at: scratch, withIntermediateDirectories: true)
        for item in try fm.contentsOfDirectory(atPath: folder.path)
        where !["expected", "params", "command", "example", "store"].contains(item) {
            try fm.copyItem(at: folder.appendingPathComponent(item), to: scratch.appendingPathComponent(item))
        }
        var playbook = "case.playbook"
        if let example {
            let playbooks = GoldenCase.repository.appendingPathComponent("playbooks")
            try fm.copyItem(at: playbooks.appendingPathComponent(example), to: scratch.appendingPathComponent(example))
            try fm.copyItem(at: playbooks.appendingPathComponent("data"), to: scratch.appendingPathComponent("data"))
            playbook = example
        }
        if crlf {
            // The playbook's lines end in CR LF; its data files are left as they are.
            let url = scratch.appendingPathComponent(playbook)
            let text = try String(contentsOf: url, encoding: .utf8)
            guard !text.contains("\r") else { throw GoldenError("\(name): the playbook is already CR LF") }
            try Data(text.replacingOccurrences(of: "\n", with: "\r\n").utf8).write(to: url)
        }
        return (scratch, playbook)
    }

    /// The options `tally run --no-store --no-color --no-timings` gives `Session.run`, with the
    /// clock, the display folder and the masking key fixed so the output is reproducible.
    func options(in scratch: URL) -> Session.Options {
        var options = Session.Options()
        options.color = false
        options.timings = false
        options.run.displayBase = scratch.path
        options.run.clock = EvaluationClock(today: DateCodec.days(year: 2024, month: 10, day: 2) ?? 0)
        // As `tally run` without --report, --json or --junit; tables are freed when the run
        // ends (the CLI keeps them until it exits, which a test process does not do).
        options.run.fingerprintInputs = false
        options.run.freeTablesAfterLastUse = true
        // `tally run --no-store` makes a random key per run; tokens in a golden need a fixed one.
        options.run.maskKey = "golden-cases-key"
        if let params = try? String(contentsOf: folder.appendingPathComponent("params"), encoding: .utf8) {
            for line in params.split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2 { options.run.params[parts[0]] = parts[1] }
            }
        }
        if usesStore {
            options.run.storePath = scratch.appendingPathComponent(".tally/tally.sqlite").path
            let fixed = Date(timeIntervalSince1970: 1_790_000_000)
            options.run.now = { fixed }
        }
        return options
    }

    /// Runs the case once (`check` cases through `Runner.check`, as `tally check` does).
    func run(crlf: Bool = false) throws -> Result {
        let (scratch, playbook) = try self.scratch(crlf: crlf)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let options = options(in: scratch)
        let path = scratch.appendingPathComponent(playbook).path
        if command == "check" {
            let result = Runner.check(path: path, options: options.run)
            if result.diagnostics.isEmpty, let plan = result.plan {
                return Result(output: CheckReport.render(plan: plan, inputs: result.inputs, showAST: false), exit: 0, exports: [:])
            }
            let output = CheckReport.renderFailure(result.diagnostics, playbookFile: result.file, source: result.source, path: playbook)
            return Result(output: output, exit: 2, exports: [:])
        }
        let outcome = Session.run(path: path, options: options)
        return Result(
            output: shown(outcome, scratch: scratch), exit: outcome.exitStatus,
            exports: GoldenCase.files(under: scratch.appendingPathComponent("out")))
    }

    /// Runs the case three times over one cell cache — filling it, from it with the exports
    /// deleted (tables read back from the cache and exported again), and from it entirely.
    func runCached() throws -> [Result] {
        let fm = FileManager.default
        let (scratch, playbook) = try self.scratch(crlf: false)
        defer { try? fm.removeItem(at: scratch) }
        var options = options(in: scratch)
        options.run.cacheFolder = scratch.appendingPathComponent(".cache").path
        let fixed = Date(timeIntervalSince1970: 1_790_000_000)
        options.run.now = { fixed }
        var results: [Result] = []
        var written: [String] = []
        for pass in 0..<3 {
            if pass == 1 { for file in written { try? fm.removeItem(at: scratch.appendingPathComponent(file)) } }
            let outcome = Session.run(path: scratch.appendingPathComponent(playbook).path, options: options)
            if pass == 0 { written = outcome.record.exports.map(\.path) }
            let text = shown(outcome, scratch: scratch).replacingOccurrences(of: "  cached\n", with: "\n")
                .split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("  cache:   ") }.joined(separator: "\n")
            var reportOptions = ReportOptions()
            reportOptions.privacy = outcome.privacy
            let rendered = try ReportRenderer.render(ReportRecord(outcome.record), options: reportOptions)
            results.append(
                Result(
                    output: text, exit: outcome.exitStatus, exports: GoldenCase.files(under: scratch.appendingPathComponent("out")),
                    reports: [rendered.html, rendered.markdown], cachedCells: outcome.cells.filter { $0.status == .cached }.count))
        }
        return results
    }

    /// What `tally run` prints: stdout, then stderr. A case with a store names it relative to
    /// the scratch folder (its absolute path changes every run).
    func shown(_ outcome: Session.Outcome, scratch: URL) -> String {
        var text = outcome.text + outcome.diagnostics.map { $0.render(source: nil) + "\n" }.joined()
        if usesStore { text = text.replacingOccurrences(of: scratch.path + "/", with: "") }
        return text
    }

    /// Writes `expected/` from a result (UPDATE_GOLDENS=1).
    func write(_ result: Result) throws {
        let fm = FileManager.default
        let expected = folder.appendingPathComponent("expected")
        try? fm.removeItem(at: expected)
        try fm.createDirectory(at: expected, withIntermediateDirectories: true)
        try Data(result.output.utf8).write(to: expected.appendingPathComponent("output.txt"))
        try Data("\(result.exit)\n".utf8).write(to: expected.appendingPathComponent("exit"))
        for (file, data) in result.exports {
            let target = expected.appendingPathComponent("exports").appendingPathComponent(file)
            try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: target)
        }
    }

    /// How a result differs from `expected/` (empty: it does not).
    func differences(_ result: Result) -> [String] {
        let expected = folder.appendingPathComponent("expected")
        var problems: [String] = []
        let wantOutput =
            (try? String(contentsOf: expected.appendingPathComponent("output.txt"), encoding: .utf8)) ?? "(missing expected/output.txt)"
        if wantOutput != result.output { problems.append("output differs:\n" + GoldenCase.firstDifference(wantOutput, result.output)) }
        let wantExit =
            (try? String(contentsOf: expected.appendingPathComponent("exit"), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
        if wantExit != "\(result.exit)" { problems.append("exit status \(result.exit), expected \(wantExit)") }
        let wantExports = GoldenCase.files(under: expected.appendingPathComponent("exports"))
        if Set(wantExports.keys) != Set(result.exports.keys) {
            problems.append("exports \(result.exports.keys.sorted()), expected \(wantExports.keys.sorted())")
        }
        for (file, data) in wantExports where result.exports[file] != data { problems.append("export \(file) differs") }
        return problems
    }

    /// Every file below a folder, by relative path.
    static func files(under folder: URL) -> [String: Data] {
        let fm = FileManager.default
        var out: [String: Data] = [:]
        guard let walker = fm.enumerator(atPath: folder.path) else { return out }
        for case let file as String in walker {
            var isDirectory: ObjCBool = false
            let full = folder.appendingPathComponent(file).path
            if fm.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue { out[file] = fm.contents(atPath: full) }
        }
        return out
    }

    static func firstDifference(_ a: String, _ b: String) -> String {
        let x = a.split(separator: "\n", omittingEmptySubsequences: false)
        let y = b.split(separator: "\n", omittingEmptySubsequences: false)
        for i in 0..<max(x.count, y.count) {
            let l = i < x.count ? String(x[i]) : "(end)", r = i < y.count ? String(y[i]) : "(end)"
            if l != r { return "  line \(i + 1)\n  expected: \(l)\n  actual:   \(r)" }
        }
        return "  (same lines)"
    }
}

struct GoldenError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
