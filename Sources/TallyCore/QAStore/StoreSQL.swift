import Foundation
import TallyModel

/// The QA store's SQL, backend-neutral: the store's operations (QAStore+*.swift) are written
/// against these few types — a session (`Database`) that runs SQL with `?` arguments and rows
/// read by column name — and a backend runs them on SQLite (GRDB, the default) or PostgreSQL
/// (postgres-nio). The names follow GRDB's, which the store was first written against.
public enum StoreValue: Sendable, Hashable {
    case null, integer(Int64), real(Double), text(String)
}

protocol StoreValueConvertible {
    var storeValue: StoreValue { get }
}
extension String: StoreValueConvertible { var storeValue: StoreValue { .text(self) } }
extension Int: StoreValueConvertible { var storeValue: StoreValue { .integer(Int64(self)) } }
extension Int64: StoreValueConvertible { var storeValue: StoreValue { .integer(self) } }
extension Int32: StoreValueConvertible { var storeValue: StoreValue { .integer(Int64(self)) } }
extension Double: StoreValueConvertible { var storeValue: StoreValue { .real(self) } }
/// Booleans are stored as 0 and 1 in both backends.
extension Bool: StoreValueConvertible { var storeValue: StoreValue { .integer(self ? 1 : 0) } }
extension Optional: StoreValueConvertible where Wrapped: StoreValueConvertible {
    var storeValue: StoreValue { self?.storeValue ?? .null }
}

struct StatementArguments: ExpressibleByArrayLiteral {
    var values: [StoreValue]
    init(arrayLiteral elements: (any StoreValueConvertible)?...) { values = elements.map { $0?.storeValue ?? .null } }
    init(_ values: [StoreValue]) { self.values = values }
}

/// A type read from a column.
protocol StoreDecodable {
    static func fromStore(_ value: StoreValue) -> Self?
    /// What a NOT NULL column the store wrote reads as if it were ever null (never a crash).
    static var storeDefault: Self { get }
}
extension String: StoreDecodable {
    static func fromStore(_ v: StoreValue) -> String? {
        switch v {
        case .text(let s): return s
        case .integer(let i): return String(i)
        case .real(let d): return String(d)
        case .null: return nil
        }
    }
    static var storeDefault: String { "" }
}
extension Int64: StoreDecodable {
    static func fromStore(_ v: StoreValue) -> Int64? {
        switch v {
        case .integer(let i): return i
        case .real(let d): return d.isFinite && abs(d) < 9e18 ? Int64(d) : nil
        case .text(let s): return Int64(s)
        case .null: return nil
        }
    }
    static var storeDefault: Int64 { 0 }
}
/// The records' enums are kept as their text (the store's columns are unchanged); a value no
/// version of Tally wrote reads as the default, never a crash.
protocol StoreText: StoreDecodable, RawRepresentable where RawValue == String {}
extension StoreText {
    static func fromStore(_ v: StoreValue) -> Self? { String.fromStore(v).flatMap(Self.init(rawValue:)) }
}
extension Severity: StoreText { static var storeDefault: Severity { .error } }
extension CheckResult.Kind: StoreText { static var storeDefault: CheckResult.Kind { .assertion } }
extension CellResult.Kind: StoreText { static var storeDefault: CellResult.Kind { .show } }
extension CellResult.Status: StoreText { static var storeDefault: CellResult.Status { .ran } }
extension Int: StoreDecodable {
    static func fromStore(_ v: StoreValue) -> Int? { Int64.fromStore(v).map { Int($0) } }
    static var storeDefault: Int { 0 }
}
extension Double: StoreDecodable {
    static func fromStore(_ v: StoreValue) -> Double? {
        switch v {
        case .real(let d): return d
        case .integer(let i): return Double(i)
        case .text(let s): return Double(s)
        case .null: return nil
        }
    }
    static var storeDefault: Double { 0 }
}
extension Bool: StoreDecodable {
    static func fromStore(_ v: StoreValue) -> Bool? { Int64.fromStore(v).map { $0 != 0 } }
    static var storeDefault: Bool { false }
}

/// One result row, read by column name.
struct Row {
    let values: [String: StoreValue]
    subscript<T: StoreDecodable>(_ name: String) -> T { values[name].flatMap(T.fromStore) ?? T.storeDefault }
    subscript<T: StoreDecodable>(_ name: String) -> T? { values[name].flatMap(T.fromStore) }

