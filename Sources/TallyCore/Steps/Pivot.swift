/// `pivot values FUNC([EXPR]) by KEY, ... across COLUMN [in (VALUE, ...)]`: one row per key and
/// a column per value of COLUMN — the shape of a CDE report (a school per row, a grade per column).
///
/// For example: `| pivot values count() by SchoolOfAttendance across GradeLevelCode`.
/// The work is one hash aggregate by the keys and COLUMN; spreading its groups (schools × grades,
/// a few thousand rows at most) into columns is then cheap. Columns come in COLUMN's sort order
/// (null last, named `(missing)`), or in the order of the `in (...)` list, which also fixes the
/// columns at check time. A combination with no rows is 0 for count and count_distinct, null for
/// the others.
enum PivotStep {
    static let missingName = "(missing)"

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

    static func schema(_ functionName: Name, _ argument: Expr?, _ by: [Name], _ across: Name, _ columns: [Expr]?,
                       _ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        var fields: [Schema.Field] = []
        for key in by {
            fields.append(Schema.Field(name: key.text, type: try ctx.requireColumn(key, in: input)))
            if key.text == across.text {
                throw ctx.error(.duplicateName, "\"\(across.text)\" is both a key and the pivot column", across.span,
                                help: "leave it out of by: its values become the columns")
            }
        }
        let acrossType = try ctx.requireColumn(across, in: input)
        let (_, valueType) = try AggregateStep.typed(functionName, argument, input, ctx, textHelp: false)
        guard let columns else { return Schema(columns: fields, open: valueType) }
        for name in try listed(columns, acrossType, ctx) {
            if fields.contains(where: { $0.name == name }) {
                throw ctx.error(.duplicateName, "the pivot would make a second column \"\(name)\"", across.span, help: "rename the key column first")
            }
            fields.append(Schema.Field(name: name, type: valueType))
        }
        return Schema(columns: fields)
    }

