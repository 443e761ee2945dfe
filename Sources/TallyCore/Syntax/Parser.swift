import TallyModel

/// Recursive-descent parser: one method per grammar rule. On an error it records a diagnostic
/// and skips to the next statement, so every syntax error is reported in one pass.
public struct Parser {
    let file: String
    let source: String
    /// The source's lines, split once: each statement keeps its own text (splitting per
    /// statement made a 100,000-line playbook take minutes to parse).
    let lines: [Substring]
    var tokens: [Token]
    var position = 0
    var depth = 0
    public private(set) var diagnostics: [Diagnostic] = []
    /// Tables that statements with syntax errors would have made (`x = …`, `load x …`): the
    /// checker of the statements that did parse treats them as known but unchecked.
    public private(set) var failedNames: Set<String> = []

    /// Expressions nest at most this deep, so no playbook can overflow the stack.
    public static let maxDepth = 200
    /// The most levels an expression may have (see `Expr.height`).
    public static let maxHeight = 1000

    /// Parses a playbook; throws a `DiagnosticList` holding every syntax error.
    public static func parse(source raw: String, file: String) throws -> Playbook {
        let source = normalizedLineEnds(raw)
        // A data file run by mistake is one error, not one per field separator.
        if let data = DataFileGuess.diagnose(source, file: file) { throw DiagnosticList([data]) }
        var lexer = Lexer(file: file)
        let tokens = lexer.tokenize(source)
        var parser = Parser(file: file, source: source, tokens: tokens)
        let playbook = parser.parsePlaybook()
        // Inside a statement whose ( was never closed, the parser's errors only repeat the lexer's.
        // (The ranges do not overlap, so the set of their lines is no larger than the file.)
        var unclosedLines = Set<Int>()
        for range in lexer.unclosedRanges { unclosedLines.formUnion(range) }
        let parserDiagnostics = parser.diagnostics.filter { !unclosedLines.contains($0.line) }
        let all = lexer.diagnostics + parserDiagnostics
        if !all.isEmpty {
            throw DiagnosticList(Diagnostic.capped(all.sorted { ($0.line, $0.column) < ($1.line, $1.column) }))
        }
        // A playbook that does nothing must never pass as "all checks passed".
        if playbook.statements.isEmpty {
            throw DiagnosticList([
                Diagnostic(
                    .emptyPlaybook, "the playbook has no statements", file: file, span: SourceSpan(line: 1, column: 1, length: 1),
                    help: "a playbook needs at least one statement, e.g. load T from \"file.csv\"")
            ])
        }
        return playbook
    }

    /// The statements that parse, when others have syntax errors, and the tables the others would
    /// have made: `tally check` and the editor check these too, so one typo does not hide the
    /// other errors of the playbook. Nil for a data file or a playbook with no such statement.
    public static func recover(source raw: String, file: String) -> (playbook: Playbook, failedNames: Set<String>)? {
        let source = normalizedLineEnds(raw)
        if DataFileGuess.diagnose(source, file: file) != nil { return nil }
        var lexer = Lexer(file: file)
        var parser = Parser(file: file, source: source, tokens: lexer.tokenize(source))
        let playbook = parser.parsePlaybook()
        // A statement the lexer found wrong (an unclosed ( or quote) parsed from what the lexer
        // made of it: it is left out too, and its table is unknown.
        var failed = parser.failedNames
        var badLines = Set(lexer.diagnostics.map(\.line))
        for range in lexer.unclosedRanges { badLines.formUnion(range) }
        func isBad(_ node: StatementNode) -> Bool {
            let last = node.line + node.text.reduce(0) { $1 == "\n" ? $0 + 1 : $0 }
            return (node.line...max(node.line, last)).contains(where: badLines.contains)
        }
        let kept = playbook.statements.filter { !isBad($0) }
        for node in playbook.statements where isBad(node) {
            if let made = Interpreter.defines(node) { failed.insert(made) }
        }
        guard !kept.isEmpty else { return nil }
        var partial = playbook
        partial.statements = kept
        return (partial, failed)
    }

