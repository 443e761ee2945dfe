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
