import ArgumentParser
import TallyLSP
import TallyModel

/// `tally lsp`: the language server (TallyLSP) on stdin/stdout, for editors.
struct LspCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lsp",
        abstract:
            "Serve the Language Server Protocol on stdin/stdout: tally check's diagnostics as you type, completion, hover, go to definition, formatting, and each cell's rows from the last run.",
        discussion:
            "Editors start it themselves (see editors/). It reads the QA store (.tally/tally.sqlite in the workspace or above the playbook, or $TALLY_STORE; never created) for the last run's counts; \"run to here\" runs tally run --until CELL."
    )

    @Option(help: "Write a log of requests and check times to this file (owner-only).") var log: String?

    func run() throws {
        let status = LanguageServer.serve(logPath: log)
        if status != 0 { throw ExitCode(status) }
    }
}
