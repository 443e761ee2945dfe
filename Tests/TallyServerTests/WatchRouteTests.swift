import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TallyCore
import XCTest

@testable import TallyModel
@testable import TallyServer

/// Every route of `tally watch` answered in-process: the router of `WatchServer` served by
/// HummingbirdTesting on a free loopback port, a `WatchSession` over a scratch playbook, and
/// requests made with the exact `Host` a browser sends (the test framework's own client always
/// says `localhost`, without the port, which the server rightly refuses). Twenty students, SSID
/// masked by the playbook and first names by `--mask`: no response may contain one of their
/// real values. `HostileWatchTests` drives the same routes through the real binary.
final class WatchRouteTests: XCTestCase {
    static let ssids = (1...20).map { String(1_000_000_000 + $0) }
    static let names = (1...20).map { String(format: "Zebulon%02d", $0) }

    /// A playbook folder, removed when the test ends.
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tally-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var csv = "SSID,StudentLegalFirstName,Grade\n"
        for i in 0..<20 { csv += "\(Self.ssids[i]),\(Self.names[i]),\(i % 3)\n" }
        try write("students.csv", csv)
        try write("w.playbook", Self.playbook)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    static let playbook = """
        playbook "Route test"
        mask SSID
        load students from "students.csv" with columns (SSID: text)
        wide = students | pivot values count() by Grade across SSID
        show students limit 5
        """

