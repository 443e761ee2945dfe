import TallyModel

/// `window NAME = FUNC(...), ... [by KEY, ...] [order by COL [desc], ...]`: a value per row from
/// the rows of its partition, in order — the previous enrollment of the same student, a rank
/// within a school, a running count.
///
/// For example: `| window previous_grade = lag(GradeLevelCode) by SSID order by EnrollmentSchoolStartDate`.
/// Vectorised: partitions come from the key kernels, the order from one stable sort, and each
/// function is one pass over that order.
public struct WindowStep: StepKind {
    public static let keyword = "window"
    public static let usage =
        "window NAME = FUNC(...), ... [by KEY, ...] [order by COL [desc], ...] — row_number, rank, lag, lead, running count and sum"
    typealias Item = (name: Name, function: Name, argument: Expr?)
    static let functions = ["row_number", "rank", "lag", "lead", "count", "sum"]
    var items: [Item]
    var by: [Name]
    var order: [(Name, descending: Bool)]

    public static func parse(_ p: inout Parser) throws -> Self {
        let items = try p.functionItems("the new column's name", "a window function (row_number, rank, lag, lead, count, sum)")
        let keys = p.acceptKeyword("by") ? try p.nameList("a partition column") : []
        var order: [(Name, descending: Bool)] = []
        if p.acceptKeyword("order") {
            try p.expectKeyword("by")
            repeat {
                let column = try p.name("a column to order by")
                let descending = p.acceptKeyword("desc")
                if !descending { _ = p.acceptKeyword("asc") }
                order.append((column, descending))
            } while p.acceptSymbol(",")
        }
        return Self(items: items, by: keys, order: order)
    }

    public func lineage(_ ctx: LineageContext) -> ColumnLineage {
        var out: ColumnLineage = [:]
        for name in ctx.inputNames { out[name] = ctx.of(name) }
        for item in items {
            switch item.function.text.lowercased() {
            case "lag", "lead":
                // Another row's value: as sensitive as its source.
                out[item.name.text] = (item.argument.map { ctx.sources($0) } ?? []).union([item.name.text])
            default:
                out[item.name.text] = [item.name.text]
            }
        }
        return out
    }
    public var tablesRead: [String] { items.compactMap(\.argument).flatMap(StepRegistry.tables(in:)) }
    public func lint(_ schema: Schema, file: String) -> [Diagnostic] { Lint.gradeExtremes(items, schema, file) }

    public func schema(_ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        for key in by { _ = try ctx.requireColumn(key, in: input) }
        for (key, _) in order { _ = try ctx.requireColumn(key, in: input) }
        var out = input
        for item in items {
            let f = item.function.text.lowercased()
            guard Self.functions.contains(f) else {
                throw ctx.error(
                    .unknownFunction, "unknown window function \"\(item.function.text)\"", item.function.span,
                    help: Suggest.help(for: item.function.text, in: Self.functions, noun: "window functions"))
            }
            var type: DataType = .integer
            switch f {
            case "lag", "lead", "sum":
                guard let argument = item.argument else {
                    throw ctx.error(.badArguments, "\(f) needs a column, e.g. \(f)(GradeLevelCode)", item.function.span)
                }
                let t = try ctx.typer(out).type(of: argument) ?? .text
                if f == "sum", !t.isNumeric { throw ctx.error(.notNumeric, "sum needs numbers; this is \(t.rawValue)", argument.span) }
                type = t
            default:
                if let argument = item.argument { throw ctx.error(.badArguments, "\(f)() takes no column", argument.span) }
            }
            if f == "lag" || f == "lead" || f == "rank", order.isEmpty {
                throw ctx.error(
                    .badArguments, "\(f) needs an order: ... order by COLUMN", item.function.span,
                    help: "e.g. window previous = lag(GradeLevelCode) by SSID order by EnrollmentSchoolStartDate")
            }
            if out.contains(item.name.text) {
                throw ctx.error(
                    .duplicateName, "column \"\(item.name.text)\" already exists", item.name.span,
                    help: "give the window column another name")
            }
            out.columns.append(Schema.Field(name: item.name.text, type: type))
        }
        return out
    }

