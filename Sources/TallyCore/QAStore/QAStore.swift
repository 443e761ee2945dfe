import Foundation
import GRDB

/// The QA store: by default `.tally/tally.sqlite` in the working folder.
///
/// Opened as a WAL database pool with a busy timeout, so several `tally` processes can use one
/// store at once: writers wait for each other instead of failing with "database is locked".
/// Every write is one transaction.
public final class QAStore: @unchecked Sendable {
    public let path: String
    let pool: DatabasePool

    /// The store path: `--store`, else `TALLY_STORE`, else `.tally/tally.sqlite` here.
    public static func defaultPath(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
                                   workingFolder: String = FileManager.default.currentDirectoryPath) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let fromEnvironment = environment["TALLY_STORE"], !fromEnvironment.isEmpty { return fromEnvironment }
        return workingFolder + "/.tally/tally.sqlite"
    }

    public init(path: String) throws {
        self.path = path
        let folder = (path as NSString).deletingLastPathComponent
        do {
            if !folder.isEmpty, !FileManager.default.fileExists(atPath: folder) {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
                // A folder made for the store holds student data: keep it out of any repository.
                FileManager.default.createFile(atPath: folder + "/.gitignore",
                                               contents: Data("# Tally's QA store and cell cache: student data, never commit it.\n*\n".utf8),
                                               attributes: [.posixPermissions: 0o600])
            }
            // The store holds student rows (snapshots, failing keys) and the masking secret:
            // its files are readable by their owner only.
            let previous = umask(0o077)
            defer { umask(previous) }
            pool = try QAStore.openWithRetry(path: path)
            for suffix in ["", "-wal", "-shm", ".lock"] where FileManager.default.fileExists(atPath: path + suffix) {
                _ = chmod(path + suffix, 0o600)
            }
        } catch let error as DatabaseError {
            throw Diagnostic(.error, "cannot open the QA store: \(error.message ?? "\(error)")", file: path,
                             help: "check the path, or pass another with --store PATH")
        } catch let d as Diagnostic {
            throw d
        } catch {
            throw Diagnostic(.error, "cannot open the QA store: \(error)", file: path)
        }
    }

    /// Opens the pool and migrates. Several processes opening a new store at once race to switch
    /// it to WAL, and SQLite answers that race with SQLITE_BUSY without calling the busy handler,
    /// so the open is retried (with growing pauses, for up to about 30 seconds).
    static func openWithRetry(path: String) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.label = "tally"
        // GRDB's migrator checks which migrations ran outside the transaction that runs them, so
        // two processes could both run v1; an exclusive lock on a sidecar file serialises the
        // open-and-migrate step between processes.
        let lockDescriptor = open(path + ".lock", O_CREAT | O_RDWR, 0o600)
        if lockDescriptor >= 0 { _ = flock(lockDescriptor, LOCK_EX) }
        defer {
            if lockDescriptor >= 0 { _ = flock(lockDescriptor, LOCK_UN); close(lockDescriptor) }
        }
        var attempt = 0
        while true {
            do {
                let pool = try DatabasePool(path: path, configuration: configuration)
                try QAStore.refuseForeign(pool, path: path)
                try QAStore.migrator.migrate(pool)
                return pool
            } catch let error as DatabaseError where (error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED) && attempt < 300 {
                attempt += 1
                usleep(useconds_t(min(200_000, 10_000 * attempt)))
            }
        }
    }

    /// A database that is not a Tally store, or a store a newer Tally has changed, is left as it
    /// is: migrating the first would write Tally's tables into someone else's database, and this
    /// version could misread the second.
    static func refuseForeign(_ pool: DatabasePool, path: String) throws {
        let (tables, applied) = try pool.read { db -> (Int, [String]) in
            let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'") ?? 0
            let hasLedger = try db.tableExists("grdb_migrations")
            let applied = hasLedger ? try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") : []
            return (hasLedger ? tables : -tables, applied)
        }
        if tables < 0 {
            throw Diagnostic(.error, "this SQLite database is not a Tally QA store (it has \(-tables) table\(tables == -1 ? "" : "s") of its own); it is left unchanged", file: path,
                             help: "pass the QA store's path with --store, or a new file's path to start one")
        }
        let known = Set(migrator.migrations)
        if let newer = applied.first(where: { !known.contains($0) }) {
            throw Diagnostic(.error, "this QA store was changed by a newer version of Tally (it has \"\(newer)\"); this version (\(TallyVersion.string)) leaves it unchanged", file: path,
                             help: "run the newer Tally, or pass another store with --store")
        }
    }

    /// Versioned schema. Never edit a migration that has shipped; add the next one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: expected, ledger, snapshots, acks") { db in
            try db.execute(sql: """
            CREATE TABLE expected_set (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                name TEXT NOT NULL, version INTEGER NOT NULL, keys TEXT NOT NULL, value_name TEXT NOT NULL,
                created_at TEXT NOT NULL, created_by TEXT NOT NULL, source_path TEXT NOT NULL, source_sha256 TEXT NOT NULL,
                row_count INTEGER NOT NULL, UNIQUE(name, version));
            CREATE TABLE expected_value (
                set_id INTEGER NOT NULL REFERENCES expected_set(id), key TEXT NOT NULL, value REAL NOT NULL,
                PRIMARY KEY (set_id, key));
            CREATE TABLE run (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                title TEXT NOT NULL, playbook_path TEXT NOT NULL, playbook_sha256 TEXT NOT NULL, params TEXT NOT NULL,
                tool_version TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT NOT NULL, exit_status INTEGER NOT NULL,
                checks_passed INTEGER NOT NULL, checks_failed INTEGER NOT NULL, warnings INTEGER NOT NULL,
                errors TEXT NOT NULL, run_by TEXT NOT NULL, label TEXT);
            CREATE INDEX run_by_playbook ON run(playbook_path, params);
            CREATE TABLE run_input (
                run_id INTEGER NOT NULL REFERENCES run(id), position INTEGER NOT NULL, table_name TEXT NOT NULL,
                path TEXT NOT NULL, absolute_path TEXT NOT NULL, format TEXT NOT NULL, bytes INTEGER NOT NULL,
                sha256 TEXT NOT NULL, row_count INTEGER NOT NULL, PRIMARY KEY (run_id, position));
            CREATE TABLE run_cell (
                run_id INTEGER NOT NULL REFERENCES run(id), position INTEGER NOT NULL, kind TEXT NOT NULL, line INTEGER NOT NULL,
                statement TEXT NOT NULL, table_name TEXT, rows_in INTEGER, rows_out INTEGER, elapsed REAL NOT NULL,
                PRIMARY KEY (run_id, position));
            CREATE TABLE run_check (
                run_id INTEGER NOT NULL REFERENCES run(id), position INTEGER NOT NULL, check_id TEXT NOT NULL, kind TEXT NOT NULL,
                severity TEXT NOT NULL, passed INTEGER NOT NULL, predicate TEXT NOT NULL, message TEXT, detail TEXT,
                failing_count INTEGER NOT NULL, failing_keys TEXT NOT NULL, failing_sha256 TEXT NOT NULL, line INTEGER NOT NULL,
                acknowledged TEXT, PRIMARY KEY (run_id, position));
            CREATE TABLE run_value (
                run_id INTEGER NOT NULL REFERENCES run(id), series TEXT NOT NULL, key TEXT NOT NULL, value REAL,
                PRIMARY KEY (run_id, series, key));
            CREATE TABLE snapshot (
                id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, run_id INTEGER, created_at TEXT NOT NULL,
                keys TEXT NOT NULL, columns TEXT NOT NULL, types TEXT NOT NULL, row_count INTEGER NOT NULL);
            CREATE INDEX snapshot_by_name ON snapshot(name, id);
            CREATE TABLE snapshot_row (
                snapshot_id INTEGER NOT NULL REFERENCES snapshot(id), key TEXT NOT NULL, row TEXT NOT NULL,
                PRIMARY KEY (snapshot_id, key));
            CREATE TABLE acknowledgement (
                id INTEGER PRIMARY KEY AUTOINCREMENT, playbook_path TEXT NOT NULL, check_id TEXT NOT NULL,
                failing_sha256 TEXT NOT NULL, run_id INTEGER NOT NULL, reason TEXT NOT NULL, acknowledged_by TEXT NOT NULL,
                acknowledged_at TEXT NOT NULL);
            """)
        }
        migrator.registerMigration("v2: report records and settings") { db in
            try db.execute(sql: """
            CREATE TABLE run_report (run_id INTEGER PRIMARY KEY REFERENCES run(id), record TEXT NOT NULL);
            CREATE TABLE setting (name TEXT PRIMARY KEY, value TEXT NOT NULL);
            """)
            try db.execute(sql: "INSERT INTO setting (name, value) VALUES ('mask_key', ?)", arguments: [QAStore.randomSecret()])
        }
        migrator.registerMigration("v3: partial runs and cell status") { db in
            try db.execute(sql: "ALTER TABLE run ADD COLUMN partial TEXT")
            try db.execute(sql: "ALTER TABLE run_cell ADD COLUMN status TEXT NOT NULL DEFAULT 'ran'")
        }
        migrator.registerMigration("v4: tracked CALPADS errors") { db in
            try db.execute(sql: """
            CREATE TABLE tracked_run (
                run_id INTEGER NOT NULL REFERENCES run(id), name TEXT NOT NULL, playbook_path TEXT NOT NULL,
                error_count INTEGER NOT NULL, PRIMARY KEY (run_id, name));
            CREATE INDEX tracked_run_by_series ON tracked_run(playbook_path, name, run_id);
            CREATE TABLE tracked_error (
                run_id INTEGER NOT NULL REFERENCES run(id), name TEXT NOT NULL, error_key TEXT NOT NULL,
                error_code TEXT NOT NULL, rule_id TEXT NOT NULL, local_record_id TEXT, ssid TEXT, school TEXT, severity TEXT,
                description TEXT, field TEXT, value TEXT, source_file TEXT, source_line INTEGER,
                PRIMARY KEY (run_id, name, error_key));
            """)
        }
        return migrator
    }

    /// The store's secret for report masking tokens (made when the store was created).
    public func maskKey() throws -> String {
        let key = try read { db in try String.fetchOne(db, sql: "SELECT value FROM setting WHERE name = 'mask_key'") }
        guard let key, key.count >= 32 else {
            throw Diagnostic(.error, "the QA store has no masking secret", file: path,
                             help: "set TALLY_MASK_KEY to a long random secret, or use a new store")
        }
        return key
    }

    /// 32 random bytes from the system's generator, as hex.
    public static func randomSecret() -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &generator) }
        return bytes.map { b in (b < 16 ? "0" : "") + String(b, radix: 16) }.joined()
    }

    /// Keeps a run's report record, so `tally report` can render it again later.
    public func saveReport(_ record: ReportRecord, run id: Int64) throws {
        let json = QAStore.json(record)
        try write { db in try db.execute(sql: "INSERT OR REPLACE INTO run_report (run_id, record) VALUES (?, ?)", arguments: [id, json]) }
    }

    public func report(run id: Int64) throws -> ReportRecord? {
        let text = try read { db in try String.fetchOne(db, sql: "SELECT record FROM run_report WHERE run_id = ?", arguments: [id]) }
        return QAStore.decode(text)
    }

    /// Runs a write transaction, turning database errors into diagnostics that name the store.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.write(body) } catch let error as DatabaseError {
            throw Diagnostic(.error, "the QA store could not be written: \(error.message ?? "\(error)")", file: path)
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch let error as DatabaseError {
            throw Diagnostic(.error, "the QA store could not be read: \(error.message ?? "\(error)")", file: path)
        }
    }

    /// Who is running: the login name, for the ledger and expected-set versions.
    public static var currentUser: String {
        let environment = ProcessInfo.processInfo.environment
        return environment["TALLY_USER"] ?? environment["USER"] ?? environment["LOGNAME"] ?? "unknown"
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// Joins key values into one text key (unit separator between parts).
    static func joinKey(_ parts: [String]) -> String { parts.joined(separator: "\u{1F}") }
    static func splitKey(_ key: String) -> [String] { key.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init) }
}

extension QAStore {
    /// SQLite's own check of the store's file: `["ok"]` when it is sound, else what is wrong.
    public func integrityCheck() throws -> [String] {
        try pool.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
    }
}
