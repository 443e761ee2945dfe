import Foundation
import Hummingbird
import TallyCore
import TallyModel

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

public enum WatchServer {
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
            FieldName("Sec-Fetch-Mode").flatMap({ head.headerFields[$0] }) != "navigate"
        {
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

    public static func router(_ session: WatchSession) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: LoopbackOnly(session: session))
        router.get("/") { _, _ -> Response in html(session.livePage()) }
        router.get("notebook") { _, _ -> Response in html(session.livePage()) }
        router.get("events") { request, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/event-stream"
            headers[.cacheControl] = "no-cache"
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody { writer in
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
            return html(WatchPage.table(table))
        }
        router.get("table") { request, _ -> Response in
            let q = request.uri.queryParameters
            func text(_ k: String) -> String? { q[Substring(k)].map(String.init) }
            let page = session.page(
                text("name") ?? "", filter: text("filter"), sort: text("sort"),
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
}
