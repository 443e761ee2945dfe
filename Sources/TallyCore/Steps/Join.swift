import TallyModel

/// `join [inner|left|anti|semi] TABLE on KEY, ... [expect many-to-one]`: a hash join that keeps
/// the left table's row order. Null keys never match. A non-key column both sides have is taken
/// from the right as `TABLE_COLUMN`.
public struct JoinStep: StepKind {
    public static let keyword = "join"
    public static let usage =
        "join [inner|left|full|anti|semi] TABLE on KEY [== KEY2], ... [expect one-to-one|many-to-one|one-to-many] — a hash join; null keys never match"
    var kind: JoinKind
    var table: Name
    var keys: [(left: Name, right: Name)]
    var expect: JoinExpectation?

    public static func parse(_ p: inout Parser) throws -> Self {
        var kind = JoinKind.inner
        if let text = p.current.identifierText, let k = JoinKind(rawValue: text.lowercased()), !p.peek().isKeyword("on") {
            kind = k
            _ = p.advance()
        }
        let table = try p.name("the table to join")
        try p.expectKeyword("on")
        var keys: [(left: Name, right: Name)] = []
        repeat {
            let left = try p.name("a key column")
            if p.acceptSymbol("==") || p.acceptSymbol("=") {
                keys.append((left, try p.name("the other table's key column")))
            } else {
                keys.append((left, left))
            }
        } while p.acceptSymbol(",")
        var expectation: JoinExpectation? = nil
        if p.acceptKeyword("expect") {
            let start = p.current.span
            var words: [String] = []
            while let text = p.current.identifierText, ["one", "many", "to"].contains(text.lowercased()) {
                words.append(text.lowercased()); _ = p.advance()
                if !p.acceptSymbol("-") { break }
            }
            guard let e = JoinExpectation(rawValue: words.joined(separator: "-")) else {
                throw p.error(.unexpectedToken, "expected one-to-one, many-to-one or one-to-many after \"expect\"", start)
            }
            expectation = e
        }
        return Self(kind: kind, table: table, keys: keys, expect: expectation)
    }

    public var tablesRead: [String] { [table.text] }

    public func lineage(_ ctx: LineageContext) -> ColumnLineage {
        var out: ColumnLineage = [:]
        let right = ctx.tables(table.text)
        for name in ctx.inputNames { out[name] = ctx.of(name) }
        // The right side's columns, laid out as the join lays them out (`sinf_SSID`).
        let layout = Self.layout(
            kind, left: ctx.inputNames, right: ctx.columnNames(table.text),
            rightTable: table.text, rightKeys: keys.map(\.right.text))
        for item in layout where item.fromRight {
            out[item.output] = Lineage.of(item.source, in: right).union([item.output])
        }
        // A full join's keys hold the right's values on the rows only the right has.
        if kind == .full {
            for key in keys { out[key.left.text] = (out[key.left.text] ?? []).union(Lineage.of(key.right.text, in: right)) }
        }
        return out
    }

    /// Output columns: (from the right side?, source column, output name).
    static func layout(
        _ kind: JoinKind, left: [String], right: [String], rightTable: String,
        rightKeys: [String]
    ) -> [(fromRight: Bool, source: String, output: String)] {
        var out = left.map { (false, $0, $0) }
        guard kind == .inner || kind == .left || kind == .full else { return out }
        var used = Set(left)
        for name in right where !rightKeys.contains(name) {
            var output = name
            if used.contains(output) {
                output = "\(rightTable)_\(name)"
                var n = 2
                while used.contains(output) { output = "\(rightTable)_\(name)_\(n)"; n += 1 }
            }
            used.insert(output)
            out.append((true, name, output))
        }
        // A key spelt differently on the right (`on a == b`) is not repeated: it equals the left's.
        return out
    }

    public func schema(_ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        let right = try ctx.requireTable(table)
        for key in keys {
            let a = try ctx.requireColumn(key.left, in: input)
            let b = try ctx.requireColumn(key.right, in: right, table: table.text)
            guard a.isComparable(with: b) else {
                throw ctx.error(
                    .mismatchedTypes,
                    "join keys have different types: \(ctx.tableName).\(key.left.text) is \(a.rawValue), \(table.text).\(key.right.text) is \(b.rawValue)",
                    key.left.span.through(key.right.span),
                    help:
                        "IDs should be text on both sides: declare the column with columns (\(a == .text ? key.right.text : key.left.text): text) where it is loaded"
                )
            }
        }
        // Columns a pivot will make on either side are known only at run time.
        var schema = Schema(columns: [], open: input.open ?? right.open)
        for item in Self.layout(kind, left: input.names, right: right.names, rightTable: table.text, rightKeys: keys.map(\.right.text)) {
            let t = item.fromRight ? right.type(of: item.source) : input.type(of: item.source)
            schema.columns.append(Schema.Field(name: item.output, type: t ?? .text))
        }
        return schema
    }

