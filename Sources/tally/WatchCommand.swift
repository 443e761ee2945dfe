import ArgumentParser
import Foundation
import Hummingbird
import TallyCore

/// `tally watch PLAYBOOK`: reruns the playbook whenever it or one of its inputs is saved (cells
/// whose key did not change come from the cache), says in the terminal which cells ran, and
/// serves the notebook on http://127.0.0.1:PORT/ — a page that updates itself after each rerun
/// (server-sent events), keeps its scroll position, shows an error at its line above the last
/// good results, and opens any table in full: sorted, filtered and paged by the server.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Rerun a playbook whenever it or an input is saved, and serve its live notebook on 127.0.0.1."
    )

    @Argument(help: "The playbook file.") var playbook: String
    @Option(name: .customLong("param"), help: "Set a parameter: --param name=value (repeatable).") var params: [String] = []
    @Option(help: "The port on 127.0.0.1 (loopback only).") var port: Int = 8765
    @OptionGroup var store: StoreOptions
    @Flag(help: "Recompute every cell on every rerun.") var noCache = false
    @Option(help: "Columns to show only as tokens, comma-separated.") var mask: String?
    @Option(help: "How often to look for saved changes, in milliseconds.") var interval: Int = 200

    func run() async throws {
        var options = RunOptions()
        options.params = try parseParams(params)
        options.storePath = store.path
        options.keepTablesUntilExit = true
        options.fingerprintInputs = false
        options.recordInLedger = false
        if !noCache, let storePath = options.storePath { options.cacheFolder = runCacheFolder(storePath: storePath) }
        var masks = Set((mask ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        masks.remove("")
        let key = ProcessInfo.processInfo.environment["TALLY_MASK_KEY"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (try? options.storePath.map { try QAStore(path: $0).maskKey() } ?? nil) ?? QAStore.randomSecret()
        let session = WatchSession(playbook: playbook, options: options, masks: masks, key: key)
        session.rerun()
        session.startWatching(every: max(20, interval))
        FileHandle.standardOutput.write(Data("watching \(playbook) — the notebook is on http://127.0.0.1:\(port)/ (Ctrl-C to stop)\n".utf8))
        let app = Application(router: WatchServer.router(session),
                              configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "tally"))
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
    let masks: Set<String>
    let key: String
    private let lock = NSLock()
    private(set) var version = 0
    /// The notebook page of the last run that completed, and the error of a later one.
    private var page = ""
    private var error: String?
    private var interpreter: Interpreter?
    private var watched: [String: String] = [:]
    private var subscribers: [UUID: AsyncStream<Int>.Continuation] = [:]
    private let queue = DispatchQueue(label: "tally.watch.rerun")

    init(playbook: String, options: RunOptions, masks: Set<String>, key: String) {
        self.playbook = playbook
        self.options = options
        self.masks = masks
        self.key = key
    }

    var privacy: ReportPrivacy { ReportPrivacy(masks: masks, suppressBelow: nil, key: key) }

    /// Runs the playbook once; keeps its tables for the table view.
    func rerun() {
        let started = Date()
        let record = Runner.run(path: playbook, options: options)
        let kept = Runner.kept.popLast()
        Runner.kept.removeAll()
        let ran = record.cells.filter { $0.status == .ran && $0.kind != .param && $0.kind != .title }
        let cached = record.cells.filter { $0.status == .cached }.count
        let stamp = ISO8601DateFormatter().string(from: started)
        let privacy = self.privacy
        let report = privacy.apply(ReportRecord(record))
        let stopped = record.exitStatus == 2
        var html: String? = nil
        if !stopped || record.cells.count > 1 {
            var reportOptions = ReportOptions()
            reportOptions.privacy = privacy
            html = try? ReportRenderer.render(ReportRecord(record), options: reportOptions).html
        }
        let errorText = stopped ? report.errors.joined(separator: "\n\n") : nil
        lock.lock()
        if let html, !stopped { page = html; interpreter = kept }
        if page.isEmpty, let html { page = html }
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
            + (stopped ? " — " + (record.errors.first?.message ?? "stopped") : "")
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

    /// Ends every page's stream of updates (the server is stopping).
    func endUpdates() {
        lock.lock()
        let all = Array(subscribers.values)
        subscribers = [:]
        lock.unlock()
        all.forEach { $0.finish() }
    }

    func updates() -> AsyncStream<Int> {
        let id = UUID()
        return AsyncStream { continuation in
            lock.lock()
            subscribers[id] = continuation
            let v = version
            lock.unlock()
            continuation.yield(v)
            continuation.onTermination = { [weak self] _ in
                guard let self else { return }
                self.lock.lock(); self.subscribers[id] = nil; self.lock.unlock()
            }
        }
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

    func page(_ table: String, filter: String?, sort: String?, descending: Bool, offset: Int, limit: Int) -> TablePage {
        lock.lock()
        defer { lock.unlock() }
        guard let interpreter else {
            return TablePage(table: table, columns: [], types: [], rows: [], total: 0, all: 0, offset: 0, error: "no run yet")
        }
        let privacy = self.privacy
        return interpreter.page(table, filter: filter, sort: sort, descending: descending, offset: offset, limit: limit,
                                masks: masks, token: { privacy.token($0) })
    }
}

enum WatchServer {
    static func router(_ session: WatchSession) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/") { _, _ -> Response in html(session.livePage()) }
        router.get("notebook") { _, _ -> Response in html(session.livePage()) }
        router.get("events") { _, _ -> Response in
            let stream = session.updates()
            var headers = HTTPFields()
            headers[.contentType] = "text/event-stream"
            headers[.cacheControl] = "no-cache"
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                for await version in stream {
                    try await writer.write(ByteBuffer(string: "data: \(version)\n\n"))
                }
                try await writer.finish(nil)
            })
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
