import Foundation
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// Store locations and PostgreSQL's dialect (no server needed).
final class StoreURLTests: XCTestCase {
    func testThePasswordComesFromTheURLThenPGPASSWORDThenPgpassAndIsNeverShown() throws {
        let scratch = try Scratch()
        let home = scratch.path("home")
        try scratch.write("home/.pgpass", "# comment\nother:5432:*:tally:wrong\n*:5433:tally:tally:from\\:pgpass\n")
        var t = try PostgresBackend.target(
            "postgres://tally:from-url@db.example:5433/tally", environment: ["PGPASSWORD": "from-env"], home: home)
        XCTAssertEqual(t.password, "from-url")
        XCTAssertEqual(t.location, "postgres://tally@db.example:5433/tally")
        t = try PostgresBackend.target("postgres://tally@db.example:5433/tally", environment: ["PGPASSWORD": "from-env"], home: home)
        XCTAssertEqual(t.password, "from-env")
        t = try PostgresBackend.target("postgresql://tally@db.example:5433/tally", environment: [:], home: home)
        XCTAssertEqual(t.password, "from:pgpass")
        t = try PostgresBackend.target("postgres://tally@/tally?host=/var/run/postgresql", environment: [:], home: scratch.path("nohome"))
        XCTAssertNil(t.password)
        XCTAssertEqual(t.socketDirectory, "/var/run/postgresql")
        XCTAssertEqual(QAStore.displayLocation("postgres://tally:s3cret@db:5432/tally"), "postgres://tally@db:5432/tally")
        XCTAssertEqual(QAStore.displayLocation("/tmp/x.sqlite"), "/tmp/x.sqlite")
        XCTAssertTrue(QAStore.isPostgres("postgresql://h/d"))
        XCTAssertFalse(QAStore.isPostgres(".tally/tally.sqlite"))
    }

    func testSSLModeComesFromTheURLThenPGSSLMODE() throws {
        var t = try PostgresBackend.target("postgres://tally@db/tally", environment: [:])
        XCTAssertEqual(t.tls, .prefer)
        t = try PostgresBackend.target("postgres://tally@db/tally", environment: ["PGSSLMODE": "verify-full", "PGSSLROOTCERT": "/ca.pem"])
        XCTAssertEqual(t.tls, .verifyFull)
        XCTAssertEqual(t.rootCertificate, "/ca.pem")
        t = try PostgresBackend.target("postgres://tally@db/tally?sslmode=disable", environment: ["PGSSLMODE": "require"])
        XCTAssertEqual(t.tls, .disable)
        XCTAssertThrowsError(try PostgresBackend.target("postgres://tally@db/tally", environment: ["PGSSLMODE": "on"])) { error in
            XCTAssertTrue("\(error)".contains("PGSSLMODE is \"on\": not an sslmode"), "\(error)")
        }
    }

    func testTheStoresSQLBecomesPostgreSQLs() {
        XCTAssertEqual(
            PostgresBackend.translate("SELECT * FROM run WHERE id = ? AND label = '?'"), "SELECT * FROM run WHERE id = $1 AND label = '?'")
        XCTAssertEqual(
            PostgresBackend.translate("INSERT OR REPLACE INTO run_value (run_id, series, key, value) VALUES (?, ?, ?, ?)"),
            "INSERT INTO run_value (run_id, series, key, value) VALUES ($1, $2, $3, $4) ON CONFLICT (run_id, series, key) DO UPDATE SET value = EXCLUDED.value"
        )
        XCTAssertEqual(
            PostgresBackend.translate("INSERT OR IGNORE INTO tracked_error (run_id) VALUES (?)"),
            "INSERT INTO tracked_error (run_id) VALUES ($1) ON CONFLICT DO NOTHING")
        XCTAssertEqual(
            PostgresBackend.postgresDDL(
                "CREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT, v REAL, n INTEGER); CREATE INDEX i ON a(n);"),
            ["CREATE TABLE a (id BIGSERIAL PRIMARY KEY, v DOUBLE PRECISION, n BIGINT)", "CREATE INDEX i ON a(n)"])
        XCTAssertEqual(PostgresBackend.insertTable("INSERT INTO run (title) VALUES ($1)"), "run")
    }
}

