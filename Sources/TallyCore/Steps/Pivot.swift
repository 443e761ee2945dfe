import TallyModel

/// `pivot values FUNC([EXPR]) by KEY, ... across COLUMN [in (VALUE, ...)]`: one row per key and
/// a column per value of COLUMN — the shape of a CDE report (a school per row, a grade per column).
///
/// For example: `| pivot values count() by SchoolOfAttendance across GradeLevelCode`.
/// The work is one hash aggregate by the keys and COLUMN; spreading its groups (schools × grades,
/// a few thousand rows at most) into columns is then cheap. Columns come in COLUMN's sort order
/// (null last, named `(missing)`), or in the order of the `in (...)` list, which also fixes the
/// columns at check time. A combination with no rows is 0 for count and count_distinct, null for
/// the others.
public struct PivotStep: StepKind {
    public static let keyword = "pivot"
    public static let usage = "pivot values FUNC(...) [by KEY, ...] across COLUMN [in (VALUE, ...)] — a column per value of COLUMN"
    static let missingName = "(missing)"
    var functionName: Name
    var argument: Expr?
    var by: [Name]
    var across: Name
    var columns: [Expr]?

    public static func parse(_ p: inout Parser) throws -> Self {
        _ = p.acceptKeyword("values")
        let function = try p.name("an aggregate function (count, count_distinct, sum, min, max, avg)")
        try p.expectSymbol("(")
        var argument: Expr? = nil
        if !p.current.isSymbol(")") { argument = try p.parseExpression() }
        try p.expectSymbol(")")
        let keys = p.acceptKeyword("by") ? try p.nameList("a key column (one row per key)") : []
        guard p.acceptKeyword("across") else {
            throw p.unexpected("\"across\" and the column whose values become columns (across GradeLevelCode)")
        }
        let across = try p.name("the column whose values become columns")
        var columns: [Expr]? = nil
        if p.acceptKeyword("in") {
            try p.expectSymbol("(")
            var items: [Expr] = []
            repeat { items.append(try p.parseExpression()) } while p.acceptSymbol(",")
            try p.expectSymbol(")")
            columns = items
        }
        return Self(functionName: function, argument: argument, by: keys, across: across, columns: columns)
    }

    public var tablesRead: [String] { ([argument].compactMap { $0 } + (columns ?? [])).flatMap(StepRegistry.tables(in:)) }

    public func lineage(_ ctx: LineageContext) -> ColumnLineage {
        var out: ColumnLineage = [:]
        for key in by { out[key.text] = ctx.of(key.text) }
        let keys = Set(by.map(\.text))
        // Each new column is named after a value of `across`.
        let named = ctx.of(across.text).union([Lineage.header])
        for name in ctx.output where !keys.contains(name) {
            switch functionName.text.lowercased() {
            case "min", "max": out[name] = (argument.map { ctx.sources($0) } ?? []).union([name]).union(named)
            case "count", "count_distinct", "sum": out[name] = named.union([name, ReportPrivacy.countMarker])
            default: out[name] = named.union([name])
            }
        }
        return out
    }

    /// The fixed columns of an `in (...)` list, checked against the across column's type.
    static func listed(_ items: [Expr], _ acrossType: DataType, _ ctx: StepCheckContext) throws -> [String] {
        var names: [String] = []
        for item in items {
            guard case .literal(let value) = item.kind, let t = value.type else {
                throw ctx.error(.badArguments, "pivot's in (...) lists values, e.g. in (\"KN\", \"01\", \"02\")", item.span)
            }
            guard t.isComparable(with: acrossType) else {
                throw ctx.error(.mismatchedTypes, "this is \(t.rawValue), but the pivot column is \(acrossType.rawValue)", item.span)
            }
            let name = value.display
            if names.contains(name) { throw ctx.error(.duplicateName, "\"\(name)\" is listed twice", item.span) }
            names.append(name)
        }
        return names
    }

    public func schema(_ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        var fields: [Schema.Field] = []
        for key in by {
            fields.append(Schema.Field(name: key.text, type: try ctx.requireColumn(key, in: input)))
            if key.text == across.text {
                throw ctx.error(
                    .duplicateName, "\"\(across.text)\" is both a key and the pivot column", across.span,
                    help: "leave it out of by: its values become the columns")
            }
        }
        let acrossType = try ctx.requireColumn(across, in: input)
        let (_, valueType) = try AggregateStep.typed(functionName, argument, input, ctx, textHelp: false)
        guard let columns else { return Schema(columns: fields, open: valueType) }
        for name in try Self.listed(columns, acrossType, ctx) {
            if fields.contains(where: { $0.name == name }) {
                throw ctx.error(
                    .duplicateName, "the pivot would make a second column \"\(name)\"", across.span, help: "rename the key column first")
            }
            fields.append(Schema.Field(name: name, type: valueType))
        }
        return Schema(columns: fields)
    }

