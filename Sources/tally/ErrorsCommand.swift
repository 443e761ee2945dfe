import ArgumentParser
import Foundation
import TallyCore
import TallyModel

/// `tally errors`: the CALPADS errors tracked runs kept (`track T`), each with the run that
/// first and last saw it and, once it is gone, the run that no longer had it.
struct ErrorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "errors",
        abstract: "CALPADS errors tracked across submissions: new, still open and resolved.",
        discussion:
            "A playbook that loads a CALPADS error report and says track T keeps its errors in the QA store at each run. A submission is an error report, identified by its bytes: rerunning a playbook on a report already tracked is the same submission, not a new one. tally errors lists every error of the latest submission as new (not in the submission before) or open (still there), and every earlier one as resolved, with the run it was first seen in, last seen in and resolved in. Submissions are in the order their reports first appeared (or of the reports' own upload dates, when they have them)."
    )

    @OptionGroup var store: StoreOptions
    @Option(help: "Only the errors tracked by this playbook (its path as tally runs shows it).") var playbook: String?
    @Option(help: "Only errors with this status: new, open or resolved.") var status: String?
    @Option(help: "Columns to mask, comma-separated (the playbooks' mask statements always apply).") var mask: String?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        var wanted: TrackedErrorStatus.Status? = nil
        if let status {
            guard let s = TrackedErrorStatus.Status(rawValue: status.lowercased()) else {
                throw ValidationError("--status takes new, open or resolved")
            }
            wanted = s
        }
        let qa = try store.open(.readOnly)
        let series = try storeAction { try qa.trackedSeries() }.filter { playbook == nil || $0.playbook == playbook }
        guard !series.isEmpty else {
            if json {
                print("[]")
            } else {
                RunsCommand.say(
                    "no tracked CALPADS errors in \(qa.path)" + (playbook.map { " for \($0)" } ?? "")
                        + ": a playbook that loads an error report (as calpads errors) keeps them with track T")
            }
            return
        }
        var histories: [ErrorHistory] = []
        for s in series {
            var history = try storeAction { try qa.errorHistory(playbook: s.playbook, name: s.name) }
            let reports = try history.runs.map { run in try storeAction { try qa.report(run: run.id) } }
            history = try RunsCommand.privacy(mask, report: reports, runs: history.runs.map(\.id), store: qa).apply(history)
            if let wanted { history.errors = history.errors.filter { $0.status == wanted } }
            histories.append(history)
        }
        if json { print(RunsCommand.json(histories)); return }
        RunsCommand.say(histories.map(render).joined(separator: "\n\n"))
    }

    func render(_ h: ErrorHistory) -> String {
        var lines: [String] = []
        // Submissions, not runs: a rerun of a report already tracked is the same submission.
        func runs(_ s: TrackedSubmission) -> String {
            (s.runs.count == 1 ? "run " : "runs ") + s.runs.map { "#\($0)" }.joined(separator: ", ")
        }
        let each = h.submissions.map { "\($0.number) (\(runs($0)))" }.joined(separator: ", ")
        var latest = ""
        if let last = h.submissions.last {
            let started = h.runs.first { $0.id == last.firstRun }?.startedAt.prefix(16).replacingOccurrences(of: "T", with: " ") ?? ""
            let report = last.report.map { "error report SHA-256 \($0.prefix(12))…" } ?? "tracked before submissions were kept"
            latest = "; latest: submission \(last.number), \(report), from \(runs(last)), first tracked \(started)"
        }
        lines.append(
            "\(h.playbook) · \(h.name): \(Format.plural(h.submissions.count, "submission")) tracked by \(Format.plural(h.runs.count, "run")): \(each)\(latest)"
        )
        lines.append(
            "  \(h.count(.new)) new, \(h.count(.open)) still open, \(h.count(.resolved)) resolved"
                + (status == nil ? "" : " (showing \(status ?? ""))"))
        guard !h.errors.isEmpty else { return lines.joined(separator: "\n") }
        let rows = h.errors.map { s -> [String] in
            let e = s.error
            let place = e.sourceFile.map { f in f + (e.sourceLine.map { ":\($0)" } ?? "") } ?? ""
            return [
                s.status.rawValue, e.errorCode, e.school ?? "", e.record, e.ssid ?? "", e.field ?? "", "#\(s.firstSeen)", "#\(s.lastSeen)",
                s.resolvedIn.map { "#\($0)" } ?? "", place, e.description ?? "",
            ]
        }
        lines.append(
            TextTable.render(
                header: [
                    "status", "error", "school", "record", "SSID", "field", "first seen", "last seen", "resolved in",
                    "where to fix", "CALPADS says",
                ], rows: rows, maxWidth: 48, indent: "  "))
        return lines.joined(separator: "\n")
    }
}
