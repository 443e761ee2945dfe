import TallyModel

/// `unpivot COL, ... into NAME, VALUE` (or `unpivot all except KEY, ... into NAME, VALUE`): each
/// listed column becomes a row holding its name and value, the other columns repeated — a CDE
/// report's grade columns back into one row per school and grade.
///
/// Rows come out input row by input row, the columns in the order listed (for `all except`,
/// the table's order), and keep their source file and line.
public struct UnpivotStep: StepKind {
    public static let keyword = "unpivot"
    public static let usage = "unpivot COL, ... into NAME, VALUE / unpivot all except KEY, ... into NAME, VALUE — columns back into rows"
    var columns: [Name]
    var except: Bool
    var into: Name
    var value: Name

    public static func parse(_ p: inout Parser) throws -> Self {
        var except = false
        if p.current.identifierText?.lowercased() == "all", p.peek().isKeyword("except") {
            _ = p.advance(); _ = p.advance()
            except = true
        }
        let columns = try p.nameList(except ? "a column to keep" : "a column to turn into rows")
        guard p.acceptKeyword("into") else {
            throw p.unexpected("\"into\" and the two new columns' names (into GradeLevelCode, students)")
        }
        let key = try p.name("the new column of former column names")
        try p.expectSymbol(",")
        let value = try p.name("the new column of their values")
        return Self(columns: columns, except: except, into: key, value: value)
    }

    public var tablesRead: [String] { [] }

    /// The new value column holds the values of every column turned into rows.
    public func lineage(_ ctx: LineageContext) -> ColumnLineage {
        var out: ColumnLineage = [:]
        let made: Set<String> = [into.text, value.text]
        var turned: Set<String> = [value.text]
        for name in ctx.inputNames where !ctx.output.contains(name) { turned.formUnion(ctx.of(name)) }
        for name in ctx.output where !made.contains(name) { out[name] = ctx.of(name) }
        out[into.text] = [into.text]
        out[value.text] = turned
        return out
    }

    static func turned(_ columns: [Name], _ except: Bool, _ names: [String]) -> [String] {
        except ? names.filter { n in !columns.contains { $0.text == n } } : columns.map(\.text)
    }

    public func schema(_ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        for column in columns { _ = try ctx.requireColumn(column, in: input) }
        let turnedNames = Self.turned(columns, except, input.names)
        var valueType: DataType? = except ? input.open : nil
        for name in turnedNames {
            guard let t = input.type(of: name) else { continue }
            guard let v = valueType else { valueType = t; continue }
            guard v.isComparable(with: t) else {
                let at = columns.first { $0.text == name }?.span ?? into.span
                throw ctx.error(
                    .mismatchedTypes, "unpivot puts \"\(name)\" (\(t.rawValue)) in one column with \(v.rawValue) values", at,
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

    public func run(_ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult) {
        let turnedNames = Self.turned(columns, except, input.names)
        let kept = input.names.filter { !turnedNames.contains($0) }
        let n = input.rowCount, k = turnedNames.count
        var parts = turnedNames.compactMap { input.column($0) }
        guard parts.count == k, k > 0 else {
            throw Diagnostic(.badArguments, "unpivot has no columns to turn into rows", file: ctx.file, span: into.span)
        }
        // One value type: integers beside decimals become decimals.
        if Set(parts.map(\.type)).count > 1 { parts = parts.map { $0.converted(to: .decimal) ?? $0 } }
        guard Set(parts.map(\.type)).count == 1 else {
            throw Diagnostic(
                .mismatchedTypes,
                "unpivot puts columns of different types in one column: "
                    + zip(turnedNames, parts).map { "\($0.0) (\($0.1.type.rawValue))" }.joined(separator: ", "),
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
        result.notes = [
            "\(Format.plural(k, "column")) turned into rows: " + turnedNames.prefix(12).joined(separator: ", ") + (k > 12 ? ", …" : "")
        ]
        return (output, result)
    }
}