    public func run(_ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult) {
        guard let f = AggregateFunction(rawValue: functionName.text.lowercased()) else {
            throw Diagnostic(
                .unknownFunction, "unknown aggregate function \"\(functionName.text)\"", file: ctx.file, span: functionName.span)
        }
        let keys = by.map(\.text)
        let valueName = "\u{1}value", rowsName = "\u{1}rows"
        var specs = [
            Table.AggregateSpec(name: valueName, function: f, input: try argument.map { try ctx.evaluator(input).evaluate($0) }),
            Table.AggregateSpec(name: rowsName, function: .count, input: nil),
        ]
        if f == .count && argument == nil { specs.removeLast() }
        let groups = input.aggregate(by: keys + [across.text], specs)
        guard let acrossColumn = groups.column(across.text), let values = groups.column(valueName) else {
            throw Diagnostic(.internal, "internal: pivot lost its columns", file: ctx.file, span: across.span)
        }
        let rows = groups.column(rowsName) ?? values
        let keyColumns = keys.compactMap { groups.column($0) }

        // The output columns: listed, or every value found, in sort order with null last.
        func label(_ row: Int) -> String { acrossColumn.isNull(row) ? Self.missingName : acrossColumn.value(row).display }
        var names: [String]
        var leftOut: [String: Int] = [:]
        if let columns {
            names = columns.compactMap {
                if case .literal(let v) = $0.kind { return v.display }; return nil
            }
        } else {
            var seen: [String: Value] = [:]
            for row in 0..<groups.rowCount where seen[label(row)] == nil { seen[label(row)] = acrossColumn.value(row) }
            names = seen.keys.sorted { a, b in
                let va = seen[a] ?? .null, vb = seen[b] ?? .null
                if va.isNull != vb.isNull { return vb.isNull }
                let c = Value.compare(va, vb)
                return c != 0 ? c < 0 : a < b
            }
            // Grade codes as grades: TK, KN, 01 … 12 (as text KN and TK came after 12).
            let found = names.filter { !(seen[$0]?.isNull ?? true) }
            if GradeOrder.areGrades(found) {
                names = found.sorted(by: GradeOrder.precedes) + names.filter { seen[$0]?.isNull ?? true }
            }
        }
        if let clash = names.first(where: { keys.contains($0) }) {
            throw Diagnostic(
                .duplicateName, "the pivot would make a second column \"\(clash)\" (a value of \(across.text) that is also a key's name)",
                file: ctx.file, span: across.span, help: "rename the key column first")
        }
        let slot = Dictionary(names.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { a, _ in a })

        // Groups come out sorted by the keys, so each key's groups are adjacent.
        var firstRows: [Int32] = []
        var cells: [[Value]] = Array(repeating: [], count: names.count)
        let empty: Value = (f == .count || f == .countDistinct) ? .integer(0) : .null
        for row in 0..<groups.rowCount {
            let newKey =
                row == 0
                || keyColumns.contains { Value.compare($0.value(row), $0.value(row - 1)) != 0 || $0.isNull(row) != $0.isNull(row - 1) }
            if newKey {
                firstRows.append(Int32(row))
                for k in cells.indices { cells[k].append(empty) }
            }
            let name = label(row)
            guard let k = slot[name] else {
                leftOut[name, default: 0] += Int(rows.value(row).doubleValue ?? 0)
                continue
            }
            cells[k][cells[k].count - 1] = values.value(row)
        }
        var outNames = keys
        var outColumns = keyColumns.map { $0.gather(firstRows) }
        for (k, name) in names.enumerated() {
            var builder = ColumnBuilder(type: values.type, capacity: firstRows.count)
            for v in cells[k] { builder.append(v) }
            outNames.append(name)
            outColumns.append(builder.build())
        }
        let output = Table(names: outNames, columns: outColumns, provenance: .none(count: firstRows.count))
        var result = StepResult(keyword: "pivot", rowsIn: input.rowCount, rowsOut: output.rowCount)
        let shown = names.prefix(12).joined(separator: ", ") + (names.count > 12 ? ", …" : "")
        result.notes = ["\(Format.plural(names.count, "column")) from \(across.text): \(shown)"]
        if !leftOut.isEmpty {
            let total = leftOut.values.reduce(0, +)
            let which = leftOut.keys.sorted().prefix(8).joined(separator: ", ")
            result.notes.append("warning: \(Format.plural(total, "row")) left out, \(across.text) not in the list: \(which)")
        }
        return (output, result)
    }
}
