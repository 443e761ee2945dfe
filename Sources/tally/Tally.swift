import ArgumentParser
import Foundation
import TallyCore
import TallyModel

#if canImport(Glibc)
import Glibc
#endif

/// `tally`: the only code that prints or exits. Everything else is in TallyCore.
@main
struct Tally: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tally",
        abstract: "Run and check QA playbooks for state-reporting files.",
        version: TallyVersion.string,
        subcommands: [
            RunCommand.self, CheckCommand.self, WatchCommand.self, NewCommand.self, FmtCommand.self, CacheCommand.self, ReportCommand.self,
            ExpectedCommand.self, RunsCommand.self, VerifyCommand.self, AckCommand.self, SampleCommand.self, LayoutsCommand.self,
            RulesCommand.self, ErrorsCommand.self, StoreCommand.self, LspCommand.self, ExplainCommand.self,
        ]
    )
}

/// `--param name=value`, repeatable.
func parseParams(_ pairs: [String]) throws -> [String: String] {
    var out: [String: String] = [:]
    for pair in pairs {
        guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
            throw ValidationError("--param takes NAME=VALUE, not \"\(pair)\"")
        }
        out[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
    }
    return out
}

func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

func writeError(_ text: String) {
    // A message may quote a value from a file: the terminal shows its control characters.
    var s = TerminalText.visible(text)
    if !s.hasSuffix("\n") { s += "\n" }
    FileHandle.standardError.write(Data(s.utf8))
}
