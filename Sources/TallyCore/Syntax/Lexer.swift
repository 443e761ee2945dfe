import TallyModel

/// Splits playbook text into tokens.
///
/// A statement ends at the end of its line unless the next non-blank, non-comment line is
/// indented or starts with `|`, or a parenthesis is still open. The lexer emits `.newline`
/// only where a statement ends, so the parser never sees layout.
public struct Lexer {
    public private(set) var diagnostics: [Diagnostic] = []
    /// Lines of a statement whose `(` was never closed (from the parenthesis to the line before the
    /// next statement): the parser's own complaints there only repeat that error.
    public private(set) var unclosedRanges: [ClosedRange<Int>] = []
    let file: String
    /// Open parentheses not yet closed, innermost last.
    var openParens: [SourceSpan] = []
    /// A habit (`||`, a stray `^`, a number past Int64) is one diagnostic however often it
    /// recurs: where it first is, in `diagnostics`, and how often it was seen.
    var habits: [String: (index: Int, count: Int)] = [:]

    /// Reports `diagnostic` the first time `key` is seen; later times only count.
    mutating func habit(_ key: String, _ diagnostic: @autoclosure () -> Diagnostic) {
        if let seen = habits[key] { habits[key] = (seen.index, seen.count + 1); return }
        habits[key] = (diagnostics.count, 1)
        diagnostics.append(diagnostic())
    }

    /// "(6,000 times; first here)" on each habit seen more than once.
    mutating func countHabits() {
        for (_, seen) in habits where seen.count > 1 {
            diagnostics[seen.index].message += " (\(Format.count(seen.count)) times; first here)"
        }
    }

    static let statementWords: Set<String> = [
        "playbook", "param", "load", "assert", "compare", "save", "snapshot", "export", "show", "profile", "counts", "chart", "mask",
        "track",
    ]

    /// A letter, digit or `_`: a character of a name. ASCII is decided without Unicode's
    /// tables (looking each character up there made a 5 MB line take a second).
    static func isWord(_ c: Character) -> Bool {
        if let a = c.asciiValue { return (a >= 97 && a <= 122) || (a >= 65 && a <= 90) || (a >= 48 && a <= 57) || a == 95 }
        return c.isLetter || c.isNumber
    }

    /// Whether an unindented line begins a new statement (a statement keyword, or `NAME =`).
    static func startsStatement<C: Collection<Character>>(_ chars: C) -> Bool {
        var i = chars.startIndex
        var word = ""
        while i < chars.endIndex, isWord(chars[i]) {
            // No statement word is this long: only `NAME =` is left to look for.
            if word.count <= 16 { word.append(chars[i]) }
            chars.formIndex(after: &i)
        }
        guard !word.isEmpty else { return false }
        if statementWords.contains(word.lowercased()) { return true }
        while i < chars.endIndex, chars[i] == " " || chars[i] == "\t" { chars.formIndex(after: &i) }
        guard i < chars.endIndex, chars[i] == "=" else { return false }
        chars.formIndex(after: &i)
        return i == chars.endIndex || chars[i] != "="
    }

    /// "this ( is never closed", pointing at the parenthesis, and recovery: the statement ends.
    mutating func reportUnclosed(upTo line: Int) {
        guard let open = openParens.first else { return }
        diagnostics.append(
            Diagnostic(
                .unclosed, "this ( is never closed", file: file, span: open,
                help: "add the closing ) before the end of the statement"))
        unclosedRanges.append(open.line...max(open.line, line))
        openParens = []
    }

    public init(file: String) { self.file = file }

