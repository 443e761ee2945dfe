import TallyModel

/// Vectorised evaluation beyond the comparison fast paths: no `Value` per row on the hot path.
///
/// - An expression that reads one column (`upper(LastName)`, `substr(SchoolCode, 1, 3)`,
///   `year(BirthDate)`, `age(BirthDate, @2024-10-02)`, `coalesce(Grade, "??")`) is evaluated once
///   per *distinct* value of that column and the results are gathered by row: a 1M-row grade
///   column is fifteen evaluations.
/// - Arithmetic and comparisons of two columns (`ExitDate - StartDate`, `a + b * 2`) run over
///   the typed arrays, with the row evaluator's exact semantics (overflow and division by zero
///   give null).
/// - `concat` builds each row's bytes straight into a dictionary.
extension Evaluator {
    /// Everything but the row-wise fallback; nil when no vector path applies.
    func vectorPath(_ expr: Expr) throws -> Column? {
        if let c = try binaryKernel(expr) { return c }
        if let c = try concatKernel(expr) { return c }
        if let c = try perDistinct(expr) { return c }
        if let c = try choiceKernel(expr) { return c }
        if let c = try coalesceKernel(expr) { return c }
        return nil
    }

    /// `case when C then A else B end` and `if(C, A, B)` over columns: the condition and both
    /// values are evaluated as columns (each on its own vector path), then each row takes one.
    func choiceKernel(_ expr: Expr) throws -> Column? {
        guard case .call(let name, let args) = expr.kind, name == "case" || name == "if", args.count == 3,
            let table, table.rowCount > 0
        else { return nil }
        guard let type = try typer.type(of: expr) else { return nil }
        let condition = try truth(args[0])
        let a = try evaluate(args[1]).converted(to: type)
        let b = try evaluate(args[2]).converted(to: type)
        guard let a, let b, a.count == rows, b.count == rows, condition.value.count == rows else { return nil }
        let picks = (0..<rows).map { condition.isTrue($0) }
        return Column.choose(picks, a, b)
    }

    /// `coalesce(a, b, ...)` over columns (`coalesce(School, SchoolOfAttendance)` after a full
    /// join): each argument is evaluated as a column, then each row takes the first that is not
    /// null, right to left as nested choices.
    func coalesceKernel(_ expr: Expr) throws -> Column? {
        guard case .call(let name, let args) = expr.kind, name == "coalesce", args.count >= 2,
            let table, table.rowCount > 0, let type = try typer.type(of: expr)
        else { return nil }
        var columns: [Column] = []
        for arg in args {
            guard let c = try evaluate(arg).converted(to: type), c.count == rows else { return nil }
            columns.append(c)
        }
        var result = columns[columns.count - 1]
        for column in columns.dropLast().reversed() {
            guard let chosen = Column.choose((0..<rows).map { !column.isNull($0) }, column, result) else { return nil }
            result = chosen
        }
        return result
    }

    /// The row-wise evaluation (the reference the vector paths are tested against).
    func rowWise(_ expr: Expr) throws -> Column {
        let type = try typer.type(of: expr) ?? .text
        var builder = ColumnBuilder(type: type, capacity: rows)
        for row in 0..<rows { builder.append(evaluateRow(expr, row)) }
        return builder.build()
    }

    static func mentionsTable(_ expr: Expr) -> Bool {
        if case .qualified = expr.kind { return true }
        return expr.children.contains(where: mentionsTable)
    }

