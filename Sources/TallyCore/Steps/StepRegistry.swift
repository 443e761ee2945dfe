import TallyModel

/// What a step did, for the notebook cell: rows in and out and why rows were dropped.
public struct StepResult: Sendable, Codable {
    public var keyword: String
    public var rowsIn: Int
    public var rowsOut: Int
    /// Rows a filter dropped because the condition was false / null.
    public var droppedFalse = 0
    public var droppedNull = 0
    public var join: JoinStats? = nil
    public var notes: [String] = []

    public init(keyword: String, rowsIn: Int, rowsOut: Int) {
        self.keyword = keyword; self.rowsIn = rowsIn; self.rowsOut = rowsOut
    }
}

/// What a step's schema rule may look up.
public struct StepCheckContext {
    public var file: String
    public var tableName: String
    public var params: [String: DataType]
    public var tables: [String: Schema]

    func typer(_ schema: Schema) -> ExprTyper {
        ExprTyper(file: file, scope: TypeScope(table: (tableName, schema), params: params, tables: tables))
    }

    /// Every diagnostic made here names its code (see DiagnosticCode): there is no form without.
    func error(_ code: DiagnosticCode, _ message: String, _ span: SourceSpan, help: String? = nil) -> Diagnostic {
        Diagnostic(code, message, file: file, span: span, help: help)
    }

    func requireColumn(_ name: Name, in schema: Schema, table: String? = nil) throws -> DataType {
        guard let t = schema.type(of: name.text) else {
            throw error(
                .unknownColumn, "table \"\(table ?? tableName)\" has no column \"\(name.text)\"", name.span,
                help: Suggest.help(for: name.text, in: schema.names))
        }
        return t
    }

    func requireTable(_ name: Name) throws -> Schema {
        guard let schema = tables[name.text] else {
            throw error(
                .unknownTable, "unknown table \"\(name.text)\"", name.span,
                help: Suggest.help(for: name.text, in: tables.keys.sorted(), noun: "tables"))
        }
        return schema
    }
}

/// What a step's run may look up.
public struct StepRunContext {
    public var file: String
    public var tableName: String
    public var params: [String: Value]
    public var paramTypes: [String: DataType]
    public var tables: [String: Table]
    public var clock: EvaluationClock
    /// Services steps that need the QA store or CALPADS rules call through (nil when absent).
    public var services: RunServices?
    /// Where the running step is written (set by `StepRegistry.run`), for its diagnostics.
    public var span = SourceSpan(line: 0, column: 0, length: 0)

    func evaluator(_ table: Table) -> Evaluator {
        Evaluator(
            table: table, tableName: tableName, params: params, paramTypes: paramTypes,
            tables: tables, clock: clock, file: file)
    }
}

/// Hooks for steps that reach outside the table engine (the QA store, CALPADS rules).
public protocol RunServices: AnyObject {
    /// The diff and a note naming the baseline it used (or why there is none).
    func diffSnapshot(_ table: Table, name: String, asOf: SnapshotBaseline?, scope: [Name]?, span: SourceSpan) throws -> (Table, String)
}

/// One kind of pipeline step (`| filter ...`), whole: its keyword, how it is read after the
/// keyword, its schema rule (`tally check`), its run (`tally run`), the lineage of its output
/// columns (masking), the tables it reads (the cell cache's key) and its habits (check-time
/// warnings). Each kind is one file in this folder, listed once in `StepRegistry.kinds`.
///
/// Nothing has a default but `lint` and `cacheable`: a new step that forgets what it reads or
/// where its columns come from does not compile.
public protocol StepKind: Sendable {
    /// The word after `|`.
    static var keyword: String { get }
    /// Its form and what it does, in one line (`tally lsp` shows it on hover).
    static var usage: String { get }
    /// Reads the step after its keyword (the parser stands on the next token).
    static func parse(_ parser: inout Parser) throws -> Self
    /// The output schema, or a diagnostic naming the playbook's line and column.
    func schema(_ input: Schema, _ ctx: StepCheckContext) throws -> Schema
    /// The output table and what the step did, for the notebook cell.
    func run(_ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult)
    /// Which loaded columns each output column's values come from (see `Lineage`).
    func lineage(_ ctx: LineageContext) -> ColumnLineage
    /// Tables the step reads besides its input (by name): a cached cell is stale when one changes.
    var tablesRead: [String] { get }
    /// Check-time warnings about habits that silently change a result (`Lint`).
    func lint(_ schema: Schema, file: String) -> [Diagnostic]
    /// False when the step reads what the cell cache's key cannot cover (the QA store): its cell always runs.
    var cacheable: Bool { get }
}

extension StepKind {
    public var keyword: String { Self.keyword }
    public func lint(_ schema: Schema, file: String) -> [Diagnostic] { [] }
    public var cacheable: Bool { true }
}

/// What a step's lineage rule may look up.
public struct LineageContext {
    /// The input's lineage, its column names, and the output's column names.
    public var input: ColumnLineage
    public var inputNames: [String]
    public var output: [String]
    /// Another table's lineage and column names (join, union).
    public var tables: (String) -> ColumnLineage
    public var columnNames: (String) -> [String]

    /// An input column's lineage.
    public func of(_ column: String) -> Set<String> { Lineage.of(column, in: input) }
    /// The lineage of what an expression reads, over the input.
    public func sources(_ expr: Expr) -> Set<String> { Lineage.sources(of: expr, input, tables: tables) }
    /// Every input column keeps its lineage (the step adds or replaces none).
    public var unchanged: ColumnLineage { input }
}

/// The one list of step kinds. A new step is a file in this folder and a line here.
public enum StepRegistry {
    public static let kinds: [any StepKind.Type] = [
        FilterStep.self, DeriveStep.self, SelectStep.self, DropStep.self, RenameStep.self, JoinStep.self,
        AggregateStep.self, WindowStep.self, PivotStep.self, UnpivotStep.self, SortStep.self, TakeStep.self,
        DistinctStep.self, UnionStep.self, ValidateStep.self, DiffSnapshotStep.self, LocateStep.self, AnnotateStep.self,
        FillNullStep.self, TrimStep.self,
    ]

    /// The step keywords, in the registry's order.
    public static let keywords: [String] = kinds.map { $0.keyword }

    static let byKeyword: [String: any StepKind.Type] = Dictionary(kinds.map { ($0.keyword, $0) }, uniquingKeysWith: { a, _ in a })

    /// The kind a keyword starts, if any (keywords are lower case, as the parser has always read them).
    public static func kind(_ keyword: String) -> (any StepKind.Type)? { byKeyword[keyword] }

    public static func schema(_ node: StepNode, _ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        try node.step.schema(input, ctx)
    }

    public static func run(_ node: StepNode, _ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult) {
        var ctx = ctx
        ctx.span = node.span
        return try node.step.run(input, ctx)
    }

    /// Tables named in an expression (`T.c`, and a bare name, which may be a table's): what a
    /// step that evaluates expressions reads.
    public static func tables(in expr: Expr) -> [String] {
        var out: [String] = []
        switch expr.kind {
        case .qualified(let table, _): out.append(table)
        case .name(let n): out.append(n)
        case .literal, .unary, .binary, .inList, .between, .isNull, .like, .call: break
        }
        for child in expr.children { out += tables(in: child) }
        return out
    }
}
