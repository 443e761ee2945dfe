import Foundation
import TallyModel

extension QAStore {
    /// Records that a failing check of a run was reviewed. Later runs show it as acknowledged
    /// while its failing rows are the same.
    public func acknowledge(run id: Int64, check: String, reason: String, by: String, at date: Date) throws {
        try write { db in
            guard let run = try Row.fetchOne(db, sql: "SELECT playbook_path FROM run WHERE id = ?", arguments: [id]) else {
                throw Diagnostic(.notInLedger, .error, "no run \(id) in the ledger", file: path)
            }
            guard
                let checkRow = try Row.fetchOne(
                    db, sql: "SELECT failing_sha256, passed FROM run_check WHERE run_id = ? AND check_id = ?",
                    arguments: [id, check])
            else {
                let ids = try String.fetchAll(db, sql: "SELECT check_id FROM run_check WHERE run_id = ?", arguments: [id])
                throw Diagnostic(
                    .notInLedger, .error, "run \(id) has no check \"\(check)\"", file: path,
                    help: Suggest.help(for: check, in: ids, noun: "checks"))
            }
            if checkRow["passed"] as Bool {
                throw Diagnostic(.notInLedger, .error, "check \"\(check)\" passed in run \(id): nothing to acknowledge", file: path)
            }
            try db.execute(
                sql: """
                    INSERT INTO acknowledgement (playbook_path, check_id, failing_sha256, run_id, reason, acknowledged_by, acknowledged_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    run["playbook_path"] as String, check, checkRow["failing_sha256"] as String, id, reason, by,
                    QAStore.timestamp(date),
                ])
        }
    }

    /// The reason a check's current failure was acknowledged, if its failing rows are unchanged.
    public func acknowledgement(playbook: String, check: String, failingSHA256: String) throws -> String? {
        try read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT reason, acknowledged_by, run_id FROM acknowledgement
                        WHERE playbook_path = ? AND check_id = ? AND failing_sha256 = ? ORDER BY id DESC LIMIT 1
                        """, arguments: [playbook, check, failingSHA256])
            else { return nil }
            return "\(row["reason"] as String) (by \(row["acknowledged_by"] as String), run \(row["run_id"] as Int64))"
        }
    }

    /// Whether a check was acknowledged for some earlier failure (to say "new" when rows changed).
    public func wasAcknowledged(playbook: String, check: String) throws -> Bool {
        try read { db in
            try Bool.fetchOne(
                db, sql: "SELECT COUNT(*) > 0 FROM acknowledgement WHERE playbook_path = ? AND check_id = ?",
                arguments: [playbook, check]) ?? false
        }
    }
}
