import ArgumentParser
import TallyCore
import TallyModel

/// Where a run's exports may go. A playbook writes inside its own folder; another place is
/// named here, by the person running it, never by the playbook.
struct ExportPlaces: ParsableArguments {
    @Option(
        name: .customLong("out"),
        help: ArgumentHelp(
            "Write the playbook's exports under this folder instead of the playbook's folder (relative export paths start here).",
            valueName: "folder"))
    var out: String?
    @Option(
        name: .customLong("allow-export-to"),
        help: ArgumentHelp(
            "Let exports also be written in this folder (or to this file), outside the playbook's folder (repeatable).", valueName: "path"))
    var allowed: [String] = []

    func apply(to options: inout RunOptions) {
        options.exportFolder = out
        options.allowExportTo = allowed
    }

    /// The same places for a child run (`--matrix`).
    var arguments: [String] {
        (out.map { ["--out", $0] } ?? []) + allowed.flatMap { ["--allow-export-to", $0] }
    }
}
