import ArgumentParser
import Foundation
import TallyCore
import TallyModel

/// `tally fmt PLAYBOOK...`: rewrite playbooks in the canonical layout (`--check`: only say which
/// would change, exit 1).
struct FmtCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fmt",
        abstract: "Rewrite playbooks in the canonical layout, keeping comments and narrative.",
        discussion:
            "Exit status: 0 nothing to change (or rewritten), 1 with --check when a playbook would change, 2 a playbook does not parse."
    )

    @Argument(help: "Playbook files.") var playbooks: [String]
    @Flag(help: "Change nothing; list the playbooks that are not in the canonical layout and exit 1 if any.") var check = false

    func run() throws {
        var changed: [String] = []
        for path in playbooks {
            guard let data = FileManager.default.contents(atPath: path), let source = String(data: data, encoding: .utf8) else {
                writeError("\(path): error: cannot read the playbook")
                throw ExitCode(2)
            }
            // Formatting walks expressions recursively: on a large stack, like a run.
            let formatted = LargeStack.run { Formatter.format(source) }
            do {
                // Never write a playbook that would mean something else.
                let same = try LargeStack.run {
                    try Formatter.meaning(source, file: path) == (try Formatter.meaning(formatted, file: path))
                }
                guard same else {
                    writeError(
                        "\(path): error: formatting would change what the playbook means; the file is left as it is (please report this)")
                    throw ExitCode(2)
                }
            } catch let list as DiagnosticList {
                for d in list.diagnostics { writeError(d.render(source: Parser.normalizedLineEnds(source))) }
                throw ExitCode(2)
            }
            guard formatted != source else { continue }
            changed.append(path)
            if check { print("would reformat \(path)"); continue }
            // The playbook keeps its permissions.
            let mode = (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.uint32Value ?? 0o644
            guard FileCreation.replace(path, contents: Data(formatted.utf8), permissions: mode_t(mode)) else {
                writeError("\(path): error: cannot write the playbook")
                throw ExitCode(2)
            }
            print("formatted \(path)")
        }
        if check, !changed.isEmpty { throw ExitCode(1) }
    }
}

/// `tally new NAME`: a playbook to start from.
struct NewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Start a playbook: a narrative header, parameters and a commented example of each statement."
    )

    @Argument(help: "The playbook's name (NAME.playbook is written here).") var name: String
    @Option(help: "The playbook's title (default: from the name).") var title: String?

    func run() throws {
        let path = name.hasSuffix(".playbook") ? name : name + ".playbook"
        guard !FileManager.default.fileExists(atPath: path) else {
            writeError("\(path): error: the file exists; choose another name")
            throw ExitCode(2)
        }
        let base = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        let heading = title ?? base.replacingOccurrences(of: "_", with: " ").replacingOccurrences(of: "-", with: " ").capitalized
        guard FileCreation.create(path, contents: Data(Formatter.scaffold(title: heading).utf8)) else {
            writeError("\(path): error: cannot write the playbook")
            throw ExitCode(2)
        }
        print("wrote \(path) — uncomment what you need, then: tally check \(path)")
    }
}
