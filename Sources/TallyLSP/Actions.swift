import Foundation
import TallyCore
import TallyModel

/// Formatting, code actions, inlay hints and code lenses from the last run, and `run to here`.
extension LanguageServer {
    /// `tally fmt`'s rewrite as one edit (none when the text is already canonical, does not
    /// parse, or would mean something else formatted).
    func formatting(_ doc: Document) -> JSON {
        let formatted = LargeStack.run { Formatter.format(doc.text) }
        guard formatted != doc.text,
            let same = try? LargeStack.run({
                try Formatter.meaning(doc.text, file: doc.path) == (try Formatter.meaning(formatted, file: doc.path))
            }),
            same
        else { return .array([]) }
        let last = doc.lines.count - 1
        let whole = Range(start: Position(line: 0, character: 0), end: Position(line: last, character: doc.line(last).utf16.count))
        return JSON.from([TextEdit(range: whole, newText: formatted)])
    }

    /// A quick fix for each diagnostic whose help says what to write: "did you mean X?", text
    /// in single quotes, `== null` / `= null`.
    func codeActions(_ doc: Document, _ diagnostics: [JSON]) -> JSON {
        var actions: [CodeAction] = []
        for json in diagnostics {
            guard let diagnostic = json.decode(LSPDiagnostic.self), let (title, edit) = LanguageServer.fix(for: diagnostic, in: doc) else {
                continue
            }
            actions.append(
                CodeAction(
                    title: title, diagnostics: [diagnostic], isPreferred: true,
                    edit: WorkspaceEdit(changes: [doc.uri: [edit]])))
        }
        return JSON.from(actions)
    }

    /// The text between `open` and the next `close` after it in `text`.
    static func between(_ text: String, _ open: String, _ close: String) -> String? {
        guard let a = text.range(of: open), let b = text[a.upperBound...].range(of: close) else { return nil }
        return String(text[a.upperBound..<b.lowerBound])
    }

    /// The edit a diagnostic's help asks for, turned from the checker's own suggestion.
    static func fix(for diagnostic: LSPDiagnostic, in doc: Document) -> (String, TextEdit)? {
        let range = diagnostic.range, message = diagnostic.message
        guard range.start.line == range.end.line else { return nil }
        let written = doc.text(in: range)
        // "did you mean "GradeLevelCode"?" on a misspelt name.
        if let name = between(message, "did you mean \"", "\"?"), !written.isEmpty, written.allSatisfy(Document.isWord) {
            return ("Change to \(name)", TextEdit(range: range, newText: name))
        }
        // 'KN' → "KN" (the lexer's help: write "KN" instead of 'KN').
        if message.hasPrefix("text is written in double quotes"), let text = between(message, "write \"", "\" instead of '") {
            return ("Write \"\(text)\" in double quotes", TextEdit(range: range, newText: "\"\(text)\""))
        }
        // `x == null` → `x is null` (the span is the whole comparison).
        if message.contains("null is never true"), !message.hasPrefix("= null"),
            let fixText = between(message + "\n", "help: write: ", "\n"),
            !fixText.contains("(or")
        {
            return ("Write \(fixText)", TextEdit(range: range, newText: fixText))
        }
        // `x = null` (the span is the `=`): `= null` becomes `is null`.
        if message.hasPrefix("= null is never true") {
            let chars = Array(doc.line(range.end.line))
            var i = doc.characterIndex(range.end)
            while i < chars.count, chars[i] == " " { i += 1 }
            guard i + 4 <= chars.count, String(chars[i..<(i + 4)]) == "null" else { return nil }
            let end = Position(line: range.end.line, character: String(chars[..<(i + 4)]).utf16.count)
            return ("Write is null", TextEdit(range: Range(start: range.start, end: end), newText: "is null"))
        }
        return nil
    }

    /// What each cell produced in the last run, at the end of its first line (counts only).
    func inlayHints(_ doc: Document) -> JSON {
        guard let playbook = playbook(doc), let store = store(doc), let run = LastRun.load(store: store, playbook: doc.path) else {
            return .array([])
        }
        var hints: [InlayHint] = []
        for node in playbook.statements {
            guard let cell = run.cells[node.text], let label = run.hint(cell) else { continue }
            let line = node.line - 1
            hints.append(InlayHint(position: Position(line: line, character: doc.line(line).utf16.count), label: label))
        }
        return JSON.from(hints)
    }

    /// "▶ run to here" above each cell (not parameters, the title or masks).
    func codeLenses(_ doc: Document) -> JSON {
        guard let playbook = playbook(doc) else { return .array([]) }
        let lenses: [CodeLens] = playbook.statements.compactMap { node in
            switch node.statement {
            case .param, .playbook, .mask: return nil
            default:
                let line = node.line - 1
                return CodeLens(
                    range: Range(start: Position(line: line, character: 0), end: Position(line: line, character: 0)),
                    command: Command(
                        title: "▶ run to here", command: LanguageServer.runUntil,
                        arguments: [.string(doc.uri), .string(String(node.line))]))
            }
        }
        return JSON.from(lenses)
    }

    /// `tally.runUntil URI CELL`: `tally run PLAYBOOK --until CELL` (the playbook as saved), a
    /// child process of this same binary in the workspace folder; then the client is asked to
    /// fetch the hints and lenses again. Answers with the run's exit status.
    func executeCommand(_ id: JSON, _ params: JSON) {
        let arguments = params["arguments"]?.array ?? []
        guard params["command"]?.string == LanguageServer.runUntil, arguments.count == 2,
            let uri = arguments[0].string, let cell = arguments[1].string, let doc = documents[uri]
        else {
            return fail(id, -32602, "tally.runUntil takes the playbook's URI and a cell (a table name or a line number)")
        }
        let folder = root ?? (doc.path as NSString).deletingLastPathComponent
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let log = self.log
        DispatchQueue.global().async { [self] in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["run", doc.path, "--until", cell]
            process.currentDirectoryURL = URL(fileURLWithPath: folder)
            // The run's output may quote data: it goes to the log (when asked for), never to the editor.
            process.standardOutput = log ?? FileHandle.nullDevice
            process.standardError = log ?? FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            var status: Int32 = -1
            do {
                try process.run()
                process.waitUntilExit()
                status = process.terminationStatus
            } catch {
                return fail(id, -32603, "could not start tally run: \(error)")
            }
            respond(id, .object(["exitStatus": .number(Double(status))]))
            let outcome = status == 0 ? "passed" : status == 1 ? "checks failed" : "stopped with an error (exit \(status))"
            notify(
                "window/showMessage",
                .object([
                    "type": .number(status == 2 ? 1 : 3),
                    "message": .string("tally run --until \(cell): \(outcome)"),
                ]))
            request("workspace/inlayHint/refresh")
            request("workspace/codeLens/refresh")
        }
    }
}
