import Foundation
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// A store, a `--store` value or a `--report` folder that is not what Tally expects, with the
/// real `tally` binary: read-only commands read another user's store without changing it and
/// never make one; store URLs mean what they say; a failed open leaves no lock file; an
/// unwritable report folder is an error in words (exit 2).
final class HostileStoreTests: XCTestCase {
    /// Three students and a playbook that keeps a run (and its report record) in the store, all
    /// readable by another user.
    static func district(_ scratch: Scratch) throws {
        try scratch.write("students.csv", "SSID,School\n1000000001,A\n1000000002,B\n1000000003,A\n")
        try scratch.write("p.playbook", "playbook \"Hostile store\"\nload students from \"students.csv\"\nassert students unique by SSID\n")
        _ = chmod(scratch.url.path, 0o755)
        _ = chmod(scratch.path("students.csv"), 0o644)
        _ = chmod(scratch.path("p.playbook"), 0o644)
    }

    @discardableResult
    func tally(_ arguments: [String], in scratch: Scratch) throws -> (exit: Int32, output: String) {
        try ReliabilityTests.tally(arguments, in: scratch.url.path)
    }

    /// The arguments run as user nobody when the tests run as root (root ignores permissions).
    func asOtherUser(_ arguments: [String]) -> [String] {
        getuid() == 0 ? ["__sh", "exec setpriv --reuid=65534 --regid=65534 --clear-groups \"$0\" \"$@\""] + arguments : arguments
    }

