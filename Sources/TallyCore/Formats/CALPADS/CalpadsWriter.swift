import Foundation
import TallyModel

/// Writes a table as a CALPADS upload file: fields in layout order, caret-delimited, CR LF, no
/// header, dates as CCYYMMDD. A value longer than its field allows is an error naming the row;
/// nothing is ever truncated.
public enum CalpadsWriter {
    /// The layout for an export: `year` if given, else the table's Academic Year ID, else newest.
    public static func layout(for table: Table?, type: String, year: String?) -> CalpadsLayout? {
        if let year { return CalpadsLayouts.startYear(year).flatMap { CalpadsLayouts.layout(type, year: $0) } }
        if let table, let column = table.column("AcademicYearID") {
            for row in 0..<min(table.rowCount, 100) where !column.isNull(row) {
                if let start = CalpadsLayouts.startYear(column.value(row).display) { return CalpadsLayouts.layout(type, year: start) }
            }
        }
        return CalpadsLayouts.layout(type, year: nil)
    }

    /// The layout's required fields the schema lacks.
    public static func missingRequired(_ schema: Schema, _ layout: CalpadsLayout) -> [CalpadsField] {
        layout.fields.filter { $0.required && !schema.contains($0.name) }
    }

    /// The columns of a record map (`export ... as calpads SENR with map`).
    public static let mapColumns = [
        "record_line", "LocalRecordID", "SSID", "SchoolOfAttendance", "StartDate", "source_file", "source_line",
    ]

    /// One row per record written, in the file's order: its line in the export, the fields
    /// CALPADS' reports identify a record by (Local Record ID, SSID, school, the layout's first
    /// start date), and the file and line of the row it was written from. CALPADS returns no
    /// line numbers: this is how an error it reports finds its way back to the source.
    public static func recordMap(_ table: Table, layout: CalpadsLayout) -> Table {
        let start = layout.fields.first { $0.isDate && $0.name.hasSuffix("StartDate") }?.name
        let sources = ["LocalRecordID", "SSID", "SchoolOfAttendance"].map { table.column($0) } + [start.flatMap { table.column($0) }]
        var builders = mapColumns.map {
            ColumnBuilder(type: $0.hasSuffix("line") ? .integer : $0 == "StartDate" ? .date : .text, capacity: table.rowCount)
        }
        for row in 0..<table.rowCount {
            builders[0].append(.integer(Int64(row + 1)))
            for (k, column) in sources.enumerated() {
                guard let column, !column.isNull(row) else { builders[k + 1].append(.null); continue }
                builders[k + 1].append(column.value(row))
            }
            if let location = table.provenance.location(row) {
                builders[5].append(.text(location.file)); builders[6].append(.integer(Int64(location.line)))
            } else {
                builders[5].append(.null); builders[6].append(.null)
            }
        }
        return Table(names: mapColumns, columns: builders.map { $0.build() }, provenance: Provenance.none(count: table.rowCount))
    }

    public static func write(_ table: Table, layout: CalpadsLayout, extract: Bool, to path: String, displayPath: String) throws -> Int {
        guard FileCreation.create(path, permissions: 0o600), let handle = FileHandle(forWritingAtPath: path) else {
            throw Diagnostic(.writeFailed, .error, "cannot create the file", file: displayPath)
        }
        defer { try? handle.close() }
        var names = layout.fields.map(\.name)
        var limits = layout.fields.map(\.maxLength)
        var labels = layout.fields.map { "field \($0.number) \($0.name)" }
        if extract {
            names += CalpadsReader.extractColumns
            limits += [0, 0]
            labels += CalpadsReader.extractColumns
        }
        let columns = names.map { table.column($0) }
        var buffer = [UInt8]()
        buffer.reserveCapacity(1 << 20)
        var written = 0
        for row in 0..<table.rowCount {
            for (k, column) in columns.enumerated() {
                if k > 0 { buffer.append(UInt8(ascii: "^")) }
                guard let column, !column.isNull(row) else { continue }
                let text: String
                if case .date(let days) = column.data {
                    text = DateCodec.format(days[row], "YYYYMMDD")
                } else {
                    text = column.value(row).display
                }
                let length = text.count
                if limits[k] > 0, length > limits[k] {
                    let source = table.provenance.location(row).map { " (from \($0.file):\($0.line))" } ?? ""
                    throw Diagnostic(
                        .exportOption, .error,
                        "row \(row + 1)\(source): \(labels[k]) is \(length) characters, at most \(limits[k]) allowed: \"\(text)\"",
                        file: displayPath, help: "fix the value; CALPADS files are never truncated"
                    )
                    .quoting([SensitiveValue(value: text, lineage: [names[k]])])
                }
                buffer.append(contentsOf: text.utf8)
            }
            buffer.append(13); buffer.append(10)
            if buffer.count >= 1 << 20 {
                try handle.write(contentsOf: buffer); written += buffer.count; buffer.removeAll(keepingCapacity: true)
            }
        }
        try handle.write(contentsOf: buffer)
        return written + buffer.count
    }
}
