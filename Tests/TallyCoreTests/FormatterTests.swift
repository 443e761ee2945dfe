import Foundation
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// `tally fmt`: idempotent, meaning-preserving, comments and narrative kept; `tally new` gives a
/// playbook that checks.
final class FormatterTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Every example playbook, the benchmark's, and every golden case that parses.
    func playbooks() throws -> [(String, String)] {
        var out: [(String, String)] = []
        let fm = FileManager.default
        for folder in ["playbooks", "bench", "Tests/GoldenTests/Cases"] {
            let root = FormatterTests.repository.appendingPathComponent(folder)
            guard let walker = fm.enumerator(atPath: root.path) else { continue }
            for case let item as String in walker where item.hasSuffix(".playbook") {
                let path = root.appendingPathComponent(item).path
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
                if (try? Parser.parse(source: text, file: item)) != nil { out.append((item, text)) }
            }
        }
        return out
    }

    func testFormattingIsIdempotentAndKeepsMeaningCommentsAndNarrative() throws {
        let all = try playbooks()
        XCTAssertGreaterThan(all.count, 60)
        for (name, text) in all {
            let once = Formatter.format(text)
            XCTAssertEqual(Formatter.format(once), once, "\(name): formatting twice changes it")
            XCTAssertEqual(try Formatter.meaning(once, file: name), try Formatter.meaning(text, file: name), "\(name): meaning changed")
            for line in text.split(separator: "\n") {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix("#") { XCTAssertTrue(once.contains(trimmed), "\(name): lost \(trimmed)") }
                if let hash = trimmed.range(of: "  # ") {
                    let comment = String(trimmed[hash.lowerBound...]).trimmingCharacters(in: .whitespaces)
                    if !comment.contains("\"") { XCTAssertTrue(once.contains(comment), "\(name): lost \(comment)") }
                }
            }
        }
    }

    func testTheCanonicalLayout() {
        let messy =
            "\r\n\r\nload  s from \"a  b.csv\"   # keep  this\r\n\r\n\r\n## Narrative  stays as written\r\nt = s | filter x == \"a | b\" | select x,   y\r\nassert t is empty   \r\n      message \"two  spaces\"\r\nassert s: Grade in (\"01\",\r\n                    \"02\")\r\n"
        XCTAssertEqual(
            Formatter.format(messy),
            """
            load s from "a  b.csv"  # keep  this

            ## Narrative  stays as written
            t = s
              | filter x == "a | b"
              | select x, y
            assert t is empty
              message "two  spaces"
            assert s: Grade in ("01",
                                "02")

            """)
    }

    func testANewPlaybookChecksAndIsAlreadyFormatted() throws {
        let scratch = try Scratch()
        let text = Formatter.scaffold(title: "Fall 1 census")
        try scratch.write("new.playbook", text)
        XCTAssertEqual(Formatter.format(text), text)
        let checked = Runner.check(path: scratch.path("new.playbook"), options: scratch.options)
        XCTAssertEqual(checked.diagnostics.map(\.message), [])
        // Every commented example is a statement that parses once uncommented (with its data).
        let uncommented = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            line.hasPrefix("# ") ? String(line.dropFirst(2)) : String(line)
        }.joined(separator: "\n")
        XCTAssertNoThrow(try Parser.parse(source: uncommented, file: "new.playbook"))
        XCTAssertGreaterThanOrEqual(try Parser.parse(source: uncommented, file: "new.playbook").statements.count, 14)
    }
}
