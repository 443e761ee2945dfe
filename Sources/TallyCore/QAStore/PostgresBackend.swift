import Foundation
import Logging
import NIOSSL
import PostgresNIO
import TallyModel

/// The shared store: a PostgreSQL database (`--store postgres://user@host:5432/db` or
/// `TALLY_STORE`). Many analysts and workers write to it at once: run ids come from the
/// database (`BIGSERIAL`), every write is one transaction (a worker killed mid-write leaves no
/// part of its run), and the schema is the SQLite store's (`StoreMigrations`) with PostgreSQL's
/// types. The password comes from the URL, `PGPASSWORD` or `~/.pgpass`, and is never shown: the
/// store's location in messages and in the ledger is the URL without it.
final class PostgresBackend: StoreBackend, @unchecked Sendable {
    let location: String
    var kind: String { "PostgreSQL" }
    private let connection: PostgresConnection
    private let logger = Logger(label: "tally.store")
    /// One statement at a time on the connection (a QAStore is used by one thread at a time,
    /// but the lock makes that a guarantee).
    private let lock = NSLock()

    /// How the connection is encrypted, as libpq's `sslmode` says it: `disable`; `allow` and
    /// `prefer` (the default over TCP) encrypt when the server offers it, without checking its
    /// certificate; `require` encrypts without checking the certificate (libpq checks it against
    /// `sslrootcert` when one is given: so does Tally); `verify-ca` checks that a trusted
    /// authority signed it; `verify-full` also that it names the host.
    enum TLSMode: String, CaseIterable {
        case disable, allow, prefer, require, verifyCA = "verify-ca", verifyFull = "verify-full"
    }

    struct Target {
        var host = "localhost", port = 5432, user = "", password: String? = nil, database = ""
        var socketDirectory: String? = nil
        var tls = TLSMode.prefer
        /// Certificate authorities to trust (PEM), else the system's.
        var rootCertificate: String? = nil
        var location: String {
            // An IPv6 address is written in brackets, as in the URL.
            let shownHost = host.contains(":") ? "[\(host)]" : host
            return "postgres://\(user)@\(socketDirectory.map { _ in "" } ?? shownHost):\(port)/\(database)"
                + (socketDirectory.map { "?host=\($0)" } ?? "")
        }
    }

    /// Parses `postgres://user[:password]@host[:port]/database[?host=/socket/dir&sslmode=…&sslrootcert=…]`
    /// (`PGSSLMODE` and `PGSSLROOTCERT` when the URL does not say).
    static func target(
        _ url: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        home: String = NSHomeDirectory()
    ) throws -> Target {
        guard let parts = URLComponents(string: url), parts.scheme == "postgres" || parts.scheme == "postgresql" else {
            throw Diagnostic(
                .storeUnreadable, .error, "not a PostgreSQL URL (is the port a number?)", file: QAStore.displayLocation(url),
                help: "write the store as postgres://user@host:5432/database")
        }
        var t = Target()
        // [::1] is an IPv6 address: the brackets are the URL's, not the host's.
        t.host =
            parts.host.flatMap { $0.isEmpty ? nil : $0 }.map {
                $0.hasPrefix("[") && $0.hasSuffix("]") ? String($0.dropFirst().dropLast()) : $0
            } ?? "localhost"
        t.port = parts.port ?? 5432
        // A port past 65535 would wrap round to another one (99999 connects to 34463).
        guard (1...65535).contains(t.port) else {
            throw Diagnostic(
                .storeUnreadable, .error, "port \(t.port) is not a TCP port (1 to 65535)", file: QAStore.displayLocation(url),
                help: "PostgreSQL's usual port is 5432")
        }
        t.user = parts.user ?? environment["PGUSER"] ?? environment["USER"] ?? "postgres"
        t.database = String(parts.path.drop(while: { $0 == "/" }))
        if t.database.isEmpty { t.database = environment["PGDATABASE"] ?? t.user }
        var mode = environment["PGSSLMODE"], modeSource = "PGSSLMODE"
        t.rootCertificate = environment["PGSSLROOTCERT"]
        for item in parts.queryItems ?? [] {
            if item.name == "host", let v = item.value, v.hasPrefix("/") { t.socketDirectory = v }
            if item.name == "sslmode", let v = item.value { mode = v; modeSource = "the URL's sslmode" }
            if item.name == "sslrootcert", let v = item.value { t.rootCertificate = v }
        }
        if let mode {
            guard let parsed = TLSMode(rawValue: mode) else {
                throw Diagnostic(
                    .storeUnreadable, .error, "\(modeSource) is \"\(mode)\": not an sslmode", file: t.location,
                    help: "use one of " + TLSMode.allCases.map(\.rawValue).joined(separator: ", "))
            }
            t.tls = parsed
        }
        t.password = parts.password ?? environment["PGPASSWORD"] ?? pgpass(t, home: home)
        return t
    }

