import Foundation

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// A scratch folder with files, removed when the test ends.
final class Scratch {
    let url: URL
    /// The store `store` made for this scratch folder (one per test).
    var madeStore: String? = nil
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("tally-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String { try write(name, Data(text.utf8)) }

    @discardableResult
    func write(_ name: String, _ data: Data) throws -> String {
        let target = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: target)
        return target.path
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func read(_ name: String) -> String? { try? String(contentsOfFile: path(name), encoding: .utf8) }

    var options: RunOptions {
        var o = RunOptions()
        o.displayBase = url.path
        return o
    }
}

/// Reads CSV text through the real reader.
func readCSV(_ text: String, _ configure: (inout DelimitedOptions) -> Void = { _ in }) throws -> Table {
    var options = DelimitedOptions()
    configure(&options)
    return try DelimitedReader.read(
        InputFile(path: "t.csv", displayName: "t.csv", bytes: Array(text.utf8), size: text.utf8.count),
        options: options)
}

func readBytes(_ bytes: [UInt8], _ configure: (inout DelimitedOptions) -> Void = { _ in }) throws -> Table {
    var options = DelimitedOptions()
    configure(&options)
    return try DelimitedReader.read(InputFile(path: "t.csv", displayName: "t.csv", bytes: bytes, size: bytes.count), options: options)
}

extension Table {
    func strings(_ name: String) -> [String?] {
        guard let c = column(name) else { return [] }
        return (0..<rowCount).map { c.isNull($0) ? nil : c.value($0).display }
    }
}

/// The QA store a test uses. With `TALLY_TEST_STORE_BACKEND=postgres` (set by `.ci/run`, which
/// runs the store tests a second time inside `scripts/with-postgres.sh`) it is a new PostgreSQL
/// database on that throwaway server; otherwise a SQLite file in the scratch folder.
enum TestStore {
    static var usesPostgres: Bool { ProcessInfo.processInfo.environment["TALLY_TEST_STORE_BACKEND"] == "postgres" }

    /// A new, empty PostgreSQL database on the with-postgres.sh server, as a URL (the password
    /// comes from PGPASSWORD).
    static func newPostgresDatabase() throws -> String {
        let env = ProcessInfo.processInfo.environment
        guard let socket = env["TALLY_TEST_POSTGRES_SOCKET"], let port = env["TALLY_TEST_POSTGRES_PORT"] else {
            throw NSError(domain: "TestStore", code: 1, userInfo: [NSLocalizedDescriptionKey: "run inside scripts/with-postgres.sh"])
        }
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        process.arguments = ["-h", socket, "-p", port, "-U", "postgres", "-q", "-c", "CREATE DATABASE \(name) OWNER tally"]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw NSError(domain: "TestStore", code: 2, userInfo: [NSLocalizedDescriptionKey: "createdb \(name) failed"])
        }
        return "postgres://tally@127.0.0.1:\(port)/\(name)"
    }
}

extension Scratch {
    /// This test's store: a SQLite file here, or a new PostgreSQL database (see `TestStore`).
    var store: String {
        if let made = madeStore { return made }
        let location =
            TestStore.usesPostgres ? ((try? TestStore.newPostgresDatabase()) ?? "postgres://unavailable") : path(".tally/tally.sqlite")
        madeStore = location
        return location
    }
}

/// A process id no process has: one that ran and exited.
func deadProcessID() throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/true")
    try process.run()
    process.waitUntilExit()
    return process.processIdentifier
}
