import Foundation
import XCTest
@testable import TallyCore

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
    func deadPID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    /// Killed between two renames of a commit: the next run moves the rest into place from the
    /// journal, so both files are the killed run's, never one from each run.
    func testACommitCutBetweenTwoRenamesIsCompletedFromItsJournal() throws {
        let dir = try folder()
        let fm = FileManager.default
        let a = dir + "/a.csv", b = dir + "/b.csv"
        for path in [a, b] { try Data("old\n".utf8).write(to: URL(fileURLWithPath: path)) }
        let pid = try deadPID()
        let stagedA = dir + "/.a.csv.tally-partial-\(pid)-x-0", stagedB = dir + "/.b.csv.tally-partial-\(pid)-x-1"
        for path in [stagedA, stagedB] { try Data("new\n".utf8).write(to: URL(fileURLWithPath: path)) }
        try Data("\(stagedA)\t\(a)\n\(stagedB)\t\(b)\nend\n".utf8).write(to: URL(fileURLWithPath: dir + "/.tally-commit-\(pid)-x.journal"))
        XCTAssertEqual(rename(stagedA, a), 0)   // the first rename happened, then the kill
        XCTAssertEqual(try String(contentsOfFile: b, encoding: .utf8), "old\n")
        // The next run stages into the folder: it completes the commit first.
        let staging = ExportStaging()
        _ = try staging.stage(for: dir + "/c.csv")
        XCTAssertEqual(try String(contentsOfFile: a, encoding: .utf8), "new\n")
        XCTAssertEqual(try String(contentsOfFile: b, encoding: .utf8), "new\n", "the commit was completed")
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".") && !$0.contains(staging.token) }, [],
                       "no journal or staged file of the killed run left")
        staging.discard()

        // A journal the kill cut short names nothing that moved: it is dropped, nothing placed.
        try Data("new2\n".utf8).write(to: URL(fileURLWithPath: stagedA))
        try Data("\(stagedA)\t\(a)\n".utf8).write(to: URL(fileURLWithPath: dir + "/.tally-commit-\(pid)-y.journal"))
        ExportStaging.recover(in: dir)
        XCTAssertEqual(try String(contentsOfFile: a, encoding: .utf8), "new\n")
        XCTAssertFalse(fm.fileExists(atPath: dir + "/.tally-commit-\(pid)-y.journal"))

        // Killed while writing the journal (before its rename): nothing moved, the partial goes.
        try Data("\(stagedA)\t".utf8).write(to: URL(fileURLWithPath: dir + "/.tally-commit-\(pid)-z.journal.partial"))
        ExportStaging.recover(in: dir)
        XCTAssertEqual(try String(contentsOfFile: a, encoding: .utf8), "new\n")
        XCTAssertFalse(fm.fileExists(atPath: dir + "/.tally-commit-\(pid)-z.journal.partial"))
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
