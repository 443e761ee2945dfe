import Foundation
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// editors/: the TextMate grammar (VS Code, and Sublime through its property-list copy) and the
/// Neovim and Emacs highlighting know every word the parser knows, so a new statement, step,
/// option or function cannot be forgotten there. The words are read from the library itself —
/// its statement, step and option lists, the function registry, the types — and from the
/// keywords the parser's sources accept, never from a list kept here.
final class EditorFilesTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let grammarPath = "editors/vscode/syntaxes/tally.tmLanguage.json"

    func text(_ path: String) throws -> String {
        try String(contentsOf: EditorFilesTests.repository.appendingPathComponent(path), encoding: .utf8)
    }

    func json(_ path: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text(path).utf8))
    }

    /// Statement and step words, which are highlighted in their own places (start of line, after `|`).
    var statementAndStepWords: Set<String> { Lexer.statementWords.union(Parser.stepWords) }

    /// Every word the parser gives a meaning: statements, steps, options, functions, types, and
    /// each `acceptKeyword("…")` / `expectKeyword("…")` / `isKeyword("…")` in Sources/TallyCore/Syntax and Steps.
    func parserWords() throws -> Set<String> {
        var words = statementAndStepWords.union(Parser.optionWords)
        words.formUnion(FunctionRegistry.all.keys)
        words.formUnion(FunctionRegistry.aggregateNames)
        words.formUnion(WindowStep.functions)
        words.formUnion(DataType.allCases.map(\.rawValue) + ["path"])
        let pattern = try NSRegularExpression(pattern: #"(?:acceptKeyword|expectKeyword|isKeyword)\("([a-z_-]+)"\)"#)
        var scanned = 0
        // The statements are read in Syntax/, each step after its keyword in its own file in Steps/.
        for folder in ["Sources/TallyCore/Syntax", "Sources/TallyCore/Steps"] {
            let directory = EditorFilesTests.repository.appendingPathComponent(folder)
            for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) where file.hasSuffix(".swift") {
                let source = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
                let ns = source as NSString
                for match in pattern.matches(in: source, range: NSRange(location: 0, length: ns.length)) {
                    words.insert(ns.substring(with: match.range(at: 1)))
                    scanned += 1
                }
            }
        }
        XCTAssertGreaterThan(scanned, 50, "the parser's keywords were not found in its sources")
        return words
    }

    /// A grammar rule: its regular expression and the scope of the whole match and of each group.
    struct Rule {
        var regex: NSRegularExpression
        var scopes: [Int: String]
        /// A `begin` rule's `name`: the scope of the whole region it opens.
        var region: String?
    }

    /// Every `match` and `begin` in the grammar, however deeply nested; each must compile.
    func rules(_ node: Any) throws -> [Rule] {
        var out: [Rule] = []
        if let list = node as? [Any] {
            for item in list { out += try rules(item) }
        } else if let dict = node as? [String: Any] {
            for field in ["match", "begin"] {
                guard let pattern = dict[field] as? String else { continue }
                var scopes: [Int: String] = [:]
                if let name = dict["name"] as? String { scopes[0] = name }
                for capturesKey in field == "begin" ? ["captures", "beginCaptures"] : ["captures"] {
                    for (group, value) in dict[capturesKey] as? [String: Any] ?? [:] {
                        if let g = Int(group), let name = (value as? [String: Any])?["name"] as? String { scopes[g] = name }
                    }
                }
                out.append(
                    Rule(
                        regex: try NSRegularExpression(pattern: pattern), scopes: scopes,
                        region: field == "begin" ? dict["name"] as? String : nil))
            }
            for (_, value) in dict where value is [Any] || value is [String: Any] { out += try rules(value) }
        }
        return out
    }

    /// Whether some rule gives `word` a keyword-like scope where it may stand: alone, after a
    /// type's `:`, or called as a function — or, for a step, after `|` (where any word is a
    /// step's). (TextMate tries rules in order; this checks that a rule exists, and the Neovim
    /// end-to-end test sees the real highlighting.)
    func covered(_ word: String, by rules: [Rule]) -> String? {
        let kinds = ["keyword", "support.function", "constant.language", "storage.type"]
        let places = Parser.stepWords.contains(word) ? [("| ", "")] : [("", ""), ("x: ", ""), ("", "(x)")]
        for (before, after) in places {
            let probe = before + word + after
            let target = NSRange(location: (before as NSString).length, length: (word as NSString).length)
            for rule in rules {
                for match in rule.regex.matches(in: probe, range: NSRange(location: 0, length: (probe as NSString).length)) {
                    for group in 0..<match.numberOfRanges where match.range(at: group) == target {
                        if let scope = rule.scopes[group], kinds.contains(where: { scope.hasPrefix($0) }) { return scope }
                    }
                }
            }
        }
        return nil
    }

    func testTheGrammarHighlightsEveryWordTheParserKnows() throws {
        let grammar = try json(EditorFilesTests.grammarPath)
        let all = try rules(grammar)
        XCTAssertGreaterThan(all.count, 15)
        let words = try parserWords()
        // The library's lists are really there (a renamed list would make this test vacuous).
        for word in [
            "load", "filter", "join", "pivot", "annotate", "encoding", "coalesce", "grade_order", "row_number", "boolean", "across",
            "within",
        ] {
            XCTAssertTrue(words.contains(word), "\(word) is not among the parser's words")
        }
        let missing = words.sorted().filter { covered($0, by: all) == nil }
        XCTAssertEqual(missing, [], "\(EditorFilesTests.grammarPath) does not highlight these words the parser knows")
        // And it is not highlighting everything: a column name gets no keyword scope.
        XCTAssertNil(covered("EnrollmentStatusCode", by: all))
        // The top-level file type and scope VS Code's package.json names.
        let top = try XCTUnwrap(grammar as? [String: Any])
        XCTAssertEqual(top["scopeName"] as? String, "source.tally")
    }

    func testTheGrammarsScopesPutEachWordInItsPlace() throws {
        let all = try rules(try json(EditorFilesTests.grammarPath))
        XCTAssertEqual(covered("load", by: all), "keyword.control.statement.tally")
        XCTAssertEqual(covered("filter", by: all), "keyword.control.step.tally")
        XCTAssertEqual(covered("coalesce", by: all), "support.function.tally")
        XCTAssertEqual(covered("boolean", by: all), "storage.type.tally")
        XCTAssertEqual(covered("null", by: all), "constant.language.tally")
        // Comments, narrative, strings with their escapes and {param}, dates and numbers.
        let sample =
            "## narrative\nload senr from \"data/{lea}/SENR\\t.txt\"  # a comment\nx = senr | filter d >= @2024-10-02 and n > 3.5\n"
        // TextMate matches a line at a time (`^` and `$` are the line's ends).
        var scopes: Set<String> = []
        for line in sample.split(separator: "\n").map(String.init) {
            for rule in all {
                for match in rule.regex.matches(in: line, range: NSRange(location: 0, length: (line as NSString).length)) {
                    for group in 0..<match.numberOfRanges where match.range(at: group).location != NSNotFound {
                        if let scope = rule.scopes[group] { scopes.insert(scope) }
                    }
                    if let region = rule.region { scopes.insert(region) }
                }
            }
        }
        for scope in [
            "comment.line.double-number-sign.narrative.tally", "comment.line.number-sign.tally", "string.quoted.double.tally",
            "constant.character.escape.tally", "variable.parameter.tally", "constant.numeric.date.tally",
            "constant.numeric.tally", "keyword.operator.pipe.tally", "keyword.operator.tally",
            "entity.name.type.table.tally", "keyword.operator.word.tally",
        ] {
            XCTAssertTrue(scopes.contains(scope), "nothing in the sample gets \(scope)")
        }
    }

    /// Sublime reads property lists, not JSON: its copy must be the same grammar.
    func testSublimesGrammarIsTheVSCodeOne() throws {
        var fromJSON = try XCTUnwrap(try json(EditorFilesTests.grammarPath) as? [String: Any])
        fromJSON["$schema"] = nil
        let plist = try Data(contentsOf: EditorFilesTests.repository.appendingPathComponent("editors/sublime/Tally.tmLanguage"))
        let fromPlist = try PropertyListSerialization.propertyList(from: plist, format: nil)
        XCTAssertTrue(
            canonical(fromPlist) == canonical(fromJSON),
            "editors/sublime/Tally.tmLanguage is out of date: python3 editors/sublime/make_tmlanguage.py")
    }

    func canonical(_ value: Any) -> String {
        if let dict = value as? [String: Any] {
            return "{" + dict.keys.sorted().map { "\($0):\(dict[$0].map(canonical) ?? "")" }.joined(separator: ",") + "}"
        }
        if let list = value as? [Any] { return "[" + list.map(canonical).joined(separator: ",") + "]" }
        return "\(value)"
    }

    /// Neovim's and Emacs' highlighting name every statement, and take any word after `|` for a
    /// step (so a new step kind needs no editor change); Neovim's names every function too.
    func testNeovimAndEmacsHighlightEveryStatementAndStep() throws {
        let vim = try text("editors/nvim/syntax/tally.vim")
        let emacs = try text("editors/emacs/tally-mode.el")
        func has(_ source: String, _ word: String) -> Bool {
            source.range(of: "(?<![A-Za-z_])\(word)(?![A-Za-z_])", options: .regularExpression) != nil
        }
        for word in Lexer.statementWords.sorted() {
            XCTAssertTrue(has(vim, word), "editors/nvim/syntax/tally.vim lacks \(word)")
            XCTAssertTrue(has(emacs, "\"\(word)\""), "editors/emacs/tally-mode.el lacks \(word)")
        }
        XCTAssertTrue(vim.contains(#"syn match tallyStep /\(|\s*\)\@<=\<[a-z][a-z_]*\>/"#), "Neovim's step rule is not any word after |")
        XCTAssertTrue(
            emacs.contains(#"("|[ \t]*\\(\\<[a-z][a-z_]*\\>\\)" 1 font-lock-keyword-face)"#), "Emacs' step rule is not any word after |")
        for word in Set(FunctionRegistry.all.keys).union(WindowStep.functions).sorted() {
            XCTAssertTrue(has(vim, word), "editors/nvim/syntax/tally.vim lacks the function \(word)")
        }
    }

    /// The editors agree on the file type, the comment token, and the command that serves.
    func testEditorEntriesNameThePlaybookFilesCommentsAndServer() throws {
        let config = try XCTUnwrap(try json("editors/vscode/language-configuration.json") as? [String: Any])
        XCTAssertEqual((config["comments"] as? [String: Any])?["lineComment"] as? String, "#")
        let brackets = try XCTUnwrap(config["brackets"] as? [[String]])
        XCTAssertTrue(brackets.contains(["(", ")"]))
        let package = try XCTUnwrap(try json("editors/vscode/package.json") as? [String: Any])
        let contributes = try XCTUnwrap(package["contributes"] as? [String: Any])
        let language = try XCTUnwrap((contributes["languages"] as? [[String: Any]])?.first)
        XCTAssertEqual(language["extensions"] as? [String], [".playbook"])
        let grammar = try XCTUnwrap((contributes["grammars"] as? [[String: Any]])?.first)
        XCTAssertEqual(grammar["scopeName"] as? String, "source.tally")
        for key in ["configuration"] {
            let path = try XCTUnwrap(language[key] as? String)
            XCTAssertTrue(
                FileManager.default.fileExists(
                    atPath: EditorFilesTests.repository.appendingPathComponent("editors/vscode").appendingPathComponent(path).path))
        }
        let grammarFile = try XCTUnwrap(grammar["path"] as? String)
        XCTAssertTrue(
            FileManager.default.fileExists(
                atPath: EditorFilesTests.repository.appendingPathComponent("editors/vscode").appendingPathComponent(grammarFile).path))
        XCTAssertTrue(try text("editors/vscode/extension.js").contains("args: ['lsp']"))
        XCTAssertTrue(try text("editors/helix/languages.toml").contains("args = [\"lsp\"]"))
        XCTAssertTrue(try text("editors/emacs/tally-mode.el").contains("(tally-mode . (\"tally\" \"lsp\"))"))
        XCTAssertTrue(try text("editors/nvim/lua/tally.lua").contains("'lsp' }"))
        XCTAssertTrue(try text("editors/zed/languages/tally/config.toml").contains("path_suffixes = [\"playbook\"]"))
    }
}