    /// Each file in a folder with its size and modification time, to see that nothing changed.
    func listing(_ folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).sorted().map { name in
            let a = try FileManager.default.attributesOfItem(atPath: folder + "/" + name)
            return "\(name) \(a[.size] as? Int ?? -1) \((a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1)"
        }
    }

    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    // MARK: Read-only commands

    func testAStoreAnotherUserOwnsIsReadWithoutChangingIt() throws {
        let scratch = try Scratch()
        try HostileStoreTests.district(scratch)
        let made = try tally(["run", "p.playbook", "--store", "store/t.sqlite"], in: scratch)
        XCTAssertEqual(made.exit, 0, made.output)
        let store = scratch.path("store")
        try FileManager.default.createDirectory(atPath: scratch.path("reports"), withIntermediateDirectories: true)
        _ = chmod(scratch.path("reports"), 0o777)
        // As the run left it (with its -wal and -shm); closed cleanly (neither: a reader that
        // cannot write the folder cannot make the -shm); closed cleanly in a folder anyone can
        // write (the reader must not make a -wal and -shm the owner could not write).
        let phases: [(name: String, folder: mode_t)] = [
            ("with -wal and -shm", 0o555), ("closed cleanly", 0o555), ("in a shared folder", 0o1777),
        ]
        for (n, (phase, folderMode)) in phases.enumerated() {
            if phase == "closed cleanly" {
                _ = chmod(store, 0o700)
                for name in try FileManager.default.contentsOfDirectory(atPath: store) { _ = chmod(store + "/" + name, 0o600) }
                // The last connection to close checkpoints the -wal and removes it and the -shm.
                try BadInputCorpusTests.sqlite(store + "/t.sqlite", "PRAGMA wal_checkpoint(TRUNCATE)")
                XCTAssertFalse(
                    exists(store + "/t.sqlite-wal") || exists(store + "/t.sqlite-shm"), "closing the store removes its -wal and -shm")
            } else if n == 0 {
                XCTAssertTrue(exists(store + "/t.sqlite-shm"), "the run left its -shm")
            }
            for name in try FileManager.default.contentsOfDirectory(atPath: store) { _ = chmod(store + "/" + name, 0o444) }
            _ = chmod(store, folderMode)
            let before = try listing(store)
            let commands: [([String], String)] = [
                (["runs"], "Hostile store"),
                (["runs", "show", "1", "--mask", "SSID"], "run 1: Hostile store"),
                (["runs", "diff", "1", "1"], "no differences"),
                (["errors"], "no tracked CALPADS errors"),
                (["store", "info"], "schema: v5-track"),
                (["expected", "list"], "no expected sets"),
                (["verify", "1"], "all 1 inputs are the files run 1 saw"),
                (["report", "1", "--out", "reports/\(n)"], "report: reports/\(n)/report.html"),
            ]
            for (command, expected) in commands {
                let result = try tally(asOtherUser(command + ["--store", "store/t.sqlite"]), in: scratch)
                XCTAssertEqual(result.exit, 0, "\(phase): tally \(command.joined(separator: " ")): \(result.output)")
                XCTAssertTrue(result.output.contains(expected), "\(phase): tally \(command.joined(separator: " ")): \(result.output)")
            }
            XCTAssertEqual(try listing(store), before, "\(phase): a read-only command changed the store's folder")
        }
    }

    func testAMistypedStorePathMakesNoStore() throws {
        let scratch = try Scratch()
        try HostileStoreTests.district(scratch)
        let commands = [
            ["runs"], ["runs", "show", "1"], ["runs", "diff", "1", "2"], ["errors"], ["report", "1"], ["store", "info"],
            ["expected", "list"], ["expected", "show", "census"], ["verify", "1"],
        ]
        for command in commands {
            for (store, shown) in [
                ("nosuch/x.sqlite", "nosuch/x.sqlite"), ("here.sqlite", "here.sqlite"), ("sqlite:other/y.sqlite", "other/y.sqlite"),
            ] {
                let result = try tally(command + ["--store", store], in: scratch)
                XCTAssertEqual(result.exit, 2, "tally \(command.joined(separator: " ")) --store \(store): \(result.output)")
                XCTAssertTrue(result.output.contains("no QA store at \(shown) (a run creates it; check --store)"), result.output)
            }
            XCTAssertFalse(exists(scratch.path("nosuch")), "tally \(command.joined(separator: " ")) made the store's folder")
            XCTAssertFalse(exists(scratch.path("other")), "tally \(command.joined(separator: " ")) made the store's folder")
            XCTAssertEqual(
                try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).sorted(), ["p.playbook", "students.csv"],
                "tally \(command.joined(separator: " ")) made a file")
        }
        // The default store too: no .tally/ appears.
        let result = try tally(["runs"], in: scratch)
        XCTAssertEqual(result.exit, 2, result.output)
        XCTAssertFalse(exists(scratch.path(".tally")), result.output)
    }

    func testAStoreOfAnOlderSchemaIsReadOnlyOnceMigrated() throws {
        let scratch = try Scratch()
        try HostileStoreTests.district(scratch)
        XCTAssertEqual(try tally(["run", "p.playbook", "--store", "t.sqlite"], in: scratch).exit, 0)
        // As an older Tally left it: without v4's tables.
        try BadInputCorpusTests.sqlite(scratch.path("t.sqlite"), "DROP TABLE tracked_error")
        try BadInputCorpusTests.sqlite(scratch.path("t.sqlite"), "DROP TABLE tracked_run")
        try BadInputCorpusTests.sqlite(scratch.path("t.sqlite"), "ALTER TABLE run DROP COLUMN privacy")
        try BadInputCorpusTests.sqlite(
            scratch.path("t.sqlite"), "DELETE FROM grdb_migrations WHERE identifier LIKE 'v4:%' OR identifier LIKE 'v5%'")
        let refused = try tally(["runs", "--store", "t.sqlite"], in: scratch)
        XCTAssertEqual(refused.exit, 2, refused.output)
        XCTAssertTrue(
            refused.output.contains(
                "t.sqlite: error: this QA store was made by an older version of Tally (it lacks \"v4: tracked CALPADS errors\"); this command only reads it and leaves it unchanged"
            ), refused.output)
        XCTAssertTrue(refused.output.contains("help: run tally store migrate --store t.sqlite"), refused.output)
        let info = try tally(["store", "info", "--store", "t.sqlite"], in: scratch)
        XCTAssertEqual(info.exit, 0, info.output)
        XCTAssertTrue(
            info.output.contains(
                "schema: v3: partial runs and cell status\nolder than this Tally (3 migrations to apply): run tally store migrate"),
            info.output)
        XCTAssertEqual(try QAStore(path: scratch.path("t.sqlite"), access: .inspect).appliedMigrations().count, 3, "reading it migrated it")
        XCTAssertEqual(try tally(["store", "migrate", "--store", "t.sqlite"], in: scratch).exit, 0)
        let read = try tally(["runs", "--store", "t.sqlite"], in: scratch)
        XCTAssertEqual(read.exit, 0, read.output)
        XCTAssertTrue(read.output.contains("Hostile store"), read.output)
    }

    // MARK: The report folder

    func testAReportFolderThatCannotBeWrittenIsAnErrorInWords() throws {
        let scratch = try Scratch()
        try HostileStoreTests.district(scratch)
        try FileManager.default.createDirectory(atPath: scratch.path("locked"), withIntermediateDirectories: true)
        _ = chmod(scratch.path("locked"), 0o555)
        try scratch.write("afile", "not a folder\n")
        var cases: [([String], String)] = [
            (
                asOtherUser(["run", "p.playbook", "--no-store", "--report", "locked/r"]),
                "locked/r: error: cannot write the report to locked/r: permission denied"
            ),
            (
                ["run", "p.playbook", "--no-store", "--report", "afile/r"],
                "afile/r: error: cannot write the report to afile/r: afile is a file, not a folder"
            ),
        ]
        if getuid() == 0 {
            cases.append(
                (
                    asOtherUser(["run", "p.playbook", "--no-store", "--report", "/unwritable"]),
                    "/unwritable: error: cannot write the report to /unwritable: permission denied"
                ))
        }
        for (arguments, expected) in cases {
            let result = try tally(arguments, in: scratch)
            XCTAssertEqual(result.exit, 2, result.output)
            XCTAssertTrue(result.output.contains(expected), result.output)
            XCTAssertFalse(result.output.contains("Error Domain") || result.output.contains("NSCocoaError"), result.output)
        }
        XCTAssertFalse(exists("/unwritable"))
        // tally report says the same, also for a store only read.
        XCTAssertEqual(try tally(["run", "p.playbook", "--store", "t.sqlite"], in: scratch).exit, 0)
        for suffix in ["", "-wal", "-shm"] { _ = chmod(scratch.path("t.sqlite" + suffix), 0o644) }
        let report = try tally(asOtherUser(["report", "1", "--out", "locked/r", "--store", "t.sqlite"]), in: scratch)
        XCTAssertEqual(report.exit, 2, report.output)
        XCTAssertTrue(report.output.contains("cannot write the report to locked/r: permission denied"), report.output)
    }

    // MARK: Store locations

    func testStoreLocationsMeanWhatTheySay() throws {
        XCTAssertEqual(try QAStore.location("sqlite:///tmp/x/t.sqlite"), .sqlite("/tmp/x/t.sqlite"))
        XCTAssertEqual(try QAStore.location("sqlite:relative.sqlite"), .sqlite("relative.sqlite"))
        XCTAssertEqual(try QAStore.location("sqlite://localhost/abs/t.sqlite"), .sqlite("/abs/t.sqlite"))
        XCTAssertEqual(try QAStore.location("file:///a%20b/c.sqlite"), .sqlite("/a b/c.sqlite"))
        XCTAssertEqual(try QAStore.location("file:store/t.sqlite"), .sqlite("store/t.sqlite"))
        XCTAssertEqual(
            try QAStore.location("backup:2024.sqlite"), .sqlite("backup:2024.sqlite"), "a colon without // is part of a file name")
        XCTAssertEqual(try QAStore.location("postgres://u@h/db"), .postgres("postgres://u@h/db"))
        XCTAssertEqual(QAStore.defaultPath(explicit: "sqlite:///tmp/x/t.sqlite", environment: [:]), "/tmp/x/t.sqlite")
        XCTAssertEqual(QAStore.defaultPath(explicit: nil, environment: ["TALLY_STORE": "file:t.sqlite"]), "t.sqlite")
        for (bad, expected) in [
            ("mysql://u:secret@h/db", "\"mysql\" is not a kind of QA store Tally knows"),
            ("sqlite://server/x.sqlite", "names a file on this machine, not on server"),
            ("sqlite:x.sqlite?mode=ro", "takes no options"), ("sqlite://", "names no file"),
        ] {
            XCTAssertThrowsError(try QAStore.location(bad), bad) { error in
                let text = (error as? Diagnostic)?.render(source: nil) ?? "\(error)"
                XCTAssertTrue(text.contains(expected), text)
                XCTAssertFalse(text.contains("secret"), text)
            }
        }
        // IPv6 literals: the brackets are the URL's.
        let v6 = try PostgresBackend.target("postgres://u@[::1]:5432/db", environment: [:])
        XCTAssertEqual(v6.host, "::1")
        XCTAssertEqual(v6.port, 5432)
        XCTAssertEqual(v6.location, "postgres://u@[::1]:5432/db")
        XCTAssertEqual(try PostgresBackend.target("postgres://u@[2001:db8::7]/db", environment: [:]).host, "2001:db8::7")
        // Ports outside 1–65535 are refused (99999 would wrap to 34463), naming the URL without its password.
        for port in ["99999", "0", "65536"] {
            XCTAssertThrowsError(try PostgresBackend.target("postgres://u:secret@h:\(port)/db", environment: [:])) { error in
                let d = error as? Diagnostic
                XCTAssertEqual(d?.file, "postgres://u@h:\(port)/db")
                XCTAssertEqual(d?.message, "port \(port) is not a TCP port (1 to 65535)")
            }
        }
        XCTAssertEqual(try PostgresBackend.target("postgres://u@h:65535/db", environment: [:]).port, 65535)
        XCTAssertThrowsError(try PostgresBackend.target("postgres://u:secret@h:abc/db", environment: [:])) { error in
            XCTAssertEqual((error as? Diagnostic)?.file, "postgres://u@h:abc/db")
        }
    }

    func testStoreURLsOnTheCommandLine() throws {
        let scratch = try Scratch()
        try HostileStoreTests.district(scratch)
        let absolute = scratch.path("x/t.sqlite")
        let made = try tally(["run", "p.playbook", "--store", "sqlite://" + absolute], in: scratch)
        XCTAssertEqual(made.exit, 0, made.output)
        XCTAssertTrue(exists(absolute), made.output)
        XCTAssertFalse(exists(scratch.path("sqlite:")), "a folder named after the scheme")
        let listed = try tally(["runs", "--store", "file://" + absolute], in: scratch)
        XCTAssertTrue(listed.output.contains("Hostile store"), listed.output)
        XCTAssertEqual(try tally(["run", "p.playbook", "--store", "sqlite:relative.sqlite"], in: scratch).exit, 0)
        XCTAssertTrue(exists(scratch.path("relative.sqlite")))

        // A one-character path (Foundation's deletingLastPathComponent traps on one), with a
        // one-character report folder and JUnit file.
        let short = try tally(["run", "p.playbook", "--store", "a", "--report", "r", "--junit", "j"], in: scratch)
        XCTAssertEqual(short.exit, 0, short.output)
        XCTAssertTrue(exists(scratch.path("a")) && exists(scratch.path("r/report.html")) && exists(scratch.path("j")), short.output)
        XCTAssertTrue(try tally(["runs", "--store", "a"], in: scratch).output.contains("Hostile store"))

        let port = try tally(["runs", "--store", "postgres://u:secret@h:99999/db"], in: scratch)
        XCTAssertEqual(port.exit, 2, port.output)
        XCTAssertTrue(port.output.contains("postgres://u@h:99999/db: error: port 99999 is not a TCP port (1 to 65535)"), port.output)
        let unknown = try tally(["run", "p.playbook", "--store", "mysql://u:secret@h/db"], in: scratch)
        XCTAssertEqual(unknown.exit, 2, unknown.output)
        XCTAssertTrue(unknown.output.contains("mysql://u@h/db: error: \"mysql\" is not a kind of QA store Tally knows"), unknown.output)
        for result in [port, unknown] { XCTAssertFalse(result.output.contains("secret"), result.output) }
        XCTAssertFalse(exists(scratch.path("mysql:")))
    }

    func testAFailedOpenLeavesNoLockFile() throws {
        let scratch = try Scratch()
        try HostileStoreTests.district(scratch)
        try FileManager.default.createDirectory(atPath: scratch.path("folder.sqlite"), withIntermediateDirectories: true)
        try scratch.write("text.sqlite", String(repeating: "not a database\n", count: 100))
        try BadInputCorpusTests.sqlite(scratch.path("foreign.sqlite"), "CREATE TABLE students(id TEXT)")
        for (store, expected) in [
            ("folder.sqlite", "cannot open the QA store"), ("text.sqlite", "cannot open the QA store: file is not a database"),
            ("foreign.sqlite", "this SQLite database is not a Tally QA store"),
        ] {
            for command in [["run", "p.playbook"], ["runs"]] {
                let result = try tally(command + ["--store", store], in: scratch)
                XCTAssertEqual(result.exit, 2, result.output)
                XCTAssertTrue(result.output.contains("\(store): error: \(expected)"), result.output)
                XCTAssertFalse(exists(scratch.path(store + ".lock")), "tally \(command[0]) --store \(store) left its lock file")
            }
        }
        // A store that opened keeps the lock its users share.
        XCTAssertEqual(try tally(["run", "p.playbook", "--store", "good.sqlite"], in: scratch).exit, 0)
        XCTAssertTrue(exists(scratch.path("good.sqlite.lock")))
    }
}

