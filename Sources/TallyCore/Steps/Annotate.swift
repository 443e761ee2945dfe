import TallyModel

/// `annotate with FINDINGS`: whether Tally's own rules (the findings of `validate calpads`)
/// predicted each error CALPADS reported.
public struct AnnotateStep: StepKind {
    public static let keyword = "annotate"
    public static let usage = "annotate with FINDINGS — whether Tally's rules predicted each CALPADS error"
    var findings: Name

    public static func parse(_ p: inout Parser) throws -> Self {
        try p.expectKeyword("with")
        return Self(findings: try p.name("the findings of validate calpads"))
    }

    public var tablesRead: [String] { [findings.text] }
    /// The input's columns, and new ones of rule IDs and notes.
    public func lineage(_ ctx: LineageContext) -> ColumnLineage { ctx.unchanged }

    private func text(_ column: Column?, _ row: Int) -> String? { ReturnSteps.text(column, row) }
    private func key(_ s: String) -> String { ReturnSteps.key(s) }

    public func schema(_ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        let other = try ctx.requireTable(findings)
        guard other.contains("rule") else {
            throw ctx.error(
                .missingKeyColumn, "\(findings.text) has no rule column: annotate with the findings of validate", findings.span,
                help: "findings = senr | validate calpads SENR with sinf")
        }
        guard input.contains("ErrorCode") || input.contains(CalpadsReturns.ruleColumn) else {
            throw ctx.error(
                .missingKeyColumn,
                "\(ctx.tableName) has no ErrorCode column: annotate a table loaded as calpads errors or calpads SENR rejected",
                findings.span)
        }
        var fields = ReturnSteps.annotateColumns
        if !input.contains(CalpadsReturns.ruleColumn) { fields.insert(Schema.Field(name: CalpadsReturns.ruleColumn, type: .text), at: 0) }
        return ReturnSteps.appending(fields, to: input)
    }

