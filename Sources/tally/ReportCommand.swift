import ArgumentParser
import Foundation
import TallyCore
import TallyModel

/// Report options shared by `tally run` and `tally report`.
struct ReportFlags: ParsableArguments {
    @Option(help: "Write report.html and report.md to this folder.") var report: String?
    @Flag(help: "Leave the playbook's statements out of the reports.") var hideCode = false
    @Option(help: "Columns to mask in reports, comma-separated (e.g. SSID,StudentLegalFirstName).") var mask: String?
    @Option(help: "Show counts below N as * in reports (state reporting commonly suppresses n < 11).") var suppressBelow: Int?
    @Option(help: "A folder with your own report.html.mustache and report.md.mustache.") var templates: String?

    /// Masks from the flag and the playbook. The token key: $TALLY_MASK_KEY, else the QA store's
    /// secret (made at random with the store, which is readable by its owner only), else — with
    /// --no-store — a random key for this run alone. Never a fixed key: a token made with a known
    /// key could be reversed by hashing every possible SSID.
    /// The columns --mask names.
    var maskList: [String] {
        (mask ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// - Parameter key: the run's own key, when it made one (--no-store), so reports and
    ///   masked exports share tokens.
    ///   - opened: the store the command has open (a read-only command's), used for its secret
    ///     instead of opening `storePath` again.
    func privacy(extraMasks: [String], storePath: String?, opened: QAStore? = nil, key runKey: String? = nil) throws -> ReportPrivacy {
        var masks = Set(extraMasks)
        masks.formUnion(maskList)
        if let suppressBelow, suppressBelow < 1 { throw ValidationError("--suppress-below takes a count of 1 or more") }
        var key = runKey ?? ProcessInfo.processInfo.environment["TALLY_MASK_KEY"] ?? ""
        if key.isEmpty, !masks.isEmpty {
            if let opened {
                key = try storeAction { try opened.maskKey() }
            } else if let storePath {
                key = try storeAction { try QAStore(path: storePath).maskKey() }
            } else {
                key = QAStore.randomSecret()
            }
        }
        return ReportPrivacy(masks: masks, suppressBelow: suppressBelow, key: key)
    }

    func options(_ privacy: ReportPrivacy) -> ReportOptions {
        var o = ReportOptions()
        o.hideCode = hideCode
        o.privacy = privacy
        o.templates = templates
        return o
    }
}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Render a past run's HTML and Markdown reports from the QA store, without rerunning it."
    )
    @Argument(help: "The run's id (see tally runs).") var id: Int64?
    @Option(
        help: ArgumentHelp(
            "Show how each check and compared total moved across this playbook's last 30 runs (with the parameters of its latest run), and render that run's report.",
            valueName: "playbook"))
    var history: String?
    @Option(help: "Folder for report.html and report.md (default: report-RUN_ID).") var out: String?
    @Flag(help: "Render in clear a run made with masks or suppression (the report says who asked for it, and when).") var unmask = false
    @OptionGroup var flags: ReportFlags
    @OptionGroup var store: StoreOptions

    /// The run's recorded masks and suppression with the playbook's `mask` statements and any
    /// given now; with --unmask, none (and the report says so). A run recorded before runs kept
    /// them applies what its report record knows (its playbook's `mask` statements).
    func privacy(_ qa: QAStore, run id: Int64, record: ReportRecord?) throws -> (ReportPrivacy, Unmasking?) {
        let recorded = try storeAction { try qa.privacy(run: id) }
        let masks = Array(Set((recorded?.masks ?? []) + (record?.masks ?? []))).sorted()
        if unmask {
            guard flags.mask == nil, flags.suppressBelow == nil else {
                throw ValidationError("--unmask renders the run in clear: leave out --mask and --suppress-below")
            }
            let unmasking = Unmasking(
                by: QAStore.currentUser, at: Date(), masks: masks,
                suppressBelow: recorded?.suppressBelow)
            return (
                ReportPrivacy(masks: [], suppressBelow: nil, key: ""),
                unmasking.masks.isEmpty && unmasking.suppressBelow == nil ? nil : unmasking
            )
        }
        if recorded == nil, record != nil {
            writeError(
                "note: run \(id) was recorded before runs kept their --mask and --suppress-below: only its playbook's mask statements apply (add --mask to mask more)"
            )
        }
        // A --mask that names no column the report shows would mask nothing while the report says
        // the column is masked: refused, as `tally run --mask` refuses it.
        if let record {
            let known = record.maskableColumns
            for name in flags.maskList where !known.contains(name) {
                writeError(
                    "error: --mask \(name): run \(id) shows no column \"\(name)\" to mask\n"
                        + "help: \(Suggest.help(for: name, in: known.sorted()) ?? "a mask names a column exactly as the tables have it")")
                throw ExitCode(2)
            }
        }
        var privacy = try flags.privacy(extraMasks: masks, storePath: qa.path, opened: qa)
        if privacy.suppressBelow == nil { privacy.suppressBelow = recorded?.suppressBelow }
        return (privacy, nil)
    }

    func run() throws {
        let qa = try store.open(.readOnly)
        var id: Int64
        if let history {
            let cwd = FileManager.default.currentDirectoryPath
            let absolute = history.hasPrefix("/") ? history : (cwd as NSString).appendingPathComponent(history)
            let playbook = Checker.display((absolute as NSString).standardizingPath, relativeTo: cwd)
            guard let latest = try storeAction({ try qa.latestRun(playbook: playbook) }) else {
                writeError("no run of \(playbook) in \(qa.path) (run it with tally run first, from this folder)")
                throw ExitCode(2)
            }
            let h = try storeAction { try qa.history(playbook: playbook, params: latest.params, upTo: latest.id) }
            let record = try storeAction { try qa.report(run: latest.id) }
            let privacy = try self.privacy(qa, run: latest.id, record: record).0
            print(TerminalText.visible(HistoryText.render(h, playbook: playbook, privacy: privacy)))
            id = latest.id
            if out == nil && flags.report == nil { return }
        } else if let given = self.id {
            id = given
        } else {
            writeError("give a run id (tally report 12) or --history PLAYBOOK")
            throw ExitCode(2)
        }
        guard let record = try storeAction({ try qa.report(run: id) }) else {
            writeError("no report record for run \(id) in \(qa.path)")
            throw ExitCode(2)
        }
        let (privacy, unmasking) = try self.privacy(qa, run: id, record: record)
        var options = flags.options(privacy)
        options.unmasked = unmasking
        let files = try storeAction { try ReportRenderer.write(record, to: out ?? flags.report ?? "report-\(id)", options: options) }
        print(TerminalText.visible("report: " + files.joined(separator: ", ")))
        if let unmasking { print(TerminalText.visible(unmasking.sentence)) }
    }
}
