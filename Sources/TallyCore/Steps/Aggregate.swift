import TallyModel

/// `aggregate NAME = FUNC(...), ... [by KEY, ...]`: one row per key, in key order.
///
/// For example: `| aggregate students = count() by SchoolOfAttendance, GradeLevelCode`.
public struct AggregateStep: StepKind {
    public static let keyword = "aggregate"
    public static let usage = "aggregate NAME = FUNC(...), ... [by KEY, ...] — one row per key: count(), count_distinct, sum, min, max, avg"
    typealias Item = (name: Name, function: Name, argument: Expr?)
    var items: [Item]
    var by: [Name]

    public static func parse(_ p: inout Parser) throws -> Self {
        let items = try p.functionItems("the result column's name", "an aggregate function (count, count_distinct, sum, min, max, avg)")
        return Self(items: items, by: p.acceptKeyword("by") ? try p.nameList("a key column") : [])
    }

    public func lineage(_ ctx: LineageContext) -> ColumnLineage {
        var out: ColumnLineage = [:]
        for key in by { out[key.text] = ctx.of(key.text) }
        for item in items {
            switch item.function.text.lowercased() {
            case "min", "max":
                // The value of one row: as sensitive as its source.
                out[item.name.text] = (item.argument.map { ctx.sources($0) } ?? []).union([item.name.text])
            case "count", "count_distinct", "sum":
                // A count of students: small ones are suppressed in reports.
                out[item.name.text] = [item.name.text, ReportPrivacy.countMarker]
            default:
                out[item.name.text] = [item.name.text]
            }
        }
        return out
    }
    public var tablesRead: [String] { items.compactMap(\.argument).flatMap(StepRegistry.tables(in:)) }
    public func lint(_ schema: Schema, file: String) -> [Diagnostic] { Lint.gradeExtremes(items, schema, file) }

    static func function(_ name: Name, _ ctx: StepCheckContext) throws -> AggregateFunction {
        guard let f = AggregateFunction(rawValue: name.text.lowercased()) else {
            throw ctx.error(
                .unknownFunction, "unknown aggregate function \"\(name.text)\"", name.span,
                help: Suggest.help(for: name.text, in: AggregateFunction.allCases.map(\.rawValue), noun: "aggregate functions"))
        }
        return f
    }

    /// The function and its result type, its argument checked (`pivot values` passes no help
    /// for a text argument, as it always has).
    static func typed(
        _ name: Name, _ argument: Expr?, _ input: Schema, _ ctx: StepCheckContext,
        textHelp: Bool = true
    ) throws -> (AggregateFunction, DataType) {
        let f = try function(name, ctx)
        var argumentType: DataType? = nil
        if let argument {
            argumentType = try ctx.typer(input).type(of: argument)
        } else if f != .count {
            throw ctx.error(.badArguments, "\(f.rawValue) needs a column, e.g. \(f.rawValue)(Amount)", name.span)
        }
        if f == .sum || f == .avg, let t = argumentType, !t.isNumeric {
            throw ctx.error(
                .notNumeric, "\(f.rawValue) needs numbers; this is \(t.rawValue)", argument?.span ?? name.span,
                help: t == .text && textHelp ? "declare the column as integer or decimal in columns (...)" : nil)
        }
        return (f, f.resultType(argumentType))
    }

    public func schema(_ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        var fields: [Schema.Field] = []
        for key in by { fields.append(Schema.Field(name: key.text, type: try ctx.requireColumn(key, in: input))) }
        for item in items {
            let (_, type) = try Self.typed(item.function, item.argument, input, ctx)
            if fields.contains(where: { $0.name == item.name.text }) {
                throw ctx.error(.duplicateName, "column \"\(item.name.text)\" is defined twice", item.name.span)
            }
            fields.append(Schema.Field(name: item.name.text, type: type))
        }
        return Schema(columns: fields)
    }

    public func run(_ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult) {
        let evaluator = ctx.evaluator(input)
        var specs: [Table.AggregateSpec] = []
        for item in items {
            guard let f = AggregateFunction(rawValue: item.function.text.lowercased()) else { continue }
            let column = try item.argument.map { try evaluator.evaluate($0) }
            specs.append(Table.AggregateSpec(name: item.name.text, function: f, input: column))
        }
        let output = input.aggregate(by: by.map(\.text), specs)
        var result = StepResult(keyword: "aggregate", rowsIn: input.rowCount, rowsOut: output.rowCount)
        result.notes = ["\(output.rowCount) group\(output.rowCount == 1 ? "" : "s")"]
        return (output, result)
    }
}
