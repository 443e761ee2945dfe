import Foundation
import TallyModel

/// The QA store: by default `.tally/tally.sqlite` in the working folder (SQLite), or a shared
/// PostgreSQL database (`--store postgres://user@host/db` or `TALLY_STORE`). Its operations
/// (QAStore+*.swift) are the same on both: they run through a `StoreBackend`.
public final class QAStore: @unchecked Sendable {
    /// Where the store is, for messages: a path, or a PostgreSQL URL without its password.
    public let path: String
    let backend: any StoreBackend

    /// The store path: `--store`, else `TALLY_STORE`, else `.tally/tally.sqlite` here. A `sqlite:`
    /// or `file:` URL becomes the path it names, so the cell cache beside it and every message
    /// use the file's path.
    public static func defaultPath(
        explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
        workingFolder: String = FileManager.default.currentDirectoryPath
    ) -> String {
        var chosen = workingFolder + "/.tally/tally.sqlite"
        if let explicit, !explicit.isEmpty {
            chosen = explicit
        } else if let fromEnvironment = environment["TALLY_STORE"], !fromEnvironment.isEmpty {
            chosen = fromEnvironment
        }
        if case .sqlite(let path)? = try? location(chosen) { return path }
        return chosen
    }

    /// What a store location names.
    enum Location: Equatable { case sqlite(String), postgres(String) }

    /// Reads a `--store` value: a path is a SQLite file, and so is a `sqlite:` or `file:` URL
    /// (`sqlite:///abs/t.sqlite`, `sqlite:relative.sqlite`, `file:///abs/t.sqlite`, percent-escapes
    /// decoded); `postgres://` and `postgresql://` are a server. Any other `scheme://` is refused:
    /// taken as a path it would become a folder named after the scheme.
    static func location(_ text: String) throws -> Location {
        if isPostgres(text) { return .postgres(text) }
        let lower = text.lowercased()
        guard let prefix = ["sqlite:", "file:"].first(where: { lower.hasPrefix($0) }) else {
            if let scheme = text.range(of: "^[A-Za-z][A-Za-z0-9+.-]*://", options: .regularExpression) {
                throw Diagnostic(
                    .storeUnreadable, .error, "\"\(text[scheme].dropLast(3))\" is not a kind of QA store Tally knows",
                    file: displayLocation(text),
                    help: "write a SQLite file's path (or sqlite:PATH, file:PATH), or postgres://user@host:5432/database")
            }
            return .sqlite(text)
        }
        var rest = Substring(text.dropFirst(prefix.count))
        if rest.hasPrefix("//") {
            // sqlite://HOST/path: only this machine's files.
            let authority = rest.dropFirst(2).prefix { $0 != "/" }
            guard authority.isEmpty || authority.lowercased() == "localhost" else {
                throw Diagnostic(
                    .storeUnreadable, .error, "a \(prefix) URL names a file on this machine, not on \(authority)", file: text,
                    help: "write \(prefix)///absolute/path.sqlite or \(prefix)relative/path.sqlite")
            }
            rest = rest.dropFirst(2 + authority.count)
        }
        guard !rest.contains("?"), !rest.contains("#") else {
            throw Diagnostic(
                .storeUnreadable, .error, "a \(prefix) store URL takes no options (? or #)", file: text,
                help: "write ? as %3F and # as %23 in a file name")
        }
        guard let path = String(rest).removingPercentEncoding, !path.isEmpty else {
            throw Diagnostic(
                .storeUnreadable, .error, "this \(prefix) URL names no file", file: text,
                help: "write \(prefix)///absolute/path.sqlite or \(prefix)relative/path.sqlite")
        }
        return .sqlite(path)
    }

