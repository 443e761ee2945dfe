import Foundation
import TallyCore
import TallyModel

/// The state of a watched playbook, shared by the rerun thread and the server.
public final class WatchSession: @unchecked Sendable {
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
    private var tables: RunTables?
    /// What the page and the table view of `tables`'s run mask.
    private var shownMasks: Set<String>
    private var watched: [String: String] = [:]
    /// Each open page's stream of updates: a run's number, or nil for a heartbeat.
    private var subscribers: [UUID: AsyncStream<Int?>.Continuation] = [:]
    private var served: Int?
    private let queue = DispatchQueue(label: "tally.watch.rerun")

    public init(playbook: String, options: RunOptions, masks: Set<String>, key: String) {
        self.playbook = playbook
        self.options = options
        self.masks = masks
        self.key = key
        shownMasks = masks
    }

    /// The port being served (nil until the server listens): requests must name it.
    public var port: Int? {
        get { lock.lock(); defer { lock.unlock() }; return served }
        set { lock.lock(); served = newValue; lock.unlock() }
    }

    /// The last run's number and the event streams open now (one per open page).
    public var status: (run: Int, streams: Int) { lock.lock(); defer { lock.unlock() }; return (version, subscribers.count) }

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
    public func rerun() {
        let started = Date()
        var session = Session.Options()
        session.run = options
        session.output = .none
        session.keepTables = true
        let outcome = Session.run(path: playbook, options: session)
        let record = outcome.record
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
        if let html, !stopped { page = html; tables = outcome.tables; shownMasks = runMasks }
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
        let line =
            "\(stamp) run \(v): exit \(record.exitStatus)"
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
    public func startWatching(every milliseconds: Int) {
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
    public func startHeartbeat(every seconds: Int = 10) {
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(seconds)) { [self] in
            lock.lock()
            let all = Array(subscribers.values)
            lock.unlock()
            for listener in all { listener.yield(nil) }
            startHeartbeat(every: seconds)
        }
    }

    /// Ends every page's stream of updates (the server is stopping).
    public func endUpdates() {
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
        let kept = tables
        lock.unlock()
        let bar = WatchPage.bar(version: v, tables: kept?.names ?? [], error: err)
        let body = html.isEmpty ? "<html><head><meta charset=\"utf-8\"><title>tally watch</title></head><body></body></html>" : html
        var out = body
        if let open = out.range(of: "<body[^>]*>", options: .regularExpression) {
            out.insert(contentsOf: bar, at: open.upperBound)
        }
        if let close = out.range(of: "</body>", options: .backwards) {
            out.insert(contentsOf: WatchPage.liveScript, at: close.lowerBound)
        }
        return out
    }

    /// A page of a table, computed from the table as the page shows it (masked columns as
    /// tokens): filters and sorts never see a raw masked value.
    func page(_ table: String, filter: String?, sort: String?, descending: Bool, offset: Int, limit: Int) -> TablePage {
        lock.lock()
        defer { lock.unlock() }
        guard let tables else {
            return TablePage(table: table, columns: [], types: [], rows: [], total: 0, all: 0, offset: 0, error: "no run yet")
        }
        return tables.page(
            table, privacy: privacy(shownMasks), filter: filter, sort: sort, descending: descending,
            offset: offset, limit: limit)
    }
}
