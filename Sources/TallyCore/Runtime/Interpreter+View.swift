import Foundation

/// A page of a table a run made, filtered and sorted (the live notebook's table view).
public struct TablePage: Sendable, Codable {
    public var table: String
    public var columns: [String]
    public var types: [String]
    public var rows: [[String?]]
    /// Rows after the filter, and in the table.
    public var total: Int
    public var all: Int
    public var offset: Int
    public var error: String?

    public init(table: String, columns: [String], types: [String], rows: [[String?]], total: Int, all: Int, offset: Int, error: String?) {
        self.table = table; self.columns = columns; self.types = types; self.rows = rows
        self.total = total; self.all = all; self.offset = offset; self.error = error
    }
}

extension Interpreter {
    /// The tables this run made, in the order their cells ran.
    public var tableNames: [String] {
        var names: [String] = []
        for cell in cells where cell.status != .notRun {
            if let t = cell.table, !names.contains(t), tables[t] != nil || lazyTables[t] != nil { names.append(t) }
        }
        return names
    }

    /// A table this run made, read back from the cell cache if it has not been yet.
    public func table(named name: String) -> Table? {
        if let t = tables[name] { return t }
        guard let key = lazyTables[name], let t = cache?.table(key) else { return nil }
        tables[name] = t
        lazyTables[name] = nil
        return t
    }

    /// Rows `offset ..< offset + limit` of a table, after `filter` (a condition in the playbook
    /// language) and sorted by `sort`. Columns whose values come from a column in `masks` show
    /// tokens made by `token`.
    public func page(_ name: String, filter: String?, sort: String?, descending: Bool, offset: Int, limit: Int,
                     masks: Set<String> = [], token: (String) -> String = { $0 }) -> TablePage {
        guard var data = table(named: name), let plan else {
            return TablePage(table: name, columns: [], types: [], rows: [], total: 0, all: 0, offset: 0, error: "no table \"\(name)\" in this run")
        }
        let all = data.rowCount
        if let filter, !filter.trimmingCharacters(in: .whitespaces).isEmpty {
            do {
                let parsed = try Parser.parse(source: "view = \(name) | filter \(filter)\n", file: "filter")
                guard case .assign(_, _, let steps)? = parsed.statements.first?.statement, let step = steps.first else {
                    throw Diagnostic(.error, "a condition, e.g. GradeLevelCode == \"KN\"", file: "filter")
                }
                var typer = StepCheckContext(file: "filter", tableName: name, params: plan.paramTypes,
                                             tables: tables.mapValues(\.schema))
                typer.tableName = name
                _ = try StepRegistry.schema(step, data.schema, typer)
                data = try StepRegistry.run(step, data, stepContext(name, plan)).0
            } catch let d as Diagnostic {
                return TablePage(table: name, columns: data.names, types: data.columns.map(\.type.rawValue), rows: [], total: 0,
                                 all: all, offset: 0, error: d.message + (d.help.map { " (\($0))" } ?? ""))
            } catch let list as DiagnosticList {
                return TablePage(table: name, columns: data.names, types: data.columns.map(\.type.rawValue), rows: [], total: 0,
                                 all: all, offset: 0, error: list.diagnostics.map(\.message).joined(separator: "; "))
            } catch {
                return TablePage(table: name, columns: data.names, types: [], rows: [], total: 0, all: all, offset: 0, error: "\(error)")
            }
        }
        var order = Array(0..<Int32(data.rowCount))
        if let sort, let column = data.column(sort) {
            order = data.sortPermutation([(column, descending)])
        }
        let from = max(0, min(offset, data.rowCount)), to = min(data.rowCount, from + max(0, limit))
        let lineage = lineage(name)
        let masked = data.names.map { !Lineage.of($0, in: lineage).union([$0]).isDisjoint(with: masks) }
        let rows = order[from..<to].map { r in
            data.columns.enumerated().map { k, c -> String? in
                c.isNull(Int(r)) ? nil : (masked[k] ? token(c.value(Int(r)).display) : c.value(Int(r)).display)
            }
        }
        // A pivot's column named after a masked value is shown by its token.
        let headers = data.names.enumerated().map { k, n in masked[k] && Lineage.of(n, in: lineage).contains(Lineage.header) ? token(n) : n }
        return TablePage(table: name, columns: headers, types: data.columns.map(\.type.rawValue), rows: rows,
                         total: data.rowCount, all: all, offset: from, error: nil)
    }
}