    /// A store location fit to show: a URL loses its password (also one too broken to parse).
    public static func displayLocation(_ location: String) -> String {
        guard location.contains("://") else { return location }
        if var parts = URLComponents(string: location) {
            guard parts.password != nil else { return location }
            parts.password = nil
            return parts.string ?? "postgres://"
        }
        // Unparseable: drop whatever stands between the user's name and the last @ before the path.
        guard let start = location.range(of: "://")?.upperBound else { return location }
        let beforeQuery = location[start...].prefix { $0 != "?" }
        guard let at = beforeQuery.lastIndex(of: "@"), let colon = location[start..<at].firstIndex(of: ":") else { return location }
        return String(location[..<colon]) + String(location[at...])
    }

    /// Whether a store location names a PostgreSQL server.
    public static func isPostgres(_ location: String) -> Bool {
        location.hasPrefix("postgres://") || location.hasPrefix("postgresql://")
    }

    /// How a command opens the store.
    public enum Access: Sendable {
        /// Creates the store when it is missing and applies the migrations it lacks (run, import, label).
        case readWrite
        /// Reads a store as it is: never creates, migrates or writes it, so a store another user
        /// owns (or on a read-only disk) can be read, and a mistyped path makes nothing. A store of
        /// an older schema is refused with `tally store migrate` as the way on.
        case readOnly
        /// As `readOnly`, but an older schema is read too (`tally store info` shows it).
        case inspect
    }

    /// Opens the store at a path, a `sqlite:`/`file:` URL or a `postgres://` URL; with
    /// `.readWrite`, creating and migrating it.
    public init(path: String, access: Access = .readWrite) throws {
        switch try QAStore.location(path) {
        case .postgres(let url):
            let backend = try PostgresBackend(url: url, access: access)
            self.backend = backend
            self.path = backend.location
        case .sqlite(let file):
            backend = try SQLiteBackend(path: file, access: access)
            self.path = file
        }
    }

    deinit { backend.shutdown() }

    /// "SQLite" or "PostgreSQL".
    public var kind: String { backend.kind }

    /// Refuses a store a newer Tally has migrated further than this version knows.
    static func refuseNewer(_ applied: [String], location: String) throws {
        let known = Set(StoreMigrations.all.map(\.identifier))
        if let newer = applied.first(where: { !known.contains($0) }) {
            throw Diagnostic(
                .storeVersion, .error,
                "this QA store was changed by a newer version of Tally (it has \"\(newer)\"); this version (\(TallyVersion.string)) leaves it unchanged",
                file: location,
                help: "run the newer Tally, or pass another store with --store")
        }
    }

    /// Refuses, for a read-only command, a store an older Tally made: this version's queries
    /// could need what the missing migrations add, and a read-only command never migrates.
    static func refuseOlder(_ applied: [String], location: String, access: Access) throws {
        guard access == .readOnly, let missing = StoreMigrations.all.first(where: { !applied.contains($0.identifier) }) else { return }
        throw Diagnostic(
            .storeVersion, .error,
            "this QA store was made by an older version of Tally (it lacks \"\(missing.identifier)\"); this command only reads it and leaves it unchanged",
            file: location,
            help: "run tally store migrate --store \(location) to bring it up to date")
    }

    /// The message for a store a read-only command finds missing (it never makes one).
    static func missing(_ location: String) -> Diagnostic {
        Diagnostic(.storeUnreadable, .error, "no QA store at \(location) (a run creates it; check --store)", file: location)
    }

    /// The schema migrations the store has, oldest first.
    public func appliedMigrations() throws -> [String] { try backend.appliedMigrations() }

    /// The migrations this version has that the store lacks (`tally store migrate` applies them).
    public func pendingMigrations() throws -> [String] {
        let applied = Set(try appliedMigrations())
        return StoreMigrations.all.map(\.identifier).filter { !applied.contains($0) }
    }

    /// The store's secret for report masking tokens (made when the store was created).
    public func maskKey() throws -> String {
        let key = try read { db in try String.fetchOne(db, sql: "SELECT value FROM setting WHERE name = 'mask_key'") }
        guard let key, key.count >= 32 else {
            throw Diagnostic(
                .storeUnreadable, .error, "the QA store has no masking secret", file: path,
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
