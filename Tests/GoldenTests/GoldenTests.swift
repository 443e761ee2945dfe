import Foundation
import Testing

@testable import TallyCore
@testable import TallyModel

/// Each golden case is a test of its own, run through `Session.run` — the call `tally run`
/// makes, privacy included. `swift test --filter GoldenTests` runs them all;
/// `GOLDEN_CASE=steps/drop-columns swift test --filter GoldenTests` one (see `GoldenCase.all`);
/// `UPDATE_GOLDENS=1 swift test --filter GoldenTests` rewrites `expected/` for review in git diff.
struct GoldenTests {
    @Test("golden case", arguments: GoldenCase.all)
    func golden(_ golden: GoldenCase) throws {
        let result = try golden.run()
        if GoldenCase.record { return try golden.write(result) }
        let problems = golden.differences(result)
        #expect(problems.isEmpty, "\(golden.name): \(problems.joined(separator: "; "))")
    }

    /// Every example playbook, and every run case, saved with CR LF line ends (Windows editors,
    /// git's autocrlf) gives exactly the output, exit status and exports of the LF file.
    /// (Syntax-error cases print the source line: their columns stay the same, but they stay LF-only.)
    @Test("golden case with CR LF", arguments: GoldenCase.all.filter { $0.command == "run" || $0.example != nil })
    func goldenWithCRLF(_ golden: GoldenCase) throws {
        guard !GoldenCase.record else { return }
        let problems = golden.differences(try golden.run(crlf: true))
        #expect(problems.isEmpty, "CR LF \(golden.name): \(problems.joined(separator: "; "))")
    }

    /// The cell cache never changes a result: three runs over one cache (see `runCached`) give
    /// the golden output (but for the `cached` marks), exit status and exports each time, and
    /// byte-identical HTML and Markdown reports. (A case with a store is left out: each of its
    /// runs is a new run in its ledger, and a snapshot is the next run's baseline.)
    @Test("golden case from the cell cache", arguments: GoldenCase.all.filter { $0.command == "run" && !$0.usesStore })
    func goldenFromTheCellCache(_ golden: GoldenCase) throws {
        guard !GoldenCase.record else { return }
        let passes = try golden.runCached()
        var problems: [String] = []
        if Set(passes.map(\.output)).count != 1 {
            problems.append(
                "output differs from the cache:\n"
                    + GoldenCase.firstDifference(
                        passes[0].output, passes[1].output == passes[0].output ? passes[2].output : passes[1].output))
        }
        if Set(passes.map(\.exit)).count != 1 { problems.append("exit statuses \(passes.map(\.exit))") }
        if passes[1].reports != passes[0].reports || passes[2].reports != passes[0].reports {
            problems.append("reports differ from the cache")
        }
        if passes[1].exports != passes[0].exports || passes[2].exports != passes[0].exports {
            problems.append("exports differ from the cache")
        }
        problems += golden.differences(passes[0])
        // A run that loaded something takes it from the cache the second and third time.
        if passes[0].exit != 2, passes[0].output.contains("load ") {
            #expect(passes[2].cachedCells > 0, "\(golden.name): the third run took no cell from the cache")
        }
        #expect(problems.isEmpty, "cached \(golden.name): \(problems.joined(separator: "; "))")
    }

    /// `Session.run` is what the command line runs: the real `tally run` binary, in the case's
    /// folder, prints the golden output on stdout and stderr, exits with its status and leaves
    /// its exports. (The example and step cases, without a store; the binary keys its tokens with
    /// TALLY_MASK_KEY as the tests do with `RunOptions.maskKey`.)
    @Test(
        "golden case through the tally binary",
        arguments: GoldenCase.all.filter { ["examples", "steps"].contains($0.area) && $0.command == "run" && !$0.usesStore })
    func goldenThroughTheBinary(_ golden: GoldenCase) throws {
        guard !GoldenCase.record else { return }
        let tally = GoldenCase.repository.appendingPathComponent(".build/debug/tally").path
        try #require(FileManager.default.isExecutableFile(atPath: tally), "build tally first: swift build")
        let (scratch, playbook) = try golden.scratch(crlf: false)
        defer { try? FileManager.default.removeItem(at: scratch) }
        var arguments = ["run", playbook, "--no-store", "--no-color", "--no-timings"]
        for (name, value) in golden.options(in: scratch).run.params.sorted(by: { $0.key < $1.key }) {
            arguments += ["--param", "\(name)=\(value)"]
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tally)
        process.arguments = arguments
        process.currentDirectoryURL = scratch
        var environment = ProcessInfo.processInfo.environment
        environment["TALLY_MASK_KEY"] = "golden-cases-key"
        environment["NO_COLOR"] = "1"
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let result = GoldenCase.Result(
            output: String(decoding: stdout + stderr, as: UTF8.self), exit: process.terminationStatus,
            exports: GoldenCase.files(under: scratch.appendingPathComponent("out")))
        let problems = golden.differences(result)
        #expect(problems.isEmpty, "tally run \(golden.name): \(problems.joined(separator: "; "))")
    }

    @Test func everyExamplePlaybookHasACase() throws {
        let examples = GoldenCase.everyCase.compactMap(\.example).sorted()
        let playbooks = try FileManager.default.contentsOfDirectory(atPath: GoldenCase.repository.appendingPathComponent("playbooks").path)
            .filter { $0.hasSuffix(".playbook") }
        #expect(Set(examples) == Set(playbooks), "every example playbook in playbooks/ has a case in Cases/examples/")
    }

    /// Every step and statement keyword the parser knows is run by at least one case that runs
    /// to its end (exit 0 or 1): a new step without a golden case fails here.
    @Test func everyKeywordHasACase() throws {
        let keywords = Set(Parser.stepWords + Parser.statementWords)
        var ran = Set<String>()
        for golden in GoldenCase.everyCase where golden.command == "run" {
            let exit = (try? String(contentsOf: golden.folder.appendingPathComponent("expected/exit"), encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            guard exit == "0" || exit == "1" else { continue }
            let file =
                golden.example.map { GoldenCase.repository.appendingPathComponent("playbooks/" + $0) }
                ?? golden.folder.appendingPathComponent("case.playbook")
            let playbook = try Parser.parse(source: String(contentsOf: file, encoding: .utf8), file: file.lastPathComponent)
            for node in playbook.statements {
                ran.insert(node.statement.keyword)
                if case .assign(_, _, let steps) = node.statement { ran.formUnion(steps.map(\.step.keyword)) }
            }
        }
        let missing = keywords.subtracting(ran).sorted()
        #expect(missing.isEmpty, "no golden case runs \(missing.joined(separator: ", ")): add Cases/steps/<keyword>-<what>/")
    }
}