    /// CR LF (Windows editors, git's autocrlf) and lone CR become LF. In Swift "\r\n" is one
    /// Character, so splitting on "\n" alone would leave a CR LF file as one long line.
    public static func normalizedLineEnds(_ text: String) -> String {
        guard text.utf8.contains(13) else { return text }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var previousCR = false
        for b in text.utf8 {
            if b == 13 { bytes.append(10); previousCR = true; continue }
            if b == 10, previousCR { previousCR = false; continue }
            previousCR = false
            bytes.append(b)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    init(file: String, source: String, tokens: [Token]) {
        self.file = file
        self.source = source
        self.lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        self.tokens = tokens
    }

    // MARK: token helpers

    var current: Token { tokens[min(position, tokens.count - 1)] }
    func peek(_ offset: Int = 1) -> Token { tokens[min(position + offset, tokens.count - 1)] }
    mutating func advance() -> Token { let t = current; if position < tokens.count - 1 { position += 1 }; return t }

    /// Every diagnostic made here names its code (see DiagnosticCode): there is no form without.
    func error(_ code: DiagnosticCode, _ message: String, _ span: SourceSpan, help: String? = nil) -> Diagnostic {
        Diagnostic(code, message, file: file, span: span, help: help)
    }

    func unexpected(_ expected: String) -> Diagnostic {
        error(.unexpectedToken, "expected \(expected), found \(current.describe)", current.span)
    }

    mutating func expectKeyword(_ word: String) throws {
        guard current.isKeyword(word) else { throw unexpected("\"\(word)\"") }
        _ = advance()
    }

    mutating func acceptKeyword(_ word: String) -> Bool {
        if current.isKeyword(word) { _ = advance(); return true }
        return false
    }

    mutating func expectSymbol(_ s: String) throws {
        guard current.isSymbol(s) else { throw unexpected("\"\(s)\"") }
        _ = advance()
    }

    mutating func acceptSymbol(_ s: String) -> Bool {
        if current.isSymbol(s) { _ = advance(); return true }
        return false
    }

    mutating func name(_ what: String) throws -> Name {
        guard let text = current.identifierText else { throw unexpected(what) }
        return Name(text, advance().span)
    }

    mutating func string(_ what: String) throws -> (String, SourceSpan) {
        guard case .string(let s) = current.kind else { throw unexpected(what) }
        return (s, advance().span)
    }

    mutating func integer(_ what: String) throws -> Int {
        guard case .integer(let v) = current.kind, v <= Int64(Int32.max) else { throw unexpected(what) }
        _ = advance()
        return Int(v)
    }

    mutating func nameList(_ what: String) throws -> [Name] {
        var names = [try name(what)]
        while acceptSymbol(",") { names.append(try name(what)) }
        return names
    }

    // MARK: playbook and statements

    mutating func parsePlaybook() -> Playbook {
        var statements: [StatementNode] = []
        var startName: String?
        var narrative: [String] = []
        while true {
            if case .narrative(let text) = current.kind { narrative.append(text); _ = advance(); continue }
            if case .newline = current.kind { _ = advance(); continue }
            if case .eof = current.kind { break }
            let start = current
            if let name = current.identifierText {
                if peek().isSymbol("=") {
                    startName = name
                } else if name.lowercased() == "load" {
                    startName = peek().identifierText
                } else {
                    startName = nil
                }
            } else {
                startName = nil
            }
            do {
                let statement = try parseStatement()
                guard case .newline = current.kind else {
                    var wrong = error(
                        .unexpectedToken, "unexpected \(current.describe) after the \(statement.keyword) statement", current.span)
                    // `aggregate n = count() School`: the grouping needs its `by`.
                    if case .assign(_, _, let steps) = statement, let last = steps.last?.step, case .identifier = current.kind,
                        last is AggregateStep || last is WindowStep
                    {
                        wrong.help = "did you forget by? … by \(current.identifierText ?? "COLUMN")"
                    }
                    throw wrong
                }
                let endLine = tokens[max(0, position - 1)].span.line
                statements.append(
                    StatementNode(
                        statement: statement, narrative: narrative,
                        text: sourceText(from: start.span.line, to: endLine),
                        line: start.span.line, span: start.span))
                narrative = []
            } catch let diagnostic as Diagnostic {
                diagnostics.append(diagnostic)
                if let startName { failedNames.insert(startName) }
                synchronize()
                narrative = []
            } catch {
                synchronize()
            }
        }
        return Playbook(file: file, source: source, statements: statements, trailingNarrative: narrative)
    }

    /// Skips to the token after the next statement end.
    mutating func synchronize() {
        while true {
            switch current.kind {
            case .eof: return
            case .newline: _ = advance(); return
            default: _ = advance()
            }
        }
    }

    func sourceText(from: Int, to: Int) -> String {
        guard from >= 1, from <= lines.count else { return "" }
        let last = min(max(from, to), lines.count)
        return lines[(from - 1)..<last].map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
            .joined(separator: "\n")
    }

    /// The words a statement starts with (besides `NAME = TABLE | ...`); the golden tests
    /// require a case for each.
    static let statementWords = [
        "playbook", "param", "load", "assert", "compare", "save", "snapshot", "export", "show", "profile", "counts", "chart", "mask",
        "track",
    ]

    mutating func parseStatement() throws -> Statement {
        if current.identifierText != nil, peek().isSymbol("=") { return try parseAssign() }
        guard case .identifier(let word) = current.kind else {
            var wrong = unexpected("a statement (load, NAME = ..., assert, compare, export, show)")
            // `// note` (C, JavaScript): a comment starts with #.
            if case .symbol("/") = current.kind, case .symbol("/") = peek().kind { wrong.help = "a comment starts with #: # like this" }
            throw wrong
        }
        switch word {
        case "playbook":
            _ = advance()
            return .playbook(try string("the playbook's title in quotes").0)
        case "param": return try parseParam()
        case "load": return try parseLoad()
        case "assert": return try parseAssert()
        case "compare": return try parseCompare()
        case "save": return try parseSave()
        case "snapshot": return try parseSnapshot()
        case "track":
            _ = advance()
            let table = try name("the table of CALPADS errors to track")
            let series = acceptKeyword("as") ? try string("the name of the series of submissions in quotes, e.g. \"SENR {lea}\"").0 : nil
            return .track(table, series: series)
        case "export": return try parseExport()
        case "mask":
            _ = advance()
            return .mask(try nameList("a column name"))
        case "show":
            _ = advance()
            let table = try name("a table name")
            var columns: [Name] = [], filter: Expr? = nil, limit: Int? = nil
            if acceptKeyword("columns") { columns = try nameList("a column name") }
            if acceptKeyword("where") { filter = try parseExpression() }
            if acceptKeyword("limit") { limit = try integer("a row count") }
            // `all` instead of `limit N`: every row (paged in a terminal).
            let allSpan = current.span
            let all = acceptKeyword("all")
            if all, limit != nil {
                throw error(.badArguments, "show takes limit N or all, not both", allSpan, help: "leave out limit to show every row")
            }
            return .show(table, columns: columns, filter: filter, limit: limit, all: all)
        case "counts":
            _ = advance()
            let table = try name("a table name")
            try expectKeyword("by")
            return .counts(table, by: try nameList("a column name to count the values of"))
        case "chart": return try parseChart()
        case "profile":
            _ = advance()
            let table = try name("a table name")
            var columns: [Name] = []
            if acceptKeyword("columns") { columns = try nameList("a column name") }
            return .profile(table, columns: columns)
        default:
            let keywords = Parser.statementWords
            // SQL and pandas: say what a playbook writes instead.
            let familiar: [String: String] = [
                "select": "a playbook is not SQL: write NAME = TABLE | filter CONDITION | select COLUMN, ...",
                "with": "a playbook is not SQL: each step is a line of its own, NAME = TABLE | STEP",
                "group": "to count by a column: NAME = TABLE | aggregate n = count() by COLUMN",
                "where": "to keep some rows: NAME = TABLE | filter CONDITION",
                "import": "a playbook needs no import: load NAME from \"FILE\"",
                "df": "a playbook is not pandas: load df from \"FILE\", then NAME = df | filter CONDITION",
            ]
            let help =
                familiar[word.lowercased()] ?? Suggest.closest(to: word, in: keywords).map { "did you mean \"\($0)\"?" }
                ?? "a statement starts with load, assert, compare, save, snapshot, export, show, profile, counts, chart, or NAME = TABLE | ..."
            throw error(.unknownStatement, "unknown statement \"\(Diagnostic.shown(word))\"", current.span, help: help)
        }
    }

    /// `chart T bar|line Y by X` or `chart T histogram Y [bins N]`.
    mutating func parseChart() throws -> Statement {
        _ = advance()
        let table = try name("a table name")
        let kindName = try name("a kind of chart: bar, line or histogram")
        guard let kind = ChartKind(rawValue: kindName.text.lowercased()) else {
            throw error(
                .unknownOption, "unknown chart kind \"\(Diagnostic.shown(kindName.text))\"", kindName.span,
                help: Suggest.help(for: kindName.text, in: ChartKind.allCases.map(\.rawValue), noun: "kinds of chart")
                    ?? "chart T bar Y by X, chart T line Y by X, or chart T histogram Y")
        }
        let y = try name(kind == .histogram ? "the numeric column to draw a histogram of" : "the numeric column to draw (Y)")
        if kind == .histogram {
            if current.isKeyword("by") {
                throw error(
                    .badArguments, "a histogram counts the values of one column: it has no by", current.span,
                    help: "chart \(table.text) histogram \(y.text) [bins N], or chart \(table.text) bar \(y.text) by COLUMN")
            }
            var bins: Int? = nil
            if acceptKeyword("bins") {
                let span = current.span
                bins = try integer("a number of bins")
                if let n = bins, !(1...100).contains(n) { throw error(.badLiteral, "bins must be from 1 to 100", span) }
            }
            return .chart(table, kind: kind, y: y, x: nil, bins: bins)
        }
        guard acceptKeyword("by") else {
            throw error(
                .unexpectedToken, "expected \"by\" and the column along the chart (X), found \(current.describe)", current.span,
                help: "chart \(table.text) \(kind.rawValue) \(y.text) by COLUMN")
        }
        let x = try name("the column along the chart (X)")
        return .chart(table, kind: kind, y: y, x: x, bins: nil)
    }

    mutating func parseParam() throws -> Statement {
        _ = advance()
        let paramName = try name("a parameter name")
        try expectSymbol(":")
        let typeName = try name("a type (text, integer, decimal, date, boolean, path)")
        // `path` is text that may name folders (`/srv/2025`, `../shared`): only path templates use it.
        let isPath = typeName.text.lowercased() == "path"
        guard let type = isPath ? .text : DataType(rawValue: typeName.text.lowercased()) else {
            throw error(
                .unknownOption, "unknown type \"\(typeName.text)\"", typeName.span,
                help: Suggest.help(for: typeName.text, in: DataType.allCases.map(\.rawValue) + ["path"], noun: "types"))
        }
        if acceptKeyword("required") { return .param(name: paramName, type: type, defaultValue: nil, required: true, isPath: isPath) }
        try expectSymbol("=")
        let literal = try parseLiteral()
        return .param(name: paramName, type: type, defaultValue: literal, required: false, isPath: isPath)
    }

    mutating func parseLiteral() throws -> Value {
        let negative = acceptSymbol("-")
        switch current.kind {
        case .string(let s): _ = advance(); return .text(s)
        case .integer(let v): _ = advance(); return .integer(negative ? -v : v)
        case .decimal(let v): _ = advance(); return .decimal(negative ? -v : v)
        case .date(let d): _ = advance(); return .date(d)
        case .identifier("true"): _ = advance(); return .boolean(true)
        case .identifier("false"): _ = advance(); return .boolean(false)
        case .identifier("null"): _ = advance(); return .null
        default: throw unexpected("a value (\"text\", 42, 3.5, @2025-10-01, true, false)")
        }
    }

    mutating func parseLoad() throws -> Statement {
        _ = advance()
        let table = try name("a table name")
        try expectKeyword("from")
        let (path, pathSpan) = try string("a file path in quotes")
        var format: FormatSpec? = nil
        if acceptKeyword("as") { format = try parseFormat() }
        let options = try parseOptions()
        return .load(name: table, path: path, pathSpan: pathSpan, format: format, options: options)
    }

    mutating func parseExport() throws -> Statement {
        _ = advance()
        let table = try name("a table name")
        try expectKeyword("to")
        let (path, pathSpan) = try string("a file path in quotes")
        // `split by COLUMN` right after the path or at the end.
        var split: Name? = nil
        if acceptKeyword("split") {
            try expectKeyword("by")
            split = try name("the column to make a folder per value of")
        }
        var format: FormatSpec? = nil
        if acceptKeyword("as") { format = try parseFormat() }
        var options = try parseOptions()
        if split == nil, acceptKeyword("split") {
            try expectKeyword("by")
            split = try name("the column to make a folder per value of")
        }
        options.split = split
        return .export(table: table, path: path, pathSpan: pathSpan, format: format, options: options)
    }

    mutating func parseFormat() throws -> FormatSpec {
        let word = try name("a format (csv, tsv, delimited, calpads, xlsx, sqlite)")
        switch word.text.lowercased() {
        case "csv": return .csv
        case "tsv": return .tsv
        case "delimited":
            let (d, span) = try string("the delimiter in quotes, e.g. \"^\"")
            guard d.unicodeScalars.count == 1, d.unicodeScalars.first.map({ $0.isASCII }) == true else {
                throw error(.delimiter, "a delimiter is one ASCII character, not \"\(d)\"", span)
            }
            return .delimited(d)
        case "calpads":
            // What CALPADS sends back: `calpads errors`, `calpads report "1.17"`, `calpads SENR rejected`.
            if acceptKeyword("errors") { return .calpadsErrors }
            if acceptKeyword("report") {
                let (report, span) = try string("the report's number in quotes, e.g. \"1.17\"")
                guard CalpadsReturns.reportName(report) != nil else {
                    throw error(
                        .unknownLayout,
                        "Tally reads certification reports \(CalpadsReturns.reportNames.map { "\"\($0)\"" }.joined(separator: ", ")), not \"\(report)\"",
                        span,
                        help: "1.1 Primary Enrollment, 1.17 LCFF Unduplicated Pupil – Count, 8.1 Student Profile")
                }
                return .calpadsReport(report)
            }
            let layout = try name("a CALPADS file type such as SENR")
            var year: String? = nil
            var extract = false
            var rejected: Name? = nil
            while true {
                if acceptKeyword("year") { year = try string("an academic year such as \"2024-2025\"").0; continue }
                if acceptKeyword("extract") { extract = true; continue }
                if current.isKeyword("rejected") { rejected = try name("rejected"); continue }
                break
            }
            if let rejected {
                if extract {
                    throw error(.badArguments, "a rejected-records extract has no ODS extract columns: drop extract", rejected.span)
                }
                return .calpadsRejected(layout: layout.text, year: year)
            }
            return .calpads(layout: layout.text, year: year, extract: extract)
        case "xlsx":
            var sheet: String? = nil
            var headerRow: Int? = nil
            while true {
                if acceptKeyword("sheet") {
                    // `sheet by COLUMN` (an export: a sheet per value) is `sheet "{COLUMN}"`.
                    if acceptKeyword("by") { sheet = "{" + (try name("the column to make a sheet per value of")).text + "}"; continue }
                    sheet = try string("a sheet name in quotes").0
                    continue
                }
                if current.isKeyword("header"), peek().isKeyword("row") {
                    _ = advance(); _ = advance()
                    headerRow = try integer("a row number")
                    continue
                }
                break
            }
            return .xlsx(sheet: sheet, headerRow: headerRow)
        case "sqlite":
            let file = try string("the database file in quotes").0
            try expectKeyword("table")
            let table = try string("the table name in quotes").0
            return .sqlite(file: file, table: table)
        default:
            throw error(
                .unknownOption, "unknown format \"\(word.text)\"", word.span,
                help: Suggest.help(for: word.text, in: ["csv", "tsv", "delimited", "calpads", "xlsx", "sqlite"], noun: "formats"))
        }
    }

