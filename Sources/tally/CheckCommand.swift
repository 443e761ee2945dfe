import ArgumentParser
import Foundation
import TallyCore
import TallyModel

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a playbook without running it: every name, column and type; all errors at once.",
        discussion: "Prints the schema of every input. Exit status 0 when the playbook is sound, 2 otherwise."
    )

    @Argument(help: "The playbook file.") var playbook: String
    @Option(name: .customLong("param"), help: "Set a parameter: --param name=value (repeatable).") var params: [String] = []
    @OptionGroup var store: StoreOptions
    @OptionGroup var places: ExportPlaces
    @Flag(help: "Print the statements the parser understood.") var ast = false
    @Flag(help: "Print the errors and warnings as JSON on stdout, each with its code (T0101 …).") var json = false

    func run() throws {
        var options = RunOptions()
        options.params = try parseParams(params)
        options.storePath = store.path
        places.apply(to: &options)
        let result = Runner.check(path: playbook, options: options)
        if json {
            print(
                DiagnosticJSON.render(
                    playbook: result.file ?? playbook, errors: result.diagnostics,
                    warnings: result.plan?.warnings ?? []), terminator: "")
            if !result.diagnostics.isEmpty || result.plan == nil { throw ExitCode(2) }
            return
        }
        if !result.diagnostics.isEmpty {
            writeError(CheckReport.renderFailure(result.diagnostics, playbookFile: result.file, source: result.source, path: playbook))
            throw ExitCode(2)
        }
        guard let plan = result.plan else { throw ExitCode(2) }
        print(CheckReport.render(plan: plan, inputs: result.inputs, showAST: ast), terminator: "")
    }
}
