import Foundation
import TallyModel

extension Checker {
    /// `save T.COL as expected …`: the store, the column (a number) and its keys.
    func checkSave(_ node: StatementNode, table: Name, column: Name, by: [Name]) {
        guard store != nil else { diagnostics.append(error(.storeNeeded, "save needs the QA store", node.span)); return }
        guard let schema = lookup(table) else { return }
        let ctx = StepCheckContext(file: file, tableName: table.text, params: paramTypes, tables: tables)
        record {
            let t = try ctx.requireColumn(column, in: schema)
            guard t.isNumeric else {
                throw error(.notNumeric, "save needs a number column; \(table.text).\(column.text) is \(t.rawValue)", column.span)
            }
            for key in by { _ = try ctx.requireColumn(key, in: schema) }
        }
    }

    /// `track T`: the store, and a table of CALPADS errors.
    func checkTrack(_ node: StatementNode, table: Name) {
        guard let schema = lookup(table) else { return }
        record {
            guard schema.contains("ErrorCode") || schema.contains(CalpadsReturns.ruleColumn) else {
                throw error(
                    .missingKeyColumn,
                    "\(table.text) has no ErrorCode column: track a table loaded as calpads errors or calpads SENR rejected", table.span
                )
            }
            guard schema.contains("LocalRecordID") || schema.contains("SSID") else {
                throw error(.missingKeyColumn, "\(table.text) has no LocalRecordID or SSID column to tell its errors apart", table.span)
            }
        }
    }

    /// `snapshot T by K as "NAME"`: the store, the keys and the scope.
    func checkSnapshot(_ node: StatementNode, table: Name, by: [Name], scope: [Name]?) {
        guard store != nil else { diagnostics.append(error(.storeNeeded, "snapshot needs the QA store", node.span)); return }
        if let bad = scopeError(scope) { diagnostics.append(bad); return }
        guard let schema = lookup(table) else { return }
        let ctx = StepCheckContext(file: file, tableName: table.text, params: paramTypes, tables: tables)
        record { for key in by { _ = try ctx.requireColumn(key, in: schema) } }
    }
}
