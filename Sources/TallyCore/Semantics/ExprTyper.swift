import TallyModel

/// What names mean while typing an expression.
public struct TypeScope: Sendable {
    /// The table whose columns bare names refer to (nil in a scalar assertion).
    public var table: (name: String, schema: Schema)?
    public var params: [String: DataType]
    /// Every table defined so far, for `count(T)` and `sum(T.c)`.
    public var tables: SchemaLookup

    public init(table: (name: String, schema: Schema)?, params: [String: DataType], tables: [String: Schema]) {
        self.table = table; self.params = params; self.tables = SchemaLookup(tables)
    }

    /// A scope over a run's tables: a table's schema is made only when an expression names it.
    init(table: (name: String, schema: Schema)?, params: [String: DataType], tables: [String: Table]) {
        self.table = table; self.params = params; self.tables = SchemaLookup(tables)
    }
}

/// The schemas of the tables in scope, by name. Over a run's tables each is looked up when an
/// expression names one: making every table's schema for every step made a playbook of 10,000
/// statements quadratic (minutes for a 100,000-line file).
public struct SchemaLookup: Sendable {
    private let schemas: [String: Schema]?
    private let tables: [String: Table]

    init(_ schemas: [String: Schema]) { self.schemas = schemas; tables = [:] }
    init(_ tables: [String: Table]) { schemas = nil; self.tables = tables }

    public subscript(name: String) -> Schema? { schemas.map { $0[name] } ?? tables[name]?.schema }
    public var names: [String] { (schemas.map { Array($0.keys) } ?? Array(tables.keys)).sorted() }
}

/// Types expressions; used by the checker to find errors and by the evaluator for result types.
/// `nil` is the type of the `null` literal, compatible with everything.
public struct ExprTyper {
    let file: String
    let scope: TypeScope

    public init(file: String, scope: TypeScope) { self.file = file; self.scope = scope }

    /// Every diagnostic made here names its code (see DiagnosticCode): there is no form without.
    func fail(_ code: DiagnosticCode, _ message: String, _ span: SourceSpan, help: String? = nil) -> Diagnostic {
        Diagnostic(code, message, file: file, span: span, help: help)
    }

