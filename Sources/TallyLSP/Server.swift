import Foundation
import TallyCore
import TallyModel

#if canImport(Glibc)
import Glibc
#endif

/// `tally lsp`: a Language Server Protocol server on stdin/stdout.
///
/// The main thread reads frames; every message is handled in order on one serial queue, which
/// owns all state (documents, analyses). Diagnostics are published 100 ms after the last
/// change (a burst of keystrokes is checked once). `tally.runUntil` runs on its own thread.
public final class LanguageServer: @unchecked Sendable {
    let queue = DispatchQueue(label: "tally.lsp")
    let writeLock = NSLock()
    let log: FileHandle?
    var documents: [String: Document] = [:]
    var analyses: [String: Analysis] = [:]
    /// A change counter per document: a debounced check runs only if no change came after it.
    var changes: [String: Int] = [:]
    var root: String? = nil
    /// `--param`-like values from the client's initializationOptions `{"params": {...}}`.
    var params: [String: String] = [:]
    var initialized = false
    var shutdownRequested = false
    /// The last playbook of each document that parsed (symbols and hints while a line is half-written).
    var lastPlaybook: [String: Playbook] = [:]
    /// The delay between the last keystroke and the check.
    let debounce: DispatchTimeInterval = .milliseconds(100)

    init(logPath: String?) {
        if let logPath, FileManager.default.createFile(atPath: logPath, contents: nil, attributes: [.posixPermissions: 0o600]) {
            log = FileHandle(forWritingAtPath: logPath)
        } else {
            log = nil
        }
    }

