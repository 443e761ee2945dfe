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
            throw error(.unknownColumn, "table \"\(table ?? tableName)\" has no column \"\(name.text)\"", name.span,
                        help: Suggest.help(for: name.text, in: schema.names))
        }
        return t
    }

    func requireTable(_ name: Name) throws -> Schema {
        guard let schema = tables[name.text] else {
            throw error(.unknownTable, "unknown table \"\(name.text)\"", name.span, help: Suggest.help(for: name.text, in: tables.keys.sorted(), noun: "tables"))
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

    func evaluator(_ table: Table) -> Evaluator {
        Evaluator(table: table, tableName: tableName, params: params, paramTypes: paramTypes,
                  tables: tables, clock: clock, file: file)
    }
}

/// Hooks for steps that reach outside the table engine (the QA store, CALPADS rules).
public protocol RunServices: AnyObject {
    /// The diff and a note naming the baseline it used (or why there is none).
    func diffSnapshot(_ table: Table, name: String, asOf: SnapshotBaseline?, scope: [Name]?, span: SourceSpan) throws -> (Table, String)
}

/// The one list of step kinds: each entry's schema rule and run live in its own file.
public enum StepRegistry {
    public static func schema(_ node: StepNode, _ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        switch node.step {
        case .filter(let e): return try FilterStep.schema(e, input, ctx)
        case .derive(let items): return try DeriveStep.schema(items, input, ctx)
        case .select(let items): return try SelectStep.schema(items, input, ctx)
        case .drop(let names): return try SelectStep.dropSchema(names, input, ctx)
        case .rename(let items): return try SelectStep.renameSchema(items, input, ctx)
        case .join(let kind, let table, let keys, _): return try JoinStep.schema(kind, table, keys, input, ctx)
        case .aggregate(let items, let by): return try AggregateStep.schema(items, by, input, ctx)
        case .window(let items, let by, let order): return try WindowStep.schema(items, by, order, input, ctx)
        case .pivot(let f, let argument, let by, let across, let columns):
            return try PivotStep.schema(f, argument, by, across, columns, input, ctx)
        case .unpivot(let columns, let except, let into, let value):
            return try UnpivotStep.schema(columns, except, into, value, input, ctx)
        case .sort(let items): return try SortStep.schema(items.map(\.0), input, ctx)
        case .take: return input
        case .distinct(let by): return try SortStep.schema(by, input, ctx)
        case .union(let other): return try UnionStep.schema(other, input, ctx)
        case .validate(let layout, let with): return try ServiceSteps.validateSchema(layout, with, input, ctx)
        case .diffSnapshot: return ServiceSteps.diffSchema(input)
        case .locate(let table): return try ReturnSteps.locateSchema(table, input, ctx)
        case .annotate(let findings): return try ReturnSteps.annotateSchema(findings, input, ctx)
        }
    }

    public static func run(_ node: StepNode, _ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult) {
        switch node.step {
        case .filter(let e): return try FilterStep.run(e, input, ctx)
        case .derive(let items): return try DeriveStep.run(items, input, ctx)
        case .select(let items): return SelectStep.run(items, input)
        case .drop(let names): return SelectStep.drop(names, input)
        case .rename(let items): return SelectStep.rename(items, input)
        case .join(let kind, let table, let keys, let expect):
            return try JoinStep.run(kind, table, keys, expect, node.span, input, ctx)
        case .aggregate(let items, let by): return try AggregateStep.run(items, by, input, ctx)
        case .window(let items, let by, let order): return try WindowStep.run(items, by, order, input, ctx)
        case .pivot(let f, let argument, let by, let across, let columns):
            return try PivotStep.run(f, argument, by, across, columns, input, ctx)
        case .unpivot(let columns, let except, let into, let value):
            return try UnpivotStep.run(columns, except, into, value, input, ctx)
        case .sort(let items): return SortStep.run(items, input)
        case .take(let n): return SortStep.take(n, input)
        case .distinct(let by): return SortStep.distinct(by, input)
        case .union(let other): return UnionStep.run(other, input, ctx)
        case .validate(let layout, let with): return try ServiceSteps.validate(layout, with, node.span, input, ctx)
        case .diffSnapshot(let name, let asOf, let scope): return try ServiceSteps.diff(name, asOf, scope, node.span, input, ctx)
        case .locate(let table): return try ReturnSteps.locate(table, node.span, input, ctx)
        case .annotate(let findings): return try ReturnSteps.annotate(findings, node.span, input, ctx)
        }
    }
}
