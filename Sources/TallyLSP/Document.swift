import Foundation
import TallyModel

/// An open playbook as the editor has it (full-text sync): its text, split into lines once per
/// change, and the conversions between LSP positions (UTF-16 units) and the 1-based character
/// columns of Tally's diagnostics.
struct Document {
    var uri: String
    /// The file the buffer belongs to (relative input paths start at its folder).
    var path: String
    var text: String
    var version: Int
    var lines: [Substring]

    init(uri: String, text: String, version: Int) {
        self.uri = uri
        self.path = Document.path(of: uri)
        self.version = version
        self.text = text
        self.lines = []
        setText(text)
    }

    mutating func setText(_ new: String) {
        text = new
        lines = new.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
    }

    /// Applies one change of an incremental `didChange` (the server asks for full text; a
    /// client that sends ranges anyway is followed). Offsets count UTF-16 units, as LSP does.
    mutating func apply(_ range: Range, _ newText: String) {
        let units = Array(text.utf16)
        func offset(_ p: Position) -> Int {
            var line = 0, i = 0
            while line < p.line, i < units.count { if units[i] == 10 { line += 1 }; i += 1 }
            var column = 0
            while column < p.character, i < units.count, units[i] != 10 { i += 1; column += 1 }
            return i
        }
        let a = offset(range.start), b = max(a, offset(range.end))
        setText(String(decoding: units[..<a], as: UTF16.self) + newText + String(decoding: units[b...], as: UTF16.self))
    }

    /// A file: URI's path (percent-decoded); any other URI is used as a path as it is.
    static func path(of uri: String) -> String {
        guard uri.hasPrefix("file://") else { return uri }
        let rest = String(uri.dropFirst("file://".count))
        return rest.removingPercentEncoding ?? rest
    }

    static func uri(of path: String) -> String {
        "file://" + (path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path)
    }

    func line(_ index: Int) -> Substring { index >= 0 && index < lines.count ? lines[index] : "" }

    /// The UTF-16 offset of 1-based character column `column` on 0-based line `line`.
    func utf16(line: Int, column: Int) -> Int {
        let text = self.line(line)
        return String(text.prefix(max(0, column - 1))).utf16.count
    }

    /// The 0-based character index of a position's UTF-16 offset.
    func characterIndex(_ position: Position) -> Int {
        var units = 0, count = 0
        for c in line(position.line) {
            if units >= position.character { break }
            units += String(c).utf16.count
            count += 1
        }
        return count
    }

    /// The range of a diagnostic's span (line and column 1-based; column 0: the whole line).
    func range(line: Int, column: Int, length: Int) -> Range {
        let l = max(0, line - 1)
        guard column > 0 else {
            return Range(start: Position(line: l, character: 0), end: Position(line: l, character: self.line(l).utf16.count))
        }
        return Range(
            start: Position(line: l, character: utf16(line: l, column: column)),
            end: Position(line: l, character: utf16(line: l, column: column + max(1, length))))
    }

    /// The text of the line before the position.
    func prefix(_ position: Position) -> String { String(line(position.line).prefix(characterIndex(position))) }

    /// The text a range covers on one line.
    func text(in range: Range) -> String {
        guard range.start.line == range.end.line else { return "" }
        let chars = Array(line(range.start.line))
        let a = characterIndex(range.start), b = characterIndex(range.end)
        return a <= b && b <= chars.count ? String(chars[a..<b]) : ""
    }

    static func isWord(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }

    /// The name (letters, digits, _) at a position and its range.
    func word(at position: Position) -> (String, Range)? {
        let chars = Array(line(position.line))
        var a = min(characterIndex(position), chars.count), b = a
        while a > 0, Document.isWord(chars[a - 1]) { a -= 1 }
        while b < chars.count, Document.isWord(chars[b]) { b += 1 }
        guard a < b else { return nil }
        let l = position.line
        return (
            String(chars[a..<b]),
            Range(
                start: Position(line: l, character: String(chars[..<a]).utf16.count),
                end: Position(line: l, character: String(chars[..<b]).utf16.count))
        )
    }

    /// Every place `name` is written as a name: outside comments and text, plus `{name}` inside
    /// text (a parameter in a path).
    func occurrences(of name: String) -> [Range] {
        var out: [Range] = []
        for (l, text) in lines.enumerated() where text.contains(name) {
            let chars = Array(text)
            var i = 0
            var quote: Character? = nil
            func add(_ a: Int, _ b: Int) {
                out.append(
                    Range(
                        start: Position(line: l, character: String(chars[..<a]).utf16.count),
                        end: Position(line: l, character: String(chars[..<b]).utf16.count)))
            }
            while i < chars.count {
                let c = chars[i]
                if let q = quote {
                    if c == "\\" { i += 2; continue }
                    if c == q { quote = nil }
                    if c == "{" {
                        var j = i + 1
                        while j < chars.count, Document.isWord(chars[j]) { j += 1 }
                        if j < chars.count, chars[j] == "}", String(chars[(i + 1)..<j]) == name { add(i + 1, j) }
                    }
                    i += 1
                    continue
                }
                if c == "#" { break }
                if c == "\"" || c == "'" { quote = c; i += 1; continue }
                if Document.isWord(c) {
                    var j = i
                    while j < chars.count, Document.isWord(chars[j]) { j += 1 }
                    // Not a column qualified by a table (`T.name`): that name is T's column.
                    let qualified = i > 0 && chars[i - 1] == "."
                    if !qualified, String(chars[i..<j]) == name { add(i, j) }
                    i = j
                    continue
                }
                i += 1
            }
        }
        return out
    }

    /// Whether a line starts a statement (not blank, a comment, indented, or a `| step`).
    func startsStatement(_ index: Int) -> Bool {
        guard let first = line(index).first else { return false }
        return !first.isWhitespace && first != "#" && first != "|"
    }

    /// The 0-based line where the statement holding `line` starts.
    func statementStart(_ line: Int) -> Int {
        var l = min(line, lines.count - 1)
        while l > 0, !startsStatement(l) { l -= 1 }
        return max(0, l)
    }
}
