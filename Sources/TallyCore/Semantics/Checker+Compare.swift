import Foundation
import TallyModel

extension Checker {
    /// A `compare`: the table, its column and keys, the target (expected set, previous run, column), and the table `as NAME` makes.
    func checkCompare(_ index: Int, _ node: StatementNode, table: Name, column: Name, target: CompareTarget, by: [Name], alias: Name?) {
        guard let schema = lookup(table) else { return }
        record {
            let t = try StepCheckContext(file: file, tableName: table.text, params: paramTypes, tables: tables)
                .requireColumn(column, in: schema)
            guard t.isNumeric else {
                throw error(.notNumeric, "compare needs a number column; \(table.text).\(column.text) is \(t.rawValue)", column.span)
            }
            for key in by {
                _ = try StepCheckContext(file: file, tableName: table.text, params: paramTypes, tables: tables).requireColumn(
                    key, in: schema)
            }
            switch target {
            case .column(let other, let otherColumn):
                guard let otherSchema = tables[other.text] else {
                    throw error(
                        .unknownTable, "unknown table \"\(other.text)\"", other.span,
                        help: Suggest.help(for: other.text, in: tables.keys.sorted(), noun: "tables"))
                }
                let ctx = StepCheckContext(file: file, tableName: other.text, params: paramTypes, tables: tables)
                let u = try ctx.requireColumn(otherColumn, in: otherSchema)
                guard u.isNumeric else {
                    throw error(.notNumeric, "\(other.text).\(otherColumn.text) is \(u.rawValue), not a number", otherColumn.span)
                }
                for key in by {
                    let a = schema.type(of: key.text), b = try ctx.requireColumn(key, in: otherSchema)
                    if let a, !a.isComparable(with: b) {
                        throw error(
                            .mismatchedTypes,
                            "key \"\(key.text)\" is \(a.rawValue) in \(table.text) but \(b.rawValue) in \(other.text)", key.span)
                    }
                }
            case .expected(let expectedName, let version):
                guard let store else {
                    throw error(.storeNeeded, "compare with expected needs the QA store", node.span, help: "run without --no-store")
                }
                guard let set = try store.expected(name: expectedName, version: version) else {
                    let names = try store.expectedNames()
                    throw error(
                        .notInLedger, "no expected set \"\(expectedName)\"\(version.map { " version \($0)" } ?? "") in \(store.path)",
                        node.span,
                        help: Suggest.help(for: expectedName, in: names, noun: "expected sets")
                            ?? "import one: tally expected import FILE --name \(expectedName) --keys \(by.map(\.text).joined(separator: ",")) --value \(column.text)"
                    )
                }
                if set.info.keys.count != by.count {
                    throw error(
                        .notInLedger,
                        "expected set \"\(expectedName)\" is keyed by \(set.info.keys.joined(separator: ", ")); compare gives \(by.count) key\(by.count == 1 ? "" : "s")",
                        node.span, help: "compare by \(set.info.keys.count) columns, in the same order")
                }
            case .previousRun:
                guard store != nil else { throw error(.storeNeeded, "compare with previous run needs the QA store", node.span) }
            case .run(let label):
                guard let store else { throw error(.storeNeeded, "compare with a labelled run needs the QA store", node.span) }
                if try store.labelledRun(playbook: playbook.file, label: label) == nil {
                    throw error(
                        .notInLedger, "no run of \(playbook.file) is labelled \"\(label)\" in \(store.path)", node.span,
                        help: "label one with: tally runs label RUN_ID \(label)")
                }
            }
            var valueType = DataType.decimal
            if case .column(let other, let otherColumn) = target, t == .integer,
                tables[other.text]?.type(of: otherColumn.text) == .integer
            {
                valueType = .integer
            }
            if let alias {
                define(
                    alias, Checker.comparisonSchema(by.map(\.text), schema, keyTypesFrom: schema, valueType: valueType), index: index)
            }
        }
    }
}