    static func fetchAll(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> [Row] {
        try db.run(sql, arguments.values)
    }
    static func fetchOne(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> Row? {
        try db.run(sql, arguments.values).first
    }
}

extension StoreDecodable {
    /// The first column of each row.
    static func fetchAll(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> [Self] {
        try db.firstColumn(sql, arguments.values).compactMap { Self.fromStore($0) }
    }
    static func fetchOne(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> Self? {
        try db.firstColumn(sql, arguments.values).first.flatMap { Self.fromStore($0) }
    }
}
extension StoreDecodable where Self: Hashable {
    static func fetchSet(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> Set<Self> {
        Set(try fetchAll(db, sql: sql, arguments: arguments))
    }
}

/// What a backend runs: one statement with its arguments, giving its rows (column names in
/// order) and, for an insert into a table with an `id`, the id the database gave the row.
protocol StoreExecutor {
    func run(_ sql: String, _ arguments: [StoreValue]) throws -> (columns: [String], rows: [[StoreValue]], insertedID: Int64?)
    /// One statement for many argument rows (a bulk insert); a backend may send them together.
    func runBatch(_ sql: String, _ rows: [[StoreValue]]) throws
}

extension StoreExecutor {
    func runBatch(_ sql: String, _ rows: [[StoreValue]]) throws {
        for row in rows { _ = try run(sql, row) }
    }
}

/// A session inside one read or one write transaction.
final class Database {
    let executor: any StoreExecutor
    /// The id of the row the last insert into a table with an `id` made.
    private(set) var lastInsertedRowID: Int64 = 0

    init(_ executor: any StoreExecutor) { self.executor = executor }

    /// Runs a transaction's body in a session and sends its pending bulk rows before it ends.
    static func within<T>(_ executor: any StoreExecutor, _ body: (Database) throws -> T) throws -> T {
        let db = Database(executor)
        let value = try body(db)
        try db.flush()
        return value
    }

    func execute(sql: String, arguments: StatementArguments = []) throws {
        let result = try executor.run(sql, arguments.values)
        if let id = result.insertedID { lastInsertedRowID = id }
    }

    fileprivate func run(_ sql: String, _ arguments: [StoreValue]) throws -> [Row] {
        let result = try executor.run(sql, arguments)
        return result.rows.map { values in
            var row: [String: StoreValue] = [:]
            for (name, value) in zip(result.columns, values) where row[name] == nil { row[name] = value }
            return Row(values: row)
        }
    }

    fileprivate func firstColumn(_ sql: String, _ arguments: [StoreValue]) throws -> [StoreValue] {
        try executor.run(sql, arguments).rows.map { $0.first ?? .null }
    }

    /// A statement run many times (bulk inserts): its rows go to the backend in batches, the
    /// last one when the transaction ends (`flush`), before it commits.
    final class Statement {
        let db: Database
        let sql: String
        var pending: [[StoreValue]] = []
        init(db: Database, sql: String) { self.db = db; self.sql = sql }
        func execute(arguments: StatementArguments) throws {
            pending.append(arguments.values)
            if pending.count >= 1_000 { try flush() }
        }
        func flush() throws {
            guard !pending.isEmpty else { return }
            let rows = pending
            pending = []
            try db.executor.runBatch(sql, rows)
        }
    }
    private var statements: [Statement] = []
    func makeStatement(sql: String) throws -> Statement {
        let statement = Statement(db: self, sql: sql)
        statements.append(statement)
        return statement
    }
    /// Sends what bulk statements still hold; the backends call it before committing.
    func flush() throws {
        for statement in statements { try statement.flush() }
    }
}

/// A store backend: SQLite (a file) or PostgreSQL (a server).
protocol StoreBackend: AnyObject, Sendable {
    /// Where the store is, for messages: a path, or a URL without its password.
    var location: String { get }
    var kind: String { get }
    func read<T>(_ body: (Database) throws -> T) throws -> T
    func write<T>(_ body: (Database) throws -> T) throws -> T
    /// The schema migrations applied, by identifier.
    func appliedMigrations() throws -> [String]
    /// A sound store gives ["ok"].
    func integrityCheck() throws -> [String]
    func shutdown()
}

/// The store's schema, in the SQL both backends run (SQLite's types; PostgreSQL's are derived
/// from them by `QAStore.postgresDDL`). Never edit a migration that has shipped; add the next one.
enum StoreMigrations {
    static let all: [(identifier: String, statements: [String])] = [
        (
            "v1: expected, ledger, snapshots, acks",
            [
                """
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
                """
            ]
        ),
        (
            "v2: report records and settings",
            [
                """
                CREATE TABLE run_report (run_id INTEGER PRIMARY KEY REFERENCES run(id), record TEXT NOT NULL);
                CREATE TABLE setting (name TEXT PRIMARY KEY, value TEXT NOT NULL);
                """,
                "INSERT INTO setting (name, value) VALUES ('mask_key', ?)",
            ]
        ),
        (
            "v3: partial runs and cell status",
            [
                "ALTER TABLE run ADD COLUMN partial TEXT",
                "ALTER TABLE run_cell ADD COLUMN status TEXT NOT NULL DEFAULT 'ran'",
            ]
        ),
        (
            "v4: tracked CALPADS errors",
            [
                """
                CREATE TABLE tracked_run (
                    run_id INTEGER NOT NULL REFERENCES run(id), name TEXT NOT NULL, playbook_path TEXT NOT NULL,
                    error_count INTEGER NOT NULL, PRIMARY KEY (run_id, name));
                CREATE INDEX tracked_run_by_series ON tracked_run(playbook_path, name, run_id);
                CREATE TABLE tracked_error (
                    run_id INTEGER NOT NULL REFERENCES run(id), name TEXT NOT NULL, error_key TEXT NOT NULL,
                    error_code TEXT NOT NULL, rule_id TEXT NOT NULL, local_record_id TEXT, ssid TEXT, school TEXT, severity TEXT,
                    description TEXT, field TEXT, value TEXT, source_file TEXT, source_line INTEGER,
                    PRIMARY KEY (run_id, name, error_key));
                """
            ]
        ),
        // NULL for runs recorded before: nothing known to apply again.
        (
            "v5: a run's masks and suppression",
            [
                "ALTER TABLE run ADD COLUMN privacy TEXT"
            ]
        ),
        // A tracked run's submission: the SHA-256 of the error report it tracked, and the
        // report's own date or upload ID (null when it has none). A run tracked before that
        // loaded exactly one error report gets that report's SHA-256 from its inputs, so that
        // its reruns become the one submission they were; any other is a submission of its own.
        (
            "v5-track: tracked submissions by error report",
            [
                "ALTER TABLE tracked_run ADD COLUMN submission TEXT",
                "ALTER TABLE tracked_run ADD COLUMN submitted TEXT",
                """
                UPDATE tracked_run SET submission = (
                    SELECT MIN(i.sha256) FROM run_input i WHERE i.run_id = tracked_run.run_id AND i.format = 'calpads errors' AND i.sha256 <> '')
                WHERE (SELECT COUNT(*) FROM run_input i WHERE i.run_id = tracked_run.run_id AND i.format = 'calpads errors' AND i.sha256 <> '') = 1
                """,
            ]
        ),
    ]

    /// The statements' arguments: v2 stores the masking secret made when the store is created.
    static func arguments(_ statement: String) -> [StoreValue] {
        statement.contains("'mask_key', ?") ? [.text(QAStore.randomSecret())] : []
    }

    /// The tables whose rows a store copy moves, parents first, and each one's key columns
    /// (an `INSERT OR REPLACE` into them becomes PostgreSQL's `ON CONFLICT (key) DO UPDATE`).
    static let tables: [(name: String, key: [String])] = [
        ("setting", ["name"]), ("expected_set", ["id"]), ("expected_value", ["set_id", "key"]), ("run", ["id"]),
        ("run_input", ["run_id", "position"]), ("run_cell", ["run_id", "position"]), ("run_check", ["run_id", "position"]),
        ("run_value", ["run_id", "series", "key"]), ("snapshot", ["id"]), ("snapshot_row", ["snapshot_id", "key"]),
        ("acknowledgement", ["id"]), ("run_report", ["run_id"]), ("tracked_run", ["run_id", "name"]),
        ("tracked_error", ["run_id", "name", "error_key"]),
    ]
    /// Tables whose `id` the database allocates.
    static let serialTables: Set<String> = ["expected_set", "run", "snapshot", "acknowledgement"]
}