    public func type(of expr: Expr) throws -> DataType? {
        switch expr.kind {
        case .literal(let v): return v.type
        case .name(let name):
            if let table = scope.table, let t = table.schema.type(of: name) { return t }
            if let t = scope.params[name] { return t }
            if let table = scope.table {
                // Python's and Excel's booleans: the language writes true and false.
                if ["True", "False", "TRUE", "FALSE"].contains(name) {
                    throw fail(
                        .unknownColumn, "table \"\(table.name)\" has no column \"\(name)\"", expr.span,
                        help: "true and false are written in lower case: \(name.lowercased())")
                }
                throw fail(
                    .unknownColumn, "table \"\(table.name)\" has no column \"\(Diagnostic.shown(name))\"", expr.span,
                    help: Suggest.help(for: name, in: table.schema.names + scope.params.keys.sorted()))
            }
            throw fail(
                .unknownName, "unknown name \"\(Diagnostic.shown(name))\"", expr.span,
                help: scope.tables[name] != nil
                    ? "use count(\(name)) for its number of rows, or \(name).COLUMN inside sum, min, max"
                    : Suggest.help(for: name, in: scope.params.keys.sorted(), noun: "parameters"))
        case .qualified(let table, let column):
            guard let schema = scope.tables[table] else {
                throw fail(
                    .unknownTable, "unknown table \"\(Diagnostic.shown(table))\"", expr.span,
                    help: Suggest.help(for: table, in: scope.tables.names, noun: "tables"))
            }
            guard let t = schema.type(of: column) else {
                throw fail(
                    .unknownColumn, "table \"\(table)\" has no column \"\(column)\"", expr.span,
                    help: Suggest.help(for: column, in: schema.names))
            }
            // A bare T.c outside an aggregate has no single value.
            _ = t
            throw fail(
                .aggregatePlace, "\(table).\(column) names a whole column", expr.span,
                help: "use it inside sum, min, max, avg or count_distinct")
        case .unary(let op, let operand):
            let t = try type(of: operand)
            if op == "not" {
                if let t, t != .boolean { throw fail(.notBoolean, "not needs a boolean, not \(t.rawValue)", operand.span) }
                return .boolean
            }
            if let t, !t.isNumeric { throw fail(.badOperand, "cannot negate \(t.rawValue)", operand.span) }
            return t ?? .integer
        case .binary(let op, let l, let r):
            let a = try type(of: l), b = try type(of: r)
            switch op {
            case "and", "or":
                if let a, a != .boolean { throw fail(.notBoolean, "\(op) needs boolean operands, this is \(a.rawValue)", l.span) }
                if let b, b != .boolean { throw fail(.notBoolean, "\(op) needs boolean operands, this is \(b.rawValue)", r.span) }
                return .boolean
            case "==", "!=", "<", "<=", ">", ">=":
                try nullComparison(op, l, r)
                try comparable(a, b, l, r, ordering: op != "==" && op != "!=", op: op)
                return .boolean
            default:
                return try arithmetic(op, a, b, l, r)
            }
        case .inList(let left, let items, let negated):
            // `x in ("A", null)` never matches a null x: comparing with null is unknown.
            if let item = items.first(where: {
                if case .literal(.null) = $0.kind { return true }; return false
            }) {
                throw fail(
                    .nullComparison, "null in a list never matches: a comparison with null is unknown, not true", item.span,
                    help: negated
                        ? "leave null out and add: and \(ExprTyper.source(left)) is not null"
                        : "leave null out and add: or \(ExprTyper.source(left)) is null")
            }
            let a = try type(of: left)
            for item in items { try comparable(a, try type(of: item), left, item) }
            return .boolean
        case .between(let v, let low, let high, _):
            for bound in [low, high] { try nullComparison("between", v, bound) }
            let a = try type(of: v)
            try comparable(a, try type(of: low), v, low, ordering: true, op: ">=")
            try comparable(a, try type(of: high), v, high, ordering: true, op: "<=")
            return .boolean
        case .isNull(let operand, _):
            _ = try type(of: operand)
            return .boolean
        case .like(let v, let pattern, _):
            if let a = try type(of: v), a != .text { throw fail(.badOperand, "like compares text, not \(a.rawValue)", v.span) }
            if let b = try type(of: pattern), b != .text { throw fail(.badPattern, "a like pattern is text such as \"A%\"", pattern.span) }
            return .boolean
        case .call(let name, let args):
            if FunctionRegistry.aggregateNames.contains(name) { return try aggregateType(name, args, expr) }
            guard let definition = FunctionRegistry.all[name] else {
                let known = Array(FunctionRegistry.all.keys) + Array(FunctionRegistry.aggregateNames)
                throw fail(
                    .unknownFunction, "unknown function \"\(Diagnostic.shown(name))\"", expr.span,
                    help: Suggest.help(for: name, in: known.sorted(), noun: "functions"))
            }
            guard definition.arity.contains(args.count) else {
                throw fail(
                    .badArguments,
                    "\(name) takes \(definition.arity.lowerBound == definition.arity.upperBound ? "\(definition.arity.lowerBound)" : "\(definition.arity.lowerBound) to \(definition.arity.upperBound)") argument(s), not \(args.count)",
                    expr.span, help: "usage: \(definition.signature)")
            }
            let types = try args.map { try type(of: $0) }
            if ["matches", "extract", "replace"].contains(name), args.count >= 2 {
                // A pattern is a literal, compiled now: a bad one is an error at its place.
                guard case .literal(.text(let pattern)) = args[1].kind else {
                    throw fail(
                        .singleQuotes, "the pattern of \(name) is written in quotes", args[1].span, help: "usage: \(definition.signature)")
                }
                if Patterns.problem(pattern) != nil {
                    throw fail(
                        .badPattern,
                        "this regular expression does not compile (an unclosed [ or (, or a special character such as + * ? that needs escaping)",
                        args[1].span,
                        help: "escape special characters with \\\\, e.g. \"^\\\\d{10}$\" for ten digits")
                }
            }
            if name == "date_diff", let unit = args.first {
                // The unit is part of the question: a misspelt one is an error now, not nulls later.
                guard case .literal(.text(let u)) = unit.kind else {
                    throw fail(
                        .singleQuotes, "the unit of date_diff is written in quotes: \"day\", \"month\" or \"year\"", unit.span,
                        help: "usage: \(definition.signature)")
                }
                guard FunctionRegistry.dateDiff(u, 0, 0) != nil else {
                    throw fail(
                        .badOperand, "date_diff counts \"day\", \"month\" or \"year\", not \"\(u)\"", unit.span,
                        help: Suggest.help(for: u, in: ["day", "month", "year"]) ?? "usage: \(definition.signature)")
                }
            }
            switch definition.resultType(types) {
            case .success(let t): return t
            case .failure(let e): throw fail(.badArguments, e.message, expr.span, help: "usage: \(definition.signature)")
            }
        }
    }