    /// An expression of one column, evaluated once per distinct value (and once for null).
    func perDistinct(_ expr: Expr) throws -> Column? {
        guard let table, rows > 64, !Evaluator.mentionsTable(expr) else { return nil }
        let used = Set(Interpreter.columnNames(in: expr)).filter { table.column($0) != nil }
        guard used.count == 1, let name = used.first, let column = table.column(name) else { return nil }
        var index = [Int32](repeating: 0, count: rows)
        var distinct: Column
        switch column.data {
        case .text(let codes, let dictionary):
            guard dictionary.count * 2 <= rows else { return nil }
            // One row per dictionary entry, then a null row.
            distinct = Column(
                data: .text(codes: (0..<Int32(dictionary.count)).map { $0 } + [0], dictionary: dictionary),
                validity: Evaluator.lastIsNull(dictionary.count + 1))
            for i in 0..<rows { index[i] = column.isNull(i) ? Int32(dictionary.count) : codes[i] }
        case .date(let values):
            guard let (d, ix) = Evaluator.distinctValues(values.map { Int64($0) }, column, limit: rows / 2) else { return nil }
            distinct = Column(data: .date(d.map { Int32(truncatingIfNeeded: $0) } + [0]), validity: Evaluator.lastIsNull(d.count + 1))
            index = ix
        case .integer(let values):
            guard let (d, ix) = Evaluator.distinctValues(values, column, limit: rows / 2) else { return nil }
            distinct = Column(data: .integer(d + [0]), validity: Evaluator.lastIsNull(d.count + 1))
            index = ix
        default:
            return nil
        }
        let small = Evaluator(
            copying: self,
            table: Table(
                names: [name], columns: [distinct],
                provenance: .none(count: distinct.count)))
        return try small.rowWise(expr).gather(index)
    }

    static func lastIsNull(_ count: Int) -> Bitmap {
        var bits = Bitmap(count: count, filled: true)
        bits[count - 1] = false
        return bits
    }

    /// The distinct non-null values of a column (in first-seen order) and each row's index into
    /// them, nulls pointing one past the end; nil when there are more than `limit`.
    static func distinctValues(_ values: [Int64], _ column: Column, limit: Int) -> ([Int64], [Int32])? {
        var table = IdTable(capacity: 1024)
        var found: [Int64] = []
        var index = [Int32](repeating: 0, count: values.count)
        var nulls: [Int] = []
        for i in 0..<values.count {
            if column.isNull(i) { nulls.append(i); continue }
            let (id, isNew) = table.id(values[i])
            if isNew {
                found.append(values[i])
                if found.count > limit { return nil }
            }
            index[i] = id
        }
        for i in nulls { index[i] = Int32(found.count) }
        return (found, index)
    }

