import TallyModel

/// Reads CALPADS upload and extract files: caret-delimited, no header, CR LF, no quoting;
/// column names, order and date fields from the layout for the file's academic year.
public enum CalpadsReader {
    /// The two columns ODS extracts add after the layout's fields.
    public static let extractColumns = ["UploadDate", "LastDateUpdated"]

    public static func read(
        _ input: InputFile, type: String, year: String?, extract: Bool, encoding: String?,
        progress: ProgressHandler?
    ) throws -> (Table, CalpadsLayout) {
        let text = try input.textBytes(encoding: encoding)
        try checkRecordType(text, type: type, file: input.displayName)
        let layout = try pickLayout(text, type: type, year: year, file: input.displayName)
        var options = DelimitedOptions()
        options.delimiter = UInt8(ascii: "^")
        options.header = false
        options.quoting = false
        options.inferTypes = false
        options.lenientDates = true
        options.encoding = encoding
        var declarations = layout.fields.map { field in
            ColumnDeclaration(
                name: Name(field.name, .none), type: field.isDate ? .date : .text,
                dateFormat: field.isDate ? "YYYYMMDD" : nil)
        }
        if extract { declarations += extractColumns.map { ColumnDeclaration(name: Name($0, .none), type: .text, dateFormat: nil) } }
        options.columns = declarations
        let table: Table
        do {
            table = try DelimitedReader.read(input, options: options, progress: progress)
        } catch var d as Diagnostic {
            if d.message.hasPrefix("this row has") {
                d.message +=
                    " (the \(layout.type) layout for \(layout.yearsDescription) has \(layout.fields.count) fields"
                    + (extract ? " plus 2 extract columns)" : extract == false ? "; an ODS extract has 2 more: add extract)" : ")")
                d.help = otherYearHint(d.message, layout: layout, extract: extract)
            }
            throw d
        }
        // Every record must be of the file's type (SINF files may also carry SIGR, SIDM ... records).
        if let recordType = table.column("RecordTypeCode") {
            let allowed = allowedRecordTypes(layout.type)
            // Decided once per distinct value; only a file with a stray record looks at rows.
            var fine = true
            if case .text(_, let dictionary) = recordType.data, recordType.validity == nil {
                fine = (0..<dictionary.count).allSatisfy { allowed.contains(dictionary[Int32($0)]) }
            } else {
                fine = false
            }
            for row in 0..<table.rowCount where !fine {
                let value = recordType.value(row).display
                if !allowed.contains(value) {
                    throw Diagnostic(
                        .recordType, .error, "record type \"\(value)\" in a \(layout.type) file", file: input.displayName,
                        line: Int(table.provenance.line[row]),
                        help: "the first field of every record must be \(layout.type); is this the right file?")
                }
            }
        }
        return (table, layout)
    }

    /// The first record says which file this is: a SENR file loaded as SINF is named as such
    /// rather than failing on its field count.
    static func checkRecordType<Bytes: Collection<UInt8>>(_ text: Bytes, type: String, file: String) throws {
        let firstType = String(decoding: text.prefix { $0 != UInt8(ascii: "^") && $0 != 10 && $0 != 13 }, as: UTF8.self)
        if !allowedRecordTypes(type).contains(firstType) {
            let base = String(firstType.split(separator: "-").first ?? "")
            if !CalpadsLayouts.layouts(for: base).isEmpty || !CalpadsLayouts.layouts(for: firstType).isEmpty {
                throw Diagnostic(
                    .recordType, .error, "this looks like a \(firstType) file (its first record is \(firstType)), not \(type)", file: file,
                    line: 1,
                    help: "load it with: as calpads \(CalpadsLayouts.layouts(for: firstType).isEmpty ? base : firstType)")
            }
        }
    }

    /// When a row's field count is another year's layout of the same file (a 24-field STAS read
    /// as 2024-25), say so: the file's year, not a missing `extract`, is the likely mistake.
    static func otherYearHint(_ message: String, layout: CalpadsLayout, extract: Bool) -> String? {
        let words = message.split(separator: " ")
        guard words.count > 3, let count = Int(words[3]) else { return nil }
        let own = extract ? count - 2 : count
        guard
            let other = CalpadsLayouts.layouts(for: layout.type).first(where: {
                $0.firstYear != layout.firstYear && $0.fields.count == own
            })
        else { return nil }
        return "\(own) fields is the \(other.type) layout for \(other.yearsDescription): check the file's Academic Year ID, "
            + "or load it with year \"\(other.firstYear)-\(other.firstYear + 1)\" if that is the year it was written for"
    }

    /// The columns a CALPADS file will have, from its first record alone (for `tally check`).
    public static func schema(_ input: InputFile, type: String, year: String?, extract: Bool, encoding: String?) throws -> Schema {
        let text = try input.textBytes(encoding: encoding)
        try checkRecordType(text, type: type, file: input.displayName)
        let layout = try pickLayout(text, type: type, year: year, file: input.displayName)
        var fields = layout.fields.map { Schema.Field(name: $0.name, type: $0.isDate ? .date : .text) }
        if extract { fields += extractColumns.map { Schema.Field(name: $0, type: .text) } }
        return Schema(columns: fields)
    }

    static func allowedRecordTypes(_ type: String) -> Set<String> {
        switch type {
        case "SINF": return ["SINF", "SIGR", "SIDM", "SIEL", "SIST", "SIAD"]
        default: return [type]
        }
    }

    /// The layout named by `year`, else by the first record's Academic Year ID.
    static func pickLayout<Bytes: Collection<UInt8>>(_ text: Bytes, type: String, year: String?, file: String) throws -> CalpadsLayout {
        let candidates = CalpadsLayouts.layouts(for: type)
        guard !candidates.isEmpty else {
            throw Diagnostic(
                .unknownLayout, .error, "no CALPADS layout named \"\(type)\"", file: file,
                help: Suggest.help(for: type, in: CalpadsLayouts.types, noun: "layouts"))
        }
        if let year {
            guard let start = CalpadsLayouts.startYear(year), let layout = CalpadsLayouts.layout(type, year: start) else {
                throw Diagnostic(
                    .unknownLayout, .error, "\"\(year)\" is not an academic year with a \(type) layout", file: file,
                    help: "write the year as \"2024-2025\"")
            }
            return layout
        }
        if candidates.count == 1 { return candidates[0] }
        let firstLine = text.prefix { $0 != 10 && $0 != 13 }
        let fields = firstLine.split(separator: UInt8(ascii: "^"), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        for layout in candidates {
            if let i = layout.index(of: "AcademicYearID"), i < fields.count,
                let start = CalpadsLayouts.startYear(fields[i]), layout.firstYear <= start, start <= layout.lastYear
            {
                return layout
            }
        }
        // No readable year: fall back to the layout whose field count matches.
        if let byCount = candidates.first(where: { $0.fields.count == fields.count || $0.fields.count + 2 == fields.count }) {
            return byCount
        }
        return candidates.max { $0.firstYear < $1.firstYear } ?? candidates[0]
    }
}
