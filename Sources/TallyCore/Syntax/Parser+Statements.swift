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
                throw error(.sqlSpelling, "\(function.text)(*) is written \(function.text)() in a playbook", current.span,
                            help: "count() counts rows; count(COLUMN) counts the rows where COLUMN is not null")
            }
            if !current.isSymbol(")") { argument = try parseExpression() }
            try expectSymbol(")")
            items.append((column, function, argument))
        } while acceptSymbol(",")
        return items
    }

    static let stepWords = ["filter", "derive", "select", "drop", "rename", "join", "aggregate", "window", "pivot", "unpivot", "sort",
                            "take", "distinct", "union", "validate", "diff", "locate", "annotate"]

    mutating func parseStep() throws -> Step {
        guard case .identifier(let word) = current.kind else { throw unexpected("a step (filter, join, aggregate, ...)") }
        let wordSpan = advance().span
        switch word {
        case "filter": return .filter(try parseExpression())
        case "derive":
            var items: [(Name, Expr)] = []
            repeat {
                let column = try name("a column name")
                try expectSymbol("=")
                items.append((column, try parseExpression()))
            } while acceptSymbol(",")
            return .derive(items)
        case "select":
            var items: [(source: Name, alias: Name?)] = []
            if case .symbol("*") = current.kind {
                throw error(.sqlSpelling, "select names the columns to keep; * is SQL's", current.span,
                            help: "to keep every column, leave select out; to leave some out, write: drop COLUMN, ...")
            }
            repeat {
                let column = try name("a column name")
                let alias = acceptKeyword("as") ? try name("the new column name") : nil
                items.append((column, alias))
            } while acceptSymbol(",")
            return .select(items)
        case "drop": return .drop(try nameList("a column name"))
        case "rename":
            var items: [(from: Name, to: Name)] = []
            repeat {
                let old = try name("a column name")
                guard acceptKeyword("as") || acceptKeyword("to") else { throw unexpected("\"as\" and the new name") }
                items.append((old, try name("the new column name")))
            } while acceptSymbol(",")
            return .rename(items)
        case "join":
            var kind = JoinKind.inner
            if let text = current.identifierText, let k = JoinKind(rawValue: text.lowercased()),
               !peek().isKeyword("on") {
                kind = k
                _ = advance()
            }
            let table = try name("the table to join")
            try expectKeyword("on")
            var keys: [(left: Name, right: Name)] = []
            repeat {
                let left = try name("a key column")
                if acceptSymbol("==") || acceptSymbol("=") { keys.append((left, try name("the other table's key column"))) }
                else { keys.append((left, left)) }
            } while acceptSymbol(",")
            var expectation: JoinExpectation? = nil
            if acceptKeyword("expect") {
                let start = current.span
                var words: [String] = []
                while let text = current.identifierText, ["one", "many", "to"].contains(text.lowercased()) {
                    words.append(text.lowercased()); _ = advance()
                    if !acceptSymbol("-") { break }
                }
                guard let e = JoinExpectation(rawValue: words.joined(separator: "-")) else {
                    throw error(.unexpectedToken, "expected one-to-one, many-to-one or one-to-many after \"expect\"", start)
                }
                expectation = e
            }
            return .join(kind: kind, table: table, keys: keys, expect: expectation)
        case "aggregate":
            let items = try functionItems("the result column's name", "an aggregate function (count, count_distinct, sum, min, max, avg)")
            var keys: [Name] = []
            if acceptKeyword("by") { keys = try nameList("a key column") }
            return .aggregate(items, by: keys)
        case "window":
            let items = try functionItems("the new column's name", "a window function (row_number, rank, lag, lead, count, sum)")
            var keys: [Name] = []
            if acceptKeyword("by") { keys = try nameList("a partition column") }
            var order: [(Name, descending: Bool)] = []
            if acceptKeyword("order") {
                try expectKeyword("by")
                repeat {
                    let column = try name("a column to order by")
                    let descending = acceptKeyword("desc")
                    if !descending { _ = acceptKeyword("asc") }
                    order.append((column, descending))
                } while acceptSymbol(",")
            }
            return .window(items, by: keys, order: order)
        case "pivot":
            _ = acceptKeyword("values")
            let function = try name("an aggregate function (count, count_distinct, sum, min, max, avg)")
            try expectSymbol("(")
            var argument: Expr? = nil
            if !current.isSymbol(")") { argument = try parseExpression() }
            try expectSymbol(")")
            var keys: [Name] = []
            if acceptKeyword("by") { keys = try nameList("a key column (one row per key)") }
            guard acceptKeyword("across") else {
                throw unexpected("\"across\" and the column whose values become columns (across GradeLevelCode)")
            }
            let across = try name("the column whose values become columns")
            var columns: [Expr]? = nil
            if acceptKeyword("in") {
                try expectSymbol("(")
                var items: [Expr] = []
                repeat { items.append(try parseExpression()) } while acceptSymbol(",")
                try expectSymbol(")")
                columns = items
            }
            return .pivot(function: function, argument: argument, by: keys, across: across, columns: columns)
        case "unpivot":
            var except = false
            if current.identifierText?.lowercased() == "all", peek().isKeyword("except") {
                _ = advance(); _ = advance()
                except = true
            }
            let columns = try nameList(except ? "a column to keep" : "a column to turn into rows")
            guard acceptKeyword("into") else {
                throw unexpected("\"into\" and the two new columns' names (into GradeLevelCode, students)")
            }
            let key = try name("the new column of former column names")
            try expectSymbol(",")
            let value = try name("the new column of their values")
            return .unpivot(columns: columns, except: except, into: key, value: value)
        case "sort":
            if current.isKeyword("by"), peek().identifierText != nil {
                throw error(.sqlSpelling, "sort takes the columns without \"by\"", current.span, help: "write: sort \(peek().identifierText ?? "COLUMN") [desc], ...")
            }
            var items: [(Name, descending: Bool)] = []
            repeat {
                let column = try name("a column name")
                var descending = false
                if acceptKeyword("desc") { descending = true } else { _ = acceptKeyword("asc") }
                items.append((column, descending))
            } while acceptSymbol(",")
            return .sort(items)
        case "take": return .take(try integer("a row count"))
        case "distinct":
            if acceptKeyword("by") { return .distinct(by: try nameList("a column name")) }
            return .distinct(by: [])
        case "union": return .union(try name("a table name"))
        case "validate":
            try expectKeyword("calpads")
            let layout = try name("a CALPADS file type such as SENR")
            let with = acceptKeyword("with") ? try nameList("a table name") : []
            return .validate(layout: layout, with: with)
        case "locate":
            try expectKeyword("in")
            return .locate(try name("the table to find the records in (the submitted file, or its map)"))
        case "annotate":
            try expectKeyword("with")
            return .annotate(try name("the findings of validate calpads"))
        case "diff":
            try expectKeyword("snapshot")
            let snapshot = try string("the snapshot's name in quotes").0
            var baseline: SnapshotBaseline? = nil
            if acceptKeyword("as") {
                try expectKeyword("of")
                if case .integer(let id) = current.kind { _ = advance(); baseline = .run(id) }
                else { baseline = .label(try string("a run id or a run label in quotes, e.g. as of \"certified\"").0) }
            }
            return .diffSnapshot(snapshot, asOf: baseline, scope: try scopeClause())
        default:
            // What SQL and pandas users reach for.
            let familiar: [String: String] = [
                "group": "to count or sum by a column, write: aggregate n = count() by COLUMN, ...",
                "groupby": "to count or sum by a column, write: aggregate n = count() by COLUMN, ...",
                "order": "write: sort COLUMN [desc], ...", "orderby": "write: sort COLUMN [desc], ...",
                "where": "write: filter CONDITION", "limit": "write: take N", "head": "write: take N",
                "merge": "write: join [inner|left|anti|semi] TABLE on KEY",
            ]
            throw error(.unknownStatement, "unknown step \"\(Diagnostic.shown(word))\"", wordSpan,
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
            } else { break }
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
            if acceptKeyword("by") { keys = try nameList("a key column") }
            else if acceptKeyword("within") { tolerance = try parseTolerance() }
            else if acceptKeyword("severity") { severity = try parseSeverity() }
            else if acceptKeyword("as") { alias = try name("a table name for the comparison") }
            else { break }
        }
        return .compare(table: table, column: column, target: target, by: keys, tolerance: tolerance,
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
