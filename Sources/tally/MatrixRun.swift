import ArgumentParser
import Foundation
import TallyCore
import TallyModel

/// `tally run PLAYBOOK --matrix params.csv`: one run per row of parameters (per school, per LEA,
/// per year), as separate `tally run` processes on all cores, each recorded in the ledger; then
/// one table of the outcomes and the worst exit status of all.
struct MatrixRun {
    let command: RunCommand
    let file: String

    /// Outcomes written by the threads that wait for the runs.
    final class Results: @unchecked Sendable {
        private var items: [Outcome?]
        private let lock = NSLock()
        init(count: Int) { items = Array(repeating: nil, count: count) }
        func set(_ i: Int, _ o: Outcome) { lock.lock(); items[i] = o; lock.unlock() }
        var all: [Outcome] { lock.lock(); defer { lock.unlock() }; return items.compactMap { $0 } }
    }

    struct Outcome: Sendable {
        var row: Int
        var params: [String: String]
        var exit: Int32
        var passed = 0, failed = 0, warnings = 0
        var runId: Int64?
        var error: String?
    }

    func run() throws {
        // Each child run protects the matrix file from its exports (RunCommand).
        setenv("TALLY_MATRIX_FILE", file.hasPrefix("/") ? file : FileManager.default.currentDirectoryPath + "/" + file, 1)
        if command.junit != nil { throw ValidationError("--junit takes one run; with --matrix use --report DIR (a folder per row)") }
        if command.json { throw ValidationError("--json takes one run; with --matrix each run is in the ledger (tally runs)") }
        let rows = try readRows()
        let playbook: Playbook
        do { playbook = try Runner.parse(path: command.playbook, displayBase: FileManager.default.currentDirectoryPath) } catch let list
            as DiagnosticList
        {
            for d in list.diagnostics { writeError(d.render(source: nil)) }
            throw ExitCode(2)
        }
        var declared: [String] = []
        for node in playbook.statements { if case .param(let name, _, _, _, _) = node.statement { declared.append(name.text) } }
        for name in rows.names where !declared.contains(name) {
            writeError(
                Diagnostic(
                    .unknownParameter, .error, "column \"\(name)\" is not a parameter of \(command.playbook)", file: file, line: 1,
                    help: Suggest.help(for: name, in: declared)
                        ?? "the header names the playbook's parameters: \(declared.joined(separator: ", "))"
                ).render(source: nil))
            throw ExitCode(2)
        }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let results = Results(count: rows.values.count)
        let limit = DispatchSemaphore(value: max(1, ProcessInfo.processInfo.activeProcessorCount))
        let group = DispatchGroup()
        for (r, values) in rows.values.enumerated() {
            let params = Dictionary(uniqueKeysWithValues: zip(rows.names, values))
            let arguments = childArguments(params: params, row: r + 1)
            limit.wait()
            group.enter()
            DispatchQueue.global().async {
                defer { limit.signal(); group.leave() }
                let outcome = MatrixRun.runChild(executable, arguments, row: r + 1, params: params)
                results.set(r, outcome)
            }
        }
        group.wait()
        // The runs shared one cell cache; keep it within its limit now that they are done.
        if !command.noCache, let storePath = command.store.path,
            let cache = try? CellCache(
                folder: CellCache.folder(forStore: storePath), limitBytes: command.cacheLimit.map { $0 << 20 } ?? CellCache.defaultLimit)
        {
            cache.evict()
        }
        let done = results.all
        print(MatrixRun.table(done, names: rows.names), terminator: "")
        let worst = done.map(\.exit).max() ?? 0
        let failed = done.filter { $0.exit == 1 }.count, stopped = done.filter { $0.exit >= 2 }.count
        print(
            "\nMatrix: \(Format.plural(done.count, "run")) of \(command.playbook) — \(done.count - failed - stopped) passed, \(failed) failed a check, \(stopped) could not run; exit \(worst)"
        )
        for outcome in done where outcome.error != nil {
            writeError("row \(outcome.row): " + (outcome.error ?? ""))
        }
        if worst != 0 { throw ExitCode(worst) }
    }

    /// The CSV's header and rows, as text.
    func readRows() throws -> (names: [String], values: [[String]]) {
        do {
            let input = try InputFile.read(path: file, displayName: file)
            var options = DelimitedOptions()
            options.inferTypes = false
            let table = try DelimitedReader.read(input, options: options)
            guard table.rowCount > 0 else { throw Diagnostic(.parameterValue, .error, "the matrix has no rows of parameters", file: file) }
            let values = (0..<table.rowCount).map { r in table.columns.map { $0.isNull(r) ? "" : $0.value(r).display } }
            return (table.names, values)
        } catch let d as Diagnostic {
            writeError(d.render(source: nil))
            throw ExitCode(2)
        }
    }

    func childArguments(params: [String: String], row: Int) -> [String] {
        var args = ["run", command.playbook, "--json", "--no-color"]
        for p in command.params { args += ["--param", p] }
        for (k, v) in params.sorted(by: { $0.key < $1.key }) { args += ["--param", "\(k)=\(v)"] }
        if let store = command.store.storePath { args += ["--store", store] }
        if command.store.noStore { args.append("--no-store") }
        if command.noCache { args.append("--no-cache") }
        if let limit = command.cacheLimit { args += ["--cache-limit", String(limit)] }
        if let report = command.reportOptions.report { args += ["--report", report + "/row-\(row)"] }
        if command.reportOptions.hideCode { args.append("--hide-code") }
        if let mask = command.reportOptions.mask { args += ["--mask", mask] }
        if let n = command.reportOptions.suppressBelow { args += ["--suppress-below", String(n)] }
        if let t = command.reportOptions.templates { args += ["--templates", t] }
        args += command.places.arguments
        return args
    }

    static func runChild(_ executable: URL, _ arguments: [String], row: Int, params: [String: String]) -> Outcome {
        var outcome = Outcome(row: row, params: params, exit: 2)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["TALLY_MATRIX_CHILD"] = "1"
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch {
            outcome.error = "could not start tally: \(error)"
            return outcome
        }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        outcome.exit = process.terminationStatus
        if let json = try? JSONSerialization.jsonObject(with: stdout) as? [String: Any] {
            outcome.passed = json["checksPassed"] as? Int ?? 0
            outcome.failed = json["checksFailed"] as? Int ?? 0
            outcome.warnings = json["warnings"] as? Int ?? 0
            outcome.runId = (json["runId"] as? NSNumber)?.int64Value
            if let shown = json["parameters"] as? [String: String] { outcome.params = shown.filter { params[$0.key] != nil } }
            if let errors = json["errors"] as? [String], let first = errors.first { outcome.error = first }
        } else {
            let text = String(decoding: stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            outcome.error = text.isEmpty ? "no output (exit \(outcome.exit))" : text
        }
        return outcome
    }

    static func table(_ outcomes: [Outcome], names: [String]) -> String {
        let header = ["row"] + names + ["status", "passed", "failed", "warnings", "run"]
        let rows = outcomes.sorted { $0.row < $1.row }.map { o -> [String] in
            let status = RunOutcome(exitStatus: Int(o.exit)).rawValue
            return [String(o.row)] + names.map { o.params[$0] ?? "" } + [
                status, String(o.passed), String(o.failed), String(o.warnings),
                o.runId.map(String.init) ?? "—",
            ]
        }
        return TextTable.render(header: header, rows: rows, indent: "")
    }
}
