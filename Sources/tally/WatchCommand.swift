import ArgumentParser
import Foundation
import Hummingbird
import TallyCore

/// `tally watch PLAYBOOK`: reruns the playbook whenever it or one of its inputs is saved (cells
/// whose key did not change come from the cache), says in the terminal which cells ran, and
/// serves the notebook on http://127.0.0.1:PORT/ — a page that updates itself after each rerun
/// (server-sent events), keeps its scroll position, shows an error at its line above the last
/// good results, and opens any table in full: sorted, filtered and paged by the server.
///
/// Only the analyst's own browser gets an answer: every request must name this server in its
/// `Host` (a page elsewhere that rebinds its name to 127.0.0.1 sends its own name) and any
/// `Origin` must be this server's; masked columns are tokens in the table view's filters and
/// sorts too; a page's event stream ends when the page goes.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Rerun a playbook whenever it or an input is saved, and serve its live notebook on 127.0.0.1."
    )

    @Argument(help: "The playbook file.") var playbook: String
    @Option(name: .customLong("param"), help: "Set a parameter: --param name=value (repeatable).") var params: [String] = []
    @Option(help: "The port on 127.0.0.1 (loopback only; 0 picks a free one).") var port: Int = 8765
    @OptionGroup var store: StoreOptions
    @Flag(help: "Recompute every cell on every rerun.") var noCache = false
    @Option(help: "Columns to show only as tokens, comma-separated.") var mask: String?
    @Option(help: "How often to look for saved changes, in milliseconds.") var interval: Int = 200

    func run() async throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port takes 0 to 65535, not \(port)") }
        var options = RunOptions()
        options.params = try parseParams(params)
        options.storePath = store.path
        options.keepTablesUntilExit = true
        options.fingerprintInputs = false
        options.recordInLedger = false
        options.writeExports = false
        if !noCache, let storePath = options.storePath { options.cacheFolder = runCacheFolder(storePath: storePath) }
        var masks = Set((mask ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        masks.remove("")
        let key = ProcessInfo.processInfo.environment["TALLY_MASK_KEY"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (try? options.storePath.map { try QAStore(path: $0).maskKey() } ?? nil) ?? QAStore.randomSecret()
        // Exports for people are masked with the same masks and key as the page.
        options.masks = masks.sorted()
        options.maskKey = key
        let session = WatchSession(playbook: playbook, options: options, masks: masks, key: key)
        session.rerun()
        session.startWatching(every: max(20, interval))
        session.startHeartbeat()
        if port != 0 { session.port = port }
        let playbook = self.playbook
        let app = Application(router: WatchServer.router(session),
                              configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "tally"),
                              onServerRunning: { channel in
            // The port actually served (with --port 0, the one the system picked): requests must name it.
            let served = channel.localAddress?.port ?? port
            session.port = served
            FileHandle.standardOutput.write(Data("watching \(playbook) — the notebook is on http://127.0.0.1:\(served)/ (Ctrl-C to stop)\n".utf8))
        })
        // Ctrl-C or SIGTERM: the server stops gracefully, waiting for open requests, and a page's
        // event stream never ends by itself; end them, or the server never stops.
        let stops = [SIGINT, SIGTERM].map { number -> DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { session.endUpdates() }
            source.resume()
            return source
        }
        defer { stops.forEach { $0.cancel() } }
        try await app.runService()
    }
}

/// The state of a watched playbook, shared by the rerun thread and the server.
final class WatchSession: @unchecked Sendable {
    let playbook: String
    let options: RunOptions
    /// `--mask`; each run adds the playbook's `mask` statements.
    let masks: Set<String>
    let key: String
    private let lock = NSLock()
    private(set) var version = 0
    /// The notebook page of the last run that completed, and the error of a later one.
    private var page = ""
    private var error: String?
    private var interpreter: Interpreter?
    /// What the page and the table view of `interpreter`'s run mask.
    private var shownMasks: Set<String>
    private var watched: [String: String] = [:]
    /// Each open page's stream of updates: a run's number, or nil for a heartbeat.
    private var subscribers: [UUID: AsyncStream<Int?>.Continuation] = [:]
    private var served: Int?
    private let queue = DispatchQueue(label: "tally.watch.rerun")

