import TallyModel

/// `locate in TABLE`: the record each error CALPADS reported is about (CALPADS returns no line
/// numbers), by Local Record ID or SSID, in the submitted file or the map an export wrote.
public struct LocateStep: StepKind {
    public static let keyword = "locate"
    public static let usage = "locate in TABLE — the record each CALPADS error is about: source_file, source_line, located_by"
    var target: Name

    public static func parse(_ p: inout Parser) throws -> Self {
        try p.expectKeyword("in")
        return Self(target: try p.name("the table to find the records in (the submitted file, or its map)"))
    }

    public var tablesRead: [String] { [target.text] }
    /// The input's columns, and new ones of file names, lines and how each was found.
    public func lineage(_ ctx: LineageContext) -> ColumnLineage { ctx.unchanged }

    private func text(_ column: Column?, _ row: Int) -> String? { ReturnSteps.text(column, row) }
    private func key(_ s: String) -> String { ReturnSteps.key(s) }

    public func schema(_ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        let other = try ctx.requireTable(target)
        guard input.contains("LocalRecordID") || input.contains("SSID") else {
            throw ctx.error(
                .missingKeyColumn,
                "to locate records, \(ctx.tableName) needs a LocalRecordID or SSID column (as calpads errors and calpads SENR rejected have)",
                target.span)
        }
        guard other.contains("LocalRecordID") || other.contains("SSID") else {
            throw ctx.error(
                .missingKeyColumn, "\(target.text) has no LocalRecordID or SSID column to find records by", target.span,
                help: "locate in the table loaded as calpads SENR, or in the map an export with map wrote")
        }
        return ReturnSteps.appending(ReturnSteps.locateColumns, to: input)
    }

    public func run(_ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult) {
        guard let other = ctx.tables[target.text] else {
            throw Diagnostic(.unknownTable, "unknown table \"\(target.text)\"", file: ctx.file, span: target.span)
        }
        let mapFile = other.column("source_file"), mapLine = other.column("source_line")
        let isMap = mapFile != nil && mapLine != nil
        let otherRecord = other.column("LocalRecordID"), otherSSID = other.column("SSID"), otherSchool = other.column("SchoolOfAttendance")
        // The record's start date tells apart two enrollments of one student at one school.
        let startNames = [
            "StartDate", "EnrollmentSchoolStartDate", "EducationProgramMembershipStartDate",
            "EnglishLanguageAcquisitionStatusStartDate", "EffectiveStartDate",
        ]
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
                guard let f = text(mapFile, row), let l = mapLine.flatMap({ $0.isNull(row) ? nil : $0.value(row).doubleValue }) else {
                    return nil
                }
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
        for name in ReturnSteps.locateColumns.map(\.name) where out.column(name) != nil { out.removeColumn(name) }
        out.setColumn("source_file", fileBuilder.build())
        out.setColumn("source_line", lineBuilder.build())
        out.setColumn("located_by", howBuilder.build())
        out.provenance = Provenance(files: files, fileIndex: fileIndex, line: lines)
        var result = StepResult(keyword: "locate", rowsIn: input.rowCount, rowsOut: out.rowCount)
        let found = input.rowCount - notFound
        var note = "\(Format.count(found)) of \(Format.plural(input.rowCount, "row")) located in \(target.text)"
        if !counts.isEmpty {
            note +=
                ": "
                + counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\(Format.count($0.value)) by \($0.key)" }.joined(
                    separator: ", ")
        }
        result.notes = [note]
        if notFound > 0 {
            result.notes.append(
                "\(Format.plural(notFound, "row")) not found: no record with its Local Record ID or SSID (source_file and source_line are null)"
            )
        }
        return (out, result)
    }

}
