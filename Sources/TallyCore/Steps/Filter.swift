import TallyModel

/// `filter EXPR`: keeps rows where EXPR is true; counts rows dropped for false and for null.
///
/// For example: `| filter EnrollmentStatusCode in ("10", "30")`.
public struct FilterStep: StepKind {
    public static let keyword = "filter"
    public static let usage = "filter CONDITION — keep the rows where it is true (the cell counts rows dropped for false and for null)"
    var expr: Expr

    /// The condition (the watch page's table view filters through this step).
    public var condition: Expr { expr }

    public static func parse(_ p: inout Parser) throws -> Self { Self(expr: try p.parseExpression()) }

    public func lineage(_ ctx: LineageContext) -> ColumnLineage { ctx.unchanged }
    public var tablesRead: [String] { StepRegistry.tables(in: expr) }
    public func lint(_ schema: Schema, file: String) -> [Diagnostic] {
        var warnings: [Diagnostic] = []
        Lint.expression(expr, schema, file, into: &warnings)
        return warnings
    }

    public func schema(_ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        let t = try ctx.typer(input).type(of: expr)
        if let t, t != .boolean {
            throw ctx.error(
                .notBoolean, "a filter needs a true/false condition; this is \(t.rawValue)", expr.span,
                help: "compare it, e.g. Column == \"value\"")
        }
        return input
    }

    public func run(_ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult) {
        let truth = try ctx.evaluator(input).truth(expr)
        var keep = [Int32]()
        keep.reserveCapacity(input.rowCount)
        var droppedNull = 0
        for i in 0..<input.rowCount {
            if truth.isTrue(i) { keep.append(Int32(i)) } else if truth.isNull(i) { droppedNull += 1 }
        }
        let output = input.gather(keep)
        var result = StepResult(keyword: "filter", rowsIn: input.rowCount, rowsOut: output.rowCount)
        result.droppedNull = droppedNull
        result.droppedFalse = input.rowCount - output.rowCount - droppedNull
        result.notes = Self.lookalikes(expr, input)
        return (output, result)
    }

    /// `GradeLevelCode == "kn"` keeps nothing when the file says "KN": a text literal compared
    /// with a column (by `==` or `in`) that no row holds, while a row holds it in another case or
    /// with spaces, is said in the cell (without the data's value: the column may be masked).
    static func lookalikes(_ expr: Expr, _ input: Table) -> [String] {
        var pairs: [(column: String, literal: String)] = []
        func collect(_ e: Expr) {
            switch e.kind {
            case .binary("and", let l, let r), .binary("or", let l, let r): collect(l); collect(r)
            case .binary("==", let l, let r):
                if case .name(let c) = l.kind, case .literal(.text(let t)) = r.kind { pairs.append((c, t)) }
                if case .name(let c) = r.kind, case .literal(.text(let t)) = l.kind { pairs.append((c, t)) }
            case .inList(let l, let items, false):
                guard case .name(let c) = l.kind else { return }
                for item in items { if case .literal(.text(let t)) = item.kind { pairs.append((c, t)) } }
            default: break
            }
        }
        collect(expr)
        var notes: [String] = []
        func folded(_ text: String) -> String { text.trimmingCharacters(in: .whitespaces).lowercased() }
        for (name, literal) in pairs {
            // Only dictionaries of codes (not IDs), and only when the exact value is not there.
            guard let column = input.column(name), case .text(let codes, let dictionary) = column.data,
                dictionary.count <= 100_000, dictionary.code(of: literal) == nil
            else { continue }
            let key = folded(literal)
            let near = Set(dictionary.values.indices.filter { folded(dictionary.values[$0]) == key }.map { Int32($0) })
            guard !near.isEmpty else { continue }
            var rows = 0
            for row in codes.indices where near.contains(codes[row]) && !column.isNull(row) { rows += 1 }
            if rows > 0 {
                notes.append(
                    "warning: no \(name) is \"\(literal)\", but \(Format.plural(rows, "row")) \(rows == 1 ? "holds" : "hold") it in another case or with spaces"
                )
            }
        }
        return notes
    }
}
