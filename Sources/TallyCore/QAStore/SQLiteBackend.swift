import Foundation
import GRDB
import TallyModel

/// The default store: a SQLite file, opened as a WAL database pool with a busy timeout, so
/// several `tally` processes can use one store at once (writers wait for each other instead of
/// failing with "database is locked"). Every write is one transaction.
final class SQLiteBackend: StoreBackend, @unchecked Sendable {
    let path: String
    let pool: DatabasePool
    var location: String { path }
    var kind: String { "SQLite" }

    init(path: String, access: QAStore.Access = .readWrite) throws {
        self.path = path
        let folder = FileCreation.folder(of: path)
        do {
            if access != .readWrite {
                pool = try SQLiteBackend.openReadOnly(path: path, mode: access)
                return
            }
            if !folder.isEmpty, !FileManager.default.fileExists(atPath: folder) {
                try FileManager.default.createDirectory(
                    atPath: folder, withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o700])
                // A folder made for the store holds student data: keep it out of any repository.
                FileCreation.create(
                    folder + "/.gitignore",
                    contents: Data("# Tally's QA store and cell cache: student data, never commit it.\n*\n".utf8),
                    permissions: 0o600)
            }
            // The store holds student rows (snapshots, failing keys) and the masking secret:
            // its files are readable by their owner only.
            let previous = umask(0o077)
            defer { umask(previous) }
            pool = try SQLiteBackend.openWithRetry(path: path)
            for suffix in ["", "-wal", "-shm", ".lock"] where FileManager.default.fileExists(atPath: path + suffix) {
                _ = chmod(path + suffix, 0o600)
            }
        } catch let error as DatabaseError {
            throw Diagnostic(
                .storeUnreadable, .error, "cannot open the QA store: \(error.message ?? "\(error)")", file: path,
                help: "check the path, or pass another with --store PATH")
        } catch let d as Diagnostic {
            throw d
        } catch {
            throw Diagnostic(.storeUnreadable, .error, "cannot open the QA store: \(error)", file: path)
        }
    }

    /// Opens an existing store to read only: no file is created (not the store, its folder or its
    /// lock), nothing is migrated. SQLite reads a WAL database read-only through its -shm. A
    /// reader that cannot write the store must not make a missing -wal and -shm: in a folder it
    /// cannot write it could not, and in a shared folder they would be the reader's, and the
    /// store's owner could not write them. Without a -shm (its last writer closed it cleanly, so
    /// its -wal is gone or empty too) the store is read as `immutable`: its main file holds every
    /// committed run.
    static func openReadOnly(path: String, mode: QAStore.Access) throws -> DatabasePool {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw QAStore.missing(path) }
        if isFolder.boolValue {
            throw Diagnostic(
                .storeUnreadable, .error, "cannot open the QA store: \(path) is a folder", file: path,
                help: "pass the store's file with --store PATH")
        }
        // The -wal holds the latest runs and the -shm indexes it: a reader needs all three.
        for file in [path, path + "-wal", path + "-shm"]
        where FileManager.default.fileExists(atPath: file) && !FileManager.default.isReadableFile(atPath: file) {
            throw Diagnostic(
                .storeUnreadable, .error, "cannot read the QA store: permission denied\(file == path ? "" : " on \(file)")", file: path,
                help:
                    "its owner can grant read access to all its files (chmod g+r \(path) \(path)-wal \(path)-shm), or pass another store with --store"
            )
        }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(30)
        configuration.label = "tally"
        let folder = FileCreation.folder(of: path)
        let canWrite = access(folder.isEmpty ? "." : folder, W_OK) == 0 && FileManager.default.isWritableFile(atPath: path)
        var location = path
        if !canWrite, !FileManager.default.fileExists(atPath: path + "-shm") {
            let wal = (try? FileManager.default.attributesOfItem(atPath: path + "-wal"))?[.size] as? Int ?? 0
            guard wal == 0 else {
                throw Diagnostic(
                    .storeUnreadable, .error,
                    "cannot read the QA store: it has a -wal file but no -shm, and this user cannot write the store to make one",
                    file: path,
                    help: "run any tally command on it as its owner (that tidies the -wal away), then read it again")
            }
            // A URI filename (the path's own %, ? and # escaped): the system SQLite reads them
            // (SQLITE_USE_URI; HostileStoreTests reads a store this way).
            let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
            location =
                "file:"
                + (absolute.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "%?#")))
                    ?? absolute) + "?immutable=1"
        }
        let pool = try DatabasePool(path: location, configuration: configuration)
        let (tables, applied) = try contents(pool)
        if tables == 0 {
            throw Diagnostic(
                .storeUnreadable, .error, "no QA store at \(path): the file is empty (a run makes it a store; check --store)", file: path)
        }
        try refuseForeign(tables: tables, applied: applied, path: path)
        try QAStore.refuseOlder(applied, location: path, access: mode)
        return pool
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
        let lockPath = path + ".lock"
        var lockDescriptor = open(lockPath, O_CREAT | O_EXCL | O_RDWR, 0o600)
        let madeLock = lockDescriptor >= 0
        if !madeLock { lockDescriptor = open(lockPath, O_CREAT | O_RDWR, 0o600) }
        if lockDescriptor >= 0 { _ = flock(lockDescriptor, LOCK_EX) }
        var opened = false
        defer {
            // A failed open (the path is a folder, not a database, another program's) leaves no
            // lock file behind; only a lock this open made is removed, while it is still held, so
            // a store that opened before keeps the lock its other users share.
            if madeLock, !opened { unlink(lockPath) }
            if lockDescriptor >= 0 { _ = flock(lockDescriptor, LOCK_UN); close(lockDescriptor) }
        }
        var attempt = 0
        while true {
            do {
                let pool = try DatabasePool(path: path, configuration: configuration)
                let (tables, applied) = try contents(pool)
                try refuseForeign(tables: tables, applied: applied, path: path)
                try migrator.migrate(pool)
                opened = true
                return pool
            } catch let error as DatabaseError
                where (error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED) && attempt < 300
            {
                attempt += 1
                usleep(useconds_t(min(200_000, 10_000 * attempt)))
            }
        }
    }

    /// The number of tables (negative when none is GRDB's migration ledger: not Tally's) and the
    /// migrations applied.
    static func contents(_ pool: DatabasePool) throws -> (tables: Int, applied: [String]) {
        try pool.read { db -> (Int, [String]) in
            let tables =
                try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'") ?? 0
            let hasLedger = try db.tableExists("grdb_migrations")
            let applied = hasLedger ? try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") : []
            return (hasLedger ? tables : -tables, applied)
        }
    }

    /// A database that is not a Tally store, or a store a newer Tally has changed, is left as it
    /// is: migrating the first would write Tally's tables into someone else's database, and this
    /// version could misread the second.
    static func refuseForeign(tables: Int, applied: [String], path: String) throws {
        if tables < 0 {
            throw Diagnostic(
                .storeUnreadable, .error,
                "this SQLite database is not a Tally QA store (it has \(-tables) table\(tables == -1 ? "" : "s") of its own); it is left unchanged",
                file: path,
                help: "pass the QA store's path with --store, or a new file's path to start one")
        }
        try QAStore.refuseNewer(applied, location: path)
    }

    /// The schema (`StoreMigrations`), applied by GRDB's migrator under the same identifiers.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for (identifier, statements) in StoreMigrations.all {
            migrator.registerMigration(identifier) { db in
                for statement in statements {
                    try db.execute(sql: statement, arguments: StatementArgumentsBridge.grdb(StoreMigrations.arguments(statement)))
                }
            }
        }
        return migrator
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.read { db in try Database.within(SQLiteExecutor(db: db), body) } } catch let error as DatabaseError {
            throw Diagnostic(.storeUnreadable, .error, "the QA store could not be read: \(error.message ?? "\(error)")", file: path)
        }
    }

    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.write { db in try Database.within(SQLiteExecutor(db: db), body) } } catch let error as DatabaseError {
            throw Diagnostic(.storeUnreadable, .error, "the QA store could not be written: \(error.message ?? "\(error)")", file: path)
        }
    }

    func appliedMigrations() throws -> [String] {
        try pool.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid") }
    }

    func integrityCheck() throws -> [String] {
        try pool.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
    }

    func shutdown() { try? pool.close() }
}

