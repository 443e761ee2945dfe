import Foundation
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// Faults a user meets, with the real `tally` binary: a run killed at any moment, eight runs at
/// once on one store, a read-only folder and a full disk.
final class ReliabilityTests: XCTestCase {
    static let rows = 120_000

    /// A district of `rows` students and a playbook that loads, snapshots (a store write), checks
    /// and exports two files, each row tagged with the run's parameter.
    func district(_ scratch: Scratch, rows: Int = ReliabilityTests.rows) throws {
        var csv = "SSID,School,Grade\n"
        csv.reserveCapacity(rows * 24)
        for i in 0..<rows { csv += "\(1_000_000_000 + i),\(6_000_001 + i % 40),\(String(format: "%02d", i % 12 + 1))\n" }
        try scratch.write("students.csv", csv)
        try scratch.write(
            "p.playbook",
            """
            playbook "Faults"
            param run_tag: text = "0"
            load students from "students.csv" with columns (SSID: text, School: text)
            tagged = students | derive batch = run_tag
            by_school = tagged | aggregate n = count() by School, batch
            snapshot by_school by School as "by_school"
            assert students unique by SSID
            export tagged to "out/students.csv"
            export by_school to "out/by_school.csv"
            """)
    }

    @discardableResult
    func tally(_ arguments: [String], in scratch: Scratch) throws -> (exit: Int32, output: String) {
        try ReliabilityTests.tally(arguments, in: scratch.url.path)
    }

    /// Runs tally in `folder`; arguments starting "__sh", SCRIPT run it through /bin/sh -c SCRIPT.
    static func tally(_ arguments: [String], in folder: String) throws -> (exit: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: MatrixTests.tally)
        process.arguments = arguments
        if arguments.first == "__sh" {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", arguments[1], MatrixTests.tally] + arguments.dropFirst(2)
        }
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The run tag of out/students.csv when it is one run's complete export, else what is wrong.
    func exportedTag(_ scratch: Scratch, rows: Int = ReliabilityTests.rows) -> Result<String, Problem> {
        guard let text = scratch.read("out/students.csv") else { return .failure(Problem("out/students.csv is missing")) }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.first == "SSID,School,Grade,batch" else { return .failure(Problem("its header is \(lines.first ?? "")")) }
        guard lines.count == rows + 2, lines.last == "" else {
            return .failure(Problem("it has \(lines.count - 2) rows, not \(rows): cut short?"))
        }
        let tags = Set(lines.dropFirst().dropLast().map { $0.split(separator: ",").last.map(String.init) ?? "" })
        guard tags.count == 1, let tag = tags.first else { return .failure(Problem("it mixes the rows of \(tags.count) runs")) }
        // by_school.csv comes from the same run.
        let bySchool = scratch.read("out/by_school.csv") ?? ""
        guard bySchool.hasPrefix("School,batch,n\n"),
            bySchool.split(separator: "\n").dropFirst().allSatisfy({ $0.split(separator: ",")[1] == tag })
        else {
            return .failure(Problem("out/by_school.csv is not from the run that wrote out/students.csv (\(tag))"))
        }
        return .success(tag)
    }

    struct Problem: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    func completeExport(_ scratch: Scratch, rows: Int = ReliabilityTests.rows) -> String? {
        if case .failure(let problem) = exportedTag(scratch, rows: rows) { return problem.description }
        return nil
    }

