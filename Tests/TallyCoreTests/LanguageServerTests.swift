import Foundation
import XCTest

@testable import TallyData
@testable import TallyModel

/// `tally lsp` through its real stdio: the test starts the built binary, writes framed JSON-RPC
/// (Content-Length headers) to its stdin and reads its stdout, as an editor does. The playbook
/// is playbooks/census_day.playbook over a district `tally sample` generates.
final class LanguageServerTests: XCTestCase {
    /// One running `tally lsp` and the messages it sent that were not read yet.
    final class Session {
        let process = Process()
        let input = Pipe(), output = Pipe()
        var pending: [[String: Any]] = []
        var nextID = 0

        init(folder: String) throws {
            process.executableURL = URL(fileURLWithPath: MatrixTests.tally)
            process.arguments = ["lsp"]
            process.currentDirectoryURL = URL(fileURLWithPath: folder)
            process.standardInput = input
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Only to catch a hang: a server that stops answering is killed, and the reads fail.
            let process = self.process
            DispatchQueue.global().asyncAfter(deadline: .now() + 120) { if process.isRunning { process.terminate() } }
        }

        deinit { if process.isRunning { process.terminate() } }

        func raw(_ bytes: Data) { input.fileHandleForWriting.write(bytes) }

        func send(_ message: [String: Any]) throws {
            let body = try JSONSerialization.data(withJSONObject: message)
            raw(Data("Content-Length: \(body.count)\r\n\r\n".utf8) + body)
        }

