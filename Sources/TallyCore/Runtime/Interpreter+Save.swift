import Foundation
import TallyModel

extension Interpreter {
    /// `save T.COL as expected "NAME" by K`: a new version of the expected set, written when the run completes.
    func runSave(_ index: Int, _ node: StatementNode, table: Name, column: Name, expected: String, by: [Name]) throws -> CellResult {
        guard let store, let data = tables[table.text], let values = data.column(column.text) else {
            throw Diagnostic(.storeNeeded, "save needs the QA store", file: file, line: node.line)
        }
        let keyColumns = by.compactMap { data.column($0.text) }
        // Rows with the same key are added, as compare adds the actual side.
        var rows: [(key: [String], value: Double)] = []
        var position: [String: Int] = [:]
        var summed = 0
        for row in 0..<data.rowCount {
            guard let v = values.value(row).doubleValue else { continue }
            let key = keyColumns.map { $0.isNull(row) ? "" : $0.value(row).display }
            if let at = position[QAStore.joinKey(key)] {
                rows[at].value += v; summed += 1
            } else {
                position[QAStore.joinKey(key)] = rows.count
                rows.append((key, v))
            }
        }
        let source = playbook.file, sha = playbookSHA256, user = QAStore.currentUser, now = options.now()
        pendingWrites.append { _ in
            try store.importExpected(
                name: expected, keys: by.map(\.text), valueName: column.text, rows: rows,
                sourcePath: source, sourceSHA256: sha, createdBy: user, at: now)
        }
        var cell = CellResult(index: index, node: node, kind: .save)
        cell.rowsIn = data.rowCount
        cell.notes = [
            "\(Format.plural(rows.count, "value")) saved as a new version of expected \"\(expected)\" when the run completes"
                + (summed > 0 ? " (\(Format.plural(summed, "row")) added to another row with the same key)" : "")
        ]
        return cell
    }

    /// `snapshot T by K as "NAME"`: the table kept in the store when the run completes (its key must be unique).
    func runSnapshot(_ index: Int, _ node: StatementNode, table: Name, by: [Name], name: String) throws -> CellResult {
        guard let store, let data = tables[table.text] else {
            throw Diagnostic(.storeNeeded, "snapshot needs the QA store", file: file, line: node.line)
        }
        let keys = by.map(\.text), now = options.now()
        // A key that is not unique would make every later diff count the wrong rows as changed.
        try Interpreter.requireUnique(
            data, by: keys, what: "snapshot \"\(name)\"", file: file,
            span: by.first.map { $0.span.through(by.last?.span ?? $0.span) } ?? node.span)
        pendingWrites.append { runId in _ = try store.saveSnapshot(name: name, table: data, keys: keys, runId: runId, at: now) }
        var cell = CellResult(index: index, node: node, kind: .snapshot)
        cell.rowsIn = data.rowCount
        cell.notes = ["\(Format.plural(data.rowCount, "row")) kept as snapshot \"\(name)\" when the run completes"]
        return cell
    }
}
