import Foundation
import TallyModel

/// A stored snapshot: a table's rows by key, from one run.
public struct Snapshot: Sendable {
    public var id: Int64
    public var name: String
    public var runId: Int64?
    public var createdAt: String
    public var keys: [String]
    public var columns: [String]
    public var types: [DataType]
    /// Joined key → the row's values as text (nil = null), in `columns` order.
    public var rows: [String: [String?]]
}

extension QAStore {
    /// Stores a table's rows keyed by `keys` as a new snapshot named `name`.
    @discardableResult
    public func saveSnapshot(name: String, table: Table, keys: [String], runId: Int64?, at date: Date) throws -> Int64 {
        let keyColumns = keys.compactMap { table.column($0) }
        return try write { db in
            try db.execute(
                sql: """
                    INSERT INTO snapshot (name, run_id, created_at, keys, columns, types, row_count) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    name, runId, QAStore.timestamp(date), QAStore.json(keys), QAStore.json(table.names),
                    QAStore.json(table.columns.map { $0.type.rawValue }), table.rowCount,
                ])
            let id = db.lastInsertedRowID
            let statement = try db.makeStatement(sql: "INSERT OR REPLACE INTO snapshot_row (snapshot_id, key, row) VALUES (?, ?, ?)")
            for row in 0..<table.rowCount {
                let key = QAStore.joinKey(keyColumns.map { $0.isNull(row) ? "" : $0.value(row).display })
                let values: [String?] = table.columns.map { $0.isNull(row) ? nil : $0.value(row).display }
                try statement.execute(arguments: [id, key, QAStore.json(values)])
            }
            return id
        }
    }

    /// The latest snapshot of that name in the whole store, if any (for "did you mean" checks only:
    /// a diff takes its baseline from `baselineSnapshot`).
    public func latestSnapshot(name: String) throws -> Snapshot? {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM snapshot WHERE name = ? ORDER BY id DESC LIMIT 1", arguments: [name])
            else {
                return nil
            }
            return try QAStore.snapshot(row, db)
        }
    }

    static func snapshot(_ row: Row, _ db: Database) throws -> Snapshot {
        let id: Int64 = row["id"]
        var rows: [String: [String?]] = [:]
        for r in try Row.fetchAll(db, sql: "SELECT key, row FROM snapshot_row WHERE snapshot_id = ?", arguments: [id]) {
            rows[r["key"]] = QAStore.decode(r["row"]) ?? []
        }
        let typeNames: [String] = QAStore.decode(row["types"]) ?? []
        return Snapshot(
            id: id, name: row["name"], runId: row["run_id"], createdAt: row["created_at"],
            keys: QAStore.decode(row["keys"]) ?? [], columns: QAStore.decode(row["columns"]) ?? [],
            types: typeNames.map { DataType(rawValue: $0) ?? .text }, rows: rows)
    }

    public func snapshotNames() throws -> [String] {
        try read { db in try String.fetchAll(db, sql: "SELECT DISTINCT name FROM snapshot ORDER BY name") }
    }
}
