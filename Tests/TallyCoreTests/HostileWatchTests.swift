import Foundation
import Glibc
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// `tally watch` against a hostile web page, with the real binary: a page on another site that
/// rebinds its name to 127.0.0.1 (a foreign `Host`), reads from the background (a foreign
/// `Origin`, `Sec-Fetch-Site: cross-site`), or filters and sorts a masked column to recover its
/// values; and event streams of pages that went away.
final class HostileWatchTests: XCTestCase {
    static let ssids = (1...20).map { String(1_000_000_000 + $0) }
    static let names = (1...20).map { String(format: "Zebulon%02d", $0) }

    /// Twenty students with SSIDs 1000000001...1000000020, SSID masked by the playbook and the
    /// first names by `--mask`; a renamed copy and a pivot across SSID (columns named by SSIDs).
    func scratchFolder() throws -> Scratch {
        let scratch = try Scratch()
        var csv = "SSID,StudentLegalFirstName,Grade\n"
        for i in 0..<20 { csv += "\(Self.ssids[i]),\(Self.names[i]),\(i % 3)\n" }
        try scratch.write("students.csv", csv)
        try scratch.write(
            "w.playbook",
            """
            playbook "Hostile watch"
            mask SSID
            load students from "students.csv" with columns (SSID: text)
            renamed = students | select SSID as StudentID, StudentLegalFirstName, Grade
            wide = students | pivot values count() by Grade across SSID
            show students limit 5
            """)
        return scratch
    }

    // MARK: Host and Origin

    func testForeignHostIsRefusedOnEveryRoute() throws {
        let scratch = try scratchFolder()
        let server = try WatchProcess(in: scratch, arguments: ["--mask", "StudentLegalFirstName"])
        defer { server.stop() }
        let port = server.port
        let routes = ["/", "/notebook", "/events", "/view?table=students", "/table?name=students&limit=100", "/status", "/no-such-page"]
        let hosts = [
            "evil.example:\(port)", "evil.example", "127.0.0.1", "127.0.0.1:\(port + 1)", "localhost:8765",
            "127.0.0.1:\(port).evil.example", "[::1]:\(port)",
        ]
        for route in routes {
            for host in hosts {
                let answer = try HTTP.get(port, route, headers: [("Host", host)])
                XCTAssertEqual(answer.status, 403, "\(route) with Host \(host)")
                XCTAssertTrue(
                    answer.body.hasPrefix("refused: the Host header must be 127.0.0.1:\(port) or localhost:\(port)"),
                    String(answer.body.prefix(200)))
            }
            // HTTP/1.1 requires a Host; a second Host after a good one is as foreign.
            let missing = try HTTP.get(port, route, headers: [])
            XCTAssertEqual(missing.status, 403, "\(route) without Host")
            XCTAssertTrue(missing.body.hasPrefix("refused: no Host header"), String(missing.body.prefix(200)))
            let twice = try HTTP.get(port, route, headers: [("Host", "127.0.0.1:\(port)"), ("Host", "evil.example:\(port)")])
            XCTAssertEqual(twice.status, 403, "\(route) with two Hosts")
        }
        // A refused event stream is not a stream: nothing is listening.
        XCTAssertEqual(try server.liveStreams(), 0)
    }

    func testOwnHostIsServed() throws {
        let scratch = try scratchFolder()
        let server = try WatchProcess(in: scratch, arguments: ["--mask", "StudentLegalFirstName"])
        defer { server.stop() }
        let port = server.port
        for host in ["127.0.0.1:\(port)", "localhost:\(port)"] {
            let page = try HTTP.get(port, "/", headers: [("Host", host)])
            XCTAssertEqual(page.status, 200, host)
            XCTAssertTrue(page.body.contains("Hostile watch"), "the notebook is served to \(host)")
            XCTAssertEqual(page.header("X-Content-Type-Options"), "nosniff")
            XCTAssertEqual(page.header("X-Frame-Options"), "DENY")
            let table = try HTTP.get(port, "/table?name=students&limit=100", headers: [("Host", host), ("Origin", "http://\(host)")])
            XCTAssertEqual(table.status, 200, host)
            XCTAssertEqual(try HTTP.json(table.body)["total"] as? Int, 20)
        }
        // The page's own fetches, and a navigation from elsewhere (a link the analyst clicks).
        let own = try HTTP.get(
            port, "/table?name=students",
            headers: [
                ("Host", "127.0.0.1:\(port)"), ("Sec-Fetch-Site", "same-origin"),
                ("Sec-Fetch-Mode", "cors"),
            ])
        XCTAssertEqual(own.status, 200)
        let link = try HTTP.get(
            port, "/", headers: [("Host", "127.0.0.1:\(port)"), ("Sec-Fetch-Site", "cross-site"), ("Sec-Fetch-Mode", "navigate")])
        XCTAssertEqual(link.status, 200)
    }