    /// `count(T)`, `sum(T.c)` ... over whole tables, only in scalar assertions.
    func aggregateType(_ name: String, _ args: [Expr], _ expr: Expr) throws -> DataType? {
        guard scope.table == nil else {
            throw fail(
                .aggregatePlace, "\(name)(...) over a whole table is only allowed in a scalar assert", expr.span,
                help: "to count per group, use a pipeline step: | aggregate n = \(name)(...) by KEY")
        }
        guard args.count == 1 else { throw fail(.badArguments, "\(name) takes one argument: a table or TABLE.COLUMN", expr.span) }
        switch args[0].kind {
        case .name(let table) where name == "count":
            guard scope.tables[table] != nil else {
                throw fail(
                    .unknownTable, "unknown table \"\(table)\"", args[0].span,
                    help: Suggest.help(for: table, in: scope.tables.names, noun: "tables"))
            }
            return .integer
        case .qualified(let table, let column):
            guard let schema = scope.tables[table] else {
                throw fail(
                    .unknownTable, "unknown table \"\(table)\"", args[0].span,
                    help: Suggest.help(for: table, in: scope.tables.names, noun: "tables"))
            }
            guard let t = schema.type(of: column) else {
                throw fail(
                    .unknownColumn, "table \"\(table)\" has no column \"\(column)\"", args[0].span,
                    help: Suggest.help(for: column, in: schema.names))
            }
            guard let function = AggregateFunction(rawValue: name) else { return .integer }
            if function == .sum || function == .avg, !t.isNumeric {
                throw fail(.notNumeric, "\(name) needs a number column; \(table).\(column) is \(t.rawValue)", args[0].span)
            }
            return function.resultType(t)
        default:
            throw fail(.badArguments, "\(name) takes a table (count(T)) or a column written TABLE.COLUMN", args[0].span)
        }
    }

    /// `x == null` is never true and `x != null` never either (a comparison with null is
    /// unknown, so every row is dropped): refused with the fix, never a silent empty result.
    func nullComparison(_ op: String, _ l: Expr, _ r: Expr) throws {
        func isNull(_ e: Expr) -> Bool { if case .literal(.null) = e.kind { return true }; return false }
        guard isNull(l) || isNull(r) else { return }
        let other = isNull(r) ? l : r
        let fix: String
        switch op {
        case "==": fix = "\(ExprTyper.source(other)) is null"
        case "!=": fix = "\(ExprTyper.source(other)) is not null"
        default: fix = "\(ExprTyper.source(other)) is null (or is not null)"
        }
        throw fail(
            .nullComparison, "\(op) null is never true: a comparison with null is unknown, so every row would be dropped",
            l.span.through(r.span),
            help: "write: \(fix)")
    }

    /// An expression as it reads in a help line (names and literals; others as "the value").
    static func source(_ e: Expr) -> String {
        switch e.kind {
        case .name(let n): return n
        case .qualified(let t, let c): return t + "." + c
        case .literal(let v): return v.display
        default: return "the value"
        }
    }

    func comparable(_ a: DataType?, _ b: DataType?, _ l: Expr, _ r: Expr, ordering: Bool = false, op: String? = nil) throws {
        guard let a, let b, !a.isComparable(with: b) else { return }
        var help: String? = nil
        if a == .text, b.isNumeric {
            // In quotes, `> "05"` would order as text (KN and TK after 12): name the function.
            if ordering, case .name(let column) = l.kind, column.lowercased().contains("grade") {
                help =
                    "grade codes are text (KN, TK, 01 …): compare their order with grade_order(\(column)) \(op ?? ">") \(ExprTyper.source(r)), or equality in quotes, e.g. == \"05\""
            } else if ordering, case .name(let column) = l.kind {
                help =
                    "codes and IDs are text, and in quotes they order alphabetically (\"9\" > \"10\"): to compare as numbers, number(\(column)) \(op ?? ">") \(ExprTyper.source(r))"
            } else {
                help = "codes and IDs are text: write the value in quotes, e.g. \"10\""
            }
        }
        if b == .text, a.isNumeric {
            help = "codes and IDs are text: compare with text in quotes, or declare the column's type in columns (...)"
        }
        if a == .date, b == .text { help = "write a date as @2025-10-01" }
        if b == .date, a == .text { help = "write a date as @2025-10-01, or declare the column as date in columns (...)" }
        throw fail(.mismatchedTypes, "cannot compare \(a.rawValue) with \(b.rawValue)", l.span.through(r.span), help: help)
    }

    func arithmetic(_ op: String, _ a: DataType?, _ b: DataType?, _ l: Expr, _ r: Expr) throws -> DataType? {
        switch (a, b) {
        case (.date?, .integer?) where op == "+" || op == "-": return .date
        case (.date?, .date?) where op == "-": return .integer
        case (.integer?, .date?) where op == "+": return .date
        default: break
        }
        if let a, !a.isNumeric {
            throw fail(.badOperand, "cannot use \(op) on \(a.rawValue)", l.span, help: a == .text ? "join text with concat(a, b)" : nil)
        }
        if let b, !b.isNumeric {
            throw fail(.badOperand, "cannot use \(op) on \(b.rawValue)", r.span, help: b == .text ? "join text with concat(a, b)" : nil)
        }
        if op == "/" { return .decimal }
        if a == .decimal || b == .decimal { return .decimal }
        return .integer
    }
}