/// The shared store on a real PostgreSQL server. `.ci/run` runs these inside
/// `scripts/with-postgres.sh` (with QAStoreTests a second time, on PostgreSQL); a plain
/// `swift test` has no server and says so by skipping them.
final class PostgresStoreTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .path

    override func setUpWithError() throws {
        guard TestStore.usesPostgres else {
            throw XCTSkip(
                "needs a PostgreSQL server: run scripts/with-postgres.sh env TALLY_TEST_STORE_BACKEND=postgres swift test (.ci/run does)")
        }
    }

    func testEightRunsAtOnceLandInTheLedgerExactlyOnce() throws {
        let scratch = try Scratch()
        let store = scratch.store
        try scratch.write("counts.csv", QAStoreTests.counts)
        try scratch.write("p.playbook", QAStoreTests.concurrentPlaybook)
        // Eight tally processes, each its own connection and transactions.
        let statuses = Locked<[Int32]>([])
        let folder = scratch.url.path
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            let result = try? ReliabilityTests.tally(["run", "p.playbook", "--store", store, "--no-cache"], in: folder)
            statuses.mutate { $0.append(result?.exit ?? -1) }
            if result?.exit != 0 { print(result?.output ?? "no output") }
        }
        XCTAssertEqual(statuses.value, Array(repeating: 0, count: 8))
        let qa = try QAStore(path: store)
        let runs = try qa.runs()
        XCTAssertEqual(runs.count, 8)
        XCTAssertEqual(Set(runs.map(\.id)).count, 8, "run ids are the database's, each once")
        XCTAssertEqual(qa.kind, "PostgreSQL")
        XCTAssertEqual(try qa.snapshotNames(), ["counts"])
    }

    /// Workers killed at random moments, most while writing a 60,000-row snapshot. The ledger
    /// records a finished run as interrupted (3) first and writes its snapshot in its own
    /// transaction: a killed worker leaves an interrupted run without a snapshot, or a whole
    /// one, never part of one, and never a run twice.
    func testAWorkerKilledMidWriteLeavesItsRunWholeOrAbsent() throws {
        let scratch = try Scratch()
        let store = scratch.store
        var csv = "SSID,School,Grade\n"
        for k in 0..<60_000 { csv += "\(1_000_000_000 + k),\(k % 7),\(k % 13)\n" }
        try scratch.write("big.csv", csv)
        try scratch.write(
            "p.playbook",
            """
            load big from "big.csv"
            by_school = big | aggregate n = count() by School
            assert by_school unique by School
            snapshot big by SSID as "big"
            """)
        var killed = 0
        for attempt in 0..<8 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: MatrixTests.tally)
            process.arguments = ["run", "p.playbook", "--store", store, "--no-cache"]
            process.currentDirectoryURL = scratch.url
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // The last two run to the end: whole runs beside the killed ones.
            if attempt < 6 {
                usleep(useconds_t(300_000 + attempt * 500_000))
                if process.isRunning { kill(process.processIdentifier, SIGKILL); killed += 1 }
            }
            process.waitUntilExit()
        }
        XCTAssertGreaterThan(killed, 0, "at least one worker was killed mid-run")
        let qa = try QAStore(path: store)
        let (runs, snapshots) = try qa.read { db -> ([Row], [Row]) in
            (
                try Row.fetchAll(
                    db, sql: "SELECT id, exit_status, (SELECT COUNT(*) FROM run_check c WHERE c.run_id = run.id) AS checks FROM run"),
                try Row.fetchAll(
                    db,
                    sql:
                        "SELECT s.run_id, s.row_count, (SELECT COUNT(*) FROM snapshot_row r WHERE r.snapshot_id = s.id) AS rows FROM snapshot s"
                )
            )
        }
        XCTAssertLessThanOrEqual(runs.count, 8)
        XCTAssertEqual(Set(runs.map { $0["id"] as Int64 }).count, runs.count)
        let snapshotRuns = Set(snapshots.map { $0["run_id"] as Int64 })
        for run in runs {
            let id: Int64 = run["id"], status: Int = run["exit_status"]
            XCTAssertEqual(run["checks"] as Int, 1, "run \(id) has its checks")
            XCTAssertTrue([0, QAStore.interrupted].contains(status), "run \(id): \(status)")
            if status == 0 { XCTAssertTrue(snapshotRuns.contains(id), "a finished run \(id) has its snapshot") }
        }
        for s in snapshots {
            XCTAssertEqual(s["rows"] as Int, 60_000, "a snapshot is whole")
            XCTAssertTrue(runs.contains { ($0["id"] as Int64) == (s["run_id"] as Int64) }, "a snapshot has its run")
        }
        let interrupted = runs.filter { ($0["exit_status"] as Int) == QAStore.interrupted }.count
        XCTAssertGreaterThanOrEqual(snapshots.count, 2, "the two workers not killed finished whole")
        print("killed \(killed) of 6 workers; ledger: \(runs.count) runs (\(interrupted) interrupted), \(snapshots.count) whole snapshots")
    }

    func testAWriteThatFailsHalfwayLeavesNothing() throws {
        let scratch = try Scratch()
        let qa = try QAStore(path: scratch.store)
        struct Stop: Error {}
        XCTAssertThrowsError(
            try qa.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO run (title, playbook_path, playbook_sha256, params, tool_version, started_at, finished_at, exit_status,
                                         checks_passed, checks_failed, warnings, errors, run_by) VALUES ('t', 'p', 's', '{}', 'v', 'a', 'b', 0, 0, 0, 0, '[]', 'u')
                        """)
                XCTAssertGreaterThan(db.lastInsertedRowID, 0)
                throw Stop()
            })
        XCTAssertEqual(try qa.runs().count, 0, "the transaction was rolled back")
        XCTAssertEqual(try qa.integrityCheck(), ["ok"])
        XCTAssertEqual(try qa.appliedMigrations(), StoreMigrations.all.map(\.identifier))
    }

    /// Every example playbook gives the same checks, exit status and ledger on both stores.
    func testTheExamplesRunTheSameOnPostgreSQLAsOnSQLite() throws {
        let playbooks = try FileManager.default.contentsOfDirectory(atPath: PostgresStoreTests.root + "/playbooks").filter {
            $0.hasSuffix(".playbook")
        }.sorted()
        XCTAssertEqual(playbooks.count, 6)
        for name in playbooks {
            var outcomes: [[String]] = []
            for location in [try Scratch().path("s.sqlite"), try TestStore.newPostgresDatabase()] {
                let scratch = try Scratch()
                var options = scratch.options
                options.storePath = location
                options.cacheFolder = nil
                let record = Runner.run(path: PostgresStoreTests.root + "/playbooks/" + name, options: options)
                let again = Runner.run(path: PostgresStoreTests.root + "/playbooks/" + name, options: options)
                let store = try QAStore(path: location)
                outcomes.append([
                    String(record.exitStatus), String(again.exitStatus),
                    record.checks.map { "\($0.id) \($0.passed)" }.joined(separator: "; "),
                    again.checks.map { "\($0.id) \($0.passed)" }.joined(separator: "; "), String(try store.runs().count),
                    "\(record.errors)",
                ])
            }
            XCTAssertEqual(outcomes[0], outcomes[1], name)
            XCTAssertEqual(outcomes[1][4], "2", name)
        }
    }

    /// A laptop's SQLite history moves into PostgreSQL and back: the same runs (ids kept),
    /// checks, snapshots, expected sets, tracked errors and reports, and the next run continues
    /// the ids.
    func testStoreCopyMovesEveryRunIntoPostgreSQLAndBack() throws {
        let scratch = try Scratch()
        let sqlite = scratch.path("laptop.sqlite")
        let root = PostgresStoreTests.root + "/playbooks"
        var options = scratch.options
        options.storePath = sqlite
        for name in ["census_day", "census_day", "resolve_errors", "fall1_validation"] {
            _ = Runner.run(path: "\(root)/\(name).playbook", options: options)
        }
        let laptop = try QAStore(path: sqlite)
        try laptop.importExpected(
            name: "fall1/census", keys: ["School"], valueName: "n", rows: [(["0112345"], 10), (["6001734"], 20)],
            sourcePath: "e.csv", sourceSHA256: "x", createdBy: "test", at: Date())
        let shared = try TestStore.newPostgresDatabase()
        let copy = try ReliabilityTests.tally(["store", "copy", sqlite, shared], in: scratch.url.path)
        XCTAssertEqual(copy.exit, 0, copy.output)
        XCTAssertTrue(copy.output.contains("row counts match"), copy.output)
        let pg = try QAStore(path: shared)
        func summary(_ s: QAStore) throws -> [String] {
            try s.runs().map { "\($0.id) \($0.title) \($0.exitStatus) \($0.checksFailed)" } + s.snapshotNames()
                + s.expectedSets().map { "\($0.0.name) v\($0.0.version)" } + s.tableCounts().map { "\($0.table)=\($0.rows)" }
        }
        XCTAssertEqual(try summary(pg), try summary(laptop))
        XCTAssertEqual(try pg.maskKey(), try laptop.maskKey(), "masked tokens of copied reports stay the same")
        XCTAssertEqual(try pg.runs().count, 4)
        // tally runs shows the same runs from either store.
        let a = try ReliabilityTests.tally(["runs", "--store", sqlite], in: scratch.url.path)
        let b = try ReliabilityTests.tally(["runs", "--store", shared], in: scratch.url.path)
        XCTAssertEqual(a.output, b.output)
        // A copy into a store that has runs is refused, and nothing is written.
        let again = try ReliabilityTests.tally(["store", "copy", sqlite, shared], in: scratch.url.path)
        XCTAssertEqual(again.exit, 2)
        XCTAssertTrue(again.output.contains("already has") && again.output.contains("copy into a new, empty store"), again.output)
        // The next run on PostgreSQL continues the ids; then the history goes back to SQLite.
        options.storePath = shared
        _ = Runner.run(path: "\(root)/census_day.playbook", options: options)
        XCTAssertEqual(try pg.runs().first?.id, 5)
        let back = try ReliabilityTests.tally(["store", "copy", shared, scratch.path("back.sqlite")], in: scratch.url.path)
        XCTAssertEqual(back.exit, 0, back.output)
        XCTAssertEqual(try summary(QAStore(path: scratch.path("back.sqlite"))), try summary(pg))
    }

    func testADatabaseThatIsNotATallyStoreIsLeftUnchanged() throws {
        let url = try TestStore.newPostgresDatabase()
        let qa = try QAStore(path: url)
        try qa.write { db in try db.execute(sql: "DELETE FROM tally_migrations WHERE identifier LIKE 'v1%'") }
        try qa.write { db in
            try db.execute(sql: "INSERT INTO tally_migrations (identifier, applied_at) VALUES ('v9: from the future', 'x')")
        }
        XCTAssertThrowsError(try QAStore(path: url)) { error in
            XCTAssertTrue("\(error)".contains("newer version of Tally"), "\(error)")
        }
        let other = try TestStore.newPostgresDatabase()
        let foreign = try QAStore(path: other)
        try foreign.write { db in
            try db.execute(sql: "DROP TABLE tally_migrations")
        }
        XCTAssertThrowsError(try QAStore(path: other)) { error in
            XCTAssertTrue("\(error)".contains("not a Tally QA store"), "\(error)")
        }
    }

    func testThePasswordNeverReachesTheOutputOrTheLedger() throws {
        let scratch = try Scratch()
        let base = try TestStore.newPostgresDatabase()
        let secret = ProcessInfo.processInfo.environment["PGPASSWORD"] ?? ""
        XCTAssertFalse(secret.isEmpty)
        let url = base.replacingOccurrences(of: "postgres://tally@", with: "postgres://tally:\(secret)@")
        try scratch.write("counts.csv", QAStoreTests.counts)
        try scratch.write(
            "p.playbook",
            "load counts from \"counts.csv\"\ntotals = counts | aggregate n = sum(Students) by School\ncompare totals.n with previous run by School\n"
        )
        let run = try ReliabilityTests.tally(["run", "p.playbook", "--store", url, "--json"], in: scratch.url.path)
        XCTAssertEqual(run.exit, 0, run.output)
        let plain = try ReliabilityTests.tally(["run", "p.playbook", "--store", url], in: scratch.url.path)
        let runs = try ReliabilityTests.tally(["runs", "--store", url], in: scratch.url.path)
        let bad = try ReliabilityTests.tally(
            ["run", "p.playbook", "--store", url.replacingOccurrences(of: "/t_", with: "/missing_")], in: scratch.url.path)
        XCTAssertEqual(bad.exit, 2)
        for output in [run.output, plain.output, runs.output, bad.output] {
            XCTAssertFalse(output.contains(secret), output)
        }
        XCTAssertTrue(plain.output.contains("recorded in " + base), plain.output)
        XCTAssertTrue(bad.output.contains("cannot open the QA store"), bad.output)
    }
}

extension PostgresStoreTests {
    /// A snapshot whose key repeats keeps the last row of each key on both stores (row by row on
    /// SQLite, in multi-row inserts on PostgreSQL).
    func testASnapshotWithARepeatedKeyKeepsTheLastRowOnBothStores() throws {
        var builder = ColumnBuilder(type: .text), values = ColumnBuilder(type: .text)
        for k in 0..<2_500 { builder.append(.text("S\(k % 1_000)")); values.append(.text("v\(k)")) }
        let table = Table(names: ["SSID", "v"], columns: [builder.build(), values.build()], provenance: .none(count: 2_500))
        var shown: [[String]] = []
        for location in [try Scratch().path("s.sqlite"), try TestStore.newPostgresDatabase()] {
            let store = try QAStore(path: location)
            try store.saveSnapshot(name: "dup", table: table, keys: ["SSID"], runId: nil, at: Date())
            let snapshot = try XCTUnwrap(try store.latestSnapshot(name: "dup"))
            shown.append(snapshot.rows.sorted { $0.key < $1.key }.prefix(3).map { "\($0.key)=\($0.value)" })
            XCTAssertEqual(snapshot.rows.count, 1_000)
        }
        XCTAssertEqual(shown[0], shown[1])
    }
}

extension PostgresStoreTests {
    /// sslmode as libpq reads it, against a server that refuses the role without TLS and whose
    /// certificate a throwaway authority signed (scripts/with-postgres.sh).
    func testTLSModesConnectAsLibpqDoes() throws {
        let environment = ProcessInfo.processInfo.environment
        let base = try XCTUnwrap(environment["TALLY_TEST_POSTGRES_TLS"], "run inside scripts/with-postgres.sh")
        let ca = try XCTUnwrap(environment["TALLY_TEST_POSTGRES_CA"]), other = try XCTUnwrap(environment["TALLY_TEST_POSTGRES_OTHER_CA"])
        let scratch = try Scratch()
        // store migrate: it connects and makes the store (store info only reads one that exists).
        func info(_ query: String) throws -> (exit: Int32, output: String) {
            try ReliabilityTests.tally(["store", "migrate", "--store", base + query], in: scratch.url.path)
        }
        // Encrypted: the default (prefer), require, and both checks of the certificate.
        for query in [
            "", "?sslmode=prefer", "?sslmode=require", "?sslmode=verify-ca&sslrootcert=\(ca)",
            "?sslmode=verify-full&sslrootcert=\(ca)",
        ] {
            let result = try info(query)
            XCTAssertEqual(result.exit, 0, "\(query): \(result.output)")
            XCTAssertTrue(result.output.contains("PostgreSQL"), "\(query): \(result.output)")
        }
        // Not encrypted: the server refuses the role.
        let plain = try info("?sslmode=disable")
        XCTAssertEqual(plain.exit, 2, plain.output)
        XCTAssertTrue(plain.output.contains("cannot open the QA store") && plain.output.contains("no encryption"), plain.output)
        // A certificate an untrusted authority signed: refused when it is checked, and when
        // require is given a root certificate (libpq then checks it too).
        for query in [
            "?sslmode=verify-ca&sslrootcert=\(other)", "?sslmode=verify-full&sslrootcert=\(other)",
            "?sslmode=require&sslrootcert=\(other)",
        ] {
            let result = try info(query)
            XCTAssertEqual(result.exit, 2, "\(query): \(result.output)")
            XCTAssertTrue(
                result.output.contains("cannot open the QA store: the TLS handshake failed (CERTIFICATE_VERIFY_FAILED)"),
                "\(query): \(result.output)")
        }
        // The system's authorities do not include the throwaway one.
        XCTAssertEqual(try info("?sslmode=verify-full").exit, 2)
        let bogus = try info("?sslmode=always")
        XCTAssertEqual(bogus.exit, 2)
        XCTAssertTrue(bogus.output.contains("the URL's sslmode is \"always\": not an sslmode"), bogus.output)
        let missing = try info("?sslmode=verify-ca&sslrootcert=/no/such/ca.pem")
        XCTAssertEqual(missing.exit, 2)
        XCTAssertTrue(missing.output.contains("cannot read the certificate authority file /no/such/ca.pem"), missing.output)
    }
}