    init(playbook: String, options: RunOptions, masks: Set<String>, key: String) {
        self.playbook = playbook
        self.options = options
        self.masks = masks
        self.key = key
        shownMasks = masks
    }

    /// The port being served (nil until the server listens): requests must name it.
    var port: Int? {
        get { lock.lock(); defer { lock.unlock() }; return served }
        set { lock.lock(); served = newValue; lock.unlock() }
    }

    /// The last run's number and the event streams open now (one per open page).
    var status: (run: Int, streams: Int) { lock.lock(); defer { lock.unlock() }; return (version, subscribers.count) }

    func privacy(_ masks: Set<String>) -> ReportPrivacy { ReportPrivacy(masks: masks, suppressBelow: nil, key: key) }

    /// The playbook's `mask` statements, all of them: a run that stops early has not reached the
    /// later ones, yet its cells are on the page.
    func playbookMasks() -> Set<String> {
        guard let parsed = try? Runner.parse(path: playbook, displayBase: FileManager.default.currentDirectoryPath) else { return [] }
        var names = Set<String>()
        for node in parsed.statements { if case .mask(let list) = node.statement { names.formUnion(list.map(\.text)) } }
        return names
    }

    /// Runs the playbook once; keeps its tables for the table view.
    func rerun() {
        let started = Date()
        var session = Session.Options()
        session.run = options
        session.output = .none
        let record = Session.run(path: playbook, options: session).record
        let kept = Runner.kept.popLast()
        Runner.kept.removeAll()
        let ran = record.cells.filter { $0.status == .ran && $0.kind != .param && $0.kind != .title }
        let cached = record.cells.filter { $0.status == .cached }.count
        let stamp = ISO8601DateFormatter().string(from: started)
        let runMasks = masks.union(record.masks).union(playbookMasks())
        lock.lock()
        let earlier = shownMasks
        lock.unlock()
        // An error is shown above the last good results: it is masked with their masks too.
        let errorPrivacy = privacy(runMasks.union(earlier))
        let report = errorPrivacy.apply(ReportRecord(record))
        let stopped = record.exitStatus == 2
        var html: String? = nil
        if !stopped || record.cells.count > 1 {
            var reportOptions = ReportOptions()
            reportOptions.privacy = privacy(runMasks)
            html = try? ReportRenderer.render(ReportRecord(record), options: reportOptions).html
        }
        let errorText = stopped ? report.errors.joined(separator: "\n\n") : nil
        lock.lock()
        if let html, !stopped { page = html; interpreter = kept; shownMasks = runMasks }
        if page.isEmpty, let html { page = html; shownMasks = runMasks }
        error = errorText
        version += 1
        let v = version
        let listeners = Array(subscribers.values)
        watched = [playbook: WatchSession.stamp(playbook)]
        for input in record.inputs { watched[input.absolutePath] = WatchSession.stamp(input.absolutePath) }
        lock.unlock()
        for listener in listeners { listener.yield(v) }
        let names = ran.map { "[\($0.line)] \($0.table ?? $0.kind.rawValue)" }
        let line = "\(stamp) run \(v): exit \(record.exitStatus)"
            + (stopped ? " — " + (errorPrivacy.apply(record).errors.first?.message ?? "stopped") : "")
            + (names.isEmpty ? "; no cell changed" : "; ran " + names.joined(separator: ", ")) + (cached > 0 ? "; \(cached) cached" : "")
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func stamp(_ path: String) -> String {
        guard let a = try? FileManager.default.attributesOfItem(atPath: path) else { return "missing" }
        let modified = (a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return "\(modified) \((a[.size] as? NSNumber)?.intValue ?? -1)"
    }

    /// Looks for saved changes to the playbook and its inputs; reruns when one changed.
    func startWatching(every milliseconds: Int) {
        queue.asyncAfter(deadline: .now() + .milliseconds(milliseconds)) { [self] in
            lock.lock()
            let files = watched
            lock.unlock()
            if files.contains(where: { WatchSession.stamp($0.key) != $0.value }) { rerun() }
            startWatching(every: milliseconds)
        }
    }

    /// Every few seconds each stream writes a comment line: a page that went without closing its
    /// connection (a sleeping laptop, a dropped network) fails that write and its stream ends,
    /// instead of waiting for the next rerun.
    func startHeartbeat(every seconds: Int = 10) {
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(seconds)) { [self] in
            lock.lock()
            let all = Array(subscribers.values)
            lock.unlock()
            for listener in all { listener.yield(nil) }
            startHeartbeat(every: seconds)
        }
    }

    /// Ends every page's stream of updates (the server is stopping).
    func endUpdates() {
        lock.lock()
        let all = Array(subscribers.values)
        subscribers = [:]
        lock.unlock()
        all.forEach { $0.finish() }
    }

    /// Ends one page's stream (its connection closed, or a write to it failed).
    func endUpdates(_ id: UUID) {
        lock.lock()
        let one = subscribers.removeValue(forKey: id)
        lock.unlock()
        one?.finish()
    }

    /// A new page's stream of updates, starting with the current run's number.
    func updates() -> (id: UUID, stream: AsyncStream<Int?>) {
        let id = UUID()
        let stream = AsyncStream<Int?> { continuation in
            lock.lock()
            subscribers[id] = continuation
            let v = version
            lock.unlock()
            continuation.yield(v)
            continuation.onTermination = { [weak self] _ in self?.endUpdates(id) }
        }
        return (id, stream)
    }

    /// The live page: the notebook with the watch bar, the error banner and the updating script.
    func livePage() -> String {
        lock.lock()
        let html = page, err = error, v = version
        let names = interpreter?.tableNames ?? []
        lock.unlock()
        var bar = "<div id=\"tally-watch\" data-version=\"\(v)\" style=\"position:sticky;top:0;z-index:9;background:#1f2937;color:#fff;padding:6px 12px;font:13px system-ui\">"
        bar += "tally watch — run \(v) · tables: " + names.map { "<a style=\"color:#9cf\" href=\"/view?table=\(WatchServer.escapeURL($0))\" target=\"_blank\">\(WatchServer.escape($0))</a>" }.joined(separator: " ")
        bar += "</div>"
        if let err {
            bar += "<div id=\"tally-error\" style=\"background:#fee;border:2px solid #c00;padding:8px 12px;margin:8px\"><strong>The playbook did not run; the results below are from the last run that did.</strong><pre style=\"white-space:pre-wrap\">\(WatchServer.escape(err))</pre></div>"
        }
        let body = html.isEmpty ? "<html><head><meta charset=\"utf-8\"><title>tally watch</title></head><body></body></html>" : html
        var out = body
        if let open = out.range(of: "<body[^>]*>", options: .regularExpression) {
            out.insert(contentsOf: bar, at: open.upperBound)
        }
        if let close = out.range(of: "</body>", options: .backwards) {
            out.insert(contentsOf: WatchServer.liveScript, at: close.lowerBound)
        }
        return out
    }

    /// A page of a table, computed from the table as the page shows it (masked columns as
    /// tokens): filters and sorts never see a raw masked value.
    func page(_ table: String, filter: String?, sort: String?, descending: Bool, offset: Int, limit: Int) -> TablePage {
        lock.lock()
        defer { lock.unlock() }
        guard let interpreter else {
            return TablePage(table: table, columns: [], types: [], rows: [], total: 0, all: 0, offset: 0, error: "no run yet")
        }
        return interpreter.page(table, privacy: privacy(shownMasks), filter: filter, sort: sort, descending: descending,
                                offset: offset, limit: limit)
    }
}

/// Answers only requests the analyst's own browser makes to this server (see `refusal`), and
/// tells browsers not to sniff types or frame the pages.
struct LoopbackOnly: RouterMiddleware {
    typealias Context = BasicRequestContext
    let session: WatchSession

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let reason = WatchServer.refusal(request.head, port: session.port) {
            var headers = WatchServer.safeHeaders
            headers[.contentType] = "text/plain; charset=utf-8"
            return Response(status: .forbidden, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: reason + "\n")))
        }
        var response = try await next(request, context)
        for field in WatchServer.safeHeaders { response.headers[field.name] = field.value }
        return response
    }
}

