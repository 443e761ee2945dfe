import Foundation

/// A position in a playbook: 1-based line and column (in characters) and a length to underline.
public struct SourceSpan: Sendable, Equatable, Hashable {
    public var line: Int
    public var column: Int
    public var length: Int
    public init(line: Int, column: Int, length: Int) {
        self.line = line; self.column = column; self.length = max(1, length)
    }
    public static let none = SourceSpan(line: 0, column: 0, length: 1)

    /// The span from the start of `self` to the end of `other` when both are on one line.
    public func through(_ other: SourceSpan) -> SourceSpan {
        guard other.line == line, other.column >= column else { return self }
        return SourceSpan(line: line, column: column, length: other.column + other.length - column)
    }
}

/// How much a diagnostic or a failed check weighs: an error stops `tally check` / fails the run
/// (exit 1 for a check), a warning is for review. Kept as this text in the QA store and in JSON.
public enum Severity: String, Sendable, Codable, CaseIterable {
    case error, warning
}

/// One error or warning the library found, with where it is and how to fix it.
///
/// For example:
/// ```
/// fall1.playbook:14:12: error: table "senr" has no column "GradeLevel"
/// ```
public struct Diagnostic: Error, Sendable, Equatable, CustomStringConvertible {
    public typealias Severity = TallyModel.Severity

    public var severity: Severity
    public var message: String
    /// The file the problem is in: the playbook, or an input file for data errors.
    public var file: String
    /// Line in `file` (0 when the problem is the whole file).
    public var line: Int
    /// Column in a playbook (0 for data errors located by line only).
    public var column: Int
    public var length: Int
    public var help: String?
    /// Data values quoted in the message, with the columns they came from, so that masking can
    /// hide them (`join ... expect` naming duplicate SSIDs, a value that is not a date).
    public var values: [SensitiveValue] = []
    /// The stable code of this kind of problem (`T0101`); nil for a rare internal one.
    public var code: DiagnosticCode?

    public init(
        _ severity: Severity = .error, _ message: String, file: String, line: Int = 0,
        column: Int = 0, length: Int = 1, help: String? = nil
    ) {
        self.severity = severity
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.length = length
        self.help = help
    }

    /// The same diagnostic, noting data values its message quotes.
    public func quoting(_ quoted: [SensitiveValue]) -> Diagnostic {
        var copy = self
        copy.values += quoted
        return copy
    }

    public init(_ message: String, file: String, line: Int, help: String? = nil) {
        self.init(.error, message, file: file, line: line, help: help)
    }

    public init(_ message: String, file: String, span: SourceSpan, help: String? = nil) {
        self.init(.error, message, file: file, line: span.line, column: span.column, length: span.length, help: help)
    }

    // The same three forms with the code first, so a creation site reads `Diagnostic(.unknownColumn, "…", …)`.
    public init(
        _ code: DiagnosticCode, _ severity: Severity, _ message: String, file: String, line: Int = 0,
        column: Int = 0, length: Int = 1, help: String? = nil
    ) {
        self.init(severity, message, file: file, line: line, column: column, length: length, help: help)
        self.code = code
    }

    public init(_ code: DiagnosticCode, _ message: String, file: String, line: Int = 0, help: String? = nil) {
        self.init(.error, message, file: file, line: line, help: help)
        self.code = code
    }

    public init(_ code: DiagnosticCode, _ message: String, file: String, span: SourceSpan, help: String? = nil) {
        self.init(message, file: file, span: span, help: help)
        self.code = code
    }

    /// The same diagnostic with `code` (for a site that passes on another's diagnostic).
    public func coded(_ code: DiagnosticCode) -> Diagnostic {
        var copy = self
        copy.code = code
        return copy
    }

    /// When not 0, this stands for that many more errors in `file`, left out (see `capped`).
    public var omitted = 0

    /// The most diagnostics shown per file. Garbage (a data file run as a playbook, a fuzzed
    /// file) can have an error per character; past this many, more help nobody and printing
    /// them all took minutes.
    public static let limit = 50

    /// The first `limit` diagnostics of each file, in order, then per file with more a line
    /// "… N more errors in FILE" (a diagnostic with `omitted` set) so the count stays right.
    public static func capped(_ diagnostics: [Diagnostic], limit: Int = Diagnostic.limit) -> [Diagnostic] {
        var shown: [String: Int] = [:], files: [String] = []
        var kept: [Diagnostic] = []
        for d in diagnostics {
            let n = shown[d.file, default: 0]
            if n == 0 { files.append(d.file) }
            shown[d.file] = n + 1
            if n < limit { kept.append(d) }
        }
        for file in files where shown[file, default: 0] > limit {
            let count = shown[file, default: 0] - limit
            var more = Diagnostic(.error, "… \(Format.plural(count, "more error"))", file: file)
            more.omitted = count
            kept.append(more)
        }
        return kept
    }

