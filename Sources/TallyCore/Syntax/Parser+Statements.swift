import TallyModel

extension Parser {
    mutating func parseAssign() throws -> Statement {
        let target = try name("a table name")
        try expectSymbol("=")
        let source = try name("a table name")
        var steps: [StepNode] = []
        while current.isSymbol("|") {
            _ = advance()
            let start = current.span
            let step = try parseStep()
            steps.append(StepNode(step: step, span: start))
        }
        return .assign(name: target, source: source, steps: steps)
    }

    /// `NAME = FUNC([EXPR]), ...` (aggregate and window items).
    mutating func functionItems(_ nameWhat: String, _ functionWhat: String) throws -> [(name: Name, function: Name, argument: Expr?)] {
        var items: [(name: Name, function: Name, argument: Expr?)] = []
        repeat {
            let column = try name(nameWhat)
            try expectSymbol("=")
            let function = try name(functionWhat)
            try expectSymbol("(")
            var argument: Expr? = nil
            if current.isSymbol("*"), peek().isSymbol(")") {
                throw error(
                    .sqlSpelling, "\(function.text)(*) is written \(function.text)() in a playbook", current.span,
                    help: "count() counts rows; count(COLUMN) counts the rows where COLUMN is not null")
            }
            if !current.isSymbol(")") { argument = try parseExpression() }
            try expectSymbol(")")
            items.append((column, function, argument))
        } while acceptSymbol(",")
        return items
    }

    /// The step keywords (`StepRegistry` is their one list).
    static var stepWords: [String] { StepRegistry.keywords }

    mutating func parseStep() throws -> any StepKind {
        guard case .identifier(let word) = current.kind else { throw unexpected("a step (filter, join, aggregate, ...)") }
        let wordSpan = advance().span
        if let kind = StepRegistry.kind(word) { return try kind.parse(&self) }
        switch word {
        default:
            // What SQL and pandas users reach for.
            let familiar: [String: String] = [
                "group": "to count or sum by a column, write: aggregate n = count() by COLUMN, ...",
                "groupby": "to count or sum by a column, write: aggregate n = count() by COLUMN, ...",
                "order": "write: sort COLUMN [desc], ...", "orderby": "write: sort COLUMN [desc], ...",
                "where": "write: filter CONDITION", "limit": "write: take N", "head": "write: take N",
                "merge": "write: join [inner|left|anti|semi] TABLE on KEY",
            ]
            throw error(
                .unknownStatement, "unknown step \"\(Diagnostic.shown(word))\"", wordSpan,
                help: familiar[word.lowercased()] ?? Suggest.help(for: word, in: Parser.stepWords, noun: "steps"))
        }
    }

    mutating func parseAssert() throws -> Statement {
        _ = advance()
        let predicate: Predicate
        if let table = current.identifierText {
            let tableName = Name(table, current.span)
            if peek().isKeyword("is"), peek(2).isKeyword("empty") {
                _ = advance(); _ = advance(); _ = advance()
                predicate = .isEmpty(tableName, negated: false)
            } else if peek().isKeyword("is"), peek(2).isKeyword("not"), peek(3).isKeyword("empty") {
                _ = advance(); _ = advance(); _ = advance(); _ = advance()
                predicate = .isEmpty(tableName, negated: true)
            } else if peek().isKeyword("is"), peek(2).isKeyword("valid") {
                _ = advance(); _ = advance(); _ = advance()
                try expectKeyword("calpads")
                let layout = try name("a CALPADS file type such as SENR")
                let with = acceptKeyword("with") ? try nameList("a table name") : []
                predicate = .valid(tableName, layout: layout, with: with)
            } else if peek().isKeyword("unique") {
                _ = advance(); _ = advance()
                try expectKeyword("by")
                predicate = .unique(tableName, by: try nameList("a column name"))
            } else if peek().isSymbol(":") {
                _ = advance(); _ = advance()
                predicate = .rows(tableName, try parseExpression())
            } else {
                predicate = .scalar(try parseExpression())
            }
        } else {
            predicate = .scalar(try parseExpression())
        }
        var severity = Diagnostic.Severity.error
        var message: String? = nil
        var id: String? = nil
        while true {
            if acceptKeyword("severity") {
                severity = try parseSeverity()
            } else if acceptKeyword("message") {
                message = try string("the message in quotes").0
            } else if acceptKeyword("id") {
                id = try string("the check's id in quotes").0
            } else {
                break
            }
        }
        return .assert(predicate, severity: severity, message: message, id: id)
    }