/// The same on a PostgreSQL store, against the server `scripts/with-postgres.sh` starts (skipped,
/// saying so, without one, as `PostgresStoreTests` are).
final class HostilePostgresStoreTests: XCTestCase {
    override func setUpWithError() throws {
        guard TestStore.usesPostgres else {
            throw XCTSkip(
                "needs a PostgreSQL server: run scripts/with-postgres.sh env TALLY_TEST_STORE_BACKEND=postgres swift test (.ci/run does)")
        }
    }

    /// psql as the server's superuser, through its socket: the output of one query.
    func psql(_ database: String, _ sql: String) throws -> String {
        let env = ProcessInfo.processInfo.environment
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        process.arguments = [
            "-h", env["TALLY_TEST_POSTGRES_SOCKET"] ?? "", "-p", env["TALLY_TEST_POSTGRES_PORT"] ?? "", "-U", "postgres",
            "-d", database, "-tAq", "-v", "ON_ERROR_STOP=1", "-c", sql,
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, sql)
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testAReadOnlyCommandNeverMakesOrMigratesAPostgreSQLStore() throws {
        let scratch = try Scratch()
        try HostileStoreTests.district(scratch)
        let url = try TestStore.newPostgresDatabase()
        let database = String(url.split(separator: "/").last ?? "")
        let empty = try ReliabilityTests.tally(["runs", "--store", url], in: scratch.url.path)
        XCTAssertEqual(empty.exit, 2, empty.output)
        XCTAssertTrue(empty.output.contains("no QA store at \(url) (a run creates it; check --store)"), empty.output)
        XCTAssertEqual(
            try psql(database, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"), "0", "the read made tables")

        XCTAssertEqual(try ReliabilityTests.tally(["run", "p.playbook", "--store", url], in: scratch.url.path).exit, 0)
        _ = try psql(
            database,
            "DROP TABLE tracked_error; DROP TABLE tracked_run; ALTER TABLE run DROP COLUMN privacy; DELETE FROM tally_migrations WHERE identifier LIKE 'v4:%' OR identifier LIKE 'v5%'"
        )
        let older = try ReliabilityTests.tally(["runs", "--store", url], in: scratch.url.path)
        XCTAssertEqual(older.exit, 2, older.output)
        XCTAssertTrue(older.output.contains("this QA store was made by an older version of Tally"), older.output)
        XCTAssertEqual(try psql(database, "SELECT count(*) FROM tally_migrations"), "3", "the read migrated it")
    }

    func testAnIPv6AddressReachesTheServer() throws {
        // scripts/with-postgres.sh listens on ::1 too where the machine has IPv6.
        let probe = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_addr = in6addr_loopback
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(probe, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        }
        close(probe)
        guard bound == 0 else { throw XCTSkip("this machine has no IPv6 loopback (::1); the URL parser test covers [::1]") }
        let scratch = try Scratch()
        try HostileStoreTests.district(scratch)
        let v4 = try TestStore.newPostgresDatabase()
        let url = v4.replacingOccurrences(of: "@127.0.0.1:", with: "@[::1]:")
        let run = try ReliabilityTests.tally(["run", "p.playbook", "--store", url], in: scratch.url.path)
        XCTAssertEqual(run.exit, 0, run.output)
        let listed = try ReliabilityTests.tally(["runs", "--store", url], in: scratch.url.path)
        XCTAssertEqual(listed.exit, 0, listed.output)
        XCTAssertTrue(listed.output.contains("Hostile store"), listed.output)
        let info = try ReliabilityTests.tally(["store", "info", "--store", url], in: scratch.url.path)
        XCTAssertTrue(info.output.contains("PostgreSQL store postgres://tally@[::1]:"), info.output)
    }
}
