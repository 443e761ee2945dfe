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

/// One error or warning the library found, with where it is and how to fix it.
///
/// For example:
/// ```
/// fall1.playbook:14:12: error: table "senr" has no column "GradeLevel"
/// ```
public struct Diagnostic: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }

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

    public init(_ severity: Severity = .error, _ message: String, file: String, line: Int = 0,
                column: Int = 0, length: Int = 1, help: String? = nil) {
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

    /// `file:line:col: error: message`, without source context.
    public var description: String {
        var location = file
        if line > 0 { location += ":\(line)" }
        if column > 0 { location += ":\(column)" }
        return "\(location): \(severity.rawValue): \(message)"
    }

    /// The most characters of a source line a message shows.
    static let shownWidth = 100

    /// The full diagnostic: header, the source line with a caret under the span, and help.
    /// - Parameter source: the text of `file` when it is the playbook (for the snippet).
    public func render(source: String?) -> String {
        var out = description
        if let source, line > 0, column > 0 {
            let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
            if line <= lines.count {
                var text = Array(lines[line - 1].filter { $0 != "\r" }.map { $0 == "\t" ? " " : $0 })
                var caret = column - 1, width = max(1, length)
                // A very long line is shown as a window of 100 characters around the column.
                if text.count > Diagnostic.shownWidth {
                    let start = max(0, min(caret - 40, text.count - Diagnostic.shownWidth))
                    let end = min(text.count, start + Diagnostic.shownWidth)
                    let window = Array(text[start..<end])
                    text = (start > 0 ? ["…"] : []) + window + (end < text.count ? ["…"] : [])
                    caret = caret - start + (start > 0 ? 1 : 0)
                    width = max(1, min(width, end - (column - 1)))
                }
                let gutter = String(line)
                let pad = String(repeating: " ", count: gutter.count)
                out += "\n\(pad) |\n\(gutter) | \(String(text))\n\(pad) | "
                out += String(repeating: " ", count: max(0, caret)) + String(repeating: "^", count: width)
            }
        }
        if let help { out += "\nhelp: \(help)" }
        return out
    }
}

/// Several diagnostics found in one pass (`tally check` reports all of them).
public struct DiagnosticList: Error, Sendable {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
}