    func testForeignOriginIsRefused() throws {
        let scratch = try scratchFolder()
        let server = try WatchProcess(in: scratch, arguments: [])
        defer { server.stop() }
        let port = server.port
        let origins = [
            "http://evil.example", "http://evil.example:\(port)", "null", "http://127.0.0.1:\(port + 1)",
            "https://127.0.0.1:\(port)", "http://127.0.0.1:\(port)/", "http://127.0.0.1",
        ]
        for route in ["/", "/events", "/table?name=students", "/status"] {
            for origin in origins {
                let answer = try HTTP.get(port, route, headers: [("Host", "127.0.0.1:\(port)"), ("Origin", origin)])
                XCTAssertEqual(answer.status, 403, "\(route) from Origin \(origin)")
                XCTAssertTrue(
                    answer.body == "refused: a page from another origin may not read tally watch\n", String(answer.body.prefix(200)))
            }
            // A good Origin with a foreign one beside it is refused too.
            let both = try HTTP.get(
                port, route,
                headers: [
                    ("Host", "127.0.0.1:\(port)"), ("Origin", "http://127.0.0.1:\(port)"),
                    ("Origin", "http://evil.example"),
                ])
            XCTAssertEqual(both.status, 403, route)
            // A request another site's page makes from the background (an <img>, a no-cors fetch)
            // carries no Origin, but browsers say where it came from.
            for site in ["cross-site", "same-site"] {
                let background = try HTTP.get(
                    port, route,
                    headers: [
                        ("Host", "127.0.0.1:\(port)"), ("Sec-Fetch-Site", site),
                        ("Sec-Fetch-Mode", "no-cors"),
                    ])
                XCTAssertEqual(background.status, 403, "\(route) from a \(site) page")
            }
        }
        XCTAssertEqual(try server.liveStreams(), 0)
    }

    // MARK: masked columns in the table view