    public mutating func tokenize(_ source: String) -> [Token] {
        var tokens: [Token] = []
        var depth = 0
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        var lastLine = 1
        func atBoundary() -> Bool {
            guard let last = tokens.last else { return true }
            switch last.kind {
            case .newline, .narrative: return true
            default: return false
            }
        }
        /// A statement's end is just after its last token, so "found end of statement" points
        /// there, not at the line's first column.
        func endOfStatement() -> SourceSpan {
            guard let last = tokens.last else { return SourceSpan(line: lastLine, column: 1, length: 1) }
            return SourceSpan(line: last.span.line, column: last.span.column + last.span.length, length: 1)
        }
        for (index, rawLine) in lines.enumerated() {
            let lineNumber = index + 1
            var chars = Array(rawLine)
            if lineNumber == 1, chars.first == "\u{FEFF}" { chars.removeFirst() }
            if chars.last == "\r" { chars.removeLast() }
            guard let first = chars.firstIndex(where: { $0 != " " && $0 != "\t" }) else { continue }
            if first == 0, depth == 0, chars.count >= 2, chars[0] == "#", chars[1] == "#" {
                if !atBoundary() { tokens.append(Token(kind: .newline, span: endOfStatement())) }
                var text = String(chars[2...])
                if text.hasPrefix(" ") { text.removeFirst() }
                tokens.append(Token(kind: .narrative(text), span: SourceSpan(line: lineNumber, column: 1, length: chars.count)))
                continue
            }
            if chars[first] == "#" { continue }
            // An unindented line that starts a statement while a ( is open: that ( was never closed.
            if depth > 0, first == 0, Lexer.startsStatement(chars) {
                reportUnclosed(upTo: lastLine)
                depth = 0
            }
            if !atBoundary() {
                let continues = depth > 0 || first > 0 || chars[first] == "|"
                if !continues {
                    tokens.append(Token(kind: .newline, span: endOfStatement()))
                }
            }
            scanLine(chars, from: first, line: lineNumber, depth: &depth, into: &tokens)
            lastLine = lineNumber
        }
        if depth > 0 { reportUnclosed(upTo: lastLine) }
        countHabits()
        if !atBoundary() { tokens.append(Token(kind: .newline, span: endOfStatement())) }
        tokens.append(Token(kind: .eof, span: SourceSpan(line: lastLine + 1, column: 1, length: 1)))
        return tokens
    }

