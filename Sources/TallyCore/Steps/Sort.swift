import TallyModel

/// `sort COL [desc], ...`: a stable sort, nulls last.
public struct SortStep: StepKind {
    public static let keyword = "sort"
    public static let usage = "sort COL [desc], ... — stable, nulls last"
    var items: [(Name, descending: Bool)]

    public static func parse(_ p: inout Parser) throws -> Self {
        if p.current.isKeyword("by"), p.peek().identifierText != nil {
            throw p.error(
                .sqlSpelling, "sort takes the columns without \"by\"", p.current.span,
                help: "write: sort \(p.peek().identifierText ?? "COLUMN") [desc], ...")
        }
        var items: [(Name, descending: Bool)] = []
        repeat {
            let column = try p.name("a column name")
            var descending = false
            if p.acceptKeyword("desc") { descending = true } else { _ = p.acceptKeyword("asc") }
            items.append((column, descending))
        } while p.acceptSymbol(",")
        return Self(items: items)
    }

    public func lineage(_ ctx: LineageContext) -> ColumnLineage { ctx.unchanged }
    public var tablesRead: [String] { [] }

    /// Grade codes are text: sorted alphabetically, KN and TK come after 12.
    public func lint(_ schema: Schema, file: String) -> [Diagnostic] {
        items.compactMap { key, _ in
            guard Lint.isGradeText(key, schema) else { return nil }
            return Lint.warning(
                .textSortedAsNumbers, "\(key.text) is text: sort orders it alphabetically (01 … 12, then KN, TK)", file, key.span,
                help: "derive g = grade_order(\(key.text)) and sort by g")
        }
    }

    public func schema(_ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        for (name, _) in items { _ = try ctx.requireColumn(name, in: input) }
        return input
    }

    public func run(_ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult) {
        let keys = items.compactMap { item in input.column(item.0.text).map { ($0, item.descending) } }
        let output = input.gather(input.sortPermutation(keys))
        return (output, StepResult(keyword: Self.keyword, rowsIn: input.rowCount, rowsOut: output.rowCount))
    }
}
