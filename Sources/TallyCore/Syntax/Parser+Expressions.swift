import TallyModel

/// Expression grammar, loosest first: or, and, not, comparison (== != < <= > >= in between
/// is null like), + -, * /, unary minus, primary.
extension Parser {
    mutating func parseExpression() throws -> Expr {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Parser.maxDepth else {
            throw error(
                .tooDeep, "expression nested too deeply (more than \(Parser.maxDepth) levels)", current.span,
                help: "split it into several derive steps")
        }
        let expr = try parseOr()
        try checkHeight(expr)
        return expr
    }

    /// An expression deeper than `Parser.maxHeight` levels (a chain of thousands of `+`, a
    /// `case` of thousands of branches) is an error at its start, before anything recurses into it.
    func checkHeight(_ expr: Expr) throws {
        guard expr.height > Parser.maxHeight else { return }
        throw error(
            .tooDeep, "expression too long or nested too deeply (more than \(Parser.maxHeight) levels of operators and parentheses)",
            SourceSpan(line: expr.span.line, column: expr.span.column, length: 1),
            help: "split it into several derive steps")
    }

    mutating func parseOr() throws -> Expr {
        var left = try parseAnd()
        while current.isKeyword("or") {
            _ = advance()
            let right = try parseAnd()
            try checkHeight(left)
            left = Expr(.binary("or", left, right), left.span.through(right.span))
        }
        return left
    }

    mutating func parseAnd() throws -> Expr {
        var left = try parseNot()
        while current.isKeyword("and") {
            _ = advance()
            let right = try parseNot()
            try checkHeight(left)
            left = Expr(.binary("and", left, right), left.span.through(right.span))
        }
        return left
    }

    mutating func parseNot() throws -> Expr {
        if current.isKeyword("not") {
            let start = advance().span
            depth += 1
            defer { depth -= 1 }
            guard depth <= Parser.maxDepth else { throw error(.tooDeep, "expression nested too deeply", start) }
            let operand = try parseNot()
            return Expr(.unary("not", operand), start.through(operand.span))
        }
        return try parseComparison()
    }

    mutating func parseComparison() throws -> Expr {
        let left = try parseAdditive()
        if case .symbol(let op) = current.kind, ["==", "!=", "<", "<=", ">", ">=", "="].contains(op) {
            let opSpan = advance().span
            if op == "=" {
                // `= null` (SQL's habit) would only become `== null`, which is never true.
                if current.isKeyword("null") {
                    throw error(
                        .nullComparison, "= null is never true: a comparison with null is unknown", opSpan,
                        help: "write: \(ExprTyper.source(left)) is null")
                }
                throw error(
                    .sqlSpelling, "use == to compare values", opSpan, help: "\"=\" names a new column in derive; comparisons use ==")
            }
            let right = try parseAdditive()
            return Expr(.binary(op, left, right), left.span.through(right.span))
        }
        var negated = false
        if current.isKeyword("not"), peek().isKeyword("in") || peek().isKeyword("between") || peek().isKeyword("like") {
            _ = advance()
            negated = true
        }
        if acceptKeyword("in") {
            try expectSymbol("(")
            var items: [Expr] = []
            if !current.isSymbol(")") {
                repeat { items.append(try parseAdditive()) } while acceptSymbol(",")
            }
            let end = current.span
            try expectSymbol(")")
            return Expr(.inList(left, items, negated: negated), left.span.through(end))
        }
        if acceptKeyword("between") {
            let low = try parseAdditive()
            try expectKeyword("and")
            let high = try parseAdditive()
            return Expr(.between(left, low, high, negated: negated), left.span.through(high.span))
        }
        if acceptKeyword("like") {
            let pattern = try parseAdditive()
            return Expr(.like(left, pattern, negated: negated), left.span.through(pattern.span))
        }
        if current.isKeyword("is") {
            _ = advance()
            let not = acceptKeyword("not")
            let end = current.span
            try expectKeyword("null")
            return Expr(.isNull(left, negated: not), left.span.through(end))
        }
        return left
    }

    mutating func parseAdditive() throws -> Expr {
        var left = try parseMultiplicative()
        while case .symbol(let op) = current.kind, op == "+" || op == "-" {
            _ = advance()
            let right = try parseMultiplicative()
            try checkHeight(left)
            left = Expr(.binary(op, left, right), left.span.through(right.span))
        }
        return left
    }