        /// The next message the server writes (nil at the end of its output).
        func read() -> [String: Any]? {
            var header = Data()
            while !header.suffix(4).elementsEqual([13, 10, 13, 10]) {
                let byte = output.fileHandleForReading.readData(ofLength: 1)
                if byte.isEmpty { return nil }
                header += byte
            }
            let text = String(decoding: header, as: UTF8.self)
            guard let line = text.split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("content-length:") }),
                let length = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces))
            else { return nil }
            let body = output.fileHandleForReading.readData(ofLength: length)
            return (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        }

        func notify(_ method: String, _ params: [String: Any]) throws {
            try send(["jsonrpc": "2.0", "method": method, "params": params])
        }

        /// Sends a request and returns its response (notifications read meanwhile are kept).
        func request(_ method: String, _ params: Any = NSNull()) throws -> [String: Any] {
            nextID += 1
            let id = nextID
            try send(["jsonrpc": "2.0", "id": id, "method": method, "params": params])
            while let message = read() {
                if message["method"] == nil, message["id"] as? Int == id { return message }
                pending.append(message)
            }
            throw Problem("the server ended without answering \(method)")
        }

        /// The next notification (or request from the server) with this method.
        func wait(_ method: String) throws -> [String: Any] {
            if let i = pending.firstIndex(where: { $0["method"] as? String == method }) { return pending.remove(at: i) }
            while let message = read() {
                if message["method"] as? String == method { return message }
                pending.append(message)
            }
            throw Problem("the server ended without sending \(method)")
        }
    }

    struct Problem: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    var scratch: Scratch!
    var uri = ""
    var text = ""

    /// A district from `tally sample` in data/, census_day.playbook beside it.
    override func setUpWithError() throws {
        scratch = try Scratch()
        let made = try ReliabilityTests.tally(["sample", "calpads", "--students", "200", "--out", "data"], in: scratch.url.path)
        XCTAssertEqual(made.exit, 0, made.output)
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        text = try String(contentsOf: repo.appendingPathComponent("playbooks/census_day.playbook"), encoding: .utf8)
        let path = try scratch.write("census_day.playbook", text)
        uri = "file://" + path
    }

    /// A server, initialized, with census_day.playbook open (its first diagnostics read).
    func openSession(_ opened: String? = nil) throws -> (Session, [[String: Any]]) {
        let session = try Session(folder: scratch.url.path)
        let reply = try session.request("initialize", ["rootUri": "file://" + scratch.url.path, "capabilities": [:] as [String: Any]])
        XCTAssertNotNil((reply["result"] as? [String: Any])?["capabilities"])
        try session.notify("initialized", [:])
        try session.notify(
            "textDocument/didOpen", ["textDocument": ["uri": uri, "languageId": "tally", "version": 1, "text": opened ?? text]])
        let published = try session.wait("textDocument/publishDiagnostics")
        return (session, (published["params"] as? [String: Any])?["diagnostics"] as? [[String: Any]] ?? [])
    }

    func change(_ session: Session, _ newText: String, version: Int) throws -> [[String: Any]] {
        try session.notify(
            "textDocument/didChange", ["textDocument": ["uri": uri, "version": version], "contentChanges": [["text": newText]]])
        let published = try session.wait("textDocument/publishDiagnostics")
        return (published["params"] as? [String: Any])?["diagnostics"] as? [[String: Any]] ?? []
    }

    /// The 0-based index of the first line starting with `prefix`.
    func line(_ prefix: String, in text: String? = nil) throws -> Int {
        let lines = (text ?? self.text).components(separatedBy: "\n")
        guard let index = lines.firstIndex(where: { $0.hasPrefix(prefix) }) else { throw Problem("no line starts with \(prefix)") }
        return index
    }

    /// A playbook's text without comments and quoted text: where names are.
    static func names(_ text: String) -> String {
        text.replacingOccurrences(of: #""[^"\n]*""#, with: "\"\"", options: .regularExpression)
            .replacingOccurrences(of: #"#[^\n]*"#, with: "", options: .regularExpression)
    }

    static func start(_ item: [String: Any]) -> (line: Int, character: Int) {
        let start = (item["range"] as? [String: Any])?["start"] as? [String: Any]
        return (start?["line"] as? Int ?? -1, start?["character"] as? Int ?? -1)
    }

    /// Applies one-line edits (as a client does) to a text.
    static func apply(_ edits: [[String: Any]], to text: String) -> String {
        var lines = text.components(separatedBy: "\n")
        for edit in edits.reversed() {
            let range = edit["range"] as? [String: Any]
            let s = range?["start"] as? [String: Any], e = range?["end"] as? [String: Any]
            let l = s?["line"] as? Int ?? 0
            let line = Array(lines[l].utf16)
            let a = s?["character"] as? Int ?? 0, b = e?["character"] as? Int ?? 0
            lines[l] =
                String(decoding: line[..<a], as: UTF16.self) + (edit["newText"] as? String ?? "")
                + String(decoding: line[b...], as: UTF16.self)
        }
        return lines.joined(separator: "\n")
    }

    func testInitializeAdvertisesWhatIsServedAndRefusesUnknownMethods() throws {
        let session = try Session(folder: scratch.url.path)
        let reply = try session.request("initialize", ["capabilities": [:] as [String: Any]])
        let capabilities = try XCTUnwrap((reply["result"] as? [String: Any])?["capabilities"] as? [String: Any])
        XCTAssertEqual(
            Set(capabilities.keys),
            [
                "textDocumentSync", "completionProvider", "hoverProvider", "definitionProvider",
                "referencesProvider", "renameProvider", "documentSymbolProvider",
                "documentFormattingProvider", "codeActionProvider", "inlayHintProvider",
                "codeLensProvider", "executeCommandProvider",
            ])
        let unknown = try session.request("textDocument/semanticTokens/full", ["textDocument": ["uri": uri]])
        XCTAssertEqual((unknown["error"] as? [String: Any])?["code"] as? Int, -32601)
        let shutdown = try session.request("shutdown")
        XCTAssertTrue(shutdown["result"] is NSNull, "\(shutdown)")
        try session.notify("exit", [:])
        session.process.waitUntilExit()
        XCTAssertEqual(session.process.terminationStatus, 0)
    }

    func testMisspeltColumnIsReportedAtItsLineWithTheSuggestionAndTheCodeActionFixesIt() throws {
        let (session, opened) = try openSession()
        XCTAssertEqual(opened.count, 0, "census_day.playbook checks clean: \(opened)")
        let misspelt = text.replacingOccurrences(
            of: "primaries = enrolled | filter EnrollmentStatusCode ==",
            with: "primaries = enrolled | filter EnrollmentStatusCod ==")
        XCTAssertNotEqual(misspelt, text)
        let diagnostics = try change(session, misspelt, version: 2)
        XCTAssertEqual(diagnostics.count, 1, "\(diagnostics)")
        let diagnostic = try XCTUnwrap(diagnostics.first)
        let at = LanguageServerTests.start(diagnostic)
        XCTAssertEqual(at.line, try line("primaries"))
        XCTAssertEqual(at.character, "primaries = enrolled | filter ".utf16.count)
        XCTAssertEqual(diagnostic["severity"] as? Int, 1)
        let message = try XCTUnwrap(diagnostic["message"] as? String)
        XCTAssertTrue(message.contains("has no column \"EnrollmentStatusCod\""), message)
        XCTAssertTrue(message.contains("did you mean \"EnrollmentStatusCode\"?"), message)

        let actions = try session.request(
            "textDocument/codeAction",
            [
                "textDocument": ["uri": uri], "range": diagnostic["range"] ?? [:],
                "context": ["diagnostics": diagnostics],
            ])
        let action = try XCTUnwrap((actions["result"] as? [[String: Any]])?.first)
        let edits = try XCTUnwrap(((action["edit"] as? [String: Any])?["changes"] as? [String: Any])?[uri] as? [[String: Any]])
        XCTAssertEqual(LanguageServerTests.apply(edits, to: misspelt), text)
        // The fixed text checks clean again.
        XCTAssertEqual(try change(session, text, version: 3).count, 0)
        // A client that sends ranges (incremental changes) is followed too: the same misspelling.
        let at0 = ["line": at.line, "character": at.character + "EnrollmentStatusCod".utf16.count]
        try session.notify(
            "textDocument/didChange",
            [
                "textDocument": ["uri": uri, "version": 4],
                "contentChanges": [["range": ["start": at0, "end": ["line": at.line, "character": at0["character"]! + 1]], "text": ""]],
            ])
        let again =
            (try session.wait("textDocument/publishDiagnostics")["params"] as? [String: Any])?["diagnostics"] as? [[String: Any]] ?? []
        XCTAssertEqual(again.first?["message"] as? String, message)
    }

    /// A line that does not parse does not hide the other lines' errors: both are published.
    func testASyntaxErrorDoesNotHideAMisspeltColumnElsewhere() throws {
        let (session, _) = try openSession()
        var broken = text.replacingOccurrences(
            of: "primaries = enrolled | filter EnrollmentStatusCode ==",
            with: "primaries = enrolled | filter EnrollmentStatusCod ==")
        broken += "\nbroken = enrolled | filter (GradeLevelCode ==\n"
        let diagnostics = try change(session, broken, version: 2)
        let messages = diagnostics.compactMap { $0["message"] as? String }
        XCTAssertEqual(messages.count, 2, "\(messages)")
        XCTAssertTrue(messages.contains { $0.contains("has no column \"EnrollmentStatusCod\"") }, "\(messages)")
        XCTAssertTrue(messages.contains { $0.contains("never closed") || $0.contains("expected") }, "\(messages)")
        XCTAssertEqual(diagnostics.map { LanguageServerTests.start($0).line }.min(), try line("primaries"))
    }

    func testHabitsBecomeEdits() throws {
        let habits = text.replacingOccurrences(
            of: "primaries = enrolled | filter EnrollmentStatusCode == \"10\"",
            with: "primaries = enrolled | filter EnrollmentStatusCode == '10'")
        let (session, diagnostics) = try openSession(habits)
        XCTAssertEqual(diagnostics.count, 1, "\(diagnostics)")
        let actions = try session.request(
            "textDocument/codeAction",
            [
                "textDocument": ["uri": uri], "range": diagnostics.first?["range"] ?? [:],
                "context": ["diagnostics": diagnostics],
            ])
        let edits = ((actions["result"] as? [[String: Any]])?.first?["edit"] as? [String: Any])?["changes"] as? [String: Any]
        XCTAssertEqual(LanguageServerTests.apply(edits?[uri] as? [[String: Any]] ?? [], to: habits), text)

        let nullHabit = text.replacingOccurrences(
            of: "ExitDate is null or ExitDate > census_day", with: "ExitDate == null or ExitDate > census_day")
        let nullDiagnostics = try change(session, nullHabit, version: 2)
        XCTAssertEqual(nullDiagnostics.count, 1, "\(nullDiagnostics)")
        let nullActions = try session.request(
            "textDocument/codeAction",
            [
                "textDocument": ["uri": uri], "range": nullDiagnostics.first?["range"] ?? [:],
                "context": ["diagnostics": nullDiagnostics],
            ])
        let nullEdits = ((nullActions["result"] as? [[String: Any]])?.first?["edit"] as? [String: Any])?["changes"] as? [String: Any]
        XCTAssertEqual(LanguageServerTests.apply(nullEdits?[uri] as? [[String: Any]] ?? [], to: nullHabit), text)
    }

    func testCompletionAfterFilterOnAnIncompleteLineListsTheColumns() throws {
        let index = try line("primaries")
        var lines = text.components(separatedBy: "\n")
        lines[index] = "primaries = enrolled | filter "
        let incomplete = lines.joined(separator: "\n")
        let (session, diagnostics) = try openSession(incomplete)
        XCTAssertFalse(diagnostics.isEmpty, "the half-written line does not parse")
        let reply = try session.request(
            "textDocument/completion",
            [
                "textDocument": ["uri": uri],
                "position": ["line": index, "character": lines[index].utf16.count],
            ])
        let labels = ((reply["result"] as? [[String: Any]]) ?? []).compactMap { $0["label"] as? String }
        // enrolled is SENR's columns: they come first, before functions and keywords.
        XCTAssertEqual(Array(labels.prefix(3)), ["RecordTypeCode", "TransactionTypeCode", "LocalRecordID"])
        for column in ["EnrollmentStatusCode", "GradeLevelCode", "SSID"] { XCTAssertTrue(labels.contains(column), column) }
        XCTAssertTrue(labels.contains("grade_order"), "functions")
        XCTAssertTrue(labels.contains("census_day"), "parameters")

        // After `| ` the steps.
        let steps = try session.request(
            "textDocument/completion",
            [
                "textDocument": ["uri": uri],
                "position": ["line": index, "character": "primaries = enrolled | ".utf16.count],
            ])
        let stepLabels = ((steps["result"] as? [[String: Any]]) ?? []).compactMap { $0["label"] as? String }
        XCTAssertTrue(stepLabels.contains("filter") && stepLabels.contains("aggregate") && !stepLabels.contains("SSID"), "\(stepLabels)")
    }

    func testHoverOnAFunctionGivesItsSignatureAndWhatItComputes() throws {
        let opened = text + "\nbands = enrolled | derive g = grade_order(GradeLevelCode)\n"
        let (session, _) = try openSession(opened)
        let index = try line("bands = ", in: opened)
        let hover = try session.request(
            "textDocument/hover",
            [
                "textDocument": ["uri": uri],
                "position": ["line": index, "character": "bands = enrolled | derive g = grade_".utf16.count],
            ])
        let shown = try XCTUnwrap(((hover["result"] as? [String: Any])?["contents"] as? [String: Any])?["value"] as? String)
        XCTAssertTrue(shown.contains("grade_order("), shown)
        XCTAssertTrue(shown.contains("PS -2, TK -1, KN 0"), shown)
    }

    /// A step's keyword after `|` shows its form (each step kind's `usage`), `trim` as a step
    /// and not as the function of that name.
    func testHoverOnAStepGivesItsForm() throws {
        let opened = text + "\nfilled = enrolled | fill_null GradeLevelCode with \"??\" | trim GradeLevelCode\n"
        let (session, _) = try openSession(opened)
        let index = try line("filled = ", in: opened)
        for (prefix, expected) in [
            ("filled = enrolled | fill_", "fill_null COL, ... with VALUE"),
            ("filled = enrolled | fill_null GradeLevelCode with \"??\" | tr", "trim COL, ..."),
        ] {
            let hover = try session.request(
                "textDocument/hover", ["textDocument": ["uri": uri], "position": ["line": index, "character": prefix.utf16.count]])
            let shown = try XCTUnwrap(((hover["result"] as? [String: Any])?["contents"] as? [String: Any])?["value"] as? String)
            XCTAssertTrue(shown.contains(expected) && shown.contains("pipeline step"), shown)
        }
    }

    func testHoverDefinitionReferencesAndRename() throws {
        let (session, _) = try openSession()
        let use = try line("primaries")
        let at = ["line": use, "character": "primaries = enr".utf16.count]
        let hover = try session.request("textDocument/hover", ["textDocument": ["uri": uri], "position": at])
        let shown = try XCTUnwrap(((hover["result"] as? [String: Any])?["contents"] as? [String: Any])?["value"] as? String)
        XCTAssertTrue(shown.hasPrefix("table **enrolled** — 35 columns"), shown)
        XCTAssertTrue(shown.contains("| GradeLevelCode | text |") && shown.contains("| EnrollmentSchoolStartDate | date |"), shown)

        let definition = try session.request("textDocument/definition", ["textDocument": ["uri": uri], "position": at])
        XCTAssertEqual(LanguageServerTests.start(try XCTUnwrap(definition["result"] as? [String: Any])).line, try line("enrolled = senr"))

        let references = try session.request(
            "textDocument/references",
            [
                "textDocument": ["uri": uri], "position": at,
                "context": ["includeDeclaration": true],
            ])
        let lines = ((references["result"] as? [[String: Any]]) ?? []).map { LanguageServerTests.start($0).line }
        let expected = text.components(separatedBy: "\n").enumerated().filter { _, l in
            LanguageServerTests.names(l).range(of: #"\benrolled\b"#, options: .regularExpression) != nil
        }.map(\.offset)
        XCTAssertEqual(Array(Set(lines)).sorted(), expected)

        // A refused rename is an error the editor shows, saying why (not a silent null).
        for (newName, why) in [("2x", "is not a name"), ("primaries", "already uses the name primaries")] {
            let refused = try session.request("textDocument/rename", ["textDocument": ["uri": uri], "position": at, "newName": newName])
            XCTAssertNil(refused["result"], "\(refused)")
            let error = try XCTUnwrap(refused["error"] as? [String: Any], "\(refused)")
            XCTAssertEqual(error["code"] as? Int, -32803)
            XCTAssertTrue((error["message"] as? String)?.contains(why) == true, "\(error)")
        }
        let rename = try session.request("textDocument/rename", ["textDocument": ["uri": uri], "position": at, "newName": "on_census_day"])
        let edits = try XCTUnwrap(((rename["result"] as? [String: Any])?["changes"] as? [String: Any])?[uri] as? [[String: Any]])
        let renamed = LanguageServerTests.apply(edits, to: text)
        XCTAssertNil(LanguageServerTests.names(renamed).range(of: #"\benrolled\b"#, options: .regularExpression), "every use renamed")
        XCTAssertTrue(renamed.contains("message \"every enrolled student needs a SINF record\""), "text in quotes is left alone")
        XCTAssertEqual(try change(session, renamed, version: 2).count, 0, "the renamed playbook still checks")
    }

    func testFormattingIsTallyFmtAndSymbolsAreTheCells() throws {
        let (session, _) = try openSession()
        let reply = try session.request(
            "textDocument/formatting", ["textDocument": ["uri": uri], "options": ["tabSize": 2, "insertSpaces": true]])
        let edits = try XCTUnwrap(reply["result"] as? [[String: Any]])
        // The same text `tally fmt` writes.
        try scratch.write("copy.playbook", text)
        XCTAssertEqual(try ReliabilityTests.tally(["fmt", "copy.playbook"], in: scratch.url.path).exit, 0)
        let formatted = try XCTUnwrap(scratch.read("copy.playbook"))
        if formatted == text { XCTAssertTrue(edits.isEmpty) } else { XCTAssertEqual(edits.first?["newText"] as? String, formatted) }

        let symbols = try session.request("textDocument/documentSymbol", ["textDocument": ["uri": uri]])
        let names = ((symbols["result"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }
        XCTAssertEqual(
            Array(names.prefix(7)), ["playbook \"Fall 1 Census Day enrollment\"", "census_day", "year", "senr", "sinf", "sis", "enrolled"])
        XCTAssertTrue(names.contains("assert missing_demographics is empty"), "\(names)")
    }

    /// After `tally run`, each cell's line shows what it produced; "run to here" runs again
    /// (cells from the cache) and asks the editor to refresh.
    func testInlayHintsShowTheLastRunAndRunToHereRefreshesThem() throws {
        let run = try ReliabilityTests.tally(["run", "census_day.playbook"], in: scratch.url.path)
        XCTAssertEqual(run.exit, 1, "the sample's planted defects fail checks: \(run.output)")
        let (session, _) = try openSession()
        func hints() throws -> [Int: String] {
            let reply = try session.request(
                "textDocument/inlayHint",
                [
                    "textDocument": ["uri": uri],
                    "range": ["start": ["line": 0, "character": 0], "end": ["line": 999, "character": 0]],
                ])
            var out: [Int: String] = [:]
            for hint in (reply["result"] as? [[String: Any]]) ?? [] {
                out[(hint["position"] as? [String: Any])?["line"] as? Int ?? -1] = hint["label"] as? String
            }
            return out
        }
        let first = try hints()
        // One record a line (the file is not all UTF-8: count its newline bytes).
        let senrRows = (FileManager.default.contents(atPath: scratch.path("data/SENR.txt")) ?? Data()).filter { $0 == 10 }.count
        XCTAssertGreaterThan(senrRows, 150)
        let load = try XCTUnwrap(first[try line("load senr")])
        XCTAssertTrue(load.hasPrefix("→ \(senrRows) rows · ") && load.hasSuffix(" ms"), load)
        XCTAssertNotNil(first[try line("enrolled = senr")]?.range(of: #"^→ [0-9,]+ rows · [0-9]+ ms$"#, options: .regularExpression))
        let failing = try XCTUnwrap(first[try line("assert missing_demographics is empty")])
        XCTAssertNotNil(failing.range(of: #"^✗ [0-9,]+ failing$"#, options: .regularExpression), failing)
        XCTAssertEqual(first[try line("assert sum(counts.students)")], "✓ passed")
        XCTAssertNil(first[try line("param year")], "a parameter is no cell")
        // Hovering a table adds its rows in the last run.
        let hover = try session.request(
            "textDocument/hover", ["textDocument": ["uri": uri], "position": ["line": try line("primaries"), "character": 16]])
        let shown = ((hover["result"] as? [String: Any])?["contents"] as? [String: Any])?["value"] as? String ?? ""
        let rows = try XCTUnwrap(first[try line("enrolled = senr")]?.split(separator: " ").dropFirst().first)
        XCTAssertTrue(shown.contains("last run: \(rows) rows · "), shown)

        let lenses = try session.request("textDocument/codeLens", ["textDocument": ["uri": uri]])
        let lens = try XCTUnwrap(
            ((lenses["result"] as? [[String: Any]]) ?? []).first {
                LanguageServerTests.start($0).line == (try? line("enrolled = senr"))
            })
        let command = try XCTUnwrap(lens["command"] as? [String: Any])
        XCTAssertEqual(command["command"] as? String, "tally.runUntil")
        let ran = try session.request("workspace/executeCommand", ["command": "tally.runUntil", "arguments": command["arguments"] ?? []])
        XCTAssertEqual((ran["result"] as? [String: Any])?["exitStatus"] as? Int, 0, "\(ran)")
        _ = try session.wait("workspace/inlayHint/refresh")
        let again = try hints()
        XCTAssertTrue(again[try line("load senr")]?.hasSuffix("· cached") == true, "\(again)")
        XCTAssertTrue(again[try line("enrolled = senr")]?.hasSuffix("· cached") == true, "\(again)")
    }

    func testMalformedInputIsAnErrorResponseNeverACrash() throws {
        let (session, _) = try openSession()
        session.raw(Data("Content-Type: text/plain\r\n\r\n".utf8))
        XCTAssertEqual((session.read()?["error"] as? [String: Any])?["code"] as? Int, -32700)
        session.raw(Data("Content-Length: 7\r\n\r\n{nope!}".utf8))
        XCTAssertEqual((session.read()?["error"] as? [String: Any])?["code"] as? Int, -32700)
        try session.send(["jsonrpc": "2.0", "id": 99])
        XCTAssertEqual((session.read()?["error"] as? [String: Any])?["code"] as? Int, -32600)
        // 200 KB of bytes with no header end: refused, and the server reads on.
        session.raw(Data(repeating: UInt8(ascii: "x"), count: 200_000))
        XCTAssertEqual((session.read()?["error"] as? [String: Any])?["code"] as? Int, -32700)
        let hover = try session.request(
            "textDocument/hover", ["textDocument": ["uri": uri], "position": ["line": try line("primaries"), "character": 16]])
        XCTAssertNotNil(hover["result"] as? [String: Any], "\(hover)")
    }
}
