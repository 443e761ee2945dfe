import Foundation
import TallyCore
import XCTest

/// Golden cases: `Cases/<area>/<case>/` holds a playbook (`case.playbook`, or a file `example`
/// naming one in `playbooks/`), its inputs, optional `params` (name=value lines) and `command`
/// (`run` or `check`), and `expected/`: `output.txt`, `exit`, and `exports/` (every file the run
/// left under `out/`). `UPDATE_GOLDENS=1 swift test` rewrites `expected/` for review in git diff.
final class GoldenTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let repository = root.deletingLastPathComponent().deletingLastPathComponent()
    static let record = ProcessInfo.processInfo.environment["UPDATE_GOLDENS"] == "1"

    func caseFolders() throws -> [URL] {
        let cases = GoldenTests.root.appendingPathComponent("Cases")
        var found: [URL] = []
        let fm = FileManager.default
        for area in try fm.contentsOfDirectory(atPath: cases.path).sorted() {
            let areaURL = cases.appendingPathComponent(area)
            for name in (try? fm.contentsOfDirectory(atPath: areaURL.path).sorted()) ?? [] {
                let folder = areaURL.appendingPathComponent(name)
                if fm.fileExists(atPath: folder.appendingPathComponent("case.playbook").path)
                    || fm.fileExists(atPath: folder.appendingPathComponent("example").path) {
                    found.append(folder)
                }
            }
        }
        return found
    }

    func testGoldenCases() throws {
        let folders = try caseFolders()
        XCTAssertGreaterThan(folders.count, 10, "golden cases are missing")
        var failures: [String] = []
        for folder in folders {
            if let problem = try runCase(folder) { failures.append(problem) }
        }
        XCTAssert(failures.isEmpty, "\(failures.count) golden case(s) differ:\n" + failures.joined(separator: "\n\n"))
    }

    /// Every example playbook, and every run case, saved with CR LF line ends (Windows editors,
    /// git's autocrlf) must give exactly the output, exit status and exports of the LF file.
    func testGoldenCasesWithCRLF() throws {
        let folders = try caseFolders().filter { folder in
            let command = (try? String(contentsOf: folder.appendingPathComponent("command"), encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "run"
            // Syntax-error cases print the source line; their columns stay the same, but keep them LF-only.
            return command == "run" || FileManager.default.fileExists(atPath: folder.appendingPathComponent("example").path)
        }
        let examples = folders.filter { FileManager.default.fileExists(atPath: $0.appendingPathComponent("example").path) }
        XCTAssertEqual(examples.count, 5, "every example playbook has a golden case")
        var failures: [String] = []
        for folder in folders {
            if let problem = try runCase(folder, crlf: true) { failures.append("CR LF " + problem) }
        }
        XCTAssert(failures.isEmpty, "\(failures.count) golden case(s) differ with CR LF:\n" + failures.joined(separator: "\n\n"))
    }

    /// The cell cache never changes a result: every run case and example, run three times over one
    /// cache — filling it, from it with the exports deleted (tables read back from the cache and
    /// exported again), and from it entirely — gives the golden output (but for the `cached`
    /// marks), exit status and exports each time, and byte-identical HTML and Markdown reports.
    func testGoldenCasesFromTheCellCache() throws {
        let folders = try caseFolders().filter { folder in
            let command = (try? String(contentsOf: folder.appendingPathComponent("command"), encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "run"
            return command == "run"
        }
        var failures: [String] = []
        var cachedCells = 0
        for folder in folders {
            if let problem = try runCase(folder, cached: true, cachedCells: &cachedCells) { failures.append("cached " + problem) }
        }
        XCTAssert(failures.isEmpty, "\(failures.count) golden case(s) differ from the cache:\n" + failures.joined(separator: "\n\n"))
        XCTAssertGreaterThan(cachedCells, 100, "the reruns took cells from the cache")
    }

    func runCase(_ folder: URL, crlf: Bool = false) throws -> String? {
        var ignored = 0
        return try runCase(folder, crlf: crlf, cached: false, cachedCells: &ignored)
    }

    /// Runs one case in a scratch folder; returns a description of any difference.
    func runCase(_ folder: URL, crlf: Bool = false, cached: Bool, cachedCells: inout Int) throws -> String? {
        let fm = FileManager.default
        let name = folder.deletingLastPathComponent().lastPathComponent + "/" + folder.lastPathComponent
        let scratch = fm.temporaryDirectory.appendingPathComponent("tally-golden-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: scratch) }
        try fm.createDirectory(at: scratch, withIntermediateDirectories: true)
        var playbook = "case.playbook"
        for item in try fm.contentsOfDirectory(atPath: folder.path) where !["expected", "params", "command", "example"].contains(item) {
            try fm.copyItem(at: folder.appendingPathComponent(item), to: scratch.appendingPathComponent(item))
        }
        let example = folder.appendingPathComponent("example")
        if let exampleName = try? String(contentsOf: example, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) {
            let playbooks = GoldenTests.repository.appendingPathComponent("playbooks")
            try fm.copyItem(at: playbooks.appendingPathComponent(exampleName), to: scratch.appendingPathComponent(exampleName))
            try fm.copyItem(at: playbooks.appendingPathComponent("data"), to: scratch.appendingPathComponent("data"))
            playbook = exampleName
        }
        if crlf {
            // The playbook's lines end in CR LF; its data files are left as they are.
            let url = scratch.appendingPathComponent(playbook)
            let text = try String(contentsOf: url, encoding: .utf8)
            XCTAssertFalse(text.contains("\r"), "\(name): the playbook is already CR LF")
            try Data(text.replacingOccurrences(of: "\n", with: "\r\n").utf8).write(to: url)
        }
        var options = RunOptions()
        options.displayBase = scratch.path
        options.clock = EvaluationClock(today: DateCodec.days(year: 2024, month: 10, day: 2) ?? 0)
        if let params = try? String(contentsOf: folder.appendingPathComponent("params"), encoding: .utf8) {
            for line in params.split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2 { options.params[parts[0]] = parts[1] }
            }
        }
        let command = (try? String(contentsOf: folder.appendingPathComponent("command"), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "run"
        let path = scratch.appendingPathComponent(playbook).path
        var output: String
        var exit: Int32
        if command == "check" {
            let result = Runner.check(path: path, options: options)
            if result.diagnostics.isEmpty, let plan = result.plan {
                output = CheckReport.render(plan: plan, inputs: result.inputs, showAST: false)
                exit = 0
            } else {
                output = CheckReport.renderFailure(result.diagnostics, playbookFile: result.file, source: result.source, path: playbook)
                exit = 2
            }
        } else if cached {
            options.cacheFolder = scratch.appendingPathComponent(".cache").path
            let fixed = Date(timeIntervalSince1970: 1_790_000_000)
            options.now = { fixed }
            var outputs: [String] = [], exits: [Int32] = [], reports: [[String]] = []
            var exportSets: [[String: Data]] = []
            var written: [String] = []
            for pass in 0..<3 {
                // The second pass finds the exports gone: they are written again from cached tables.
                if pass == 1 { for file in written { try? fm.removeItem(at: scratch.appendingPathComponent(file)) } }
                let record = Runner.run(path: path, options: options)
                if pass == 0 { written = record.exports.map(\.path) }
                if pass > 0 { cachedCells += record.cells.filter { $0.status == .cached }.count }
                let text = TerminalReport(color: false, timings: false).render(record)
                outputs.append(text.replacingOccurrences(of: "  cached\n", with: "\n")
                    .split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("  cache:   ") }.joined(separator: "\n"))
                exits.append(record.exitStatus)
                let report = ReportRecord(record)
                let rendered = try ReportRenderer.render(report, options: ReportOptions())
                reports.append([rendered.html, rendered.markdown])
                exportSets.append(GoldenTests.files(under: scratch.appendingPathComponent("out")))
            }
            var problems: [String] = []
            if Set(outputs).count != 1 { problems.append("output differs from the cache:\n" + GoldenTests.firstDifference(outputs[0], outputs[1] == outputs[0] ? outputs[2] : outputs[1])) }
            if Set(exits).count != 1 { problems.append("exit statuses \(exits)") }
            if reports[1] != reports[0] || reports[2] != reports[0] { problems.append("reports differ from the cache") }
            if exportSets[1] != exportSets[0] || exportSets[2] != exportSets[0] { problems.append("exports differ from the cache") }
            if !problems.isEmpty { return "[\(name)] " + problems.joined(separator: "; ") }
            output = outputs[0]
            exit = exits[0]
        } else {
            let record = Runner.run(path: path, options: options)
            output = TerminalReport(color: false, timings: false).render(record)
            exit = record.exitStatus
        }
        // Exports: everything under out/.
        let exports = GoldenTests.files(under: scratch.appendingPathComponent("out"))
        let expected = folder.appendingPathComponent("expected")
        if GoldenTests.record {
            if crlf { return nil }
            try? fm.removeItem(at: expected)
            try fm.createDirectory(at: expected, withIntermediateDirectories: true)
            try Data(output.utf8).write(to: expected.appendingPathComponent("output.txt"))
            try Data("\(exit)\n".utf8).write(to: expected.appendingPathComponent("exit"))
            for (file, data) in exports {
                let target = expected.appendingPathComponent("exports").appendingPathComponent(file)
                try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try data.write(to: target)
            }
            return nil
        }
        var problems: [String] = []
        let wantOutput = (try? String(contentsOf: expected.appendingPathComponent("output.txt"), encoding: .utf8)) ?? "(missing expected/output.txt)"
        if wantOutput != output { problems.append("output differs:\n" + GoldenTests.firstDifference(wantOutput, output)) }
        let wantExit = (try? String(contentsOf: expected.appendingPathComponent("exit"), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
        if wantExit != "\(exit)" { problems.append("exit status \(exit), expected \(wantExit)") }
        let wantExports = GoldenTests.files(under: expected.appendingPathComponent("exports"))
        if Set(wantExports.keys) != Set(exports.keys) {
            problems.append("exports \(exports.keys.sorted()), expected \(wantExports.keys.sorted())")
        }
        for (file, data) in wantExports where exports[file] != data { problems.append("export \(file) differs") }
        return problems.isEmpty ? nil : "[\(name)] " + problems.joined(separator: "; ")
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
