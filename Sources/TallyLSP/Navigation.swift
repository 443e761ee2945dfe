import Foundation
import TallyCore
import TallyModel

/// Hover, go to definition, references, rename and the document's symbols.
extension LanguageServer {
    /// A table: its columns and types, and its rows and time in the last run; a column, a
    /// parameter, a function's signature, a CALPADS layout, a rule as `tally rules ID` prints it.
    func hover(_ doc: Document, at position: Position) -> JSON {
        guard let (word, range) = doc.word(at: position) else { return .null }
        let analysis = analysis(doc)
        var text: String? = nil
        let before = doc.prefix(Position(line: range.start.line, character: range.start.character))
        if let rule = CalpadsRules.rule(word.uppercased()), word.contains(where: \.isNumber) {
            text = "```\n\(rule.detail)\n```"
        } else if before.hasSuffix("."), let table = before.dropLast().reversed().split(whereSeparator: { !Document.isWord($0) }).first,
            let type = analysis.tables[String(table.reversed())]?.type(of: word)
        {
            text = "column `\(word)` of `\(String(table.reversed()))`: \(type.rawValue)"
        } else if let definition = definitionOf(word, in: doc, line: position.line) {
            if definition.isParam, case .param(_, let type, let value, let required, let isPath) = definition.node.statement {
                text =
                    "parameter `\(word)`: \(isPath ? "path" : type.rawValue)" + (value.map { " = \($0.display)" } ?? "")
                    + (required ? " (required)" : "")
                    + (params[word].map { "\n\nvalue given by the editor: \($0)" } ?? "")
            } else if let schema = analysis.tables[word] {
                text = tableDescription(word, schema, doc, definition.node)
            }
        } else if before.trimmingCharacters(in: .whitespaces).hasSuffix("|"), let step = StepRegistry.kind(word) {
            text = "```\n\(step.usage)\n```\npipeline step (docs/LANGUAGE.md, Pipeline steps)"
        } else if let function = FunctionRegistry.all[word] {
            text =
                "```\n\(function.signature)\n```\n"
                + (FunctionDocs.text[word].map { $0.prefix(1).uppercased() + $0.dropFirst() + "." }
                    ?? "function (docs/LANGUAGE.md lists what each computes)")
        } else if let aggregate = Vocabulary.aggregates.first(where: { $0.0 == word }) {
            text = "```\n\(aggregate.1)\n```\naggregate function (aggregate, window, assert)"
        } else if let layout = CalpadsLayouts.layout(word, year: nil), word == word.uppercased() {
            text =
                "CALPADS layout **\(layout.type)** — academic years \(layout.yearsDescription), \(layout.fields.count) fields\n\n`tally layouts \(layout.type)` lists them"
        } else if let flowing = Analyzer.flowingTable(doc, at: position, store: store(doc), params: params, fallback: analysis.tables),
            let type = flowing.schema.columns.first(where: { $0.name == word })?.type
        {
            text = "column `\(word)`: \(type.rawValue)"
        }
        guard let text else { return .null }
        return JSON.from(Hover(contents: MarkupContent(value: text), range: range))
    }

    /// A table's columns as a Markdown table, with the last run's rows and time for its cell.
    func tableDescription(_ name: String, _ schema: Schema, _ doc: Document, _ node: StatementNode) -> String {
        var lines = ["table **\(name)** — \(schema.columns.count) columns" + (schema.open != nil ? " (and those a pivot makes)" : "")]
        if let store = store(doc), let run = LastRun.load(store: store, playbook: doc.path), let cell = run.cells[node.text],
            let rows = cell.rowsOut
        {
            lines.append(
                "last run: \(run.shown(rows)) rows · "
                    + (cell.cached ? "from the cell cache" : "\(Int((cell.elapsed * 1000).rounded())) ms"))
        }
        lines.append("")
        lines.append("| column | type |")
        lines.append("|---|---|")
        for column in schema.columns { lines.append("| \(column.name) | \(column.type.rawValue) |") }
        return lines.joined(separator: "\n")
    }

