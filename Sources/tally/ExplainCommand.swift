import ArgumentParser
import Foundation
import TallyCore
import TallyModel

/// `tally explain T0101`: what a diagnostic code means and how to fix it (docs/DIAGNOSTICS.md
/// has every code).
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain a diagnostic code (T0101 …): what causes it and an example fix.",
        discussion: "Without a code, lists every code and its title. Exit status 2 for a code Tally does not have."
    )

    @Argument(help: "The code, e.g. T0101.") var code: String?

    func run() throws {
        guard let text = code else {
            for c in DiagnosticCode.allCases { print("\(c.rawValue)  \(c.title)") }
            return
        }
        guard let c = DiagnosticCode(code: text.trimmingCharacters(in: .whitespaces)) else {
            writeError(
                "error: no diagnostic code \"\(text)\"\nhelp: tally explain lists the codes"
                    + (Suggest.help(for: text.uppercased(), in: DiagnosticCode.allCases.map(\.rawValue), noun: "codes").map { "; \($0)" }
                        ?? ""))
            throw ExitCode(2)
        }
        let e = c.entry
        print("\(c.rawValue): \(e.title)\n\n\(e.cause)\n\nFix: \(e.fix)")
    }
}
