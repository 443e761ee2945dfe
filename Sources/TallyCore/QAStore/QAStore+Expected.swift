import Foundation
import TallyModel

/// One version of an expected set.
public struct ExpectedSetInfo: Sendable, Codable, Equatable {
    public var name: String
    public var version: Int
    public var keys: [String]
    public var valueName: String
    public var createdAt: String
    public var createdBy: String
    public var sourcePath: String
    public var sourceSHA256: String
    public var rowCount: Int
}

extension QAStore {
    /// Stores a new version of an expected set; earlier versions are kept.
    @discardableResult
    public func importExpected(
        name: String, keys: [String], valueName: String, rows: [(key: [String], value: Double)],
        sourcePath: String, sourceSHA256: String, createdBy: String, at date: Date
    ) throws -> Int {
        // One value per key: a repeated key would silently keep only its last value.
        var seen = Set<String>()
        for row in rows where !seen.insert(QAStore.joinKey(row.key)).inserted {
            throw Diagnostic(
                .unexpectedToken, .error, "expected \"\(name)\": the key \(row.key.joined(separator: ", ")) appears more than once",
                file: sourcePath)
        }
        return try write { db in
            let version = (try Int.fetchOne(db, sql: "SELECT MAX(version) FROM expected_set WHERE name = ?", arguments: [name]) ?? 0) + 1
            try db.execute(
                sql: """
                    INSERT INTO expected_set (name, version, keys, value_name, created_at, created_by, source_path, source_sha256, row_count)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    name, version, QAStore.joinKey(keys), valueName, QAStore.timestamp(date), createdBy,
                    sourcePath, sourceSHA256, rows.count,
                ])
            let id = db.lastInsertedRowID
            let statement = try db.makeStatement(sql: "INSERT OR REPLACE INTO expected_value (set_id, key, value) VALUES (?, ?, ?)")
            for row in rows { try statement.execute(arguments: [id, QAStore.joinKey(row.key), row.value]) }
            return version
        }
    }

    /// The latest version of every expected set (with how many versions exist).
    public func expectedSets() throws -> [(info: ExpectedSetInfo, versions: Int)] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT s.*, (SELECT COUNT(*) FROM expected_set t WHERE t.name = s.name) AS versions
                    FROM expected_set s WHERE s.version = (SELECT MAX(version) FROM expected_set t WHERE t.name = s.name)
                    ORDER BY s.name
                    """
            ).map { (QAStore.setInfo($0), $0["versions"]) }
        }
    }

    public func expectedNames() throws -> [String] {
        try read { db in try String.fetchAll(db, sql: "SELECT DISTINCT name FROM expected_set ORDER BY name") }
    }

    /// An expected set's info and values (`version` nil = the latest).
    public func expected(name: String, version: Int?) throws -> (info: ExpectedSetInfo, values: [(key: [String], value: Double)])? {
        try read { db in
            let row: Row?
            if let version {
                row = try Row.fetchOne(db, sql: "SELECT * FROM expected_set WHERE name = ? AND version = ?", arguments: [name, version])
            } else {
                row = try Row.fetchOne(
                    db, sql: "SELECT * FROM expected_set WHERE name = ? ORDER BY version DESC LIMIT 1", arguments: [name])
            }
            guard let row else { return nil }
            let id: Int64 = row["id"]
            let values = try Row.fetchAll(db, sql: "SELECT key, value FROM expected_value WHERE set_id = ? ORDER BY key", arguments: [id])
                .map { (QAStore.splitKey($0["key"]), $0["value"] as Double) }
            return (QAStore.setInfo(row), values)
        }
    }

    static func setInfo(_ row: Row) -> ExpectedSetInfo {
        ExpectedSetInfo(
            name: row["name"], version: row["version"], keys: splitKey(row["keys"]), valueName: row["value_name"],
            createdAt: row["created_at"], createdBy: row["created_by"], sourcePath: row["source_path"],
            sourceSHA256: row["source_sha256"], rowCount: row["row_count"])
    }
}