    public func run(_ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult) {
        let findingsName = findings
        guard let findings = ctx.tables[findingsName.text] else {
            throw Diagnostic(.unknownTable, "unknown table \"\(findingsName.text)\"", file: ctx.file, span: findingsName.span)
        }
        let ruleColumn = findings.column("rule"), fileColumn = findings.column("file"), lineColumn = findings.column("line")
        let ssidColumn = findings.column("SSID")
        // Tally's findings by record: its file and line, else its SSID.
        var byLine: [String: [Int]] = [:], bySSID: [String: [Int]] = [:]
        for row in 0..<findings.rowCount {
            if let f = text(fileColumn, row), let l = text(lineColumn, row) {
                byLine[f + ":" + l, default: []].append(row)
            } else if let s = text(ssidColumn, row) {
                bySSID[key(s), default: []].append(row)
            }
        }
        let code = input.column("ErrorCode"), given = input.column(CalpadsReturns.ruleColumn), inputSSID = input.column("SSID")
        let located = input.column("located_by")
        func ruleID(_ row: Int) -> String? { text(given, row) ?? text(code, row).map(CalpadsReturns.ruleID) }
        // Errors grouped by the record they point at.
        var groups: [String: [Int]] = [:], order: [String] = []
        for row in 0..<input.rowCount {
            let k: String
            if let place = input.provenance.location(row), byLine[place.file + ":\(place.line)"] != nil {
                k = "L" + place.file + ":\(place.line)"
            } else if let s = text(inputSSID, row), bySSID[key(s)] != nil {
                k = "S" + key(s)
            } else {
                k = "R\(row)"
            }
            if groups[k] == nil { order.append(k) }
            groups[k, default: []].append(row)
        }
        var pairedFinding = [Int?](repeating: nil, count: input.rowCount)
        var exact = [Bool](repeating: false, count: input.rowCount)
        var usedFindings = Set<Int>()
        for k in order {
            guard let rows = groups[k] else { continue }
            let candidates: [Int]
            switch k.first {
            case "L": candidates = byLine[String(k.dropFirst())] ?? []
            case "S": candidates = bySSID[String(k.dropFirst())] ?? []
            default: candidates = []
            }
            var left = candidates
            // The same rule first, then Tally's other findings on the record, in order.
            for row in rows {
                guard let id = ruleID(row), let i = left.firstIndex(where: { text(ruleColumn, $0).map(CalpadsReturns.ruleID) == id }) else {
                    continue
                }
                pairedFinding[row] = left[i]; exact[row] = true
                left.remove(at: i)
            }
            for row in rows where pairedFinding[row] == nil {
                guard !left.isEmpty else { break }
                pairedFinding[row] = left.removeFirst()
            }
            for f in candidates where !left.contains(f) { usedFindings.insert(f) }
        }
        var ruleBuilder = ColumnBuilder(type: .text, capacity: input.rowCount)
        var predicted = ColumnBuilder(type: .boolean, capacity: input.rowCount)
        var findingBuilder = ColumnBuilder(type: .text, capacity: input.rowCount)
        var tallyRule = ColumnBuilder(type: .text, capacity: input.rowCount)
        var notes = ColumnBuilder(type: .text, capacity: input.rowCount)
        var same = 0, other = 0, gaps = 0, silent = 0
        for row in 0..<input.rowCount {
            let id = ruleID(row)
            ruleBuilder.append(id.map { .text($0) } ?? .null)
            let known = id.flatMap { CalpadsRules.rule($0) }
            tallyRule.append(known.map { .text($0.description) } ?? .null)
            if let f = pairedFinding[row], let rule = text(ruleColumn, f) {
                predicted.append(.boolean(true))
                findingBuilder.append(.text(rule))
                if exact[row] {
                    same += 1
                    notes.append(.text("predicted: Tally's \(rule) flagged this record"))
                } else {
                    other += 1
                    let what = CalpadsRules.rule(rule).map { " (\($0.description))" } ?? ""
                    notes.append(.text("predicted under another ID: Tally flagged this record as \(rule)\(what)"))
                }
            } else {
                predicted.append(.boolean(false))
                findingBuilder.append(.null)
                if let located, located.isNull(row) {
                    notes.append(.text("not predicted: its record was not found in the file sent, so Tally's findings cannot be matched"))
                    if known == nil { gaps += 1 } else { silent += 1 }
                } else if let known {
                    silent += 1
                    notes.append(.text("not predicted: Tally has rule \(known.id) but it did not flag this record — check the rule"))
                } else {
                    gaps += 1
                    notes.append(
                        .text("not predicted: Tally has no rule \(id ?? "for this error") — a gap in Tally's rules worth recording"))
                }
            }
        }
        var out = input
        for name in ReturnSteps.annotateColumns.map(\.name) where out.column(name) != nil { out.removeColumn(name) }
        if input.column(CalpadsReturns.ruleColumn) == nil { out.setColumn(CalpadsReturns.ruleColumn, ruleBuilder.build()) }
        out.setColumn("predicted", predicted.build())
        out.setColumn("tally_finding", findingBuilder.build())
        out.setColumn("tally_rule", tallyRule.build())
        out.setColumn("note", notes.build())
        var result = StepResult(keyword: "annotate", rowsIn: input.rowCount, rowsOut: out.rowCount)
        result.notes = [
            "\(Format.count(same + other)) of \(Format.plural(input.rowCount, "error")) predicted by Tally's rules (\(Format.count(same)) under the same ID, \(Format.count(other)) under another); \(Format.count(gaps + silent)) not predicted: \(Format.count(gaps)) with no Tally rule, \(Format.count(silent)) where Tally's rule did not fire"
        ]
        let severity = findings.column("severity")
        let unmatched = (0..<findings.rowCount).filter { !usedFindings.contains($0) && text(severity, $0) != "warning" }.count
        if unmatched > 0 {
            result.notes.append(
                "\(Format.plural(unmatched, "fatal Tally finding")) in \(findingsName.text) on records CALPADS reported no error for")
        }
        return (out, result)
    }
}
