import Foundation

/// The QA store: by default `.tally/tally.sqlite` in the working folder (SQLite), or a shared
/// PostgreSQL database (`--store postgres://user@host/db` or `TALLY_STORE`). Its operations
/// (QAStore+*.swift) are the same on both: they run through a `StoreBackend`.
public final class QAStore: @unchecked Sendable {
    /// Where the store is, for messages: a path, or a PostgreSQL URL without its password.
    public let path: String
    let backend: any StoreBackend

    /// The store path: `--store`, else `TALLY_STORE`, else `.tally/tally.sqlite` here.
    public static func defaultPath(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
                                   workingFolder: String = FileManager.default.currentDirectoryPath) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let fromEnvironment = environment["TALLY_STORE"], !fromEnvironment.isEmpty { return fromEnvironment }
        return workingFolder + "/.tally/tally.sqlite"
    }

    /// A store location fit to show: a PostgreSQL URL loses its password.
    public static func displayLocation(_ location: String) -> String {
        guard isPostgres(location), var parts = URLComponents(string: location), parts.password != nil else { return location }
        parts.password = nil
        return parts.string ?? "postgres://"
    }

    /// Whether a store location names a PostgreSQL server.
    public static func isPostgres(_ location: String) -> Bool {
        location.hasPrefix("postgres://") || location.hasPrefix("postgresql://")
    }

    /// Opens (and migrates) the store at a path or `postgres://` URL.
    public init(path: String) throws {
        if QAStore.isPostgres(path) {
            let backend = try PostgresBackend(url: path)
            self.backend = backend
            self.path = backend.location
        } else {
            backend = try SQLiteBackend(path: path)
            self.path = path
        }
    }

    deinit { backend.shutdown() }

    /// "SQLite" or "PostgreSQL".
    public var kind: String { backend.kind }

    /// Refuses a store a newer Tally has migrated further than this version knows.
    static func refuseNewer(_ applied: [String], location: String) throws {
        let known = Set(StoreMigrations.all.map(\.identifier))
        if let newer = applied.first(where: { !known.contains($0) }) {
            throw Diagnostic(.error, "this QA store was changed by a newer version of Tally (it has \"\(newer)\"); this version (\(TallyVersion.string)) leaves it unchanged", file: location,
                             help: "run the newer Tally, or pass another store with --store")
        }
    }

    /// The schema migrations the store has, oldest first.
    public func appliedMigrations() throws -> [String] { try backend.appliedMigrations() }

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

    /// Runs a write transaction (errors become diagnostics that name the store).
    func write<T>(_ body: (Database) throws -> T) throws -> T { try backend.write(body) }

    func read<T>(_ body: (Database) throws -> T) throws -> T { try backend.read(body) }

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
    /// The database's own check of the store: `["ok"]` when it is sound, else what is wrong.
    public func integrityCheck() throws -> [String] { try backend.integrityCheck() }
}
