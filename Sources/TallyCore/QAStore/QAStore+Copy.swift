import Foundation
import TallyModel

/// Moving history between stores: `tally store copy FROM TO` (SQLite to PostgreSQL and back).
extension QAStore {
    /// Rows per table, in copy order.
    public func tableCounts() throws -> [(table: String, rows: Int)] {
        try read { db in
            try StoreMigrations.tables.map { t in (t.name, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(t.name)") ?? 0) }
        }
    }

    /// Copies every run, expected set, snapshot, acknowledgement, tracked error and report of
    /// this store into `target`, keeping their ids (so run 12 is run 12 in both), in one
    /// transaction on the target, then compares each table's row count. The target must hold no
    /// runs, expected sets or snapshots yet; its masking secret becomes this store's, so masked
    /// tokens in copied reports stay the same.
    public func copy(to target: QAStore) throws -> [(table: String, rows: Int)] {
        let busy = try target.tableCounts().filter {
            ["run", "expected_set", "snapshot", "acknowledgement"].contains($0.table) && $0.rows > 0
        }
        if let first = busy.first {
            throw Diagnostic(
                .storeNotEmpty, .error,
                "the target store already has \(first.rows) \(first.table) row\(first.rows == 1 ? "" : "s"); copy into a new, empty store",
                file: target.path, help: "create a new database (createdb) or pass a new SQLite file's path")
        }
        let counts = try tableCounts()
        try target.write { out in
            for (table, key) in StoreMigrations.tables {
                let rows = try read { db in try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY \(key.joined(separator: ", "))") }
                guard let first = rows.first else { continue }
                let columns = first.values.keys.sorted()
                let sql =
                    "INSERT OR REPLACE INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"
                let statement = try out.makeStatement(sql: sql)
                for row in rows { try statement.execute(arguments: StatementArguments(columns.map { row.values[$0] ?? .null })) }
                try statement.flush()
            }
            // PostgreSQL hands out the next ids from its sequences: move them past the copied ids.
            if target.kind == "PostgreSQL" {
                for table in StoreMigrations.serialTables.sorted() {
                    try out.execute(
                        sql:
                            "SELECT setval(pg_get_serial_sequence('\(table)', 'id'), COALESCE((SELECT MAX(id) FROM \(table)), 0) + 1, false)"
                    )
                }
            }
        }
        let copied = try target.tableCounts()
        for (source, result) in zip(counts, copied) where source.rows != result.rows {
            throw Diagnostic(
                .storeNotEmpty, .error, "the copy of \(source.table) has \(result.rows) rows, the source \(source.rows)", file: target.path)
        }
        return copied
    }
}