    /// What a range filter on a masked SSID returns is decided by its tokens: `SSID >
    /// "1000000010"` compares "#…" with "1000000010" (false for every row), not the IDs (which
    /// would keep exactly the ten upper rows). Sorting orders tokens. No raw SSID or masked name
    /// is in any answer.
    func testMaskedColumnsAreFilteredAndSortedAsTokens() throws {
        let scratch = try scratchFolder()
        let server = try WatchProcess(in: scratch, arguments: ["--mask", "StudentLegalFirstName"])
        defer { server.stop() }
        var answers: [(query: String, body: String)] = []
        func table(_ query: String) throws -> [String: Any] {
            let answer = try HTTP.get(server.port, "/table?" + query, headers: [("Host", "127.0.0.1:\(server.port)")])
            XCTAssertEqual(answer.status, 200, query)
            answers.append((query, answer.body))
            return try HTTP.json(answer.body)
        }
        func rows(_ page: [String: Any]) -> [[String?]] {
            (page["rows"] as? [[Any]] ?? []).map { $0.map { $0 as? String } }
        }
        func q(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s }

        let all = rows(try table("name=students&limit=100"))
        XCTAssertEqual(all.count, 20)
        let tokens = all.map { $0[0] ?? "" }
        XCTAssertTrue(tokens.allSatisfy { $0.hasPrefix("#") && $0.count == 13 }, "SSIDs are shown as tokens: \(tokens)")
        XCTAssertEqual(Set(tokens).count, 20)
        let nameTokens = all.map { $0[1] ?? "" }
        XCTAssertTrue(nameTokens.allSatisfy { $0.hasPrefix("#") }, "--mask names are tokens: \(nameTokens)")

        // The attack: range filters on the masked SSID, on it and on a renamed copy (lineage).
        for (name, column) in [("students", "SSID"), ("renamed", "StudentID")] {
            for condition in [
                "\(column) > \"1000000010\"", "\(column) <= \"1000000010\"", "\(column) >= \"1000000001\" and \(column) < \"1000000011\"",
            ] {
                let page = try table("name=\(name)&limit=100&filter=\(q(condition))")
                let kept = rows(page).map { $0[0] ?? "" }
                let onTokens = tokens.filter { TokenCondition.holds(condition, column: column, token: $0) }
                XCTAssertEqual(Set(kept), Set(onTokens), "\(name): \(condition) is evaluated on the tokens")
                XCTAssertNotEqual(kept.count, 10, "\(name): \(condition) must not pick out the ten rows on one side of an ID")
            }
            // Sorting orders the tokens, both ways; the IDs' order would be the load order.
            for desc in ["0", "1"] {
                let sorted = rows(try table("name=\(name)&limit=100&sort=\(column)&desc=\(desc)")).map { $0[0] ?? "" }
                XCTAssertEqual(sorted, desc == "1" ? tokens.sorted(by: >) : tokens.sorted(), "\(name) sorted by \(column) desc=\(desc)")
                XCTAssertNotEqual(sorted, desc == "1" ? Array(tokens.reversed()) : tokens, "the SSIDs' own order is not shown")
            }
            // A comparison with a number is a type error on the text tokens, the same for every ID.
            let typed = try table("name=\(name)&limit=100&filter=\(q("\(column) > 1000000010"))")
            XCTAssertEqual(rows(typed).count, 0)
            XCTAssertNotNil(typed["error"] as? String)
        }
        // Equality with a raw name finds nothing; with the token shown on the page, its row.
        XCTAssertEqual(rows(try table("name=students&filter=\(q("StudentLegalFirstName == \"Zebulon05\""))")).count, 0)
        let byToken = rows(try table("name=students&filter=\(q("StudentLegalFirstName == \"\(nameTokens[4])\""))"))
        XCTAssertEqual(byToken.map { $0[0] ?? "" }, [tokens[4]], "a filter on a token the page shows finds its row")
        // Unmasked columns still filter and sort by value.
        XCTAssertEqual(rows(try table("name=students&limit=100&filter=\(q("Grade == 1"))")).count, 7)
        XCTAssertEqual(rows(try table("name=students&limit=100&sort=Grade&desc=1")).first?[2], "2")

        // A pivot across SSID names its columns by SSIDs: they are tokens, and naming a column by
        // a raw SSID is the same error as naming one that does not exist.
        let wide = try table("name=wide&limit=100")
        let headers = wide["columns"] as? [String] ?? []
        XCTAssertEqual(headers.count, 21)
        XCTAssertTrue(headers.dropFirst().allSatisfy { $0.hasPrefix("#") }, "pivot headers are tokens: \(headers)")
        let real = try table("name=wide&filter=\(q("`\(Self.ssids[0])` == 1"))")
        let unreal = try table("name=wide&filter=\(q("`1999999999` == 1"))")
        XCTAssertEqual(rows(real).count, 0)
        XCTAssertEqual(
            (real["error"] as? String)?.replacingOccurrences(of: Self.ssids[0], with: "X"),
            (unreal["error"] as? String)?.replacingOccurrences(of: "1999999999", with: "X"))
        XCTAssertNotNil(real["error"] as? String)
        // Sorting by a token header works (the page sends the header it shows).
        XCTAssertEqual(rows(try table("name=wide&limit=100&sort=\(q(headers[1]))")).count, 3)

        // The notebook itself.
        for route in ["/", "/notebook", "/view?table=students"] {
            let page = try HTTP.get(server.port, route, headers: [("Host", "localhost:\(server.port)")])
            XCTAssertEqual(page.status, 200, route)
            answers.append((route, page.body))
        }
        // No raw SSID or masked name in any answer (but where the request itself typed it).
        for (query, body) in answers {
            for secret in Self.ssids + Self.names where body.contains(secret) {
                XCTAssertTrue(query.removingPercentEncoding?.contains(secret) ?? false, "\(secret) leaked in the answer to \(query)")
            }
            XCTAssertFalse(body.contains("Zebulon"), "a masked name leaked in the answer to \(query)")
        }
    }

    /// The table view's quick masking is the masking a workbook export gets, cell for cell:
    /// masked integers and text (by lineage), a pivot's masked headers, ten-digit numbers in other
    /// text with SSID masked, nulls left null; and a `validate` findings table (per-row fields).
    func testShownTableIsMaskedAsExportsAre() throws {
        let privacy = ReportPrivacy(masks: ["SSID", "StudentLegalFirstName"], suppressBelow: nil, key: "k")
        let table = try readCSV(
            """
            ID,First,Note,Grade,1000000001
            101,Ana,"see 1000000002, and 12345",KN,1
            102,,plain,01,
            ,Ana,,KN,2
            """
        ) { $0.columns = [ColumnDeclaration(name: Name("ID", .none), type: .integer, dateFormat: nil)] }
        XCTAssertEqual(table.column("ID")?.type, .integer, "a masked number column is tokenised too")
        let lineage: ColumnLineage = ["ID": ["ID", "SSID"], "First": ["StudentLegalFirstName"], "1000000001": ["SSID", Lineage.header]]
        let quick = Interpreter.masked(table, lineage: lineage, privacy)
        let general = privacy.apply(table, lineage: lineage).table
        XCTAssertEqual(quick.names, general.names)
        XCTAssertEqual(quick.columns.map(\.type), general.columns.map(\.type))
        for k in quick.names.indices { XCTAssertEqual(quick.strings(quick.names[k]), general.strings(general.names[k]), quick.names[k]) }
        XCTAssertEqual(quick.strings(quick.names[0])[2], nil)
        XCTAssertTrue(quick.names[4].hasPrefix("#"))
        XCTAssertEqual(quick.strings("Grade"), ["KN", "01", "KN"])
        XCTAssertFalse(quick.strings("Note").compactMap { $0 }.joined().contains("1000000002"))
        // Per-row sensitivity takes the general path itself.
        let findings = try readCSV("field,value\nSSID,1000000001\nGrade,KN\n")
        let marked: ColumnLineage = ["value": ["value", Lineage.fieldValue]]
        XCTAssertEqual(
            Interpreter.masked(findings, lineage: marked, privacy).strings("value"),
            privacy.apply(findings, lineage: marked).table.strings("value"))
        XCTAssertEqual(Interpreter.masked(findings, lineage: marked, privacy).strings("value")[1], "KN")
    }

    // MARK: event streams

    func testClosedEventStreamIsDropped() throws {
        let scratch = try scratchFolder()
        let server = try WatchProcess(in: scratch, arguments: [])
        defer { server.stop() }
        let first = try HTTP.Stream(server.port, "/events")
        XCTAssertTrue(try first.read(until: "data: 1\n\n").contains("text/event-stream"))
        let second = try HTTP.Stream(server.port, "/events")
        _ = try second.read(until: "data: 1\n\n")
        XCTAssertEqual(try server.liveStreams(), 2)

        // The first page goes: its stream is removed without waiting for a rerun.
        first.close()
        XCTAssertTrue(try server.waitFor(streams: 1), "a closed event stream is dropped")
        // The other still gets the next run.
        try FileManager.default.removeItem(atPath: scratch.path("w.playbook"))
        try scratch.write("w.playbook", "playbook \"Hostile watch, again\"\nload students from \"students.csv\"\n")
        _ = try second.read(until: "data: 2\n\n")
        second.close()
        XCTAssertTrue(try server.waitFor(streams: 0), "every closed stream is dropped")
    }
}

/// Evaluates the three range conditions the masking test sends, on a shown token, the way the
/// playbook language compares text (by UTF-8 bytes).
enum TokenCondition {
    static func holds(_ condition: String, column: String, token: String) -> Bool {
        let t = Array(token.utf8)
        func cmp(_ s: String) -> Int { t.lexicographicallyPrecedes(Array(s.utf8)) ? -1 : (t == Array(s.utf8) ? 0 : 1) }
        switch condition {
        case "\(column) > \"1000000010\"": return cmp("1000000010") > 0
        case "\(column) <= \"1000000010\"": return cmp("1000000010") <= 0
        default: return cmp("1000000001") >= 0 && cmp("1000000011") < 0
        }
    }
}

/// `tally watch w.playbook --port 0` in a scratch folder: started, its port read from the line
/// it prints once it listens, and stopped (SIGTERM, then SIGKILL) at the end of a test.
final class WatchProcess {
    let process = Process()
    let port: Int
    private let output = Pipe()
    private let said = Said()

