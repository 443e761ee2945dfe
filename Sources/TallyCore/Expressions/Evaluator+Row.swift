import TallyModel

/// The row-at-a-time evaluator: the general fallback of `Evaluator.evaluate`, and the whole
/// evaluator for scalar assertions (row -1).
extension Evaluator {
    public func evaluateRow(_ expr: Expr, _ row: Int) -> Value {
        switch expr.kind {
        case .literal(let v): return v
        case .name(let n):
            if row >= 0, let c = table?.column(n) { return c.value(row) }
            return params[n] ?? .null
        case .qualified: return .null
        case .unary(let op, let operand):
            let v = evaluateRow(operand, row)
            if op == "not" { if case .boolean(let b) = v { return .boolean(!b) }; return .null }
            switch v {
            case .integer(let x): return .integer(0 &- x)
            case .decimal(let x): return .decimal(-x)
            default: return .null
            }
        case .binary(let op, let l, let r):
            let a = evaluateRow(l, row)
            if op == "and" {
                if case .boolean(false) = a { return .boolean(false) }
                let b = evaluateRow(r, row)
                if case .boolean(false) = b { return .boolean(false) }
                return a.isNull || b.isNull ? .null : .boolean(true)
            }
            if op == "or" {
                if case .boolean(true) = a { return .boolean(true) }
                let b = evaluateRow(r, row)
                if case .boolean(true) = b { return .boolean(true) }
                return a.isNull || b.isNull ? .null : .boolean(false)
            }
            let b = evaluateRow(r, row)
            if a.isNull || b.isNull { return .null }
            switch op {
            case "==": return .boolean(Value.compare(a, b) == 0)
            case "!=": return .boolean(Value.compare(a, b) != 0)
            case "<": return .boolean(Value.compare(a, b) < 0)
            case "<=": return .boolean(Value.compare(a, b) <= 0)
            case ">": return .boolean(Value.compare(a, b) > 0)
            case ">=": return .boolean(Value.compare(a, b) >= 0)
            default: return Evaluator.arithmetic(op, a, b)
            }
        case .inList(let l, let items, let negated):
            let v = evaluateRow(l, row)
            if v.isNull { return .null }
            var sawNull = false
            for item in items {
                let x = evaluateRow(item, row)
                if x.isNull { sawNull = true; continue }
                if Value.compare(v, x) == 0 { return .boolean(!negated) }
            }
            return sawNull ? .null : .boolean(negated)
        case .between(let e, let low, let high, let negated):
            let v = evaluateRow(e, row), a = evaluateRow(low, row), b = evaluateRow(high, row)
            if v.isNull || a.isNull || b.isNull { return .null }
            let inside = Value.compare(v, a) >= 0 && Value.compare(v, b) <= 0
            return .boolean(inside != negated)
        case .isNull(let e, let negated):
            return .boolean(evaluateRow(e, row).isNull != negated)
        case .like(let e, let p, let negated):
            guard case .text(let s) = evaluateRow(e, row), case .text(let pattern) = evaluateRow(p, row) else { return .null }
            return .boolean(Evaluator.like(Array(s), Array(pattern)) != negated)
        case .call(let name, let args):
            if row < 0, FunctionRegistry.aggregateNames.contains(name) { return tableAggregate(name, args) }
            guard let definition = FunctionRegistry.all[name] else { return .null }
            return definition.evaluate(args.map { evaluateRow($0, row) }, clock)
        }
    }

    /// `count(T)`, `sum(T.c)`, ... over a whole table.
    func tableAggregate(_ name: String, _ args: [Expr]) -> Value {
        guard let arg = args.first else { return .null }
        switch arg.kind {
        case .name(let t): return .integer(Int64(tables[t]?.rowCount ?? 0))
        case .qualified(let t, let c):
            guard let table = tables[t], let column = table.column(c), let function = AggregateFunction(rawValue: name) else {
                return .null
            }
            let result = table.aggregate(by: [], [Table.AggregateSpec(name: name, function: function, input: column)])
            return result.columns[0].value(0)
        default: return .null
        }
    }

    static func arithmetic(_ op: String, _ a: Value, _ b: Value) -> Value {
        switch (a, b) {
        case let (.integer(x), .integer(y)):
            switch op {
            case "+": let (r, o) = x.addingReportingOverflow(y); return o ? .null : .integer(r)
            case "-": let (r, o) = x.subtractingReportingOverflow(y); return o ? .null : .integer(r)
            case "*": let (r, o) = x.multipliedReportingOverflow(by: y); return o ? .null : .integer(r)
            default: return y == 0 ? .null : .decimal(Double(x) / Double(y))
            }
        case let (.date(d), .integer(n)) where op == "+" || op == "-":
            let r = Int64(d) + (op == "+" ? n : -n)
            return r >= Int64(Int32.min) && r <= Int64(Int32.max) ? .date(Int32(r)) : .null
        case let (.integer(n), .date(d)) where op == "+":
            let r = Int64(d) + n
            return r >= Int64(Int32.min) && r <= Int64(Int32.max) ? .date(Int32(r)) : .null
        case let (.date(x), .date(y)) where op == "-": return .integer(Int64(x) - Int64(y))
        default:
            guard let x = a.doubleValue, let y = b.doubleValue else { return .null }
            switch op {
            case "+": return .decimal(x + y)
            case "-": return .decimal(x - y)
            case "*": return .decimal(x * y)
            default: return y == 0 ? .null : .decimal(x / y)
            }
        }
    }

    /// SQL LIKE: `%` any run of characters, `_` one character. Iterative, no recursion.
    static func like(_ s: [Character], _ p: [Character]) -> Bool {
        var i = 0, j = 0, star = -1, mark = 0
        while i < s.count {
            if j < p.count, p[j] == "_" || p[j] == s[i] {
                i += 1; j += 1
            } else if j < p.count, p[j] == "%" {
                star = j; mark = i; j += 1
            } else if star >= 0 {
                j = star + 1; mark += 1; i = mark
            } else {
                return false
            }
        }
        while j < p.count, p[j] == "%" { j += 1 }
        return j == p.count
    }
}
