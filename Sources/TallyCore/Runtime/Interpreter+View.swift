import Foundation
import TallyModel

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

    /// A table as the notebook shows it: with masks, every column made from a masked one (by
    /// lineage) as tokens, a pivot's masked headers too, `validate` values of masked fields and,
    /// with SSID masked, ten-digit numbers in text — the masking a workbook export gets. Made
    /// once per table and privacy (tokenising is an HMAC per value).
    public func shownTable(_ name: String, privacy: ReportPrivacy) -> Table? {
        if let kept = shownTables[name], kept.masks == privacy.masks, kept.key == privacy.key { return kept.table }
        guard let raw = table(named: name) else { return nil }
        let shown = privacy.isEmpty ? raw : Interpreter.masked(raw, lineage: lineage(name), privacy)
        shownTables[name] = (privacy.masks, privacy.key, shown)
        return shown
    }

    /// `privacy.apply(table, lineage:)` — the same tokens, headers and ten-digit replacements —
    /// without writing every cell out as text first: a column masked whole is tokenised once per
    /// distinct value and keeps the other columns as they are. Columns whose sensitivity varies
    /// by row (`validate` findings, `diff` changes) and suppression take the general path.
    static func masked(_ table: Table, lineage: ColumnLineage, _ privacy: ReportPrivacy) -> Table {
        let lists = Lineage.list(table.names, lineage)
        let perRow: Set<String> = [Lineage.fieldValue, Lineage.fieldText, Lineage.changes]
        if privacy.suppressBelow != nil || lists.contains(where: { !perRow.isDisjoint(with: $0) }) {
            return privacy.apply(table, lineage: lineage).table
        }
        var names = table.names, columns = table.columns
        for k in columns.indices {
            if privacy.isMasked(lists[k]) {
                if lists[k].contains(Lineage.header) { names[k] = privacy.token(names[k]) }
                columns[k] = mapped(columns[k], privacy.token)
            } else if privacy.masks.contains("SSID"), columns[k].type == .text {
                columns[k] = mapped(columns[k], privacy.replaceTenDigitNumbers)
            }
        }
        return Table(names: names, columns: columns, provenance: table.provenance)
    }

    /// A text column of `transform` of each value's text, computed once per distinct value.
    static func mapped(_ column: Column, _ transform: (String) -> String) -> Column {
        let dictionary = TextDictionary()
        var codes = [Int32](repeating: 0, count: column.count)
        if case .text(let old, let values) = column.data {
            var done = [Int32](repeating: -1, count: values.count)
            for r in 0..<column.count where !column.isNull(r) {
                let c = Int(old[r])
                if done[c] < 0 { done[c] = dictionary.intern(transform(values[old[r]])) }
                codes[r] = done[c]
            }
        } else {
            var done: [String: Int32] = [:]
            for r in 0..<column.count where !column.isNull(r) {
                let value = column.value(r).display
                if done[value] == nil { done[value] = dictionary.intern(transform(value)) }
                codes[r] = done[value] ?? 0
            }
        }
        return Column(data: .text(codes: codes, dictionary: dictionary), validity: column.validity)
    }

    /// Rows `offset ..< offset + limit` of a table as the notebook shows it (`shownTable`), after
    /// `filter` (a condition in the playbook language) and sorted by `sort`. The filter and the
    /// sort see only that table — masked columns are text tokens, a pivot's masked headers are
    /// their tokens — and no other table, so no raw masked value can choose which rows come back
    /// or their order: a range filter on a masked SSID compares tokens, not IDs.
    public func page(
        _ name: String, privacy: ReportPrivacy, filter: String?, sort: String?, descending: Bool,
        offset: Int, limit: Int
    ) -> TablePage {
        guard var data = shownTable(name, privacy: privacy), let plan else {
            return TablePage(
                table: name, columns: [], types: [], rows: [], total: 0, all: 0, offset: 0, error: "no table \"\(name)\" in this run")
        }
        let all = data.rowCount
        if let filter, !filter.trimmingCharacters(in: .whitespaces).isEmpty {
            do {
                let parsed = try Parser.parse(source: "view = \(name) | filter \(filter)\n", file: "filter")
                guard case .assign(_, _, let steps)? = parsed.statements.first?.statement, let step = steps.first,
                    let filter = step.step as? FilterStep
                else {
                    throw Diagnostic(.badArguments, .error, "a condition, e.g. GradeLevelCode == \"KN\"", file: "filter")
                }
                // Only this table is in scope: `T.c` of another (raw) table is unknown here.
                let scope = [name: data]
                let typer = StepCheckContext(file: "filter", tableName: name, params: plan.paramTypes, tables: scope.mapValues(\.schema))
                _ = try StepRegistry.schema(step, data.schema, typer)
                let context = StepRunContext(
                    file: "filter", tableName: name, params: plan.params, paramTypes: plan.paramTypes,
                    tables: scope, clock: options.clock, services: nil)
                data = try filter.run(data, context).0
            } catch let d as Diagnostic {
                return TablePage(
                    table: name, columns: data.names, types: data.columns.map(\.type.rawValue), rows: [], total: 0,
                    all: all, offset: 0, error: d.message + (d.help.map { " (\($0))" } ?? ""))
            } catch let list as DiagnosticList {
                return TablePage(
                    table: name, columns: data.names, types: data.columns.map(\.type.rawValue), rows: [], total: 0,
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
        let rows = order[from..<to].map { r in
            data.columns.map { c -> String? in c.isNull(Int(r)) ? nil : c.value(Int(r)).display }
        }
        return TablePage(
            table: name, columns: data.names, types: data.columns.map(\.type.rawValue), rows: rows,
            total: data.rowCount, all: all, offset: from, error: nil)
    }
}
