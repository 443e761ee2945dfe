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
}
