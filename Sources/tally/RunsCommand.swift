import ArgumentParser
import Foundation
import TallyCore
import TallyModel

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "The run ledger: every run, with its inputs, checks and counts.",
        subcommands: [List.self, Show.self, Diff.self, Label.self],
        defaultSubcommand: List.self
    )

    /// Masks from --mask, the runs' own mask statements and the masks the runs were made with
    /// (kept in the ledger), keyed by the store's secret.
    static func privacy(_ flag: String?, report: [ReportRecord?], runs: [Int64], store: QAStore) throws -> ReportPrivacy {
        var masks = Set(report.flatMap { $0?.masks ?? [] })
        for id in runs { masks.formUnion(try storeAction { try store.privacy(run: id) }?.masks ?? []) }
        for m in (flag ?? "").split(separator: ",") { masks.insert(m.trimmingCharacters(in: .whitespaces)) }
        masks.remove("")
        let environment = ProcessInfo.processInfo.environment["TALLY_MASK_KEY"] ?? ""
        let key = masks.isEmpty ? "" : (environment.isEmpty ? try storeAction { try store.maskKey() } : environment)
        return ReportPrivacy(masks: masks, suppressBelow: nil, key: key)
    }

    /// Prints for the terminal: a value's control characters shown, never obeyed (`TerminalText`).
    static func say(_ text: String) { print(TerminalText.visible(text)) }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List runs, newest first.")
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var store: StoreOptions

        func run() throws {
            let qa = try store.open(.readOnly)
            let runs = try storeAction { try qa.runs() }
            if json { print(RunsCommand.json(runs)); return }
            guard !runs.isEmpty else { RunsCommand.say("no runs in \(qa.path)"); return }
            let rows = runs.map { r in
                [String(r.id), r.title, r.startedAt, r.status, String(r.checksFailed), String(r.warnings), r.label ?? "", r.playbook]
            }
            RunsCommand.say(
                TextTable.render(
                    header: ["id", "playbook title", "started", "status", "failed", "warnings", "label", "playbook"],
                    rows: rows, maxWidth: 40, indent: ""))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one run: parameters, inputs with fingerprints, cells, checks.")
        @Argument(help: "The run's id.") var id: Int64
        @Flag(help: "Print JSON.") var json = false
        @Option(help: "Columns to mask, comma-separated (the playbook's mask statements always apply).") var mask: String?
        @OptionGroup var store: StoreOptions

        func run() throws {
            let qa = try store.open(.readOnly)
            guard let stored = try storeAction({ try qa.run(id) }) else {
                writeError("no run \(id) in \(qa.path)")
                throw ExitCode(2)
            }
            let report = try storeAction { try qa.report(run: id) }
            let run = try RunsCommand.privacy(mask, report: [report], runs: [id], store: qa).apply(stored, report: report)
            if json { print(RunsCommand.json(run)); return }
            let s = run.summary
            RunsCommand.say("run \(s.id): \(s.title) — \(s.status) (exit \(s.exitStatus))\(s.label.map { ", labelled \($0)" } ?? "")")
            RunsCommand.say("playbook \(s.playbook) (sha256 \(run.playbookSHA256)), tally \(run.toolVersion), by \(s.runBy)")
            RunsCommand.say("started \(s.startedAt), finished \(s.finishedAt)")
            if let kept = try storeAction({ try qa.privacy(run: id) }), !kept.isEmpty {
                RunsCommand.say(
                    "masked: "
                        + ([
                            kept.masks.isEmpty ? nil : kept.masks.joined(separator: ", "),
                            kept.suppressBelow.map { "counts below \($0) suppressed" },
                        ].compactMap { $0 }.joined(separator: "; ")))
            }
            if !run.params.isEmpty {
                RunsCommand.say(
                    "parameters: " + run.params.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value)" }.joined(separator: ", "))
            }
            for error in run.errors { RunsCommand.say("error: \(error)") }
            if !run.inputs.isEmpty {
                RunsCommand.say("\ninputs")
                RunsCommand.say(
                    TextTable.render(
                        header: ["table", "path", "bytes", "rows", "sha256"],
                        rows: run.inputs.map { [$0.table, $0.path, String($0.bytes), String($0.rows), $0.sha256] },
                        maxWidth: 70, indent: "  "))
            }
            if !run.cells.isEmpty {
                RunsCommand.say("\ncells")
                RunsCommand.say(
                    TextTable.render(
                        header: ["line", "kind", "table", "rows in", "rows out", "seconds"],
                        rows: run.cells.map {
                            [
                                String($0.line), $0.kind.rawValue, $0.table ?? "", $0.rowsIn.map(String.init) ?? "",
                                $0.rowsOut.map(String.init) ?? "", String(format: "%.3f", $0.elapsed),
                            ]
                        },
                        indent: "  "))
            }
            if !run.checks.isEmpty {
                RunsCommand.say("\nchecks")
                RunsCommand.say(
                    TextTable.render(
                        header: ["id", "severity", "outcome", "failing", "check"],
                        rows: run.checks.map {
                            [
                                $0.id, $0.severity.rawValue,
                                $0.passed ? "passed" : ($0.acknowledged != nil ? "acknowledged" : "failed"),
                                String($0.failingCount), $0.message ?? $0.predicate,
                            ]
                        },
                        maxWidth: 60, indent: "  "))
            }
        }
    }

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "What changed between two runs: row counts, checks, compared values.")
        @Argument(help: "The earlier run.") var first: Int64
        @Argument(help: "The later run.") var second: Int64
        @Flag(help: "Print JSON.") var json = false
        @Option(help: "Columns to mask, comma-separated (the playbooks' mask statements always apply).") var mask: String?
        @OptionGroup var store: StoreOptions

        func run() throws {
            let qa = try store.open(.readOnly)
            let reports = try storeAction { [try qa.report(run: first), try qa.report(run: second)] }
            let diff = try RunsCommand.privacy(mask, report: reports, runs: [first, second], store: qa).apply(
                try storeAction { try qa.diff(first, second) }, reports: reports)
            if json { print(RunsCommand.json(diff)); return }
            RunsCommand.say("run \(first) → run \(second)")
            if diff.counts.isEmpty && diff.checks.isEmpty && diff.values.isEmpty {
                RunsCommand.say("no differences in counts, checks or compared values"); return
            }
            if !diff.counts.isEmpty {
                RunsCommand.say("\nrow counts")
                RunsCommand.say(
                    TextTable.render(
                        header: ["table", "before", "after", "change"],
                        rows: diff.counts.map { c in
                            [
                                c.table, c.before.map { Format.count($0) } ?? "—", c.after.map { Format.count($0) } ?? "—",
                                (c.before != nil && c.after != nil) ? String(format: "%+d", (c.after ?? 0) - (c.before ?? 0)) : "",
                            ]
                        }, indent: "  ", rightAlign: [1, 2, 3]))
            }
            if !diff.checks.isEmpty {
                RunsCommand.say("\nchecks")
                RunsCommand.say(
                    TextTable.render(
                        header: ["check", "before", "after"], rows: diff.checks.map { [$0.check, $0.before, $0.after] }, indent: "  "))
            }
            if !diff.values.isEmpty {
                RunsCommand.say("\ncompared values")
                func show(_ v: Double?) -> String {
                    v.map { Format.decimal(Value.formatDecimal($0)).replacingOccurrences(of: ".0", with: "") } ?? "—"
                }
                RunsCommand.say(
                    TextTable.render(
                        header: ["series", "key", "before", "after"],
                        rows: diff.values.prefix(200).map { [$0.series, $0.key, show($0.before), show($0.after)] },
                        indent: "  ", rightAlign: [2, 3]))
                if diff.values.count > 200 { RunsCommand.say("  … \(diff.values.count - 200) more (use --json)") }
            }
        }
    }

    struct Label: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Label a run (e.g. certified) so playbooks can compare with run \"LABEL\".")
        @Argument(help: "The run's id.") var id: Int64
        @Argument(help: "The label.") var label: String
        @OptionGroup var store: StoreOptions

        func run() throws {
            let qa = try store.open()
            try storeAction { try qa.label(id, label) }
            print("run \(id) labelled \(label)")
        }
    }
}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Re-hash a past run's inputs: are they still the files that run saw? (exit 1 if any changed or is missing)"
    )
    @Argument(help: "The run's id.") var id: Int64
    @OptionGroup var store: StoreOptions

    func run() throws {
        let qa = try store.open(.readOnly)
        let results = try storeAction { try qa.verify(id) }
        print(
            TextTable.render(
                header: ["table", "path", "status", "recorded sha256", "current sha256"],
                rows: results.map { [$0.table, $0.path, $0.status.rawValue, $0.recordedSHA256, $0.currentSHA256 ?? "—"] },
                maxWidth: 70, indent: ""))
        let bad = results.filter { $0.status != .unchanged }
        if bad.isEmpty {
            print("all \(results.count) inputs are the files run \(id) saw")
        } else {
            print("\(bad.count) input\(bad.count == 1 ? "" : "s") changed or missing since run \(id)")
            throw ExitCode(1)
        }
    }
}

struct AckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ack",
        abstract:
            "Acknowledge a failing check of a run after review; later runs show it as acknowledged while its failing rows are unchanged."
    )
    @Argument(help: "The run's id.") var id: Int64
    @Argument(help: "The check's id (as in tally runs show).") var check: String
    @Option(help: "Why the failure is acceptable.") var reason: String
    @OptionGroup var store: StoreOptions

    func run() throws {
        let qa = try store.open()
        try storeAction { try qa.acknowledge(run: id, check: check, reason: reason, by: QAStore.currentUser, at: Date()) }
        print("acknowledged \(check) of run \(id)")
    }
}
