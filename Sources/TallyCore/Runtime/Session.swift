import Foundation
import TallyModel

/// One playbook run as `tally run` makes it: the run (`Runner.run`), the privacy every output
/// follows (masks and suppression), the reports and JUnit file written, and what the terminal
/// shows — returned, never printed. `tally run`, `tally watch` and the golden tests call this,
/// so what a test sees is what the analyst sees.
public enum Session {
    /// What the terminal shows of the run.
    public enum Output: Sendable {
        /// The notebook (the default of `tally run`).
        case notebook
        /// The summary, checks and comparisons as JSON (`--json`).
        case json
        /// Nothing (`tally watch` renders its own page).
        case none
    }

    /// `RunOptions` plus what `tally run` does with the record.
    public struct Options: Sendable {
        public var run = RunOptions()
        public var output: Output = .notebook
        public var color = false
        public var timings = true
        /// `--report DIR`, `--hide-code`, `--templates DIR`.
        public var reportFolder: String? = nil
        public var hideCode = false
        public var templates: String? = nil
        /// `--junit FILE`.
        public var junit: String? = nil
        /// Hand the run's tables back in `Outcome.tables` (`tally watch`'s table view).
        public var keepTables = false
        public init() {}
    }

    /// What the run gave. `text` is what `tally run` prints on stdout, `diagnostics` what it
    /// writes on stderr after it, `exitStatus` its exit status.
    public struct Outcome: Sendable {
        /// The run as it happened, unmasked (for code that applies `privacy` itself).
        public var record: RunRecord
        /// The privacy every output of this run follows.
        public var privacy: ReportPrivacy
        public var exitStatus: Int32
        public var text: String
        public var diagnostics: [Diagnostic]
        /// The report files written (`Options.reportFolder`).
        public var reportFiles: [String]
        /// The report's opening sentence: ready to certify or not.
        public var verdict: String
        /// The run's tables, with `Options.keepTables` (nil if the run stopped before any statement).
        public var tables: RunTables?
        public var cells: [CellResult] { record.cells }
    }

    /// Runs the playbook at `path` and everything `tally run` does after it.
    public static func run(path: String, options: Options) -> Outcome {
        let (record, tables) =
            options.keepTables
            ? Runner.runKeepingTables(path: path, options: options.run)
            : (Runner.run(path: path, options: options.run), nil)
        var outcome = Outcome(
            record: record, privacy: ReportPrivacy(masks: [], suppressBelow: nil, key: ""),
            exitStatus: record.exitStatus, text: "", diagnostics: [], reportFiles: [], verdict: "", tables: tables)
        let report = ReportRecord(record)
        outcome.verdict = Verdict(report).sentence
        do {
            outcome.privacy = try privacy(masks: record.masks, options: options.run)
        } catch let d as Diagnostic {
            // The masking secret could not be read: nothing is shown unmasked.
            outcome.diagnostics = [d]
            outcome.exitStatus = 2
            return outcome
        } catch {
            outcome.diagnostics = [Diagnostic(.error, "\(error)", file: options.run.storePath.map(QAStore.displayLocation) ?? path)]
            outcome.exitStatus = 2
            return outcome
        }
        let masked = outcome.privacy.apply(report)
        switch options.output {
        case .json: outcome.text = MachineOutput.json(masked) + "\n"
        // The terminal follows the same masks as every other output.
        case .notebook: outcome.text = TerminalReport(color: options.color, timings: options.timings).render(outcome.privacy.apply(record))
        case .none: break
        }
        do {
            if let folder = options.reportFolder {
                var reportOptions = ReportOptions()
                reportOptions.hideCode = options.hideCode
                reportOptions.privacy = outcome.privacy
                reportOptions.templates = options.templates
                outcome.reportFiles = try ReportRenderer.write(report, to: folder, options: reportOptions)
                if options.output == .notebook { outcome.text += "report: " + outcome.reportFiles.joined(separator: ", ") + "\n" }
            }
            if let path = options.junit {
                guard FileCreation.replace(path, contents: Data(MachineOutput.junit(masked).utf8), permissions: 0o600) else {
                    throw Diagnostic(.reportFailed, .error, "cannot write the JUnit file", file: path)
                }
            }
        } catch let d as Diagnostic {
            outcome.diagnostics.append(d)
            outcome.exitStatus = 2
        } catch {
            outcome.diagnostics.append(Diagnostic(.error, "\(error)", file: options.reportFolder ?? options.junit ?? path))
            outcome.exitStatus = 2
        }
        return outcome
    }

    /// The run's masks (`--mask` and the playbook's) and suppression, keyed by the run's own key
    /// (`RunOptions.maskKey`), else $TALLY_MASK_KEY, else the QA store's secret, else — with no
    /// store — a random key for this run alone. Never a fixed key: a token made with a known key
    /// could be reversed by hashing every possible SSID.
    static func privacy(masks extra: [String], options: RunOptions) throws -> ReportPrivacy {
        let masks = Set(extra).union(options.masks)
        var key = options.maskKey ?? ProcessInfo.processInfo.environment["TALLY_MASK_KEY"] ?? ""
        if key.isEmpty, !masks.isEmpty {
            if let storePath = options.storePath { key = try QAStore(path: storePath).maskKey() } else { key = QAStore.randomSecret() }
        }
        return ReportPrivacy(masks: masks, suppressBelow: options.suppressBelow, key: key)
    }
}

/// A finished run's tables, paged as the notebook shows them (`Interpreter.page`). One page at a
/// time: paging caches each masked table in the interpreter.
public final class RunTables: @unchecked Sendable {
    private let interpreter: Interpreter
    private let lock = NSLock()

    init(_ interpreter: Interpreter) { self.interpreter = interpreter }

    /// The tables the run made, in the order their cells ran.
    public var names: [String] { lock.lock(); defer { lock.unlock() }; return interpreter.tableNames }

    public func page(
        _ table: String, privacy: ReportPrivacy, filter: String?, sort: String?, descending: Bool,
        offset: Int, limit: Int
    ) -> TablePage {
        lock.lock()
        defer { lock.unlock() }
        return interpreter.page(table, privacy: privacy, filter: filter, sort: sort, descending: descending, offset: offset, limit: limit)
    }
}
