import Foundation
import TallyCore
import TallyModel

/// The code an LSP diagnostic carries: the diagnostic's stable code (`T0101`, see
/// docs/DIAGNOSTICS.md), nil for the rare one without.
public func lspCode(for diagnostic: Diagnostic) -> String? { diagnostic.code?.rawValue }

/// What the server knows about a buffer: `tally check`'s result on its text.
struct Analysis {
    var check: Runner.BufferCheck
    /// Whether the QA store existed (without it, "needs the QA store" is not said: the first
    /// `tally run` makes it).
    var hasStore: Bool
    /// The document version checked.
    var version: Int

    /// The tables and their schemas: the last check that got that far.
    var tables: [String: Schema] { check.tables }
}

/// Checks buffers with the library calls `tally check` makes (`Runner.check(source:…)`), and
/// finds the table flowing into a step being written.
enum Analyzer {
    /// Input schemas kept between checks (see `SchemaMemo`).
    static let memo = SchemaMemo()

    static func check(_ text: String, _ doc: Document, store: String?, params: [String: String]) -> Runner.BufferCheck {
        Runner.check(source: text, path: doc.path, options: options(doc, store: store, params: params), schemas: memo.schema)
    }

    static func options(_ doc: Document, store: String?, params: [String: String]) -> RunOptions {
        var options = RunOptions()
        options.displayBase = (doc.path as NSString).deletingLastPathComponent
        options.storePath = store
        options.params = params
        return options
    }

    static func analyze(_ doc: Document, store: String?, params: [String: String]) -> Analysis {
        let check = check(doc.text, doc, store: store, params: params)
        return Analysis(check: check, hasStore: store != nil, version: doc.version)
    }

    /// The diagnostics to publish: errors, then the checker's warnings (habits).
    static func diagnostics(_ analysis: Analysis, _ doc: Document) -> [LSPDiagnostic] {
        let file =
            analysis.check.playbook?.file
            ?? Checker.display(
                (doc.path as NSString).standardizingPath,
                relativeTo: (doc.path as NSString).deletingLastPathComponent)
        var out: [LSPDiagnostic] = []
        for d in analysis.check.diagnostics + analysis.check.warnings {
            if !analysis.hasStore, d.message.contains("needs the QA store") { continue }
            var message = d.message
            var range = Range(start: Position(line: 0, character: 0), end: Position(line: 0, character: 0))
            if d.omitted > 0 {
                message = d.description
            } else if d.file == file, d.line > 0 {
                range = doc.range(line: d.line, column: d.column, length: d.length)
            } else {
                // A problem in an input file (its line is the file's): said at the top.
                message = d.description
            }
            if let help = d.help { message += "\nhelp: \(help)" }
            out.append(
                LSPDiagnostic(
                    range: range, severity: d.severity == .error ? 1 : 2, code: lspCode(for: d),
                    message: message, relatedInformation: nil))
        }
        return out
    }

    /// The name the probe pipeline makes (no playbook would use it).
    static let probe = "tally_lsp_probe_table"

    /// The schema of the table flowing into the step at `position`, also on a line that does not
    /// parse yet: the text before the statement, then the statement up to its last `|` before
    /// the position as a pipeline of its own, is checked and the probe's schema read.
    static func flowingTable(
        _ doc: Document, at position: Position, store: String?, params: [String: String],
        fallback: [String: Schema]
    ) -> (name: String?, schema: Schema)? {
        let start = doc.statementStart(position.line)
        let before = doc.lines[0..<start].joined(separator: "\n")
        var statement = doc.lines[start..<position.line].map(String.init)
        statement.append(doc.prefix(position))
        let text = statement.joined(separator: "\n")
        let chars = Array(text)
        // The last | outside text and comments.
        var lastPipe: Int? = nil, quote: Character? = nil, comment = false
        for (i, c) in chars.enumerated() {
            if c == "\n" { comment = false; quote = nil; continue }
            if comment { continue }
            if let q = quote { if c == q { quote = nil }; continue }
            if c == "#" { comment = true } else if c == "\"" || c == "'" { quote = c } else if c == "|" { lastPipe = i }
        }
        let words = text.split(whereSeparator: { !Document.isWord($0) }).map(String.init)
        if let lastPipe {
            var pipeline = String(chars[..<lastPipe])
            // `NAME = SOURCE | …`: the probe takes the part after `=`.
            if let eq = pipeline.firstIndex(of: "="), pipeline[..<eq].allSatisfy({ Document.isWord($0) || $0.isWhitespace }) {
                pipeline = String(pipeline[pipeline.index(after: eq)...])
            }
            let source = pipeline.split(whereSeparator: { !Document.isWord($0) }).first.map(String.init)
            var probeDoc = doc
            probeDoc.setText(before + "\n" + probe + " = " + pipeline.trimmingCharacters(in: .whitespaces) + "\n")
            let check = check(probeDoc.text, doc, store: store, params: params)
            if let schema = check.tables[probe] { return (nil, schema) }
            // The steps before do not check: at least the source's columns.
            if let source, let schema = check.tables[source] ?? fallback[source] { return (source, schema) }
            return nil
        }
        // `assert T …`, `show T …`, `export T …`: the table named after the keyword.
        let tables = checkPrefix(before, doc, store: store, params: params) ?? fallback
        for word in words.dropFirst().prefix(2) { if let schema = tables[word] ?? fallback[word] { return (word, schema) } }
        return nil
    }

    /// The tables after the statements before a line (nil when that text does not check).
    static func checkPrefix(_ text: String, _ doc: Document, store: String?, params: [String: String]) -> [String: Schema]? {
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
        let check = check(text, doc, store: store, params: params)
        return check.playbook == nil ? nil : check.tables
    }

    /// The playbook without the statements holding syntax errors (their lines left blank).
    static func recovered(_ doc: Document, _ diagnostics: [Diagnostic]) -> Playbook? {
        var lines = doc.lines.map(String.init)
        for d in diagnostics where d.line > 0 && d.line <= lines.count {
            var end = doc.statementStart(d.line - 1)
            repeat { lines[end] = ""; end += 1 } while end < lines.count && !doc.startsStatement(end) && !doc.line(end).isEmpty
        }
        return try? Parser.parse(source: lines.joined(separator: "\n"), file: doc.path)
    }

    /// The table each statement makes, and the parameters, with where each name is written.
    static func definitions(_ playbook: Playbook) -> [(name: String, span: SourceSpan, node: StatementNode, isParam: Bool)] {
        playbook.statements.compactMap { node in
            switch node.statement {
            case .load(let name, _, _, _, _), .assign(let name, _, _): return (name.text, name.span, node, false)
            case .compare(_, _, _, _, _, _, let alias?): return (alias.text, alias.span, node, false)
            case .param(let name, _, _, _, _): return (name.text, name.span, node, true)
            default: return nil
            }
        }
    }
}