    /// The statement that makes a table or declares a parameter, as seen from 0-based `line`:
    /// the last one above it (a table may be made again), else the first.
    func definitionOf(_ name: String, in doc: Document, line: Int) -> (name: String, span: SourceSpan, node: StatementNode, isParam: Bool)?
    {
        guard let playbook = playbook(doc) else { return nil }
        let all = Analyzer.definitions(playbook).filter { $0.name == name }
        return all.last { $0.node.line <= line + 1 } ?? all.first
    }

    func definition(_ doc: Document, at position: Position) -> JSON {
        guard let (word, _) = doc.word(at: position), let found = definitionOf(word, in: doc, line: position.line) else { return .null }
        return JSON.from(
            Location(uri: doc.uri, range: doc.range(line: found.span.line, column: found.span.column, length: found.span.length)))
    }

    /// Every place a table or parameter is named (its definitions included).
    func references(_ doc: Document, at position: Position) -> JSON {
        guard let (word, _) = doc.word(at: position), definitionOf(word, in: doc, line: position.line) != nil else { return .array([]) }
        return JSON.from(doc.occurrences(of: word).map { Location(uri: doc.uri, range: $0) })
    }

    /// Why a rename is refused, said to the editor (which shows it) rather than an empty answer:
    /// only a table is renamed, to a name, and not to one the playbook uses already.
    func renameRefusal(_ doc: Document, at position: Position, to newName: String) -> String? {
        guard let (word, _) = doc.word(at: position), let found = definitionOf(word, in: doc, line: position.line) else {
            return "only a table the playbook makes can be renamed here"
        }
        if found.isParam { return "\(word) is a parameter: parameters keep their names (--param uses them)" }
        guard let first = newName.first, first.isLetter || first == "_", newName.allSatisfy(Document.isWord) else {
            return "\"\(newName)\" is not a name: letters, digits and _, not starting with a digit"
        }
        if !doc.occurrences(of: newName).isEmpty { return "the playbook already uses the name \(newName)" }
        return nil
    }

    /// Renames a table everywhere it is named (nil when `renameRefusal` says why not).
    func rename(_ doc: Document, at position: Position, to newName: String) -> JSON? {
        guard renameRefusal(doc, at: position, to: newName) == nil, let (word, _) = doc.word(at: position) else { return nil }
        let edits = doc.occurrences(of: word).map { TextEdit(range: $0, newText: newName) }
        return JSON.from(WorkspaceEdit(changes: [doc.uri: edits]))
    }

    /// The cells: one symbol per statement, named by the table it makes or by its keyword.
    func symbols(_ doc: Document) -> JSON {
        guard let playbook = playbook(doc) else { return .array([]) }
        let made = Dictionary(Analyzer.definitions(playbook).map { ($0.node.line, $0) }, uniquingKeysWith: { a, _ in a })
        let symbols: [DocumentSymbol] = playbook.statements.map { node in
            let lineCount = node.text.split(separator: "\n", omittingEmptySubsequences: false).count
            let last = node.line - 1 + lineCount - 1
            let range = Range(
                start: Position(line: node.line - 1, character: 0),
                end: Position(line: last, character: doc.line(last).utf16.count))
            let firstLine = String(node.text.split(separator: "\n").first ?? "").trimmingCharacters(in: .whitespaces)
            if let definition = made[node.line] {
                let selection = doc.range(line: definition.span.line, column: definition.span.column, length: definition.span.length)
                return DocumentSymbol(
                    name: definition.name, detail: definition.isParam ? "param" : node.statement.keyword,
                    kind: definition.isParam ? 14 : 13, range: range, selectionRange: selection)
            }
            return DocumentSymbol(
                name: String(firstLine.prefix(60)), detail: node.statement.keyword, kind: 24, range: range,
                selectionRange: Range(
                    start: range.start, end: Position(line: node.line - 1, character: doc.line(node.line - 1).utf16.count)))
        }
        return JSON.from(symbols)
    }
}