    /// What the server printed so far (read on another thread).
    final class Said: @unchecked Sendable {
        private let lock = NSLock()
        private var text = ""
        func add(_ data: Data) { lock.lock(); text += String(decoding: data, as: UTF8.self); lock.unlock() }
        var all: String { lock.lock(); defer { lock.unlock() }; return text }
    }

    init(in scratch: Scratch, arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: MatrixTests.tally)
        process.arguments = ["watch", "w.playbook", "--port", "0"] + arguments
        process.currentDirectoryURL = scratch.url
        process.standardOutput = output
        process.standardError = output
        output.fileHandleForReading.readabilityHandler = { [said] handle in said.add(handle.availableData) }
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        var found: Int?
        while found == nil, Date() < deadline, process.isRunning {
            let text = said.all
            if let range = text.range(of: #"notebook is on http://127\.0\.0\.1:[0-9]+/"#, options: .regularExpression) {
                found = Int(text[range].split(separator: ":").last?.dropLast() ?? "")
            }
            usleep(50_000)
        }
        guard let found else {
            process.terminate()
            throw NSError(domain: "tally watch did not start", code: 1, userInfo: [NSLocalizedDescriptionKey: said.all])
        }
        port = found
    }

    var log: String { said.all }

    /// The number of open event streams, from the server's own count.
    func liveStreams() throws -> Int {
        let answer = try HTTP.get(port, "/status", headers: [("Host", "127.0.0.1:\(port)")])
        guard answer.status == 200, let n = try HTTP.json(answer.body)["streams"] as? Int else {
            throw NSError(domain: "status", code: answer.status, userInfo: [NSLocalizedDescriptionKey: answer.body])
        }
        return n
    }

