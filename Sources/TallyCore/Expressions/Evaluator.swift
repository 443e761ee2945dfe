import TallyModel

/// A boolean result with its nulls: the three-valued outcome of a predicate per row.
public struct Truth: Sendable {
    public var value: [Bool]
    public var known: Bitmap? // nil: no unknowns

    public func isTrue(_ i: Int) -> Bool { value[i] && (known?[i] ?? true) }
    public func isNull(_ i: Int) -> Bool { !(known?[i] ?? true) }

    init(_ column: Column) {
        if case .boolean(let v) = column.data { value = v } else { value = [Bool](repeating: false, count: column.count) }
        known = column.validity
    }

    init(value: [Bool], known: Bitmap?) { self.value = value; self.known = known }

    var column: Column { Column(data: .boolean(value), validity: known) }
}

/// Evaluates expressions over a table (one value per row) or as scalars (assertions).
public struct Evaluator {
    public let table: Table?
    public let params: [String: Value]
    public let tables: [String: Table]
    public let clock: EvaluationClock
    let typer: ExprTyper

    public init(
        table: Table?, tableName: String, params: [String: Value], paramTypes: [String: DataType],
        tables: [String: Table], clock: EvaluationClock, file: String
    ) {
        self.table = table
        self.params = params
        self.tables = tables
        self.clock = clock
        typer = ExprTyper(
            file: file,
            scope: TypeScope(
                table: table.map { (tableName, $0.schema) }, params: paramTypes,
                tables: tables))
    }

    /// The same scope over another table (the distinct values of a column).
    init(copying other: Evaluator, table: Table) {
        self.table = table
        params = other.params
        tables = other.tables
        clock = other.clock
        typer = other.typer
    }

    var rows: Int { table?.rowCount ?? 1 }

    /// The expression's value on every row of the table.
    public func evaluate(_ expr: Expr) throws -> Column {
        if let fast = try fastPath(expr) { return fast }
        if let vector = try vectorPath(expr) { return vector }
        return try rowWise(expr)
    }

    /// A predicate's truth on every row.
    public func truth(_ expr: Expr) throws -> Truth { Truth(try evaluate(expr)) }

    /// The value of an expression with no row context (scalar assertions).
    public func evaluateScalar(_ expr: Expr) -> Value { evaluateRow(expr, -1) }

    func literal(_ expr: Expr) -> Value? {
        switch expr.kind {
        case .literal(let v): return v
        case .name(let n) where table?.column(n) == nil: return params[n]
        default: return nil
        }
    }

    func fastPath(_ expr: Expr) throws -> Column? {
        guard let table else { return nil }
        switch expr.kind {
        case .name(let n):
            if let c = table.column(n) { return c }
            return nil
        case .binary(let op, let l, let r) where op == "and" || op == "or":
            let a = try truth(l), b = try truth(r)
            return Evaluator.logic(op == "and", a, b).column
        case .unary("not", let operand):
            var t = try truth(operand)
            for i in 0..<t.value.count { t.value[i].toggle() }
            return t.column
        case .isNull(let operand, let negated):
            guard case .name(let n) = operand.kind, let c = table.column(n) else { return nil }
            return Column(data: .boolean((0..<c.count).map { c.isNull($0) != negated }), validity: nil)
        case .binary(let op, let l, let r) where ["==", "!=", "<", "<=", ">", ">="].contains(op):
            if case .name(let n) = l.kind, let c = table.column(n), let v = literal(r) {
                return Evaluator.compare(c, op, v)
            }
            if case .name(let n) = r.kind, let c = table.column(n), let v = literal(l) {
                let flipped = ["<": ">", "<=": ">=", ">": "<", ">=": "<="][op] ?? op
                return Evaluator.compare(c, flipped, v)
            }
            return nil
        case .inList(let l, let items, let negated):
            guard case .name(let n) = l.kind, let c = table.column(n) else { return nil }
            let values = items.compactMap { literal($0) }
            guard values.count == items.count else { return nil }
            return Evaluator.member(c, values, negated: negated)
        default:
            return nil
        }
    }

    static func logic(_ isAnd: Bool, _ a: Truth, _ b: Truth) -> Truth {
        let n = a.value.count
        var value = [Bool](repeating: false, count: n)
        var known: Bitmap? = nil
        if a.known != nil || b.known != nil { known = Bitmap(count: n, filled: true) }
        for i in 0..<n {
            let aNull = a.isNull(i), bNull = b.isNull(i)
            let x = a.value[i], y = b.value[i]
            if isAnd {
                if (!aNull && !x) || (!bNull && !y) {
                    value[i] = false
                } else if aNull || bNull {
                    known?[i] = false
                } else {
                    value[i] = true
                }
            } else {
                if (!aNull && x) || (!bNull && y) { value[i] = true } else if aNull || bNull { known?[i] = false } else { value[i] = false }
            }
        }
        return Truth(value: value, known: known)
    }

    /// Column vs constant, on codes and raw numbers. Null on either side gives null.
    static func compare(_ c: Column, _ op: String, _ v: Value) -> Column {
        let n = c.count
        if v.isNull { return Column(data: .boolean([Bool](repeating: false, count: n)), validity: Bitmap(count: n, filled: false)) }
        @inline(__always) func test(_ order: Int) -> Bool {
            switch op {
            case "==": return order == 0
            case "!=": return order != 0
            case "<": return order < 0
            case "<=": return order <= 0
            case ">": return order > 0
            default: return order >= 0
            }
        }
        var out = [Bool](repeating: false, count: n)
        switch (c.data, v) {
        case let (.text(codes, dictionary), .text(s)):
            // Decide once per distinct value, then look the answer up by code.
            let answers = dictionary.values.map { test($0 == s ? 0 : ($0 < s ? -1 : 1)) }
            for i in 0..<n { out[i] = answers[Int(codes[i])] }
        case let (.integer(values), .integer(x)):
            for i in 0..<n { let y = values[i]; out[i] = test(y == x ? 0 : (y < x ? -1 : 1)) }
        case let (.date(values), .date(x)):
            for i in 0..<n { let y = values[i]; out[i] = test(y == x ? 0 : (y < x ? -1 : 1)) }
        default:
            for i in 0..<n where !c.isNull(i) { out[i] = test(Value.compare(c.value(i), v)) }
        }
        return Column(data: .boolean(out), validity: c.validity)
    }

    static func member(_ c: Column, _ values: [Value], negated: Bool) -> Column {
        let n = c.count
        let hasNull = values.contains { $0.isNull }
        var out = [Bool](repeating: false, count: n)
        var known = c.validity ?? Bitmap(count: n, filled: true)
        switch c.data {
        case let .text(codes, dictionary):
            let set = Set(values.compactMap { if case .text(let s) = $0 { return s } else { return nil } })
            let answers = dictionary.values.map { set.contains($0) }
            for i in 0..<n { out[i] = answers[Int(codes[i])] }
        default:
            for i in 0..<n where !c.isNull(i) {
                let x = c.value(i)
                out[i] = values.contains { !$0.isNull && Value.compare(x, $0) == 0 }
            }
        }
        for i in 0..<n {
            if hasNull, !out[i] { known[i] = false }
            if negated { out[i].toggle() }
        }
        return Column(data: .boolean(out), validity: known)
    }
}