    /// The password for the target in `~/.pgpass` (host:port:database:user:password, `*` for any).
    static func pgpass(_ t: Target, home: String) -> String? {
        guard let text = try? String(contentsOfFile: home + "/.pgpass", encoding: .utf8) else { return nil }
        let host = t.socketDirectory == nil ? t.host : "localhost"
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            var fields: [String] = [], current = "", escaped = false
            for ch in line {
                if escaped {
                    current.append(ch); escaped = false
                } else if ch == "\\" {
                    escaped = true
                } else if ch == ":" {
                    fields.append(current); current = ""
                } else {
                    current.append(ch)
                }
            }
            fields.append(current)
            guard fields.count == 5 else { continue }
            let wanted = [host, String(t.port), t.database, t.user]
            if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
        }
        return nil
    }

    /// Set for a read-only command: writes are refused before they reach the server.
    private var readOnly = false

    init(url: String, access: QAStore.Access = .readWrite) throws {
        let t = try PostgresBackend.target(url)
        location = t.location
        var configuration: PostgresConnection.Configuration
        if let directory = t.socketDirectory {
            configuration = .init(
                unixSocketPath: directory + "/.s.PGSQL.\(t.port)", username: t.user, password: t.password, database: t.database)
        } else {
            configuration = .init(
                host: t.host, port: t.port, username: t.user, password: t.password, database: t.database,
                tls: try PostgresBackend.tls(t))
        }
        let logger = self.logger
        let config = configuration
        do {
            connection = try blocking { try await PostgresConnection.connect(configuration: config, id: 1, logger: logger) }
        } catch {
            throw Diagnostic(
                .storeUnreadable, .error, "cannot open the QA store: \(PostgresBackend.describe(error))", file: t.location,
                help:
                    "check that the server runs and the URL's user, host, port and database (the password comes from the URL, PGPASSWORD or ~/.pgpass)"
            )
        }
        // A connection must be closed before it is released, also when the store is refused.
        do {
            if access == .readWrite { try migrate() } else { try checkReadable(access) }
        } catch {
            shutdown()
            throw error
        }
    }

    /// The TLS setting for the target's sslmode (a Unix socket is never encrypted).
    static func tls(_ t: Target) throws -> PostgresConnection.Configuration.TLS {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch t.tls {
        case .disable: return .disable
        case .allow, .prefer, .require:
            configuration.certificateVerification = t.tls == .require && t.rootCertificate != nil ? .noHostnameVerification : .none
        case .verifyCA: configuration.certificateVerification = .noHostnameVerification
        case .verifyFull: configuration.certificateVerification = .fullVerification
        }
        if let root = t.rootCertificate {
            guard FileManager.default.isReadableFile(atPath: root) else {
                throw Diagnostic(
                    .storeUnreadable, .error, "cannot read the certificate authority file \(root) (sslrootcert)", file: t.location)
            }
            configuration.trustRoots = .file(root)
        }
        do {
            let context = try NIOSSLContext(configuration: configuration)
            return t.tls == .allow || t.tls == .prefer ? .prefer(context) : .require(context)
        } catch {
            throw Diagnostic(.storeUnreadable, .error, "cannot set up TLS for the QA store: \(error)", file: t.location)
        }
    }

    func shutdown() { try? blocking { [connection] in try await connection.close() } }

    /// A server error's message (never the query's arguments: they can hold student data).
    static func describe(_ error: any Error) -> String {
        if let e = error as? PSQLError {
            if let message = e.serverInfo?[.message] { return message }
            if let ssl = e.underlying as? NIOSSLError {
                if case .handshakeFailed = ssl {
                    // BoringSSL's reason (CERTIFICATE_VERIFY_FAILED …), not its source path.
                    let text = "\(ssl)"
                    let reason =
                        text.range(of: "OPENSSL_internal:").map { String(text[$0.upperBound...].prefix { $0 != " " && $0 != "]" }) } ?? ""
                    return "the TLS handshake failed" + (reason.isEmpty ? "" : " (\(reason))")
                        + ": is the server's certificate signed by an authority in sslrootcert (or the system's) and does it name the host?"
                }
                return "TLS: \(ssl)"
            }
            // Only a connection's underlying error (refused, unreachable): a query's could quote
            // a value it failed to decode.
            if e.code == .connectionError, let underlying = e.underlying { return "\(e.code): \(underlying)" }
            return "\(e.code)"
        }
        if let d = error as? Diagnostic { return d.message }
        return "\(error)"
    }

    // MARK: Running SQL

    func execute(_ sql: String, _ arguments: [StoreValue]) throws -> (columns: [String], rows: [[StoreValue]], insertedID: Int64?) {
        var text = PostgresBackend.translate(sql)
        var returnsID = false
        if let table = PostgresBackend.insertTable(text), StoreMigrations.serialTables.contains(table),
            !text.uppercased().contains("RETURNING")
        {
            text += " RETURNING id"
            returnsID = true
        }
        var binds = PostgresBindings()
        for value in arguments {
            switch value {
            case .null: binds.appendNull()
            case .integer(let i): binds.append(i)
            case .real(let d): binds.append(d)
            case .text(let s): binds.append(s)
            }
        }
        let query = PostgresQuery(unsafeSQL: text, binds: binds)
        let (connection, logger) = (self.connection, self.logger)
        lock.lock()
        defer { lock.unlock() }
        let result: (columns: [String], rows: [[StoreValue]]) = try blocking {
            var columns: [String] = []
            var rows: [[StoreValue]] = []
            for try await row in try await connection.query(query, logger: logger) {
                if columns.isEmpty { columns = row.map(\.columnName) }
                rows.append(row.map(PostgresBackend.value))
            }
            return (columns, rows)
        }
        if returnsID, case .integer(let id)? = result.rows.first?.first { return ([], [], id) }
        return (result.columns, result.rows, nil)
    }

    static func value(_ cell: PostgresCell) -> StoreValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int8: return (try? cell.decode(Int64.self)).map(StoreValue.integer) ?? .null
        case .int4: return (try? cell.decode(Int32.self)).map { .integer(Int64($0)) } ?? .null
        case .int2: return (try? cell.decode(Int16.self)).map { .integer(Int64($0)) } ?? .null
        case .float8: return (try? cell.decode(Double.self)).map(StoreValue.real) ?? .null
        case .float4: return (try? cell.decode(Float.self)).map { .real(Double($0)) } ?? .null
        case .bool: return (try? cell.decode(Bool.self)).map { .integer($0 ? 1 : 0) } ?? .null
        case .numeric: return (try? cell.decode(String.self)).flatMap(Double.init).map(StoreValue.real) ?? .null
        default: return (try? cell.decode(String.self)).map(StoreValue.text) ?? .null
        }
    }

    /// The store's SQL in PostgreSQL's dialect: `?` arguments become `$1`, `$2` ...;
    /// `INSERT OR REPLACE` becomes `ON CONFLICT (key) DO UPDATE`, `INSERT OR IGNORE` `ON
    /// CONFLICT DO NOTHING`.
    static func translate(_ sql: String) -> String {
        var out = "", n = 0, inString = false
        for ch in sql {
            if ch == "'" { inString.toggle() }
            if ch == "?", !inString { n += 1; out += "$\(n)" } else { out.append(ch) }
        }
        let trimmed = out.trimmingCharacters(in: .whitespacesAndNewlines)
        let upper = trimmed.uppercased()
        if upper.hasPrefix("INSERT OR IGNORE INTO") {
            return "INSERT INTO" + trimmed.dropFirst("INSERT OR IGNORE INTO".count) + " ON CONFLICT DO NOTHING"
        }
        if upper.hasPrefix("INSERT OR REPLACE INTO") {
            let rest = "INSERT INTO" + trimmed.dropFirst("INSERT OR REPLACE INTO".count)
            guard let table = insertTable(rest), let key = StoreMigrations.tables.first(where: { $0.name == table })?.key,
                let open = rest.firstIndex(of: "("), let close = rest.firstIndex(of: ")")
            else { return rest }
            let columns = rest[rest.index(after: open)..<close].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let others = columns.filter { !key.contains($0) }
            let action = others.isEmpty ? "DO NOTHING" : "DO UPDATE SET " + others.map { "\($0) = EXCLUDED.\($0)" }.joined(separator: ", ")
            return rest + " ON CONFLICT (\(key.joined(separator: ", "))) " + action
        }
        return out
    }

    /// The table an `INSERT INTO table (...)` writes.
    static func insertTable(_ sql: String) -> String? {
        let words = sql.trimmingCharacters(in: .whitespacesAndNewlines).split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "(" })
        guard words.count >= 3, words[0].uppercased() == "INSERT", words[1].uppercased() == "INTO" else { return nil }
        return String(words[2])
    }

    /// SQLite's types in PostgreSQL's: ids the database allocates, 64-bit integers, doubles.
    static func postgresDDL(_ sql: String) -> [String] {
        let converted =
            sql
            .replacingOccurrences(of: "INTEGER PRIMARY KEY AUTOINCREMENT", with: "BIGSERIAL PRIMARY KEY")
            .replacingOccurrences(of: "INTEGER", with: "BIGINT")
            .replacingOccurrences(of: "REAL", with: "DOUBLE PRECISION")
        return converted.split(separator: ";").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    // MARK: Transactions

    func transaction<T>(readOnly: Bool, _ body: (Database) throws -> T) throws -> T {
        let verb = readOnly ? "read" : "written"
        do {
            _ = try execute(readOnly ? "BEGIN READ ONLY" : "BEGIN", [])
            do {
                let value = try Database.within(PostgresExecutor(backend: self), body)
                _ = try execute("COMMIT", [])
                return value
            } catch {
                _ = try? execute("ROLLBACK", [])
                throw error
            }
        } catch let d as Diagnostic {
            throw d
        } catch {
            throw Diagnostic(
                .storeUnreadable, .error, "the QA store could not be \(verb): \(PostgresBackend.describe(error))", file: location)
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T { try transaction(readOnly: true, body) }
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        if readOnly {
            throw Diagnostic(
                .storeUnreadable, .error, "the QA store could not be written: this command opened it read-only", file: location)
        }
        return try transaction(readOnly: false, body)
    }

    // MARK: Schema

    /// Applies the migrations this store lacks, under an advisory lock so that workers opening a
    /// new store at once migrate it once. A database with tables of its own (no Tally ledger) is
    /// left unchanged, and so is a store a newer Tally migrated further.
    func migrate() throws {
        do {
            _ = try execute("SELECT pg_advisory_lock(7261626)", [])
            defer { _ = try? execute("SELECT pg_advisory_unlock(7261626)", []) }
            let tables = try execute(
                """
                SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
                """, []
            ).rows.compactMap { row -> String? in if case .text(let s)? = row.first { return s } else { return nil } }
            if !tables.isEmpty, !tables.contains("tally_migrations") {
                throw Diagnostic(
                    .storeUnreadable, .error,
                    "this PostgreSQL database is not a Tally QA store (it has \(tables.count) table\(tables.count == 1 ? "" : "s") of its own); it is left unchanged",
                    file: location, help: "create an empty database for the store (createdb tally) and pass its URL with --store")
            }
            _ = try execute("CREATE TABLE IF NOT EXISTS tally_migrations (identifier TEXT PRIMARY KEY, applied_at TEXT NOT NULL)", [])
            let applied = try appliedMigrations()
            try QAStore.refuseNewer(applied, location: location)
            for (identifier, statements) in StoreMigrations.all where !applied.contains(identifier) {
                _ = try write { db in
                    for statement in statements {
                        for piece in PostgresBackend.postgresDDL(statement) {
                            try db.execute(sql: piece, arguments: StatementArguments(StoreMigrations.arguments(piece)))
                        }
                    }
                    try db.execute(
                        sql: "INSERT INTO tally_migrations (identifier, applied_at) VALUES (?, ?)",
                        arguments: [identifier, QAStore.timestamp(Date())])
                }
            }
        } catch let d as Diagnostic {
            throw d
        } catch {
            throw Diagnostic(.storeUnreadable, .error, "cannot open the QA store: \(PostgresBackend.describe(error))", file: location)
        }
    }

    /// For a read-only command: the database must already be a Tally store of this version's
    /// schema (or, for `store info`, an older one); nothing is created or migrated.
    func checkReadable(_ access: QAStore.Access) throws {
        readOnly = true
        do {
            _ = try execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", [])
            let tables = try execute(
                """
                SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
                """, []
            ).rows.compactMap { row -> String? in if case .text(let s)? = row.first { return s } else { return nil } }
            if tables.isEmpty { throw QAStore.missing(location) }
            guard tables.contains("tally_migrations") else {
                throw Diagnostic(
                    .storeUnreadable, .error,
                    "this PostgreSQL database is not a Tally QA store (it has \(tables.count) table\(tables.count == 1 ? "" : "s") of its own); it is left unchanged",
                    file: location, help: "pass the QA store's URL with --store")
            }
            let applied = try appliedMigrations()
            try QAStore.refuseNewer(applied, location: location)
            try QAStore.refuseOlder(applied, location: location, access: access)
        } catch let d as Diagnostic {
            throw d
        } catch {
            throw Diagnostic(.storeUnreadable, .error, "cannot open the QA store: \(PostgresBackend.describe(error))", file: location)
        }
    }

    func appliedMigrations() throws -> [String] {
        try execute("SELECT identifier FROM tally_migrations ORDER BY applied_at, identifier", []).rows.compactMap {
            if case .text(let s)? = $0.first { return s } else { return nil }
        }
    }

    func integrityCheck() throws -> [String] {
        _ = try execute("SELECT 1", [])
        return ["ok"]
    }
}

struct PostgresExecutor: StoreExecutor {
    let backend: PostgresBackend
    func run(_ sql: String, _ arguments: [StoreValue]) throws -> (columns: [String], rows: [[StoreValue]], insertedID: Int64?) {
        try backend.execute(sql, arguments)
    }

    /// Many rows of one `INSERT ... VALUES (?, ...)` as multi-row inserts: one round trip per
    /// few hundred rows instead of one per row (a 60,000-row snapshot took a minute row by row).
    func runBatch(_ sql: String, _ rows: [[StoreValue]]) throws {
        guard let width = rows.first?.count, width > 0,
            let values = sql.range(of: "VALUES", options: .caseInsensitive),
            let open = sql[values.upperBound...].firstIndex(of: "("),
            let close = sql[open...].firstIndex(of: ")")
        else {
            for row in rows { _ = try run(sql, row) }
            return
        }
        var rows = rows
        // `INSERT OR REPLACE` row by row keeps the last row of a repeated key; one multi-row
        // statement may not touch a key twice, so only each key's last row is sent.
        if sql.uppercased().hasPrefix("INSERT OR REPLACE"),
            let table = PostgresBackend.insertTable(
                "INSERT INTO" + sql.dropFirst("INSERT OR REPLACE INTO".count)),
            let key = StoreMigrations.tables.first(where: { $0.name == table })?.key,
            let listOpen = sql.firstIndex(of: "("), let listClose = sql.firstIndex(of: ")")
        {
            let columns = sql[sql.index(after: listOpen)..<listClose].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let positions = key.compactMap { columns.firstIndex(of: $0) }
            if positions.count == key.count {
                var last: [[StoreValue]: Int] = [:]
                for (k, row) in rows.enumerated() { last[positions.map { row[$0] }] = k }
                rows = rows.enumerated().filter { item in last[positions.map { item.element[$0] }] == item.offset }.map(\.element)
            }
        }
        let head = String(sql[..<open]), tail = String(sql[sql.index(after: close)...])
        let tuple = "(" + Array(repeating: "?", count: width).joined(separator: ", ") + ")"
        let perStatement = max(1, min(500, 60_000 / width))
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(rows.count, start + perStatement)]
            let text = head + Array(repeating: tuple, count: chunk.count).joined(separator: ", ") + tail
            _ = try backend.execute(text, chunk.flatMap { $0 })
            start += perStatement
        }
    }
}

/// Runs async work to completion from synchronous code (the store's API is synchronous; the
/// interpreter calls it from its own thread, never from the cooperative pool).
final class BlockingBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}

func blocking<T>(_ operation: @escaping @Sendable () async throws -> T) throws -> T {
    let box = BlockingBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        do { box.result = .success(try await operation()) } catch { box.result = .failure(error) }
        done.signal()
    }
    done.wait()
    guard let result = box.result else {
        throw Diagnostic(.storeUnreadable, .error, "the QA store's server did not answer", file: "--store")
    }
    return try result.get()
}