enum StatementArgumentsBridge {
    static func grdb(_ values: [StoreValue]) -> GRDB.StatementArguments {
        GRDB.StatementArguments(
            values.map { v -> DatabaseValue in
                switch v {
                case .null: return .null
                case .integer(let i): return i.databaseValue
                case .real(let d): return d.databaseValue
                case .text(let s): return s.databaseValue
                }
            })
    }
}

/// Runs the store's SQL on a GRDB connection.
struct SQLiteExecutor: StoreExecutor {
    let db: GRDB.Database

    /// A bulk insert: the statement is compiled once and run for each row (a million-row
    /// snapshot would otherwise compile a million statements).
    func runBatch(_ sql: String, _ rows: [[StoreValue]]) throws {
        let statement = try db.makeStatement(sql: sql)
        for row in rows {
            try statement.setArguments(StatementArgumentsBridge.grdb(row))
            try statement.execute()
        }
    }

    func run(_ sql: String, _ arguments: [StoreValue]) throws -> (columns: [String], rows: [[StoreValue]], insertedID: Int64?) {
        let statement = try db.makeStatement(sql: sql)
        try statement.setArguments(StatementArgumentsBridge.grdb(arguments))
        guard statement.columnCount > 0 else {
            try statement.execute()
            let isInsert = sql.trimmingCharacters(in: .whitespacesAndNewlines).uppercased().hasPrefix("INSERT")
            return ([], [], isInsert ? db.lastInsertedRowID : nil)
        }
        let columns = statement.columnNames
        var rows: [[StoreValue]] = []
        let cursor = try GRDB.Row.fetchCursor(statement)
        while let row = try cursor.next() {
            rows.append(
                (0..<columns.count).map { k in
                    switch row[k] as DatabaseValue {
                    case let v where v.isNull: return .null
                    case let v:
                        switch v.storage {
                        case .int64(let i): return .integer(i)
                        case .double(let d): return .real(d)
                        case .string(let s): return .text(s)
                        case .blob(let data): return .text(String(decoding: data, as: UTF8.self))
                        case .null: return .null
                        }
                    }
                })
        }
        return (columns, rows, nil)
    }
}