    /// Waits (20 s at most, to catch a hang) until `streams` are open.
    func waitFor(streams: Int) throws -> Bool {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if try liveStreams() == streams { return true }
            usleep(50_000)
        }
        return false
    }

    func stop() {
        process.terminate()
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning, Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        output.fileHandleForReading.readabilityHandler = nil
    }
}

/// Raw HTTP/1.1 over a socket: every header exactly as given (URLSession sets Host itself).
enum HTTP {
    struct Answer {
        var status: Int
        var head: String
        var body: String
        func header(_ name: String) -> String? {
            head.components(separatedBy: "\r\n").dropFirst().first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
                .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
        }
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    static func connect(_ port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(fd); throw Failure(description: "connect to \(port): errno \(errno)") }
        // A read that waits 20 s is a hang, not slowness.
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    static func send(_ fd: Int32, _ path: String, _ headers: [(String, String)], close: Bool = true) throws {
        var request = "GET \(path) HTTP/1.1\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += (close ? "Connection: close\r\n" : "") + "\r\n"
        let bytes = Array(request.utf8)
        guard Glibc.send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else {
            throw Failure(description: "send: errno \(errno)")
        }
    }

    /// One request on its own connection, read to the end.
    static func get(_ port: Int, _ path: String, headers: [(String, String)]) throws -> Answer {
        let fd = try connect(port)
        defer { close(fd) }
        try send(fd, path, headers)
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n < 0 { throw Failure(description: "no answer to \(path) within 20 s (errno \(errno))") }
            if n == 0 { break }
            data += buffer[0..<n]
        }
        let text = String(decoding: data, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw Failure(description: "not HTTP: \(text)") }
        let head = String(text[..<split.lowerBound])
        var body = String(text[split.upperBound...])
        if head.lowercased().contains("transfer-encoding: chunked") { body = unchunk(body) }
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        return Answer(status: status, head: head, body: body)
    }

    static func unchunk(_ text: String) -> String {
        var out = "", rest = Substring(text)
        while let line = rest.range(of: "\r\n"), let size = Int(rest[..<line.lowerBound], radix: 16), size > 0 {
            let start = line.upperBound
            let end = rest.utf8.index(start, offsetBy: size, limitedBy: rest.endIndex) ?? rest.endIndex
            out += rest[start..<end]
            rest = rest[end...].dropFirst(2)
        }
        return out
    }

    static func json(_ body: String) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else {
            throw Failure(description: "not a JSON object: \(body)")
        }
        return object
    }

    /// An event stream kept open, as a page keeps it.
    final class Stream {
        let fd: Int32
        private var seen = ""
        private var closed = false

        init(_ port: Int, _ path: String) throws {
            fd = try HTTP.connect(port)
            try HTTP.send(fd, path, [("Host", "127.0.0.1:\(port)"), ("Accept", "text/event-stream")], close: false)
        }

        /// Everything read so far once it contains `text` (20 s at most).
        func read(until text: String) throws -> String {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !seen.contains(text) {
                let n = recv(fd, &buffer, buffer.count, 0)
                guard n > 0 else {
                    throw Failure(description: "the stream ended or stalled before \(text.debugDescription); read: \(seen)")
                }
                seen += String(decoding: buffer[0..<n], as: UTF8.self)
            }
            return seen
        }

        func close() {
            guard !closed else { return }
            closed = true
            Glibc.close(fd)
        }

        deinit { close() }
    }
}
