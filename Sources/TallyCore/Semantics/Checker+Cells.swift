import Foundation
import TallyModel

extension Checker {
    /// `show T [columns …] [where …] [limit N | all]`.
    func checkShow(_ index: Int, _ node: StatementNode, table: Name, columns: [Name], filter: Expr?, limit: Int?) {
        if let limit, limit < 0 { diagnostics.append(error(.badLiteral, "limit must be 0 or more", node.span)) }
        guard let schema = lookup(table) else { return }
        let ctx = StepCheckContext(file: file, tableName: table.text, params: paramTypes, tables: tables)
        for column in columns { record { _ = try ctx.requireColumn(column, in: schema) } }
        if let filter {
            record {
                let t = try typer((table.text, schema)).type(of: filter)
                if let t, t != .boolean {
                    throw error(.notBoolean, "show ... where needs a true/false condition; this is \(t.rawValue)", filter.span)
                }
            }
        }
    }

    /// `chart T bar|line Y by X` / `chart T histogram Y [bins N]`.
    func checkChart(_ node: StatementNode, table: Name, kind: ChartKind, y: Name, x: Name?) {
        guard let schema = lookup(table) else { return }
        let ctx = StepCheckContext(file: file, tableName: table.text, params: paramTypes, tables: tables)
        record {
            let type = try ctx.requireColumn(y, in: schema)
            // A bar's length, a line's height and a histogram's bins need numbers.
            guard type == .integer || type == .decimal else {
                let numbers = schema.columns.filter { $0.type == .integer || $0.type == .decimal }.map(\.name)
                throw error(
                    .notNumeric, "chart \(kind.rawValue) needs a numeric column to draw; \(y.text) is \(type.rawValue)", y.span,
                    help: kind == .histogram
                        ? "to count the rows per value of a text column: counts \(table.text) by \(y.text)"
                        : numbers.isEmpty
                            ? "count first: \(table.text)_n = \(table.text) | aggregate n = count() by \(x?.text ?? "COLUMN")"
                            : "numeric columns of \(table.text): \(numbers.prefix(8).joined(separator: ", "))")
            }
        }
        if let x { record { _ = try ctx.requireColumn(x, in: schema) } }
    }
}
