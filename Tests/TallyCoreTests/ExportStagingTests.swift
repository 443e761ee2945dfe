import Foundation
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// Exports land only when a run succeeds, by one rename when the destination's folder exists.
final class ExportStagingTests: XCTestCase {
    func folder() throws -> String {
        let path = NSTemporaryDirectory() + "tally-staging-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func testAStagedFileSitsBesideItsDestinationAndCommitRenamesIt() throws {
        let dir = try folder()
        let destination = dir + "/out.csv"
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: destination))
        let staging = ExportStaging()
        let staged = try staging.stage(for: destination)
        XCTAssertEqual((staged as NSString).deletingLastPathComponent, dir)
        XCTAssertTrue((staged as NSString).lastPathComponent.hasPrefix(".out.csv.tally-partial-"))
        try Data("new\n".utf8).write(to: URL(fileURLWithPath: staged))
        XCTAssertEqual(try String(contentsOfFile: destination, encoding: .utf8), "old\n", "untouched until commit")
        try staging.commit()
        XCTAssertEqual(try String(contentsOfFile: destination, encoding: .utf8), "new\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["out.csv"], "no staged file left")
    }

    /// A PID no process has: one that ran and exited.
    func deadPID() throws -> Int32 { try deadProcessID() }

    /// Killed between two renames of a commit: the next run moves the rest into place from the
    /// journal, so both files are the killed run's, never one from each run.
    func testACommitCutBetweenTwoRenamesIsCompletedFromItsJournal() throws {
        let dir = try folder()
        let fm = FileManager.default
        let a = dir + "/a.csv", b = dir + "/b.csv"
        for path in [a, b] { try Data("old\n".utf8).write(to: URL(fileURLWithPath: path)) }
        let token = "\(try deadPID())-x"
        let stagedA = ".a.csv.tally-partial-\(token)-0", stagedB = ".b.csv.tally-partial-\(token)-1"
        for name in [stagedA, stagedB] { try Data("new\n".utf8).write(to: URL(fileURLWithPath: dir + "/" + name)) }
        let entries = [
            ExportStaging.JournalEntry(staged: stagedA, destination: "a.csv", backup: nil),
            ExportStaging.JournalEntry(staged: stagedB, destination: "b.csv", backup: nil),
        ]
        try Data(ExportStaging.journalText(entries, runId: nil, authority: nil).utf8)
            .write(to: URL(fileURLWithPath: dir + "/.tally-commit-\(token).journal"))
        XCTAssertEqual(rename(dir + "/" + stagedA, a), 0) // the first rename happened, then the kill
        XCTAssertEqual(try String(contentsOfFile: b, encoding: .utf8), "old\n")
        // The next run stages into the folder: it completes the commit first.
        let staging = ExportStaging()
        _ = try staging.stage(for: dir + "/c.csv")
        XCTAssertEqual(try String(contentsOfFile: a, encoding: .utf8), "new\n")
        XCTAssertEqual(try String(contentsOfFile: b, encoding: .utf8), "new\n", "the commit was completed")
        XCTAssertEqual(
            try fm.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".") && !$0.contains(staging.token) }, [],
            "no journal or staged file of the killed run left")
        XCTAssertEqual(
            staging.notes,
            [
                "completed the exports of a run killed while moving them into place: 1 of 2 files in \(Checker.display(dir, relativeTo: fm.currentDirectoryPath))"
            ])
        staging.discard()

        // A journal the kill cut short (no end line) is not acted on: nothing placed, left, said.
        let token2 = "\(try deadPID())-y"
        try Data("new2\n".utf8).write(to: URL(fileURLWithPath: dir + "/.a.csv.tally-partial-\(token2)-0"))
        try Data("tally-commit 2\nrun -\n.a.csv.tally-partial-\(token2)-0\ta.csv\t-\n".utf8)
            .write(to: URL(fileURLWithPath: dir + "/.tally-commit-\(token2).journal"))
        let notes = ExportStaging.recover(in: dir)
        XCTAssertEqual(try String(contentsOfFile: a, encoding: .utf8), "new\n")
        XCTAssertEqual(notes.count, 1)
        XCTAssertTrue(notes.first?.contains("not a journal this version of Tally wrote") ?? false, "\(notes)")

        // Killed while writing the journal (before its rename): nothing moved, the partial goes.
        let token3 = "\(try deadPID())-z"
        try Data("tally-commit 2\n".utf8).write(to: URL(fileURLWithPath: dir + "/.tally-commit-\(token3).journal.partial"))
        ExportStaging.recover(in: dir)
        XCTAssertEqual(try String(contentsOfFile: a, encoding: .utf8), "new\n")
        XCTAssertFalse(fm.fileExists(atPath: dir + "/.tally-commit-\(token3).journal.partial"))
    }

    /// With a QA store, a journal is completed only when sealed with the store's secret and its
    /// run is interrupted in the ledger: one a folder ships, even in the right form, moves nothing.
    func testWithAStoreOnlyASealedJournalOfAnInterruptedRunIsCompleted() throws {
        let dir = try folder()
        let store = try QAStore(path: dir + "/.tally/t.sqlite")
        var record = RunRecord(
            title: "t", playbookPath: "p.playbook", params: [], started: Date(), finished: Date(), cells: [],
            errors: [], playbookSource: "", exitStatus: 0)
        record.playbookSHA256 = "x"
        let interrupted = try store.record(record, exitStatus: Int32(QAStore.interrupted))
        let finished = try store.record(record)
        let authority = try XCTUnwrap(JournalAuthority(store: store))
        let forger = JournalAuthority(secret: String(repeating: "0", count: 64)) { _ in true }
        func journal(_ runId: Int64?, sealedBy: JournalAuthority?) throws -> (token: String, path: String) {
            let token = "\(try deadPID())-s"
            try Data("new\n".utf8).write(to: URL(fileURLWithPath: dir + "/.a.csv.tally-partial-\(token)-0"))
            try Data("old\n".utf8).write(to: URL(fileURLWithPath: dir + "/a.csv"))
            let text = ExportStaging.journalText(
                [.init(staged: ".a.csv.tally-partial-\(token)-0", destination: "a.csv", backup: nil)],
                runId: runId, authority: sealedBy)
            let path = dir + "/.tally-commit-\(token).journal"
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            return (token, path)
        }
        for (runId, seal, why) in [
            (interrupted, nil, "not sealed by this QA store"), (interrupted, forger, "not sealed by this QA store"),
            (finished, authority, "its run is not an interrupted run"), (Int64(999), authority, "its run is not an interrupted run"),
        ] {
            let (_, path) = try journal(runId, sealedBy: seal)
            let notes = ExportStaging.recover(in: dir, authority: authority)
            XCTAssertEqual(try String(contentsOfFile: dir + "/a.csv", encoding: .utf8), "old\n", why)
            XCTAssertTrue(FileManager.default.fileExists(atPath: path), "left in place")
            XCTAssertTrue(notes.first?.contains(why) ?? false, "\(notes)")
            unlink(path)
        }
        // Without a store, a sealed journal cannot be checked: left alone.
        let (_, sealedPath) = try journal(interrupted, sealedBy: authority)
        XCTAssertTrue(ExportStaging.recover(in: dir).first?.contains("run with that store") ?? false)
        XCTAssertEqual(try String(contentsOfFile: dir + "/a.csv", encoding: .utf8), "old\n")
        // With it: completed.
        XCTAssertEqual(ExportStaging.recover(in: dir, authority: authority).count, 1)
        XCTAssertEqual(try String(contentsOfFile: dir + "/a.csv", encoding: .utf8), "new\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: sealedPath))
    }

    /// A rename that fails half-way through a commit puts back every file already replaced and
    /// removes the new ones: the folder is as it was, with nothing of Tally's left in it.
    func testARenameThatFailsHalfWayPutsEverythingBack() throws {
        let dir = try folder()
        let fm = FileManager.default
        for name in ["a.csv", "b.csv", "c.csv"] { try Data("old \(name)\n".utf8).write(to: URL(fileURLWithPath: dir + "/" + name)) }
        for failAt in 0..<4 {
            let staging = ExportStaging()
            for name in ["a.csv", "new.csv", "b.csv", "sub/c.csv"] {
                let staged = try staging.stage(for: dir + "/" + name, shown: "out/" + name)
                try Data("new\n".utf8).write(to: URL(fileURLWithPath: staged))
            }
            staging.failRenameAt = failAt
            XCTAssertThrowsError(try staging.commit()) { error in
                XCTAssertTrue(
                    (error as? Diagnostic)?.message.hasSuffix("a rename failed (a fault injected by a test); no export was replaced")
                        ?? false, "\(error)")
            }
            for name in ["a.csv", "b.csv", "c.csv"] {
                XCTAssertEqual(try String(contentsOfFile: dir + "/" + name, encoding: .utf8), "old \(name)\n", "failing at \(failAt)")
            }
            XCTAssertEqual(
                try fm.contentsOfDirectory(atPath: dir).sorted(), ["a.csv", "b.csv", "c.csv"], "failing at \(failAt): nothing else left")
        }
    }

    func testDiscardLeavesTheDestinationAndNoStagedFile() throws {
        let dir = try folder()
        let destination = dir + "/out.csv"
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: destination))
        let staging = ExportStaging()
        let staged = try staging.stage(for: destination)
        try Data("half".utf8).write(to: URL(fileURLWithPath: staged))
        staging.discard()
        XCTAssertEqual(try String(contentsOfFile: destination, encoding: .utf8), "old\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["out.csv"])
    }

    func testAFolderThatDoesNotExistIsCreatedOnlyAtCommit() throws {
        let dir = try folder() + "/new/deeper"
        let destination = dir + "/out.csv"
        let staging = ExportStaging()
        let staged = try staging.stage(for: destination)
        try Data("x\n".utf8).write(to: URL(fileURLWithPath: staged))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir))
        try staging.commit()
        XCTAssertEqual(try String(contentsOfFile: destination, encoding: .utf8), "x\n")
    }

    func testStagingTheSameDestinationTwiceKeepsOnlyTheLast() throws {
        let dir = try folder()
        let destination = dir + "/out.csv"
        let staging = ExportStaging()
        let first = try staging.stage(for: destination)
        try Data("1".utf8).write(to: URL(fileURLWithPath: first))
        let second = try staging.stage(for: destination)
        try Data("2".utf8).write(to: URL(fileURLWithPath: second))
        try staging.commit()
        XCTAssertEqual(try String(contentsOfFile: destination, encoding: .utf8), "2")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["out.csv"])
    }

    /// Files are created in place (Foundation's createFile wrote a `.dat.nosync…` temporary beside
    /// the file and renamed it; a kill between the two left it in an export folder). In place
    /// means the same inode when the file existed; a replace goes through a temporary of
    /// Tally's own naming, which the next run's staging removes if a kill leaves it.
    func testFilesAreCreatedInPlaceAndReplacedUnderTallysOwnNames() throws {
        let dir = try folder()
        let path = dir + "/staged.csv"
        XCTAssertTrue(FileCreation.create(path, contents: Data("a\n".utf8), permissions: 0o600))
        let inode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? NSNumber)
        XCTAssertTrue(FileCreation.create(path, contents: Data("bb\n".utf8), permissions: 0o600))
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        XCTAssertEqual(attributes[.systemFileNumber] as? NSNumber, inode, "rewritten in place, not renamed over")
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "bb\n")
        XCTAssertFalse(FileCreation.create(dir + "/no-such-folder/x.csv"))

        let report = dir + "/report.html"
        XCTAssertTrue(FileCreation.replace(report, contents: Data("<p>1</p>".utf8), permissions: 0o600))
        XCTAssertTrue(FileCreation.replace(report, contents: Data("<p>2</p>".utf8), permissions: 0o600))
        XCTAssertEqual(try String(contentsOfFile: report, encoding: .utf8), "<p>2</p>")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["report.html", "staged.csv"])
        // What a replace killed before its rename leaves is removed by the next run's staging.
        let left = dir + "/.report.html.tally-partial-\(try deadPID())-42"
        XCTAssertTrue(FileCreation.create(left, contents: Data("<p>3".utf8)))
        _ = try ExportStaging().stage(for: dir + "/out.csv")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["report.html", "staged.csv"])
    }
}