    static func run(_ functionName: Name, _ argument: Expr?, _ by: [Name], _ across: Name, _ columns: [Expr]?,
                    _ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult) {
        guard let f = AggregateFunction(rawValue: functionName.text.lowercased()) else {
            throw Diagnostic(.unknownFunction, "unknown aggregate function \"\(functionName.text)\"", file: ctx.file, span: functionName.span)
        }
        let keys = by.map(\.text)
        let valueName = "\u{1}value", rowsName = "\u{1}rows"
        var specs = [Table.AggregateSpec(name: valueName, function: f, input: try argument.map { try ctx.evaluator(input).evaluate($0) }),
                     Table.AggregateSpec(name: rowsName, function: .count, input: nil)]
        if f == .count && argument == nil { specs.removeLast() }
        let groups = input.aggregate(by: keys + [across.text], specs)
        guard let acrossColumn = groups.column(across.text), let values = groups.column(valueName) else {
            throw Diagnostic(.internal, "internal: pivot lost its columns", file: ctx.file, span: across.span)
        }
        let rows = groups.column(rowsName) ?? values
        let keyColumns = keys.compactMap { groups.column($0) }

        // The output columns: listed, or every value found, in sort order with null last.
        func label(_ row: Int) -> String { acrossColumn.isNull(row) ? missingName : acrossColumn.value(row).display }
        var names: [String]
        var leftOut: [String: Int] = [:]
        if let columns {
            names = columns.compactMap { if case .literal(let v) = $0.kind { return v.display }; return nil }
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
            throw Diagnostic(.duplicateName, "the pivot would make a second column \"\(clash)\" (a value of \(across.text) that is also a key's name)",
                             file: ctx.file, span: across.span, help: "rename the key column first")
        }
        let slot = Dictionary(names.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { a, _ in a })

        // Groups come out sorted by the keys, so each key's groups are adjacent.
        var firstRows: [Int32] = []
        var cells: [[Value]] = Array(repeating: [], count: names.count)
        let empty: Value = (f == .count || f == .countDistinct) ? .integer(0) : .null
        for row in 0..<groups.rowCount {
            let newKey = row == 0 || keyColumns.contains { Value.compare($0.value(row), $0.value(row - 1)) != 0 || $0.isNull(row) != $0.isNull(row - 1) }
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

/// `unpivot COL, ... into NAME, VALUE` (or `unpivot all except KEY, ... into NAME, VALUE`): each
/// listed column becomes a row holding its name and value, the other columns repeated — a CDE
/// report's grade columns back into one row per school and grade.
///
/// Rows come out input row by input row, the columns in the order listed (for `all except`,
/// the table's order), and keep their source file and line.
enum UnpivotStep {
    static func turned(_ columns: [Name], _ except: Bool, _ names: [String]) -> [String] {
        except ? names.filter { n in !columns.contains { $0.text == n } } : columns.map(\.text)
    }

    static func schema(_ columns: [Name], _ except: Bool, _ into: Name, _ value: Name, _ input: Schema,
                       _ ctx: StepCheckContext) throws -> Schema {
        for column in columns { _ = try ctx.requireColumn(column, in: input) }
        let turnedNames = turned(columns, except, input.names)
        var valueType: DataType? = except ? input.open : nil
        for name in turnedNames {
            guard let t = input.type(of: name) else { continue }
            guard let v = valueType else { valueType = t; continue }
            guard v.isComparable(with: t) else {
                let at = columns.first { $0.text == name }?.span ?? into.span
                throw ctx.error(.mismatchedTypes, "unpivot puts \"\(name)\" (\(t.rawValue)) in one column with \(v.rawValue) values", at,
                                help: "unpivot columns of one type, or convert them first with derive")
            }
            if v != t { valueType = .decimal }
        }
        if turnedNames.isEmpty && input.open == nil {
            throw ctx.error(.badArguments, "unpivot has no columns to turn into rows", into.span)
        }
        // The columns kept beside the two new ones, in the table's order.
        var fields = input.columns.filter { !turnedNames.contains($0.name) }
        if except, let open = input.open {
            for column in columns where !input.contains(column.text) { fields.append(Schema.Field(name: column.text, type: open)) }
        }
        for name in [into, value] {
            if fields.contains(where: { $0.name == name.text }) {
                throw ctx.error(.duplicateName, "table \"\(ctx.tableName)\" already has a column \"\(name.text)\"", name.span)
            }
        }
        if into.text == value.text { throw ctx.error(.duplicateName, "the two new columns need different names", value.span) }
        fields.append(Schema.Field(name: into.text, type: .text))
        fields.append(Schema.Field(name: value.text, type: valueType ?? .integer))
        // A listed unpivot of an open table keeps its unlisted columns, which are not known yet.
        return Schema(columns: fields, open: except ? nil : input.open)
    }

    static func run(_ columns: [Name], _ except: Bool, _ into: Name, _ value: Name, _ input: Table,
                    _ ctx: StepRunContext) throws -> (Table, StepResult) {
        let turnedNames = turned(columns, except, input.names)
        let kept = input.names.filter { !turnedNames.contains($0) }
        let n = input.rowCount, k = turnedNames.count
        var parts = turnedNames.compactMap { input.column($0) }
        guard parts.count == k, k > 0 else {
            throw Diagnostic(.badArguments, "unpivot has no columns to turn into rows", file: ctx.file, span: into.span)
        }
        // One value type: integers beside decimals become decimals.
        if Set(parts.map(\.type)).count > 1 { parts = parts.map { $0.converted(to: .decimal) ?? $0 } }
        guard Set(parts.map(\.type)).count == 1 else {
            throw Diagnostic(.mismatchedTypes, "unpivot puts columns of different types in one column: " +
                             zip(turnedNames, parts).map { "\($0.0) (\($0.1.type.rawValue))" }.joined(separator: ", "),
                             file: ctx.file, span: into.span, help: "convert them first with derive")
        }
        // Output row r = i * k + j is input row i, column j.
        let repeatRows = [Int32](unsafeUninitializedCapacity: n * k) { out, count in
            for i in 0..<n { for j in 0..<k { out[i * k + j] = Int32(i) } }
            count = n * k
        }
        let stacked = parts.dropFirst().reduce(parts[0]) { $0.appending($1) }
        let interleave = [Int32](unsafeUninitializedCapacity: n * k) { out, count in
            for i in 0..<n { for j in 0..<k { out[i * k + j] = Int32(j * n + i) } }
            count = n * k
        }
        let nameCodes = [Int32](unsafeUninitializedCapacity: n * k) { out, count in
            for i in 0..<n { for j in 0..<k { out[i * k + j] = Int32(j) } }
            count = n * k
        }
        var names = kept
        var out = kept.compactMap { input.column($0)?.gather(repeatRows) }
        names += [into.text, value.text]
        out.append(Column(data: .text(codes: nameCodes, dictionary: TextDictionary(distinct: turnedNames)), validity: nil))
        out.append(stacked.gather(interleave))
        let output = Table(names: names, columns: out, provenance: input.provenance.gather(repeatRows))
        var result = StepResult(keyword: "unpivot", rowsIn: n, rowsOut: output.rowCount)
        result.notes = ["\(Format.plural(k, "column")) turned into rows: " + turnedNames.prefix(12).joined(separator: ", ") + (k > 12 ? ", …" : "")]
        return (output, result)
    }
}