    mutating func parseCompare() throws -> Statement {
        _ = advance()
        let table = try name("TABLE.COLUMN")
        try expectSymbol(".")
        let column = try name("the column to compare")
        try expectKeyword("with")
        let target: CompareTarget
        if acceptKeyword("expected") {
            let expected = try string("the expected set's name in quotes").0
            var version: Int? = nil
            if acceptKeyword("version") { version = try integer("a version number") }
            target = .expected(expected, version: version)
        } else if current.isKeyword("previous"), peek().isKeyword("run") {
            _ = advance(); _ = advance()
            target = .previousRun
        } else if current.isKeyword("run"), case .string(let label) = peek().kind {
            _ = advance(); _ = advance()
            target = .run(label)
        } else {
            let other = try name("expected \"NAME\", previous run, run \"LABEL\" or TABLE.COLUMN")
            try expectSymbol(".")
            target = .column(table: other, column: try name("a column name"))
        }
        var keys: [Name] = []
        var tolerance: Tolerance? = nil
        var severity = Diagnostic.Severity.error
        var alias: Name? = nil
        while true {
            if acceptKeyword("by") {
                keys = try nameList("a key column")
            } else if acceptKeyword("within") {
                tolerance = try parseTolerance()
            } else if acceptKeyword("severity") {
                severity = try parseSeverity()
            } else if acceptKeyword("as") {
                alias = try name("a table name for the comparison")
            } else {
                break
            }
        }
        return .compare(
            table: table, column: column, target: target, by: keys, tolerance: tolerance,
            severity: severity, name: alias)
    }

    /// The word after `severity`.
    mutating func parseSeverity() throws -> Diagnostic.Severity {
        let word = try name("error or warning")
        guard let severity = Diagnostic.Severity(rawValue: word.text.lowercased()) else {
            throw error(.unknownOption, "severity is error or warning, not \"\(word.text)\"", word.span)
        }
        return severity
    }

    mutating func parseTolerance() throws -> Tolerance {
        var tolerance = Tolerance()
        repeat {
            switch current.kind {
            case .percent(let p): tolerance.percent = p; _ = advance()
            case .integer(let v): tolerance.absolute = Double(v); _ = advance()
            case .decimal(let v): tolerance.absolute = v; _ = advance()
            default: throw unexpected("a tolerance such as 2%, 3 or 2% or 3")
            }
        } while acceptKeyword("or")
        return tolerance
    }

    mutating func parseSave() throws -> Statement {
        _ = advance()
        let table = try name("TABLE.COLUMN")
        try expectSymbol(".")
        let column = try name("the column to save")
        try expectKeyword("as")
        try expectKeyword("expected")
        let expected = try string("the expected set's name in quotes").0
        try expectKeyword("by")
        return .save(table: table, column: column, expected: expected, by: try nameList("a key column"))
    }

    mutating func parseSnapshot() throws -> Statement {
        _ = advance()
        let table = try name("a table name")
        try expectKeyword("by")
        let keys = try nameList("a key column")
        try expectKeyword("as")
        let name = try string("the snapshot's name in quotes").0
        return .snapshot(table: table, by: keys, name: name, scope: try scopeClause())
    }

    /// `scope (lea, year)` after a snapshot or a diff: the parameters a baseline must share
    /// (`scope ()`: none, any earlier run of the playbook). Nil when there is no clause.
    mutating func scopeClause() throws -> [Name]? {
        guard acceptKeyword("scope") else { return nil }
        try expectSymbol("(")
        if acceptSymbol(")") { return [] }
        let names = try nameList("a parameter's name")
        try expectSymbol(")")
        return names
    }
}