    mutating func parseMultiplicative() throws -> Expr {
        var left = try parseUnary()
        while case .symbol(let op) = current.kind, op == "*" || op == "/" {
            _ = advance()
            let right = try parseUnary()
            try checkHeight(left)
            left = Expr(.binary(op, left, right), left.span.through(right.span))
        }
        return left
    }

    mutating func parseUnary() throws -> Expr {
        if current.isSymbol("-") {
            let start = advance().span
            depth += 1
            defer { depth -= 1 }
            guard depth <= Parser.maxDepth else { throw error(.tooDeep, "expression nested too deeply", start) }
            let operand = try parseUnary()
            if case .literal(.integer(let v)) = operand.kind { return Expr(.literal(.integer(-v)), start.through(operand.span)) }
            if case .literal(.decimal(let v)) = operand.kind { return Expr(.literal(.decimal(-v)), start.through(operand.span)) }
            return Expr(.unary("-", operand), start.through(operand.span))
        }
        return try parsePrimary()
    }

    /// `case when C then A [when C2 then B ...] [else D] end`, read as nested `case(C, A, ...)`
    /// calls (each a vectorised choice); without `else` the value is null.
    mutating func parseCase(start: SourceSpan) throws -> Expr {
        var branches: [(Expr, Expr)] = []
        while acceptKeyword("when") {
            let condition = try parseExpression()
            guard acceptKeyword("then") else { throw unexpected("then, after the condition of when") }
            branches.append((condition, try parseExpression()))
        }
        guard !branches.isEmpty else { throw unexpected("when, after case") }
        var otherwise = Expr(.literal(.null), current.span)
        if acceptKeyword("else") { otherwise = try parseExpression() }
        let end = current.span
        guard acceptKeyword("end") else {
            throw error(
                .unclosed, "this case is never closed", start,
                help: "end it with end: case when CONDITION then VALUE else OTHER end")
        }
        var result = otherwise
        for (condition, value) in branches.reversed() {
            result = Expr(.call("case", [condition, value, result]), start.through(end))
        }
        return result
    }

    mutating func parsePrimary() throws -> Expr {
        let token = current
        switch token.kind {
        case .string(let s): _ = advance(); return Expr(.literal(.text(s)), token.span)
        case .integer(let v): _ = advance(); return Expr(.literal(.integer(v)), token.span)
        case .decimal(let v): _ = advance(); return Expr(.literal(.decimal(v)), token.span)
        case .date(let d): _ = advance(); return Expr(.literal(.date(d)), token.span)
        case .percent:
            throw error(.badLiteral, "a percentage is only allowed as a tolerance", token.span, help: "write 0.02 for 2% in an expression")
        case .symbol("("):
            _ = advance()
            let inner = try parseExpression()
            try expectSymbol(")")
            return inner
        case .quotedIdentifier(let s):
            _ = advance()
            return Expr(.name(s), token.span)
        case .identifier(let word):
            _ = advance()
            switch word {
            case "true": return Expr(.literal(.boolean(true)), token.span)
            case "false": return Expr(.literal(.boolean(false)), token.span)
            case "null": return Expr(.literal(.null), token.span)
            case "case" where current.identifierText?.lowercased() == "when":
                return try parseCase(start: token.span)
            default: break
            }
            if current.isSymbol("(") {
                _ = advance()
                var args: [Expr] = []
                if current.isSymbol("*"), peek().isSymbol(")") {
                    // SQL's count(*).
                    throw error(
                        .sqlSpelling, "\(word)(*) is written \(word)() in a playbook", current.span,
                        help: "count() counts rows; count(COLUMN) counts the rows where COLUMN is not null")
                }
                if !current.isSymbol(")") {
                    repeat { args.append(try parseExpression()) } while acceptSymbol(",")
                }
                let end = current.span
                try expectSymbol(")")
                return Expr(.call(word.lowercased(), args), token.span.through(end))
            }
            if current.isSymbol("."), let column = peek().identifierText {
                _ = advance()
                let end = advance().span
                return Expr(.qualified(table: word, column: column), token.span.through(end))
            }
            return Expr(.name(word), token.span)
        default:
            throw unexpected("a value, column or function")
        }
    }
}