    static let optionWords: Set<String> = [
        "header", "encoding", "missing", "null", "columns", "delimiter", "dates", "trim", "upper",
        "masked", "unmasked", "raw", "map",
    ]

    /// `with header false, encoding "cp1252", missing ("", "N/A"), columns (...)`; `with` and
    /// the commas are optional.
    mutating func parseOptions() throws -> IOOptions {
        var options = IOOptions()
        let sawWith = acceptKeyword("with")
        var first = true
        while true {
            if !first { _ = acceptSymbol(",") }
            guard case .identifier(let word) = current.kind, Parser.optionWords.contains(word.lowercased()) else {
                if sawWith, first {
                    throw error(
                        .unexpectedToken, "expected an option after \"with\", found \(current.describe)", current.span,
                        help:
                            "options: header false, encoding \"cp1252\", missing (\"\", \"N/A\"), null if (\"N/A\"), trim, upper COL, columns (...), delimiter \"^\", dates \"MM/DD/YYYY\"; on exports masked or unmasked"
                    )
                }
                return options
            }
            first = false
            _ = advance()
            switch word.lowercased() {
            case "header":
                options.headerGiven = true
                if acceptKeyword("false") {
                    options.header = false
                } else if acceptKeyword("true") {
                    options.header = true
                } else {
                    throw unexpected("true or false")
                }
            case "encoding": options.encoding = try string("an encoding such as \"cp1252\"").0
            case "delimiter":
                let (d, span) = try string("the delimiter in quotes")
                guard d.unicodeScalars.count == 1 else { throw error(.delimiter, "a delimiter is one character", span) }
                options.delimiter = d
            case "dates": options.dateFormat = try string("a date format such as \"MM/DD/YYYY\"").0
            case "trim": options.trim = true
            case "masked": options.masked = true
            case "unmasked": options.masked = false
            case "raw": options.raw = true
            case "map": options.map = true
            case "upper":
                repeat {
                    options.upper.append(try name("a column to upper-case"))
                } while current.isSymbol(",") && (peek().identifierText.map { !Parser.optionWords.contains($0.lowercased()) } ?? false)
                    && acceptSymbol(",")
            case "null":
                // `null if ("", "N/A")`: the same as missing (...).
                guard acceptKeyword("if") else { throw unexpected("if, as in: null if (\"\", \"N/A\")") }
                fallthrough
            case "missing":
                if acceptSymbol("(") {
                    var values: [String] = []
                    repeat { values.append(try string("a text value").0) } while acceptSymbol(",")
                    try expectSymbol(")")
                    options.missing = values
                } else {
                    options.missing = [try string("a text value").0]
                }
            default: // columns
                try expectSymbol("(")
                repeat {
                    let column = try name("a column name")
                    try expectSymbol(":")
                    let typeName = try name("a type (text, integer, decimal, date, boolean)")
                    guard let type = DataType(rawValue: typeName.text.lowercased()) else {
                        throw error(
                            .unknownOption, "unknown type \"\(typeName.text)\"", typeName.span,
                            help: Suggest.help(for: typeName.text, in: DataType.allCases.map(\.rawValue), noun: "types"))
                    }
                    var format: String? = nil
                    if case .string(let f) = current.kind {
                        let span = advance().span
                        guard type == .date else { throw error(.badOperand, "only date columns take a format", span) }
                        guard DateCodec.Pattern(f) != nil else {
                            throw error(
                                .badLiteral, "\"\(f)\" is not a date format", span,
                                help: "use YYYY, MM, DD (or M, D) and separators, e.g. \"MM/DD/YYYY\"")
                        }
                        format = f
                    }
                    options.columns.append(ColumnDeclaration(name: column, type: type, dateFormat: format))
                } while acceptSymbol(",")
                try expectSymbol(")")
            }
        }
    }
}