    func testARunKilledAtAnyMomentLosesNothing() throws {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: MatrixTests.tally), "build tally first: swift build")
        let scratch = try Scratch()
        try district(scratch)
        let store = ["--store", "store.sqlite", "--no-cache"]
        let first = try tally(["run", "p.playbook", "--param", "run_tag=0"] + store, in: scratch)
        XCTAssertEqual(first.exit, 0, first.output)
        // Timed as the killed runs will find things, with the store made (the first run also
        // created and migrated it, and took longer: kills timed by it landed after the run).
        let started = Date()
        let again = try tally(["run", "p.playbook", "--param", "run_tag=0"] + store, in: scratch)
        let whole = Date().timeIntervalSince(started)
        XCTAssertEqual(again.exit, 0, again.output)
        var killedWhileRunning = 0, interrupted = 0
        var exported = "0"
        var generator = SystemRandomNumberGenerator()
        for trial in 1...20 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: MatrixTests.tally)
            process.arguments = ["run", "p.playbook", "--param", "run_tag=\(trial)"] + store
            process.currentDirectoryURL = scratch.url
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            // Anywhere in the run: loading, deriving, writing the exports, writing the store.
            let delay = Double.random(in: 0.02...(whole * 0.95), using: &generator)
            try process.run()
            usleep(useconds_t(delay * 1_000_000))
            if process.isRunning { killedWhileRunning += 1 }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let finished = process.terminationReason == .exit && process.terminationStatus == 0
            let qa = try QAStore(path: scratch.path("store.sqlite"))
            let when = "trial \(trial) (killed after \(String(format: "%.3f", delay)) s)"
            XCTAssertEqual(try qa.integrityCheck(), ["ok"], "\(when): the store is damaged")
            // Each run is in the ledger at most once; one that finished is in it as passed.
            let runs = try qa.runs()
            let mine = try runs.filter { try qa.run($0.id)?.params["run_tag"] == "\(trial)" }
            XCTAssertLessThanOrEqual(mine.count, 1, "\(when): recorded twice")
            if finished { XCTAssertEqual(mine.first?.exitStatus, 0, "\(when): a run that finished is not in the ledger as passed") }
            if mine.first?.exitStatus == QAStore.interrupted { interrupted += 1 }
            // The exports are whole, both from one run: the last that got as far as its
            // exports (one the ledger shows as passed or interrupted), or the earlier one — as
            // the next run finds them, once it has completed a commit the kill cut between two
            // renames (its journal lists them; ExportStaging.recover).
            ExportStaging.recover(in: scratch.path("out"), authority: JournalAuthority(store: qa))
            let journals =
                (try? FileManager.default.contentsOfDirectory(atPath: scratch.path("out")))?.filter { $0.hasPrefix(".tally-commit-") } ?? []
            XCTAssertEqual(journals, [], "\(when): a commit journal was left")
            switch exportedTag(scratch) {
            case .failure(let problem): XCTFail("\(when): \(problem)")
            case .success(let tag):
                if tag == "\(trial)" {
                    XCTAssertNotNil(mine.first, "\(when): its exports landed but the ledger has no run")
                } else {
                    XCTAssertEqual(tag, exported, "\(when): the exports are from run \(tag)")
                    XCTAssertNotEqual(mine.first?.exitStatus, 0, "\(when): passed in the ledger, but its exports did not land")
                }
                exported = tag
            }
            let visible = try FileManager.default.contentsOfDirectory(atPath: scratch.path("out")).filter { !$0.hasPrefix(".") }.sorted()
            XCTAssertEqual(visible, ["by_school.csv", "students.csv"], "trial \(trial): a partial file at a final path")
        }
        // Most kills must land in the middle of a run, or the test proves little.
        XCTAssertGreaterThanOrEqual(killedWhileRunning, 14, "only \(killedWhileRunning) of 20 kills landed while tally ran")
        // The next run works, and takes away what the killed runs left staged.
        let next = try tally(["run", "p.playbook", "--param", "run_tag=next"] + store, in: scratch)
        XCTAssertEqual(next.exit, 0, next.output)
        XCTAssertEqual(try exportedTag(scratch).get(), "next")
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: scratch.path("out")).sorted(), ["by_school.csv", "students.csv"])
        let qa = try QAStore(path: scratch.path("store.sqlite"))
        XCTAssertEqual(try qa.runs().first?.exitStatus, 0)
        XCTAssertEqual(try qa.integrityCheck(), ["ok"])
        let ledger = try qa.runs().count
        print(
            "kill test: 20 kills, \(killedWhileRunning) while running; the ledger has \(ledger) runs (\(interrupted) shown as interrupted); a whole run takes \(String(format: "%.2f", whole)) s"
        )
    }

    func testEightRunsAtOnceFiveTimesOverAllReachTheLedger() throws {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: MatrixTests.tally), "build tally first: swift build")
        let scratch = try Scratch()
        try district(scratch, rows: 2_000)
        try scratch.write("expected.csv", "School,n\n" + (1...40).map { "\(6_000_000 + $0),50" }.joined(separator: "\n") + "\n")
        final class Results: @unchecked Sendable {
            var outputs: [(String, Int32, String)] = []
            let lock = NSLock()
            func add(_ what: String, _ exit: Int32, _ output: String) { lock.lock(); outputs.append((what, exit, output)); lock.unlock() }
        }
        let results = Results()
        let folder = scratch.url.path
        for round in 1...5 {
            // Eight runs and an import of expected counts, all at once, on one store.
            DispatchQueue.concurrentPerform(iterations: 9) { k in
                let arguments =
                    k < 8
                    ? ["run", "p.playbook", "--param", "run_tag=r\(round)w\(k)", "--store", "store.sqlite"]
                    : [
                        "expected", "import", "expected.csv", "--name", "fall1/by_school", "--keys", "School", "--value", "n", "--store",
                        "store.sqlite",
                    ]
                do {
                    let (exit, output) = try ReliabilityTests.tally(arguments, in: folder)
                    results.add(arguments.joined(separator: " "), exit, output)
                } catch { results.add(arguments.joined(separator: " "), -1, "\(error)") }
            }
        }
        XCTAssertEqual(results.outputs.count, 45)
        for (what, exit, output) in results.outputs {
            XCTAssertEqual(exit, 0, "\(what): \(output.suffix(600))")
            XCTAssertFalse(output.lowercased().contains("locked"), "\(what): \(output.suffix(600))")
            XCTAssertFalse(output.lowercased().contains("busy"), "\(what): \(output.suffix(600))")
        }
        let qa = try QAStore(path: scratch.path("store.sqlite"))
        let runs = try qa.runs()
        XCTAssertEqual(runs.count, 40)
        let tags = try runs.compactMap { try qa.run($0.id)?.params["run_tag"] }
        XCTAssertEqual(
            Set(tags), Set((1...5).flatMap { round in (0..<8).map { "r\(round)w\($0)" } }), "every run in the ledger exactly once")
        XCTAssertEqual(tags.count, 40)
        XCTAssertEqual(try qa.expectedSets().first { $0.info.name == "fall1/by_school" }?.versions, 5)
        XCTAssertEqual(try qa.integrityCheck(), ["ok"])
        XCTAssertNil(completeExport(scratch, rows: 2_000))
    }

    func testAReadOnlyFolderAndAFullDiskAreClearErrorsThatLoseNothing() throws {
        let scratch = try Scratch()
        try district(scratch, rows: 100_000)
        try scratch.write("out/students.csv", "EARLIER\n")
        try scratch.write(
            "ro.playbook", "load students from \"students.csv\" with columns (SSID: text)\nexport students to \"out/students.csv\"\n")
        // Read-only: as root every folder is writable, so the run is made as nobody.
        _ = chmod(scratch.url.path, 0o755)
        _ = chmod(scratch.path("ro.playbook"), 0o644)
        _ = chmod(scratch.path("students.csv"), 0o644)
        _ = chmod(scratch.path("out"), 0o555)
        let readOnly = try tally(
            getuid() == 0
                ? ["run", "ro.playbook", "--no-store"].withUser : ["run", "ro.playbook", "--no-store"], in: scratch)
        XCTAssertEqual(readOnly.exit, 2, readOnly.output)
        XCTAssertTrue(
            readOnly.output.contains("ro.playbook:2: error: cannot write out/students.csv: its folder out is read-only"), readOnly.output)
        XCTAssertEqual(scratch.read("out/students.csv"), "EARLIER\n")
        _ = chmod(scratch.path("out"), 0o755)

        // A full disk: a 1 MB file system where the system allows mounting one (as root), else a
        // file-size limit of 1 MB (the kernel refuses the write that passes it, as a full disk does).
        let small = scratch.path("small")
        try FileManager.default.createDirectory(atPath: small + "/out", withIntermediateDirectories: true)
        let mounted = getuid() == 0 && shell("mount -t tmpfs -o size=1m tmpfs '\(small)'") == 0
        defer { if mounted { _ = shell("umount '\(small)'") } }
        try FileManager.default.createDirectory(atPath: small + "/out", withIntermediateDirectories: true)
        try "EARLIER\n".write(toFile: small + "/out/students.csv", atomically: false, encoding: .utf8)
        try scratch.write(
            "full.playbook",
            """
            load students from "students.csv" with columns (SSID: text)
            export students to "small/out/students.csv"
            """)
        let full: (exit: Int32, output: String)
        if mounted {
            full = try tally(["run", "full.playbook", "--no-store"], in: scratch)
        } else {
            full = try tally(["run", "full.playbook", "--no-store"].withFileSizeLimit(kilobytes: 1024), in: scratch)
        }
        XCTAssertEqual(full.exit, 2, full.output)
        XCTAssertTrue(full.output.contains("full.playbook:2: error: cannot write small/out/students.csv"), full.output)
        XCTAssertEqual(try String(contentsOfFile: small + "/out/students.csv", encoding: .utf8), "EARLIER\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: small + "/out"), ["students.csv"], "nothing staged is left")
        print("full disk: \(mounted ? "a 1 MB tmpfs" : "a 1 MB file-size limit")")
    }

    func shell(_ command: String) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}

private extension Array where Element == String {
    /// Arguments for `tally` run as user nobody (through setpriv, via /bin/sh's `exec`).
    var withUser: [String] { ["__sh", "exec setpriv --reuid=65534 --regid=65534 --clear-groups \"$0\" \"$@\""] + self }
    func withFileSizeLimit(kilobytes: Int) -> [String] { ["__sh", "ulimit -f \(kilobytes); exec \"$0\" \"$@\""] + self }
}
