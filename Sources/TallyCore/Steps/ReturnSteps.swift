/// Steps that close the loop with what CALPADS sends back: `locate in TABLE` finds the record
/// each reported error is about (CALPADS returns no line numbers), and `annotate with FINDINGS`
/// says whether Tally's own rules predicted it.
enum ReturnSteps {
    static let locateColumns: [Schema.Field] = [
        .init(name: "source_file", type: .text), .init(name: "source_line", type: .integer), .init(name: "located_by", type: .text),
    ]
    static let annotateColumns: [Schema.Field] = [
        .init(name: "predicted", type: .boolean), .init(name: "tally_finding", type: .text),
        .init(name: "tally_rule", type: .text), .init(name: "note", type: .text),
    ]

    /// A table plus columns (an existing column of the same name is replaced).
    static func appending(_ fields: [Schema.Field], to input: Schema) -> Schema {
        var schema = input
        let names = Set(fields.map(\.name))
        schema.columns.removeAll { names.contains($0.name) }
        schema.columns += fields
        return schema
    }

    static func locateSchema(_ target: Name, _ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        let other = try ctx.requireTable(target)
        guard input.contains("LocalRecordID") || input.contains("SSID") else {
            throw ctx.error(.missingKeyColumn, "to locate records, \(ctx.tableName) needs a LocalRecordID or SSID column (as calpads errors and calpads SENR rejected have)", target.span)
        }
        guard other.contains("LocalRecordID") || other.contains("SSID") else {
            throw ctx.error(.missingKeyColumn, "\(target.text) has no LocalRecordID or SSID column to find records by", target.span,
                            help: "locate in the table loaded as calpads SENR, or in the map an export with map wrote")
        }
        return appending(locateColumns, to: input)
    }

    static func annotateSchema(_ findings: Name, _ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        let other = try ctx.requireTable(findings)
        guard other.contains("rule") else {
            throw ctx.error(.missingKeyColumn, "\(findings.text) has no rule column: annotate with the findings of validate", findings.span,
                            help: "findings = senr | validate calpads SENR with sinf")
        }
        guard input.contains("ErrorCode") || input.contains(CalpadsReturns.ruleColumn) else {
            throw ctx.error(.missingKeyColumn, "\(ctx.tableName) has no ErrorCode column: annotate a table loaded as calpads errors or calpads SENR rejected", findings.span)
        }
        var fields = annotateColumns
        if !input.contains(CalpadsReturns.ruleColumn) { fields.insert(Schema.Field(name: CalpadsReturns.ruleColumn, type: .text), at: 0) }
        return appending(fields, to: input)
    }

    /// Identifiers compare as written, except that leading zeros are ignored between two digit
    /// strings (a map read back as CSV may have typed a school code as a number).
    static func key(_ s: String) -> String {
        let t = s.trimmedSpaces()
        guard !t.isEmpty, t.allSatisfy({ $0.isASCII && $0.isNumber }) else { return t }
        let stripped = t.drop { $0 == "0" }
        return stripped.isEmpty ? "0" : String(stripped)
    }

    static func text(_ column: Column?, _ row: Int) -> String? {
        guard let column, !column.isNull(row) else { return nil }
        let v = column.value(row).display.trimmedSpaces()
        return v.isEmpty ? nil : v
    }