enum WatchServer {
    typealias FieldName = HTTPFields.Element.Name

    /// Why a request is refused, or nil. Binding to 127.0.0.1 keeps other machines out but not
    /// other sites: a page the analyst visits can point its own name at 127.0.0.1 (DNS rebinding)
    /// and read what this server answers, so every request must name this server in its `Host`
    /// — exactly 127.0.0.1:PORT or localhost:PORT, once — and any `Origin` must be this server;
    /// a request a page on another site sends from the background (not a navigation the analyst
    /// makes) is refused as well, so no other site can time or count the table view's answers.
    static func refusal(_ head: HTTPRequest, port: Int?) -> String? {
        guard let port else { return "refused: the server is starting" }
        let hosts = ["127.0.0.1:\(port)", "localhost:\(port)"]
        guard let host = head.authority else { return "refused: no Host header (tally watch answers requests for 127.0.0.1:\(port) only)" }
        let extraHosts = FieldName("Host").map { head.headerFields[values: $0] } ?? []
        guard hosts.contains(host), extraHosts.isEmpty else {
            return "refused: the Host header must be 127.0.0.1:\(port) or localhost:\(port) (tally watch answers its own pages only)"
        }
        let origins = head.headerFields[values: .origin]
        guard origins.allSatisfy({ hosts.map { "http://" + $0 }.contains($0) }) else {
            return "refused: a page from another origin may not read tally watch"
        }
        if let site = FieldName("Sec-Fetch-Site").flatMap({ head.headerFields[$0] }), site != "same-origin", site != "none",
           FieldName("Sec-Fetch-Mode").flatMap({ head.headerFields[$0] }) != "navigate" {
            return "refused: a page from another site may not read tally watch"
        }
        return nil
    }