    public func run(_ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult) {
        let span = ctx.span
        guard let right = ctx.tables[table.text] else {
            throw Diagnostic(.unknownTable, "unknown table \"\(table.text)\"", file: ctx.file, span: table.span)
        }
        let leftKeys = keys.compactMap { input.column($0.left.text) }
        let rightKeys = keys.compactMap { right.column($0.right.text) }
        let plan = Table.planJoin(
            kind: kind, left: leftKeys, right: rightKeys,
            leftCount: input.rowCount, rightCount: right.rowCount)
        if let expect {
            var quoted: [SensitiveValue] = []
            func describe(_ table: Table, _ names: [String], _ row: Int, _ count: Int) -> String {
                let values = names.map { n -> String in
                    let value = table.column(n)?.value(row).display ?? ""
                    quoted.append(SensitiveValue(value: value, lineage: [n]))
                    return "\(n) \(value)"
                }.joined(separator: ", ")
                return "\(values) (\(count) rows)"
            }
            let rightNames = keys.map(\.right.text), leftNames = keys.map(\.left.text)
            if expect != .oneToMany, !plan.rightDuplicates.isEmpty {
                let examples = plan.rightDuplicates.prefix(5).map { describe(right, rightNames, $0.row, $0.count) }
                throw Diagnostic(
                    .expectBroken,
                    "join expected \(expect.rawValue), but \(plan.rightDuplicates.count) key\(plan.rightDuplicates.count == 1 ? "" : "s") match more than one row of \"\(table.text)\": "
                        + examples.joined(separator: "; "),
                    file: ctx.file, span: span,
                    help: "remove the duplicates first (| distinct by \(rightNames.joined(separator: ", "))) or fix the source file"
                ).quoting(quoted)
            }
            if expect != .manyToOne, !plan.leftDuplicates.isEmpty {
                let examples = plan.leftDuplicates.prefix(5).map { describe(input, leftNames, $0.row, $0.count) }
                throw Diagnostic(
                    .expectBroken,
                    "join expected \(expect.rawValue), but \(plan.leftDuplicates.count) key\(plan.leftDuplicates.count == 1 ? "" : "s") match more than one row of \"\(ctx.tableName)\": "
                        + examples.joined(separator: "; "),
                    file: ctx.file, span: span,
                    help: "remove the duplicates first (| distinct by \(leftNames.joined(separator: ", "))) or fix the source file"
                ).quoting(quoted)
            }
        }
        var names: [String] = []
        var leftColumns: [Column] = [], rightColumns: [Column] = []
        var fromRight: [Bool] = []
        for item in Self.layout(kind, left: input.names, right: right.names, rightTable: table.text, rightKeys: keys.map(\.right.text)) {
            guard let column = item.fromRight ? right.column(item.source) : input.column(item.source) else { continue }
            names.append(item.output)
            fromRight.append(item.fromRight)
            if item.fromRight { rightColumns.append(column) } else { leftColumns.append(column) }
        }
        let gatheredLeft = Column.gather(leftColumns, plan.leftRows), gatheredRight = Column.gather(rightColumns, plan.rightRows)
        var l = 0, r = 0
        var columns: [Column] = fromRight.map { isRight in
            if isRight { r += 1; return gatheredRight[r - 1] }
            l += 1
            return gatheredLeft[l - 1]
        }
        var provenance = input.provenance.gather(plan.leftRows)
        if let from = plan.rightOnlyFrom {
            // A full join's right-only rows: their keys come from the right, and so do their lines.
            let picks = (0..<plan.leftRows.count).map { $0 < from }
            for key in keys {
                guard let k = names.firstIndex(of: key.left.text), let rightKey = right.column(key.right.text),
                    let merged = Column.choose(picks, columns[k], rightKey.gather(plan.rightRows))
                else { continue }
                columns[k] = merged
            }
            provenance = Provenance(
                files: input.provenance.files, fileIndex: Array(provenance.fileIndex[..<from]), line: Array(provenance.line[..<from])
            )
            .appending(right.provenance.gather(Array(plan.rightRows[from...])))
        }
        let output = Table(names: names, columns: columns, provenance: provenance)
        var result = StepResult(keyword: "join", rowsIn: input.rowCount, rowsOut: output.rowCount)
        result.join = plan.stats
        // More rows out than in (not counting a full join's right-only rows) means some key
        // matched several right rows: say so unless the playbook expects it.
        let fromLeft = plan.rightOnlyFrom ?? output.rowCount
        if expect == nil, kind != .anti, kind != .semi, fromLeft > input.rowCount, !plan.rightDuplicates.isEmpty {
            result.notes.append(
                "warning: \(Format.plural(plan.rightDuplicates.count, "key")) match\(plan.rightDuplicates.count == 1 ? "es" : "") more than one row of \"\(table.text)\", so \(Format.count(input.rowCount)) rows became \(Format.count(fromLeft)) (say expect one-to-many if that is meant, or keep one row per key first: | distinct by \(keys.map(\.right.text).joined(separator: ", ")))"
            )
        }
        return (output, result)
    }
}
