import ArgumentParser
import Foundation
import Hummingbird
import TallyCore
import TallyModel
import TallyServer

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
        options.fingerprintInputs = false
        options.recordInLedger = false
        options.writeExports = false
        if !noCache, let storePath = options.storePath { options.cacheFolder = runCacheFolder(storePath: storePath) }
        var masks = Set((mask ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        masks.remove("")
        let key =
            ProcessInfo.processInfo.environment["TALLY_MASK_KEY"].flatMap { $0.isEmpty ? nil : $0 }
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
        let app = Application(
            router: WatchServer.router(session),
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "tally"),
            onServerRunning: { channel in
                // The port actually served (with --port 0, the one the system picked): requests must name it.
                let served = channel.localAddress?.port ?? port
                session.port = served
                FileHandle.standardOutput.write(
                    Data("watching \(playbook) — the notebook is on http://127.0.0.1:\(served)/ (Ctrl-C to stop)\n".utf8))
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