    public func run(_ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult) {
        let n = input.rowCount
        let partition =
            by.isEmpty
            ? [Int32](repeating: 0, count: n)
            : Table.groupIds(by.compactMap { input.column($0.text) }, rowCount: n).ids
        // One stable sort: by partition, then the order keys.
        let partitionColumn = Column(data: .integer(partition.map(Int64.init)), validity: nil)
        let keys = [(partitionColumn, false)] + order.compactMap { key in input.column(key.0.text).map { ($0, key.descending) } }
        let perm = input.sortPermutation(keys)
        // Rows whose order keys equal the previous row's (for rank).
        let orderIds =
            order.isEmpty
            ? [Int32](repeating: 0, count: n)
            : Table.groupIds(order.compactMap { input.column($0.0.text) }, rowCount: n).ids
        var output = input
        let evaluator = ctx.evaluator(input)
        for item in items {
            let f = item.function.text.lowercased()
            switch f {
            case "lag", "lead":
                guard let argument = item.argument else { continue }
                let source = try evaluator.evaluate(argument)
                var from = [Int32](repeating: -1, count: n)
                for i in 0..<n {
                    let j = f == "lag" ? i - 1 : i + 1
                    if j >= 0, j < n, partition[Int(perm[j])] == partition[Int(perm[i])] { from[Int(perm[i])] = perm[j] }
                }
                output.setColumn(item.name.text, source.gather(from))
            case "sum":
                guard let argument = item.argument else { continue }
                let source = try evaluator.evaluate(argument)
                output.setColumn(item.name.text, Self.running(source, perm, partition, ordered: !order.isEmpty))
            default:
                var values = [Int64](repeating: 0, count: n)
                var sizes: [Int32: Int64] = [:]
                if f == "count", order.isEmpty { for p in partition { sizes[p, default: 0] += 1 } }
                var position: Int64 = 0, rank: Int64 = 0
                for i in 0..<n {
                    let row = Int(perm[i])
                    let first = i == 0 || partition[Int(perm[i - 1])] != partition[row]
                    position = first ? 1 : position + 1
                    if first || orderIds[Int(perm[i - 1])] != orderIds[row] { rank = position }
                    switch f {
                    case "rank": values[row] = rank
                    case "count": values[row] = order.isEmpty ? (sizes[partition[row]] ?? 0) : position
                    default: values[row] = position
                    }
                }
                output.setColumn(item.name.text, Column(data: .integer(values), validity: nil))
            }
        }
        var result = StepResult(keyword: "window", rowsIn: n, rowsOut: n)
        let partitions = Set(partition).count
        result.notes = ["\(Format.plural(partitions, "partition")), \(Format.plural(items.count, "column")) added"]
        return (output, result)
    }

    /// A running sum in each partition's order (nulls add nothing); the partition's total when
    /// the window has no order.
    static func running(_ source: Column, _ perm: [Int32], _ partition: [Int32], ordered: Bool) -> Column {
        let n = perm.count
        var totals = [Double](repeating: 0, count: n)
        var byPartition: [Int32: Double] = [:]
        // The values as numbers once, not a `Value` per row.
        let numbers: [Double]
        switch source.data {
        case .integer(let v): numbers = v.map(Double.init)
        case .decimal(let v): numbers = v
        default: numbers = [Double](repeating: 0, count: n)
        }
        var sum = 0.0
        for i in 0..<n {
            let row = Int(perm[i])
            if i == 0 || partition[Int(perm[i - 1])] != partition[row] { sum = 0 }
            if !source.isNull(row) { sum += numbers[row] }
            totals[row] = sum
            byPartition[partition[row]] = sum
        }
        if !ordered { for row in 0..<n { totals[row] = byPartition[partition[row]] ?? 0 } }
        if case .integer = source.data { return Column(data: .integer(totals.map { Int64($0) }), validity: nil) }
        return Column(data: .decimal(totals), validity: nil)
    }
}