    /// Serves until `exit` or the end of stdin; returns the process's exit status (0 after a
    /// `shutdown`, 1 otherwise, as the protocol says).
    public static func serve(logPath: String? = nil) -> Int32 {
        // A client that goes away mid-write must not kill the server with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        let server = LanguageServer(logPath: logPath)
        var reader = FrameReader()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(0, &buffer, buffer.count)
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            reader.feed(buffer[0..<n])
            while let item = reader.next() {
                switch item {
                case .malformed(let code, let message):
                    server.note("malformed frame: \(message)")
                    server.send([
                        "jsonrpc": .string("2.0"), "id": .null,
                        "error": .object(["code": .number(Double(code)), "message": .string(message)]),
                    ])
                case .message(let message):
                    if message["method"]?.string == "exit" {
                        return server.queue.sync { server.shutdownRequested ? 0 : 1 }
                    }
                    server.queue.async { server.handle(message) }
                }
            }
        }
        return server.queue.sync { server.shutdownRequested ? 0 : 1 }
    }

    func note(_ text: String) {
        log?.write(Data("\(Date()) \(text)\n".utf8))
    }

    // MARK: Sending

    func send(_ message: [String: JSON]) {
        let data = FrameReader.frame(.object(message))
        writeLock.lock()
        defer { writeLock.unlock() }
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count, let base = raw.baseAddress {
                let n = write(1, base + offset, raw.count - offset)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { return }
                offset += n
            }
        }
    }

    func respond(_ id: JSON, _ result: JSON) {
        send(["jsonrpc": .string("2.0"), "id": id, "result": result])
    }

    func fail(_ id: JSON, _ code: Int, _ message: String) {
        send(["jsonrpc": .string("2.0"), "id": id, "error": .object(["code": .number(Double(code)), "message": .string(message)])])
    }

    func notify(_ method: String, _ params: JSON) {
        send(["jsonrpc": .string("2.0"), "method": .string(method), "params": params])
    }

    /// A request to the client (its answer is read and ignored).
    func request(_ method: String) {
        send(["jsonrpc": .string("2.0"), "id": .string("tally-\(UInt32.random(in: 0...UInt32.max))"), "method": .string(method)])
    }

    // MARK: Dispatch

    /// What `initialize` advertises: exactly the methods `handle` answers.
    static let capabilities: JSON = .object([
        "textDocumentSync": .object(["openClose": .bool(true), "change": .number(1), "save": .bool(false)]),
        "completionProvider": .object(["triggerCharacters": .array([" ", ".", "|", "\"", "/"].map(JSON.string))]),
        "hoverProvider": .bool(true),
        "definitionProvider": .bool(true),
        "referencesProvider": .bool(true),
        "renameProvider": .bool(true),
        "documentSymbolProvider": .bool(true),
        "documentFormattingProvider": .bool(true),
        "codeActionProvider": .object(["codeActionKinds": .array([.string("quickfix")])]),
        "inlayHintProvider": .bool(true),
        "codeLensProvider": .object(["resolveProvider": .bool(false)]),
        "executeCommandProvider": .object(["commands": .array([.string(LanguageServer.runUntil)])]),
    ])

    static let runUntil = "tally.runUntil"

    func handle(_ message: JSON) {
        guard case .object = message, let method = message["method"]?.string else {
            // A response to one of our requests (it has an id and no method): nothing to do.
            if message["id"] != nil, message["result"] != nil || message["error"] != nil { return }
            fail(message["id"] ?? .null, -32600, "not a JSON-RPC request or notification")
            return
        }
        let params = message["params"] ?? .null
        guard let id = message["id"] else { return notification(method, params) }
        note("request \(method)")
        if method == "initialize" {
            initialized = true
            if let uri = params["rootUri"]?.string {
                root = Document.path(of: uri)
            } else if let path = params["rootPath"]?.string {
                root = path
            }
            if case .object(let given)? = params["initializationOptions"]?["params"] {
                for (k, v) in given { if let s = v.string { self.params[k] = s } }
            }
            respond(
                id,
                .object([
                    "capabilities": LanguageServer.capabilities,
                    "serverInfo": .object(["name": .string("tally"), "version": .string(TallyVersion.string)]),
                ]))
            return
        }
        guard initialized else { return fail(id, -32002, "the server is not initialized") }
        if method == "shutdown" { shutdownRequested = true; return respond(id, .null) }
        if method == "workspace/executeCommand" { return executeCommand(id, params) }
        let result: JSON?
        switch method {
        case "textDocument/completion": result = withDocument(params) { completion($0, at: $1) }
        case "textDocument/hover": result = withDocument(params) { hover($0, at: $1) }
        case "textDocument/definition": result = withDocument(params) { definition($0, at: $1) }
        case "textDocument/references": result = withDocument(params) { references($0, at: $1) }
        case "textDocument/rename":
            let newName = params["newName"]?.string ?? ""
            // A refused rename is an error the editor shows (LSP's RequestFailed), not a silent null.
            if let why = withDocument(params, { doc, at in renameRefusal(doc, at: at, to: newName).map(JSON.string) ?? .null }),
                let message = why.string
            {
                return fail(id, -32803, "cannot rename: " + message)
            }
            result = withDocument(params) { rename($0, at: $1, to: newName) ?? .null }
        case "textDocument/documentSymbol": result = withDocument(params) { doc, _ in symbols(doc) }
        case "textDocument/formatting": result = withDocument(params) { doc, _ in formatting(doc) }
        case "textDocument/codeAction":
            let diagnostics = params["context"]?["diagnostics"]?.array ?? []
            result = withDocument(params) { doc, _ in codeActions(doc, diagnostics) }
        case "textDocument/inlayHint": result = withDocument(params) { doc, _ in inlayHints(doc) }
        case "textDocument/codeLens": result = withDocument(params) { doc, _ in codeLenses(doc) }
        default:
            return fail(id, -32601, "tally lsp does not handle \(method)")
        }
        guard let result else { return fail(id, -32602, "unknown document or position") }
        respond(id, result)
    }

    /// Runs a handler on the document and position a request names (nil: neither known).
    func withDocument(_ params: JSON, _ body: (Document, Position) -> JSON) -> JSON? {
        guard let uri = params["textDocument"]?["uri"]?.string, let doc = documents[uri] else { return nil }
        let position = params["position"]?.decode(Position.self) ?? Position(line: 0, character: 0)
        return body(doc, position)
    }

    func notification(_ method: String, _ params: JSON) {
        switch method {
        case "textDocument/didOpen":
            guard let item = params["textDocument"], let uri = item["uri"]?.string, let text = item["text"]?.string else { return }
            documents[uri] = Document(uri: uri, text: text, version: item["version"]?.int ?? 0)
            publish(uri)
        case "textDocument/didChange":
            guard let uri = params["textDocument"]?["uri"]?.string, var doc = documents[uri] else { return }
            for change in params["contentChanges"]?.array ?? [] {
                guard let text = change["text"]?.string else { continue }
                if let range = change["range"]?.decode(Range.self) { doc.apply(range, text) } else { doc.setText(text) }
            }
            doc.version = params["textDocument"]?["version"]?.int ?? doc.version + 1
            documents[uri] = doc
            let count = changes[uri, default: 0] + 1
            changes[uri] = count
            queue.asyncAfter(deadline: .now() + debounce) { [self] in
                if changes[uri] == count { publish(uri) }
            }
        case "textDocument/didClose":
            guard let uri = params["textDocument"]?["uri"]?.string else { return }
            documents[uri] = nil
            analyses[uri] = nil
            notify("textDocument/publishDiagnostics", .object(["uri": .string(uri), "diagnostics": .array([])]))
        default:
            // initialized, didSave, $/cancelRequest, $/setTrace …: nothing to do.
            break
        }
    }

    /// The QA store for a document, if one exists already (a check never creates one).
    func store(_ doc: Document) -> String? { LastRun.storePath(root: root, playbook: doc.path) }

    /// Checks a document and publishes its diagnostics.
    func publish(_ uri: String) {
        guard let doc = documents[uri] else { return }
        let started = Date()
        let analysis = Analyzer.analyze(doc, store: store(doc), params: params)
        analyses[uri] = analysis
        if let playbook = analysis.check.playbook { lastPlaybook[uri] = playbook }
        let diagnostics = Analyzer.diagnostics(analysis, doc)
        note("checked \(uri) in \(Int(Date().timeIntervalSince(started) * 1000)) ms: \(diagnostics.count) diagnostics")
        notify(
            "textDocument/publishDiagnostics",
            .object([
                "uri": .string(uri), "version": .number(Double(doc.version)),
                "diagnostics": JSON.from(diagnostics),
            ]))
    }

    /// The analysis of a document, made now if no check ran yet.
    func analysis(_ doc: Document) -> Analysis {
        if let known = analyses[doc.uri], known.version == doc.version { return known }
        let made = Analyzer.analyze(doc, store: store(doc), params: params)
        analyses[doc.uri] = made
        if let playbook = made.check.playbook { lastPlaybook[doc.uri] = playbook }
        return made
    }

    /// The document's statements: as it is now; else without the statements that do not parse
    /// (blanked, so every other statement keeps its line); else as it last parsed.
    func playbook(_ doc: Document) -> Playbook? {
        let analysis = analysis(doc)
        return analysis.check.playbook ?? Analyzer.recovered(doc, analysis.check.diagnostics) ?? lastPlaybook[doc.uri]
    }
}