    /// A name or text as a message quotes it: a 5 MB "name" (a data line read as a statement)
    /// is shown by its first 60 characters, not copied whole into every output.
    public static func shown(_ text: String) -> String {
        guard text.utf8.count > 80 else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.prefix(60))) + "…"
    }

    /// How many errors a list stands for, counting those `capped` left out.
    public static func total(_ diagnostics: [Diagnostic]) -> Int {
        diagnostics.reduce(0) { $0 + ($1.omitted > 0 ? $1.omitted : 1) }
    }

    /// `file:line:col: error: message`, without source context.
    public var description: String {
        if omitted > 0 { return "… \(Format.plural(omitted, "more error")) in \(file)" }
        var location = file
        if line > 0 { location += ":\(line)" }
        if column > 0 { location += ":\(column)" }
        return "\(location): \(severity.rawValue): \(message)"
    }

    /// The most characters of a source line a message shows.
    package static let shownWidth = 100

    /// The full diagnostic: header, the source line with a caret under the span, and help.
    /// - Parameter source: the text of `file` when it is the playbook (for the snippet).
    ///
    /// Costs the bytes before the line (found with memchr) and the characters up to the column,
    /// never the whole source split into lines: rendering thousands of diagnostics of a 70 KB
    /// file once took minutes.
    public func render(source: String?) -> String {
        var out = description
        if let source, line > 0, column > 0, omitted == 0, let lineText = Diagnostic.line(line, of: source) {
            let (text, caret, width) = snippet(lineText)
            let gutter = String(line)
            let pad = String(repeating: " ", count: gutter.count)
            out += "\n\(pad) |\n\(gutter) | \(String(text))\n\(pad) | "
            out += String(repeating: " ", count: max(0, caret)) + String(repeating: "^", count: width)
        }
        // The code ends the help line (the header stays `file:line:col: error: message`, the form
        // scripts and the documented outputs match); without help it is a help line of its own.
        if let help {
            out += "\nhelp: \(help)" + (code.map { " [\($0.rawValue)]" } ?? "")
        } else if let code, omitted == 0 {
            out += "\nhelp: tally explain \(code.rawValue) [\(code.rawValue)]"
        }
        return out
    }

    /// The characters of `lineText` to show, the caret's offset in them and its width. A very
    /// long line is shown as a window of 100 characters around the column; only the characters
    /// up to the window's end are read.
    package func snippet(_ lineText: Substring) -> (text: [Character], caret: Int, width: Int) {
        let caret = column - 1
        // The window never starts before caret - 100 (unless the caret is past the line's
        // end): what is before that is skipped unread.
        return window(lineText, skipping: max(0, caret - 100)) ?? window(lineText, skipping: 0)
            ?? ([], caret, max(1, length))
    }

    private func window(_ lineText: Substring, skipping skipped: Int) -> (text: [Character], caret: Int, width: Int)? {
        let caret = column - 1
        var width = max(1, length)
        var index = lineText.startIndex
        var k = 0
        while k < skipped, index < lineText.endIndex { lineText.formIndex(after: &index); k += 1 }
        guard k == skipped else { return nil }
        var chars: [Character] = []
        let need = max(caret + 60, Diagnostic.shownWidth + 1) - skipped
        while chars.count < need, index < lineText.endIndex {
            let c = lineText[index]
            if c != "\r" { chars.append(c == "\t" ? " " : c) }
            lineText.formIndex(after: &index)
        }
        let more = index < lineText.endIndex
        guard more || skipped + chars.count > Diagnostic.shownWidth else { return skipped == 0 ? (chars, caret, width) : nil }
        // Offsets in the whole line, as if it had all been read.
        let count = skipped + chars.count
        let start = more ? max(0, caret - 40) : max(0, min(caret - 40, count - Diagnostic.shownWidth))
        guard start >= skipped else { return nil }
        let end = min(count, start + Diagnostic.shownWidth)
        let window = Array(chars[(start - skipped)..<(end - skipped)])
        let text = (start > 0 ? ["…"] : []) + window + (end < count || more ? ["…"] : [])
        width = max(1, min(width, end - caret))
        return (text, caret - start + (start > 0 ? 1 : 0), width)
    }

    /// Line `number` (1-based) of `source`, found by its bytes; nil past the end.
    package static func line(_ number: Int, of source: String) -> Substring? {
        var source = source
        return source.withUTF8 { bytes -> Substring? in
            guard let base = bytes.baseAddress else { return number == 1 ? "" : nil }
            var offset = 0
            for _ in 1..<max(1, number) {
                guard let nl = memchr(base + offset, 10, bytes.count - offset) else { return nil }
                offset = base.distance(to: nl.assumingMemoryBound(to: UInt8.self)) + 1
            }
            var end = bytes.count
            if let nl = memchr(base + offset, 10, bytes.count - offset) { end = base.distance(to: nl.assumingMemoryBound(to: UInt8.self)) }
            return Substring(String(decoding: UnsafeBufferPointer(rebasing: bytes[offset..<end]), as: UTF8.self))
        }
    }
}

/// Several diagnostics found in one pass (`tally check` reports all of them).
public struct DiagnosticList: Error, Sendable {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
}