    static func locate(_ target: Name, _ span: SourceSpan, _ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult) {
        guard let other = ctx.tables[target.text] else { throw Diagnostic(.unknownTable, "unknown table \"\(target.text)\"", file: ctx.file, span: target.span) }
        let mapFile = other.column("source_file"), mapLine = other.column("source_line")
        let isMap = mapFile != nil && mapLine != nil
        let otherRecord = other.column("LocalRecordID"), otherSSID = other.column("SSID"), otherSchool = other.column("SchoolOfAttendance")
        // The record's start date tells apart two enrollments of one student at one school.
        let startNames = ["StartDate", "EnrollmentSchoolStartDate", "EducationProgramMembershipStartDate",
                          "EnglishLanguageAcquisitionStatusStartDate", "EffectiveStartDate"]
        let otherStart = startNames.lazy.compactMap { other.column($0) }.first
        var byRecord: [String: [Int]] = [:], bySchool: [String: [Int]] = [:], bySSID: [String: [Int]] = [:]
        for row in 0..<other.rowCount {
            if let id = text(otherRecord, row) { byRecord[key(id), default: []].append(row) }
            if let ssid = text(otherSSID, row) {
                bySSID[key(ssid), default: []].append(row)
                if let school = text(otherSchool, row) { bySchool[key(ssid) + "\u{1F}" + key(school), default: []].append(row) }
            }
        }
        func location(_ row: Int) -> (file: String, line: Int)? {
            if isMap {
                guard let f = text(mapFile, row), let l = mapLine.flatMap({ $0.isNull(row) ? nil : $0.value(row).doubleValue }) else { return nil }
                return (f, Int(l))
            }
            return other.provenance.location(row)
        }
        let record = input.column("LocalRecordID"), ssid = input.column("SSID"), school = input.column("SchoolOfAttendance")
        let start = startNames.lazy.compactMap { input.column($0) }.first
        var files = input.provenance.files
        var fileIndex = input.provenance.fileIndex, lines = input.provenance.line
        var fileBuilder = ColumnBuilder(type: .text, capacity: input.rowCount)
        var lineBuilder = ColumnBuilder(type: .integer, capacity: input.rowCount)
        var howBuilder = ColumnBuilder(type: .text, capacity: input.rowCount)
        var counts: [String: Int] = [:]
        var notFound = 0
        for row in 0..<input.rowCount {
            var found: Int? = nil, how = ""
            if let id = text(record, row), let rows = byRecord[key(id)] {
                found = rows[0]
                how = rows.count == 1 ? "Local Record ID" : "Local Record ID (first of \(rows.count) records)"
            } else if let s = text(ssid, row) {
                if let sc = text(school, row), var rows = bySchool[key(s) + "\u{1F}" + key(sc)] {
                    if rows.count > 1, let start, let otherStart, !start.isNull(row) {
                        let same = rows.filter { !otherStart.isNull($0) && otherStart.value($0) == start.value(row) }
                        if !same.isEmpty { rows = same; how = "SSID, school and start date" }
                    }
                    found = rows[0]
                    if how.isEmpty { how = "SSID and school" }
                    if rows.count > 1 { how += " (first of \(rows.count) records)" }
                } else if let rows = bySSID[key(s)] {
                    found = rows[0]
                    how = rows.count == 1 ? "SSID" : "SSID (first of \(rows.count) records)"
                }
            }
            if let found, let place = location(found) {
                var index = files.firstIndex(of: place.file)
                if index == nil, files.count < Int(UInt16.max) { files.append(place.file); index = files.count - 1 }
                if let index {
                    fileIndex[row] = UInt16(index)
                    lines[row] = Int32(clamping: place.line)
                }
                fileBuilder.append(.text(place.file))
                lineBuilder.append(.integer(Int64(place.line)))
                howBuilder.append(.text(how))
                counts[how.components(separatedBy: " (").first ?? how, default: 0] += 1
            } else {
                fileBuilder.append(.null); lineBuilder.append(.null); howBuilder.append(.null)
                notFound += 1
            }
        }
        var out = input
        for name in locateColumns.map(\.name) where out.column(name) != nil { out.removeColumn(name) }
        out.setColumn("source_file", fileBuilder.build())
        out.setColumn("source_line", lineBuilder.build())
        out.setColumn("located_by", howBuilder.build())
        out.provenance = Provenance(files: files, fileIndex: fileIndex, line: lines)
        var result = StepResult(keyword: "locate", rowsIn: input.rowCount, rowsOut: out.rowCount)
        let found = input.rowCount - notFound
        var note = "\(Format.count(found)) of \(Format.plural(input.rowCount, "row")) located in \(target.text)"
        if !counts.isEmpty { note += ": " + counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\(Format.count($0.value)) by \($0.key)" }.joined(separator: ", ") }
        result.notes = [note]
        if notFound > 0 {
            result.notes.append("\(Format.plural(notFound, "row")) not found: no record with its Local Record ID or SSID (source_file and source_line are null)")
        }
        return (out, result)
    }

    static func annotate(_ findingsName: Name, _ span: SourceSpan, _ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult) {
        guard let findings = ctx.tables[findingsName.text] else {
            throw Diagnostic(.unknownTable, "unknown table \"\(findingsName.text)\"", file: ctx.file, span: findingsName.span)
        }
        let ruleColumn = findings.column("rule"), fileColumn = findings.column("file"), lineColumn = findings.column("line")
        let ssidColumn = findings.column("SSID")
        // Tally's findings by record: its file and line, else its SSID.
        var byLine: [String: [Int]] = [:], bySSID: [String: [Int]] = [:]
        for row in 0..<findings.rowCount {
            if let f = text(fileColumn, row), let l = text(lineColumn, row) { byLine[f + ":" + l, default: []].append(row) }
            else if let s = text(ssidColumn, row) { bySSID[key(s), default: []].append(row) }
        }
        let code = input.column("ErrorCode"), given = input.column(CalpadsReturns.ruleColumn), inputSSID = input.column("SSID")
        let located = input.column("located_by")
        func ruleID(_ row: Int) -> String? { text(given, row) ?? text(code, row).map(CalpadsReturns.ruleID) }
        // Errors grouped by the record they point at.
        var groups: [String: [Int]] = [:], order: [String] = []
        for row in 0..<input.rowCount {
            let k: String
            if let place = input.provenance.location(row), byLine[place.file + ":\(place.line)"] != nil { k = "L" + place.file + ":\(place.line)" }
            else if let s = text(inputSSID, row), bySSID[key(s)] != nil { k = "S" + key(s) }
            else { k = "R\(row)" }
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
                guard let id = ruleID(row), let i = left.firstIndex(where: { text(ruleColumn, $0).map(CalpadsReturns.ruleID) == id }) else { continue }
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
                    notes.append(.text("not predicted: Tally has no rule \(id ?? "for this error") — a gap in Tally's rules worth recording"))
                }
            }
        }
        var out = input
        for name in annotateColumns.map(\.name) where out.column(name) != nil { out.removeColumn(name) }
        if input.column(CalpadsReturns.ruleColumn) == nil { out.setColumn(CalpadsReturns.ruleColumn, ruleBuilder.build()) }
        out.setColumn("predicted", predicted.build())
        out.setColumn("tally_finding", findingBuilder.build())
        out.setColumn("tally_rule", tallyRule.build())
        out.setColumn("note", notes.build())
        var result = StepResult(keyword: "annotate", rowsIn: input.rowCount, rowsOut: out.rowCount)
        result.notes = ["\(Format.count(same + other)) of \(Format.plural(input.rowCount, "error")) predicted by Tally's rules (\(Format.count(same)) under the same ID, \(Format.count(other)) under another); \(Format.count(gaps + silent)) not predicted: \(Format.count(gaps)) with no Tally rule, \(Format.count(silent)) where Tally's rule did not fire"]
        let severity = findings.column("severity")
        let unmatched = (0..<findings.rowCount).filter { !usedFindings.contains($0) && text(severity, $0) != "warning" }.count
        if unmatched > 0 {
            result.notes.append("\(Format.plural(unmatched, "fatal Tally finding")) in \(findingsName.text) on records CALPADS reported no error for")
        }
        return (out, result)
    }
}
