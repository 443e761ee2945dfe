import ArgumentParser
import Foundation
import TallyCore
import TallyModel

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a playbook and print its notebook.",
        discussion:
            "Exit status: 0 all error-severity checks passed, 1 one failed, 2 the playbook or an input could not be run (nothing exported)."
    )

    @Argument(help: "The playbook file.") var playbook: String
    @Option(name: .customLong("param"), help: "Set a parameter: --param name=value (repeatable).") var params: [String] = []
    @OptionGroup var store: StoreOptions
    @OptionGroup var places: ExportPlaces
    @Flag(help: "Never colour the output.") var noColor = false
    @Flag(help: "Leave elapsed times out of the notebook.") var noTimings = false
    @OptionGroup var reportOptions: ReportFlags
    @Flag(help: "Print the run's summary, checks and comparisons as JSON on stdout (instead of the notebook).") var json = false
    @Option(help: "Write JUnit XML for the checks to this file.") var junit: String?
    @Flag(help: "Recompute every cell (do not read or write the cell cache).") var noCache = false
    @Option(help: "The cell cache's size limit in MB (default 2048); the least recently used entries go first.") var cacheLimit: Int?
    @Option(help: "Run only this cell (named by the table it makes or its line number) and the cells it needs.") var only: String?
    @Option(help: "Run every cell up to and including this one.") var until: String?
    @Option(help: "Run this cell, every cell after it, and the earlier cells they need.") var from: String?
    @Option(help: "A CSV of parameters (a header of parameter names, a row per run): run once per row, in parallel, each in the ledger.")
    var matrix: String?

    func run() throws {
        // A write past a file-size limit (ulimit -f) fails with an error the export reports,
        // instead of the signal killing tally mid-run.
        signal(SIGXFSZ, SIG_IGN)
        if let matrix { return try MatrixRun(command: self, file: matrix).run() }
        try runOnce()
    }

    func runOnce() throws {
        var options = RunOptions()
        options.params = try parseParams(params)
        options.storePath = store.path
        places.apply(to: &options)
        if let templates = reportOptions.templates {
            options.protectedFiles.append(.init(path: templates, what: "the report templates' folder", isFolder: true))
        }
        if let matrix = ProcessInfo.processInfo.environment["TALLY_MATRIX_FILE"] {
            options.protectedFiles.append(.init(path: matrix, what: "the --matrix file"))
        }
        // Without a ledger, a report, JSON or JUnit, nothing shows the inputs' SHA-256.
        options.fingerprintInputs = reportOptions.report != nil || json || junit != nil
        options.keepTablesUntilExit = true
        options.freeTablesAfterLastUse = true
        if !noCache, let storePath = options.storePath { options.cacheFolder = runCacheFolder(storePath: storePath) }
        if let cacheLimit { options.cacheLimitBytes = max(0, cacheLimit) << 20 }
        // Runs of one matrix share the cache; the matrix evicts once they have all finished.
        if ProcessInfo.processInfo.environment["TALLY_MATRIX_CHILD"] != nil { options.evictCache = false }
        options.only = only
        options.until = until
        options.from = from
        // Exports for people are masked with the same masks and key as the reports.
        options.masks = reportOptions.maskList
        if let below = reportOptions.suppressBelow, below < 1 { throw ValidationError("--suppress-below takes a count of 1 or more") }
        options.suppressBelow = reportOptions.suppressBelow
        if options.storePath == nil, (ProcessInfo.processInfo.environment["TALLY_MASK_KEY"] ?? "").isEmpty {
            options.maskKey = QAStore.randomSecret()
        }
        var session = Session.Options()
        session.run = options
        session.output = json ? .json : .notebook
        session.color = !noColor && isTerminal(1) && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        session.timings = !noTimings
        session.reportFolder = reportOptions.report
        session.hideCode = reportOptions.hideCode
        session.templates = reportOptions.templates
        session.junit = junit
        if isTerminal(2) { session.run.progress = ProgressLine.make() }
        let outcome = Session.run(path: playbook, options: session)
        ProgressLine.clear()
        // `show T all` pages the notebook in a terminal (Pager.swift); JSON is never paged.
        if json || !(Pager.wanted(outcome.record) && Pager.page(outcome.text)) { print(outcome.text, terminator: "") }
        for d in outcome.diagnostics { writeError(d.render(source: nil)) }
        let exit = outcome.exitStatus
        if exit != 0 { throw ExitCode(exit) }
    }
}

/// A one-line progress display on stderr for loads and exports that take over a second.
enum ProgressLine {
    nonisolated(unsafe) static var shown = false

    static func make() -> @Sendable (String, Int, Int, Int) -> Void {
        let start = Date()
        return { label, done, total, rows in
            let elapsed = Date().timeIntervalSince(start)
            guard elapsed > 1 else { return }
            let rate = Double(done) / max(elapsed, 0.001)
            let percent = total > 0 ? Int(Double(done) / Double(total) * 100) : 0
            let text =
                "\r\(label): \(percent)%  \(Format.count(rows)) rows  \(Format.bytes(done)) of \(Format.bytes(total))  \(Format.bytes(Int(rate)))/s   "
            FileHandle.standardError.write(Data(text.utf8))
            shown = true
        }
    }

    static func clear() {
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)); shown = false }
    }
}