    /// `+ - * /` and comparisons of two evaluated operands, over the typed arrays.
    func binaryKernel(_ expr: Expr) throws -> Column? {
        guard table != nil, case .binary(let op, let l, let r) = expr.kind,
            ["+", "-", "*", "/", "==", "!=", "<", "<=", ">", ">="].contains(op)
        else { return nil }
        let n = rows
        let comparing = !["+", "-", "*", "/"].contains(op)
        let left = literal(l), right = literal(r)
        if left != nil, right != nil { return nil }
        // A computed side against a constant: compare decided per value, arithmetic broadcast.
        if comparing, let v = right { return Evaluator.compare(try evaluate(l), op, v) }
        if comparing, let v = left {
            let flipped = ["<": ">", "<=": ">=", ">": "<", ">=": "<="][op] ?? op
            return Evaluator.compare(try evaluate(r), flipped, v)
        }
        func side(_ e: Expr, _ constant: Value?) throws -> Column {
            guard let constant else { return try evaluate(e) }
            return Column.constant(constant, type: constant.type ?? .integer, count: n)
        }
        let a = try side(l, left), b = try side(r, right)
        var valid: Bitmap? = nil
        if a.validity != nil || b.validity != nil {
            var bits = Bitmap(count: n, filled: true)
            for i in 0..<n where a.isNull(i) || b.isNull(i) { bits[i] = false }
            valid = bits
        }
        func order<T: Comparable>(_ x: [T], _ y: [T]) -> Column {
            var out = [Bool](repeating: false, count: n)
            for i in 0..<n {
                let o = x[i] == y[i] ? 0 : (x[i] < y[i] ? -1 : 1)
                switch op {
                case "==": out[i] = o == 0
                case "!=": out[i] = o != 0
                case "<": out[i] = o < 0
                case "<=": out[i] = o <= 0
                case ">": out[i] = o > 0
                default: out[i] = o >= 0
                }
            }
            return Column(data: .boolean(out), validity: valid)
        }
        let comparison = comparing
        switch (a.data, b.data) {
        case let (.integer(x), .integer(y)):
            if comparison { return order(x, y) }
            if op == "/" {
                var out = [Double](repeating: 0, count: n)
                var bits = valid ?? Bitmap(count: n, filled: true)
                for i in 0..<n { if y[i] == 0 { bits[i] = false } else { out[i] = Double(x[i]) / Double(y[i]) } }
                return Column(data: .decimal(out), validity: bits)
            }
            var out = [Int64](repeating: 0, count: n)
            var bits = valid ?? Bitmap(count: n, filled: true)
            for i in 0..<n {
                let (v, overflow) =
                    op == "+"
                    ? x[i].addingReportingOverflow(y[i])
                    : op == "-" ? x[i].subtractingReportingOverflow(y[i]) : x[i].multipliedReportingOverflow(by: y[i])
                if overflow { bits[i] = false } else { out[i] = v }
            }
            return Column(data: .integer(out), validity: bits)
        case let (.date(x), .date(y)):
            if comparison { return order(x, y) }
            guard op == "-" else { return nil }
            return Column(data: .integer((0..<n).map { Int64(x[$0]) - Int64(y[$0]) }), validity: valid)
        case let (.date(x), .integer(y)) where op == "+" || op == "-":
            var out = [Int32](repeating: 0, count: n)
            var bits = valid ?? Bitmap(count: n, filled: true)
            for i in 0..<n {
                let v = Int64(x[i]) + (op == "+" ? y[i] : -y[i])
                if v >= Int64(Int32.min), v <= Int64(Int32.max) { out[i] = Int32(v) } else { bits[i] = false }
            }
            return Column(data: .date(out), validity: bits)
        case (.decimal, .decimal), (.decimal, .integer), (.integer, .decimal):
            let x = Evaluator.doubles(a), y = Evaluator.doubles(b)
            if comparison { return order(x, y) }
            var out = [Double](repeating: 0, count: n)
            var bits = valid ?? Bitmap(count: n, filled: true)
            for i in 0..<n {
                switch op {
                case "+": out[i] = x[i] + y[i]
                case "-": out[i] = x[i] - y[i]
                case "*": out[i] = x[i] * y[i]
                default: if y[i] == 0 { bits[i] = false } else { out[i] = x[i] / y[i] }
                }
            }
            return Column(data: .decimal(out), validity: bits)
        default:
            return nil
        }
    }

    static func doubles(_ c: Column) -> [Double] {
        switch c.data {
        case .decimal(let v): return v
        case .integer(let v): return v.map(Double.init)
        default: return [Double](repeating: 0, count: c.count)
        }
    }

    /// `concat(a, b, ...)` of text columns and literals: each row's bytes into a dictionary.
    func concatKernel(_ expr: Expr) throws -> Column? {
        guard let table, case .call(let f, let args) = expr.kind, f == "concat", !args.isEmpty else { return nil }
        enum Part { case text([Int32], [[UInt8]], Column), constant([UInt8]) }
        var parts: [Part] = []
        for arg in args {
            if let v = literal(arg) {
                parts.append(.constant(v.isNull ? [] : Array(v.display.utf8)))
            } else if case .name(let n) = arg.kind, let c = table.column(n), case .text(let codes, let dictionary) = c.data {
                parts.append(.text(codes, dictionary.values.map { Array($0.utf8) }, c))
            } else {
                return nil
            }
        }
        var interner = ByteInterner(capacity: 1024)
        var codes = [Int32](repeating: 0, count: rows)
        var bytes: [UInt8] = []
        for i in 0..<rows {
            bytes.removeAll(keepingCapacity: true)
            for part in parts {
                switch part {
                case .constant(let b): bytes += b
                case .text(let c, let values, let column): if !column.isNull(i) { bytes += values[Int(c[i])] }
                }
            }
            codes[i] = bytes.withUnsafeBufferPointer { interner.intern($0, 0, $0.count) }
        }
        let dictionary = TextDictionary(interned: interner)
        return Column(data: .text(codes: codes, dictionary: dictionary), validity: nil)
    }
}