    /// On every answer: no type sniffing (a table's JSON is never run as a script) and no framing.
    static let safeHeaders: HTTPFields = {
        var headers = HTTPFields()
        headers[.xContentTypeOptions] = "nosniff"
        if let frame = FieldName("X-Frame-Options") { headers[frame] = "DENY" }
        headers[.contentSecurityPolicy] = "frame-ancestors 'none'"
        return headers
    }()

    static func router(_ session: WatchSession) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: LoopbackOnly(session: session))
        router.get("/") { _, _ -> Response in html(session.livePage()) }
        router.get("notebook") { _, _ -> Response in html(session.livePage()) }
        router.get("events") { request, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/event-stream"
            headers[.cacheControl] = "no-cache"
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                let (id, stream) = session.updates()
                // The stream ends when the page's connection closes (Hummingbird sees the
                // inbound side end), when a write fails (a heartbeat to a page that went
                // silently), or when the server stops; either way the page is no longer listed.
                defer { session.endUpdates(id) }
                try await request.body.consumeWithInboundCloseHandler { _ in
                    for await update in stream {
                        try await writer.write(ByteBuffer(string: update.map { "data: \($0)\n\n" } ?? ": still here\n\n"))
                    }
                } onInboundClosed: {
                    session.endUpdates(id)
                }
                try? await writer.finish(nil)
            })
        }
        // How many pages are listening (tests and tools; same guard as every other route).
        router.get("status") { _, _ -> Response in
            let (run, streams) = session.status
            let text = "{\"run\":\(run),\"streams\":\(streams)}"
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            headers[.cacheControl] = "no-store"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("view") { request, _ -> Response in
            let table = request.uri.queryParameters["table"].map(String.init) ?? ""
            return html(viewPage(table))
        }
        router.get("table") { request, _ -> Response in
            let q = request.uri.queryParameters
            func text(_ k: String) -> String? { q[Substring(k)].map(String.init) }
            let page = session.page(text("name") ?? "", filter: text("filter"), sort: text("sort"),
                                    descending: text("desc") == "1", offset: Int(text("offset") ?? "") ?? 0,
                                    limit: min(10_000, Int(text("limit") ?? "") ?? 100))
            let encoder = JSONEncoder()
            let data = (try? encoder.encode(page)) ?? Data("{}".utf8)
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            headers[.cacheControl] = "no-store"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
        return router
    }

    static func html(_ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func escapeURL(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s }

    /// Replaces the page's body with the new notebook after each rerun, keeping the scroll position.
    static let liveScript = """
    <script>
    (function () {
      let seen = document.getElementById('tally-watch')?.dataset.version;
      const source = new EventSource('/events');
      source.onmessage = async function (event) {
        if (event.data === seen) return;
        seen = event.data;
        const y = window.scrollY;
        const html = await (await fetch('/notebook', { cache: 'no-store' })).text();
        const doc = new DOMParser().parseFromString(html, 'text/html');
        document.body.innerHTML = doc.body.innerHTML;
        window.scrollTo(0, y);
        document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
      };
    })();
    </script>
    """

    /// One table in full: sort by a column (click its header), filter with a condition in the
    /// playbook language, and page through every row; the server does the work.
    static func viewPage(_ table: String) -> String {
        """
        <!doctype html><html><head><meta charset="utf-8"><title>\(escape(table)) — tally watch</title>
        <style>
        body{font:14px system-ui,sans-serif;margin:16px;color:#111}
        table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left}
        th{background:#f3f4f6;cursor:pointer;position:sticky;top:0}#error{color:#b00}
        .null{color:#999}
        </style></head><body>
        <h2>\(escape(table))</h2>
        <form id="controls" onsubmit="go(0);return false">
          <label>where <input id="filter" size="50" placeholder='GradeLevelCode == "KN"'></label>
          <label>rows per page <select id="limit"><option>100</option><option>1000</option><option>5000</option><option>10000</option></select></label>
          <button id="apply">apply</button>
          <button type="button" id="prev">previous</button>
          <button type="button" id="next">next</button>
          <span id="status"></span> <span id="error"></span>
        </form>
        <table id="grid"><thead></thead><tbody></tbody></table>
        <script>
        const name = \(jsonString(table));
        let offset = 0, sort = null, desc = false, total = 0;
        function limit() { return Number(document.getElementById('limit').value); }
        async function go(to) {
          offset = Math.max(0, Math.min(to, Math.max(0, total - 1)));
          const q = { name, offset, limit: limit(), filter: document.getElementById('filter').value };
          if (sort !== null) { q.sort = sort; q.desc = desc ? '1' : '0'; }
          const query = Object.entries(q).map(([k, v]) => k + '=' + encodeURIComponent(String(v))).join('&');
          const page = await (await fetch('/table?' + query, { cache: 'no-store' })).json();
          total = page.total; offset = page.offset;
          document.getElementById('error').textContent = page.error || '';
          const head = document.querySelector('#grid thead'), body = document.querySelector('#grid tbody');
          head.innerHTML = ''; body.innerHTML = '';
          const tr = document.createElement('tr');
          page.columns.forEach(c => { const th = document.createElement('th'); th.textContent = c + (sort === c ? (desc ? ' ▼' : ' ▲') : '');
            th.onclick = () => { if (sort === c) desc = !desc; else { sort = c; desc = false; } go(0); }; tr.appendChild(th); });
          head.appendChild(tr);
          const frag = document.createDocumentFragment();
          page.rows.forEach(r => { const row = document.createElement('tr');
            r.forEach(v => { const td = document.createElement('td'); if (v === null) { td.textContent = '·'; td.className = 'null'; } else td.textContent = v; row.appendChild(td); });
            frag.appendChild(row); });
          body.appendChild(frag);
          document.getElementById('status').textContent = page.total === 0 ? 'no rows' :
            'rows ' + (page.offset + 1) + '–' + (page.offset + page.rows.length) + ' of ' + page.total + (page.total !== page.all ? ' (of ' + page.all + ' before the condition)' : '');
          document.body.dataset.offset = String(page.offset); document.body.dataset.total = String(page.total);
          document.body.dataset.loaded = String(Number(document.body.dataset.loaded || 0) + 1);
        }
        // Handlers are attached here, not inline: inside the form, an inline handler's `limit`
        // would be the form's control of that id.
        document.getElementById('prev').addEventListener('click', () => go(offset - limit()));
        document.getElementById('next').addEventListener('click', () => go(offset + limit()));
        go(0);
        </script></body></html>
        """
    }

    static func jsonString(_ s: String) -> String {
        (try? String(decoding: JSONEncoder().encode(s), as: UTF8.self)) ?? "\"\""
    }
}