    private mutating func scanLine(_ chars: [Character], from start: Int, line: Int, depth: inout Int, into tokens: inout [Token]) {
        var i = start
        // A local copy: the diagnostics `habit` makes only when first seen must not capture self.
        let file = self.file
        func span(_ from: Int, _ to: Int) -> SourceSpan { SourceSpan(line: line, column: from + 1, length: to - from) }
        while i < chars.count {
            let c = chars[i]
            if c == " " || c == "\t" { i += 1; continue }
            if c == "#" { return }
            let begin = i
            if c == "\"" {
                var text = ""
                i += 1
                var closed = false
                while i < chars.count {
                    let d = chars[i]
                    if d == "\\", i + 1 < chars.count {
                        let e = chars[i + 1]
                        switch e {
                        case "n": text.append("\n")
                        case "t": text.append("\t")
                        default: text.append(e)
                        }
                        i += 2
                        continue
                    }
                    if d == "\"" { closed = true; i += 1; break }
                    text.append(d)
                    i += 1
                }
                if !closed {
                    diagnostics.append(
                        Diagnostic(
                            .unclosed, "unterminated text: the closing \" is missing", file: file,
                            span: span(begin, chars.count), help: "text literals end on the line they start"))
                }
                tokens.append(Token(kind: .string(text), span: span(begin, i)))
                continue
            }
            if c == "'" {
                // Text in single quotes, as in SQL or Python: say how, and read it as text.
                i += 1
                var text = ""
                while i < chars.count, chars[i] != "'" { text.append(chars[i]); i += 1 }
                let closed = i < chars.count
                if closed { i += 1 }
                habit(
                    "'",
                    Diagnostic(
                        .singleQuotes, "text is written in double quotes", file: file, span: span(begin, i),
                        help: "write \"\(text)\" instead of '\(text)\(closed ? "'" : "")"))
                tokens.append(Token(kind: .string(text), span: span(begin, i)))
                continue
            }
            if c == "`" {
                i += 1
                var text = ""
                while i < chars.count, chars[i] != "`" { text.append(chars[i]); i += 1 }
                if i >= chars.count {
                    diagnostics.append(
                        Diagnostic(
                            .unclosed, "unterminated column name: the closing ` is missing", file: file, span: span(begin, chars.count)))
                } else {
                    i += 1
                }
                tokens.append(Token(kind: .quotedIdentifier(text), span: span(begin, i)))
                continue
            }
            if c == "@" {
                i += 1
                var text = ""
                while i < chars.count, chars[i].isNumber || chars[i] == "-" { text.append(chars[i]); i += 1 }
                if let days = DateCodec.Pattern.iso.parse(text) {
                    tokens.append(Token(kind: .date(days), span: span(begin, i)))
                } else {
                    habit(
                        "@",
                        Diagnostic(
                            .badLiteral, "\"@\(text)\" is not a date", file: file, span: span(begin, i),
                            help: "write dates as @YYYY-MM-DD, e.g. @2025-10-01"))
                    tokens.append(Token(kind: .date(0), span: span(begin, i)))
                }
                continue
            }
            if c.isASCII, c.isNumber {
                var text = ""
                while i < chars.count, chars[i].isASCII, chars[i].isNumber { text.append(chars[i]); i += 1 }
                var isDecimal = false
                if i + 1 < chars.count, chars[i] == ".", chars[i + 1].isASCII, chars[i + 1].isNumber {
                    isDecimal = true
                    text.append("."); i += 1
                    while i < chars.count, chars[i].isASCII, chars[i].isNumber { text.append(chars[i]); i += 1 }
                }
                if i < chars.count, chars[i] == "%" {
                    i += 1
                    tokens.append(Token(kind: .percent(Double(text) ?? 0), span: span(begin, i)))
                } else if isDecimal {
                    tokens.append(Token(kind: .decimal(Double(text) ?? 0), span: span(begin, i)))
                } else if let v = Int64(text) {
                    tokens.append(Token(kind: .integer(v), span: span(begin, i)))
                } else {
                    habit(
                        "number",
                        Diagnostic(
                            .badLiteral, "number \(text) is too large", file: file, span: span(begin, i),
                            help: "write an identifier as text: \"\(text)\""))
                    tokens.append(Token(kind: .integer(0), span: span(begin, i)))
                }
                continue
            }
            if c.isLetter || c == "_" {
                var text = ""
                while i < chars.count, Lexer.isWord(chars[i]) { text.append(chars[i]); i += 1 }
                tokens.append(Token(kind: .identifier(text), span: span(begin, i)))
                continue
            }
            let two = i + 1 < chars.count ? String([c, chars[i + 1]]) : ""
            if two == "&&" || two == "||" || c == "&" {
                // C, JavaScript and Excel habits: read them as and / or, and say so.
                let word = c == "&" ? "and" : "or"
                let written = two == "&&" || two == "||" ? two : "&"
                habit(
                    written,
                    Diagnostic(
                        .sqlSpelling, "\(written) is written \(word) in a playbook", file: file, span: span(i, i + written.count),
                        help: "e.g. Grade == \"KN\" \(word) SSID is not null"))
                tokens.append(Token(kind: .identifier(word), span: span(i, i + written.count)))
                i += written.count
                continue
            }
            if ["==", "!=", "<=", ">=", "<>"].contains(two) {
                tokens.append(Token(kind: .symbol(two == "<>" ? "!=" : two), span: span(i, i + 2)))
                i += 2
                continue
            }
            if "|=<>+-*/(),:.".contains(c) {
                if c == "(" { depth += 1; openParens.append(span(i, i + 1)) }
                if c == ")" { depth = max(0, depth - 1); if !openParens.isEmpty { openParens.removeLast() } }
                tokens.append(Token(kind: .symbol(String(c)), span: span(i, i + 1)))
                i += 1
                continue
            }
            // Other languages' operators: say what a playbook writes.
            let familiar: [Character: String] = [
                "%": "a remainder is not a playbook operation; to test divisibility, compare round(x / n) * n == x",
                "[": "a playbook is not pandas: filter rows with | filter CONDITION, pick columns with | select A, B",
                "]": "a playbook is not pandas: filter rows with | filter CONDITION, pick columns with | select A, B",
                ";": "a statement ends at the end of its line: no ; is needed",
            ]
            habit(
                "character \(c)",
                Diagnostic(
                    .unexpectedCharacter, .error, "unexpected character \"\(c)\"", file: file, line: span(i, i + 1).line,
                    column: span(i, i + 1).column, length: 1, help: familiar[c]))
            i += 1
        }
    }
}