    func write(_ name: String, _ text: String) throws {
        try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    /// A session as `tally watch --mask StudentLegalFirstName w.playbook` makes it, run once.
    func session() -> WatchSession {
        var options = RunOptions()
        options.displayBase = folder.path
        options.fingerprintInputs = false
        options.recordInLedger = false
        options.writeExports = false
        options.masks = ["StudentLegalFirstName"]
        options.maskKey = "route-test-key"
        let session = WatchSession(
            playbook: folder.appendingPathComponent("w.playbook").path, options: options,
            masks: ["StudentLegalFirstName"], key: "route-test-key")
        session.rerun()
        return session
    }

    struct Answer {
        var status: Int
        var headers: HTTPFields
        var body: String
        func header(_ name: String) -> String? { HTTPField.Name(name).flatMap { headers[$0] } }
    }

    /// Serves `session` in-process and runs `body` with a function that sends one request (on a
    /// connection of its own, with the given `Host`, nil for none) and returns the answer; every
    /// answer's body is checked for the masked values afterwards (the request may name them).
    func serve(
        _ session: WatchSession,
        _ body:
            @Sendable (_ port: Int, _ get: @escaping @Sendable (String, String?, [String: String]) async throws -> Answer) async throws ->
            Void
    ) async throws {
        let app = Application(
            router: WatchServer.router(session),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "tally"))
        let seen = Bodies()
        try await app.test(.live) { client in
            let port = try XCTUnwrap(client.port)
            session.port = port
            try await body(port) { path, host, fields in
                let connection = TestClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(20)))
                connection.connect()
                var headers = HTTPFields()
                for (name, value) in fields { if let n = HTTPField.Name(name) { headers[n] = value } }
                let request = TestClient.Request(path, method: .get, authority: host, headers: headers)
                let response: TestClient.Response
                do { response = try await connection.execute(request) } catch {
                    try? await connection.shutdown()
                    throw error
                }
                try await connection.shutdown()
                let text = response.body.map { String(buffer: $0) } ?? ""
                seen.add(path, text)
                return Answer(status: Int(response.status.code), headers: response.head.headerFields, body: text)
            }
        }
        let all = seen.all
        XCTAssertFalse(all.isEmpty)
        for (path, text) in all {
            for secret in Self.ssids + Self.names {
                XCTAssertFalse(text.contains(secret), "a masked value \(secret) is in the answer to \(path)")
            }
        }
    }

    final class Bodies: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [(path: String, body: String)] = []
        func add(_ path: String, _ body: String) { lock.lock(); list.append((path, body)); lock.unlock() }
        var all: [(path: String, body: String)] { lock.lock(); defer { lock.unlock() }; return list }
    }

    // MARK: pages

    func testNotebookPageHasTheBarTheTablesAndTheUpdatingScript() async throws {
        let session = session()
        try await serve(session) { port, get in
            for path in ["/", "/notebook"] {
                let page = try await get(path, "127.0.0.1:\(port)", [:])
                XCTAssertEqual(page.status, 200, path)
                XCTAssertEqual(page.header("Content-Type"), "text/html; charset=utf-8")
                XCTAssertEqual(page.header("Cache-Control"), "no-store")
                XCTAssertEqual(page.header("X-Content-Type-Options"), "nosniff")
                XCTAssertEqual(page.header("X-Frame-Options"), "DENY")
                XCTAssertEqual(page.header("Content-Security-Policy"), "frame-ancestors 'none'")
                XCTAssertTrue(page.body.contains("<div id=\"tally-watch\" data-version=\"1\""), page.body.prefix(400).description)
                XCTAssertTrue(
                    page.body.contains(
                        "tally watch — run 1 · tables: <a style=\"color:#9cf\" href=\"/view?table=students\" target=\"_blank\">students</a> "
                            + "<a style=\"color:#9cf\" href=\"/view?table=wide\" target=\"_blank\">wide</a></div>"))
                XCTAssertTrue(page.body.contains("const source = new EventSource('/events');"))
                XCTAssertFalse(page.body.contains("tally-error"), "no error banner after a good run")
                // The notebook itself: the playbook's title and the masked column's tokens.
                XCTAssertTrue(page.body.contains("Route test"))
                XCTAssertTrue(page.body.contains("SSID"))
                // The bar right after <body>, the script right before </body>.
                let bar = try XCTUnwrap(page.body.range(of: "<div id=\"tally-watch\""))
                let open = try XCTUnwrap(page.body.range(of: "<body[^>]*>", options: .regularExpression))
                XCTAssertEqual(open.upperBound, bar.lowerBound)
                XCTAssertTrue(page.body.hasSuffix("</script>\n</body>\n</html>\n") || page.body.contains("</script>\n</body>"))
            }
            let status = try await get("/status", "localhost:\(port)", [:])
            XCTAssertEqual(status.status, 200)
            XCTAssertEqual(status.body, "{\"run\":1,\"streams\":0}")
            XCTAssertEqual(status.header("Content-Type"), "application/json")
        }
    }

    /// A run that stops keeps the last good results under a banner with its error (masked).
    func testAnErrorIsShownAboveTheLastGoodResults() async throws {
        let session = session()
        try write("w.playbook", Self.playbook + "\nshow nosuchtable\n")
        session.rerun()
        try await serve(session) { port, get in
            let page = try await get("/notebook", "127.0.0.1:\(port)", [:])
            XCTAssertEqual(page.status, 200)
            XCTAssertTrue(page.body.contains("data-version=\"2\""))
            XCTAssertTrue(page.body.contains("<div id=\"tally-error\""), page.body.prefix(600).description)
            XCTAssertTrue(page.body.contains("The playbook did not run; the results below are from the last run that did."))
            XCTAssertTrue(page.body.contains("nosuchtable"))
            XCTAssertTrue(page.body.contains("href=\"/view?table=students\""), "the last good run's tables are still listed")
            let table = try await get("/table?name=students&limit=100", "127.0.0.1:\(port)", [:])
            XCTAssertEqual(try JSONDecoder().decode(TablePage.self, from: Data(table.body.utf8)).total, 20)
        }
    }

    func testTableViewPageEscapesTheTableName() async throws {
        let session = session()
        try await serve(session) { port, get in
            let view = try await get("/view?table=students", "127.0.0.1:\(port)", [:])
            XCTAssertEqual(view.status, 200)
            XCTAssertTrue(view.body.hasPrefix("<!doctype html><html><head><meta charset=\"utf-8\"><title>students — tally watch</title>"))
            XCTAssertTrue(view.body.contains("<h2>students</h2>"))
            XCTAssertTrue(view.body.contains("const name = \"students\";"))
            XCTAssertTrue(view.body.contains("fetch('/table?' + query"))
            let hostile = try await get("/view?table=%3C%2Fscript%3E%3Cb%3Ex", "127.0.0.1:\(port)", [:])
            XCTAssertEqual(hostile.status, 200)
            XCTAssertFalse(hostile.body.contains("</script><b>"), "a table name cannot end the script or add markup")
            XCTAssertTrue(hostile.body.contains("<h2>&lt;/script&gt;&lt;b&gt;x</h2>"))
            XCTAssertTrue(hostile.body.contains("const name = \"\\u003c\\/script>\\u003cb>x\";"), hostile.body)
        }
    }

    // MARK: the table route: filters and sorts see tokens only

    static func page(_ answer: Answer) throws -> TablePage {
        XCTAssertEqual(answer.status, 200)
        XCTAssertEqual(answer.header("Content-Type"), "application/json")
        return try JSONDecoder().decode(TablePage.self, from: Data(answer.body.utf8))
    }

    func testTablePagesFiltersAndSortsOnMaskedColumns() async throws {
        let session = session()
        try await serve(session) { port, get in
            let host = "127.0.0.1:\(port)"
            func table(_ query: String) async throws -> TablePage { try Self.page(try await get("/table?" + query, host, [:])) }
            let all = try await table("name=students&limit=100")
            XCTAssertEqual(all.columns, ["SSID", "StudentLegalFirstName", "Grade"])
            XCTAssertEqual(all.total, 20)
            XCTAssertEqual(all.all, 20)
            XCTAssertEqual(all.rows.count, 20)
            XCTAssertEqual(all.rows.map { $0[2] ?? "" }, (0..<20).map { String($0 % 3) }, "an unmasked column as it is")
            let tokens = all.rows.map { $0[0] ?? "" }
            XCTAssertEqual(Set(tokens).count, 20, "each SSID its own token")

            // Paging.
            let second = try await table("name=students&offset=5&limit=5")
            XCTAssertEqual(second.offset, 5)
            XCTAssertEqual(second.rows.map { $0[0] ?? "" }, Array(tokens[5..<10]))

            // A filter on an unmasked column.
            let grade1 = try await table("name=students&limit=100&filter=" + Self.escape("Grade == 1"))
            XCTAssertEqual(grade1.total, 7)
            XCTAssertEqual(grade1.all, 20)

            // A filter on a masked column compares its tokens: a real SSID matches nothing, a
            // range over real IDs does not pick out one side, a token matches its own row.
            let exact = try await table("name=students&limit=100&filter=" + Self.escape("SSID == \"\(Self.ssids[0])\""))
            XCTAssertEqual(exact.total, 0)
            let range = try await table("name=students&limit=100&filter=" + Self.escape("SSID > \"\(Self.ssids[9])\""))
            XCTAssertEqual(Set(range.rows.map { $0[0] ?? "" }), Set(tokens.filter { $0 > Self.ssids[9] }))
            XCTAssertNotEqual(range.total, 10, "the ten rows above an ID must not be picked out")
            let own = try await table("name=students&limit=100&filter=" + Self.escape("SSID == \"\(tokens[3])\""))
            XCTAssertEqual(own.rows.map { $0[2] ?? "" }, ["0"])
            XCTAssertEqual(own.rows.first?[0], tokens[3])

            // A sort on a masked column orders the tokens, not the IDs.
            let sorted = try await table("name=students&limit=100&sort=SSID")
            XCTAssertEqual(sorted.rows.map { $0[0] ?? "" }, tokens.sorted())
            let down = try await table("name=students&limit=100&sort=StudentLegalFirstName&desc=1")
            XCTAssertEqual(down.rows.map { $0[1] ?? "" }, all.rows.map { $0[1] ?? "" }.sorted(by: >))

            // A pivot across SSID: its headers are tokens too.
            let wide = try await table("name=wide&limit=100")
            XCTAssertEqual(wide.columns.count, 21)
            XCTAssertEqual(Set(wide.columns.dropFirst()), Set(tokens))

            let missing = try await table("name=nosuch")
            XCTAssertEqual(missing.error, "no table \"nosuch\" in this run")
            let bad = try await table("name=students&filter=" + Self.escape("Grade =="))
            XCTAssertNotNil(bad.error)
            XCTAssertEqual(bad.rows.count, 0)
        }
    }

    static func escape(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s }

    // MARK: who gets an answer

    func testRequestsFromElsewhereAreRefusedOnEveryRoute() async throws {
        let session = session()
        try await serve(session) { port, get in
            let routes = ["/", "/notebook", "/events", "/status", "/view?table=students", "/table?name=students", "/no-such-page"]
            let origin = "refused: a page from another origin may not read tally watch\n"
            let site = "refused: a page from another site may not read tally watch\n"
            let host = "refused: the Host header must be 127.0.0.1:\(port) or localhost:\(port) (tally watch answers its own pages only)\n"
            let cases: [(String?, [String: String], String)] = [
                ("evil.example:\(port)", [:], host), ("evil.example", [:], host), ("127.0.0.1", [:], host),
                ("127.0.0.1:\(port + 1)", [:], host), ("localhost", [:], host),
                (nil, [:], "refused: no Host header (tally watch answers requests for 127.0.0.1:\(port) only)\n"),
                ("127.0.0.1:\(port)", ["Origin": "http://evil.example"], origin),
                ("127.0.0.1:\(port)", ["Origin": "http://127.0.0.1:\(port + 1)"], origin),
                ("127.0.0.1:\(port)", ["Origin": "null"], origin),
                ("127.0.0.1:\(port)", ["Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors"], site),
                ("127.0.0.1:\(port)", ["Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "no-cors"], site),
            ]
            for route in routes {
                for (hostField, fields, reason) in cases {
                    let answer = try await get(route, hostField, fields)
                    XCTAssertEqual(answer.status, 403, "\(route) Host \(hostField ?? "none") \(fields)")
                    XCTAssertEqual(answer.body, reason, "\(route) Host \(hostField ?? "none") \(fields)")
                    XCTAssertEqual(answer.header("X-Content-Type-Options"), "nosniff")
                    XCTAssertEqual(answer.header("Content-Type"), "text/plain; charset=utf-8")
                }
            }
            // What the analyst's own browser sends is answered.
            let allowed: [(String, [String: String])] = [
                ("localhost:\(port)", [:]),
                ("127.0.0.1:\(port)", ["Origin": "http://127.0.0.1:\(port)"]),
                ("localhost:\(port)", ["Origin": "http://localhost:\(port)", "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"]),
                // A link followed from another site (a navigation the analyst makes).
                ("127.0.0.1:\(port)", ["Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"]),
                ("127.0.0.1:\(port)", ["Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate"]),
            ]
            for (hostField, fields) in allowed {
                let answer = try await get("/status", hostField, fields)
                XCTAssertEqual(answer.status, 200, "\(hostField) \(fields)")
                XCTAssertEqual(answer.body, "{\"run\":1,\"streams\":0}")
            }
            let unknown = try await get("/no-such-page", "127.0.0.1:\(port)", [:])
            XCTAssertEqual(unknown.status, 404)
        }
    }

    func testServerStartingRefusesEverything() {
        XCTAssertEqual(
            WatchServer.refusal(HTTPRequest(method: .get, scheme: "http", authority: "127.0.0.1:8765", path: "/"), port: nil),
            "refused: the server is starting")
    }

    // MARK: the event stream

    /// A page's stream says the current run at once and each later run, and ends (and is no
    /// longer counted) when the server ends the streams.
    func testEventStreamSendsEachRunAndEnds() async throws {
        let session = session()
        try await serve(session) { port, get in
            let stream = Task { try await get("/events", "127.0.0.1:\(port)", [:]) }
            // Wait (20 s at most, only to catch a hang) for the page's stream to be listed.
            let deadline = Date().addingTimeInterval(20)
            while session.status.streams == 0, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
            XCTAssertEqual(session.status.streams, 1)
            let listed = try await get("/status", "127.0.0.1:\(port)", [:])
            XCTAssertEqual(listed.body, "{\"run\":1,\"streams\":1}")
            session.rerun()
            session.endUpdates()
            let events = try await stream.value
            XCTAssertEqual(events.status, 200)
            XCTAssertEqual(events.header("Content-Type"), "text/event-stream")
            XCTAssertEqual(events.header("Cache-Control"), "no-cache")
            XCTAssertEqual(events.body, "data: 1\n\ndata: 2\n\n")
            XCTAssertEqual(session.status.streams, 0)
            let after = try await get("/status", "127.0.0.1:\(port)", [:])
            XCTAssertEqual(after.body, "{\"run\":2,\"streams\":0}")
        }
    }
}
