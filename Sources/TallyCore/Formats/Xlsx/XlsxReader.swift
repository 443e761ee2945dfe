import Foundation
import TallyModel
import ZIPFoundation

/// Reads one sheet of an Excel workbook (.xlsx) into a table: shared and inline strings,
/// numbers, booleans, dates (numbers whose cell style is a date format), empty cells.
/// Header cells with line breaks or repeated spaces become single-space names.
public enum XlsxReader {
    /// A cell as stored in the sheet.
    enum Cell {
        case text(String)
        case number(Double)
        case boolean(Bool)
        case date(Int32)
        case error(String)
    }

    /// The names of the sheets in a workbook, in order.
    public static func sheetNames(path: String, displayName: String) throws -> [String] {
        let archive = try open(path, displayName)
        return try workbookSheets(archive, displayName).map(\.name)
    }

    public static func read(path: String, displayName: String, sheet: String?, headerRow: Int?) throws -> Table {
        let archive = try open(path, displayName)
        let sheets = try workbookSheets(archive, displayName)
        guard let first = sheets.first else { throw Diagnostic(.badWorkbook, .error, "the workbook has no sheets", file: displayName) }
        let chosen: (name: String, target: String)
        if let sheet {
            guard let match = sheets.first(where: { $0.name == sheet }) else {
                throw Diagnostic(
                    .badWorkbook, .error, "the workbook has no sheet \"\(sheet)\"", file: displayName,
                    help: Suggest.help(for: sheet, in: sheets.map(\.name), noun: "sheets"))
            }
            chosen = match
        } else {
            chosen = first
        }
        let shared = try sharedStrings(archive, displayName)
        let styles = try dateStyles(archive, displayName)
        let date1904 = (try? entryText(archive, "xl/workbook.xml", displayName))?.contains("date1904=\"1\"") ?? false
        guard let sheetBytes = try entryBytes(archive, chosen.target, displayName) else {
            throw Diagnostic(
                .badWorkbook, .error, "sheet \"\(chosen.name)\" is listed but its part \(chosen.target) is missing", file: displayName)
        }
        let rows = try parseSheet(
            sheetBytes, shared: shared, dateStyles: styles, date1904: date1904,
            file: "\(displayName) [\(chosen.name)]", workbook: displayName, sheet: chosen.name)
        return try buildTable(rows, headerRow: headerRow ?? 1, file: displayName, sheet: chosen.name)
    }

    static func open(_ path: String, _ displayName: String) throws -> Archive {
        guard FileManager.default.fileExists(atPath: path) else {
            throw Diagnostic(.fileNotFound, .error, "file not found", file: displayName)
        }
        do {
            return try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw Diagnostic(
                .badWorkbook, .error, "this is not an Excel workbook (.xlsx is a ZIP file; this one is not)", file: displayName,
                help: "if it is a CSV or text export, load it with: as csv, or as delimited \"^\"")
        }
    }

    /// The largest part of a workbook read (uncompressed): a "zip bomb" of a few MB that unpacks to
    /// many GB is refused instead of filling memory. A million rows of twenty columns is ~500 MB.
    static let largestPart = 1 << 30

    private struct PartTooLarge: Error {}

    static func entryBytes(_ archive: Archive, _ path: String, _ displayName: String) throws -> [UInt8]? {
        guard let entry = archive[path] else { return nil }
        let tooLarge = Diagnostic(
            .badWorkbook, .error, "the workbook's part \(path) unpacks to more than \(largestPart >> 30) GB: a damaged or hostile file?",
            file: displayName,
            help: "save the sheet as CSV and load that")
        guard entry.uncompressedSize <= UInt64(largestPart) else { throw tooLarge }
        var data = Data()
        do {
            // The size in the ZIP's directory can lie: count what is actually unpacked.
            _ = try archive.extract(entry, skipCRC32: false) {
                guard data.count + $0.count <= largestPart else { throw PartTooLarge() }
                data.append($0)
            }
        } catch is PartTooLarge {
            throw tooLarge
        } catch {
            throw Diagnostic(.badWorkbook, .error, "the workbook is damaged: cannot read \(path)", file: displayName)
        }
        return [UInt8](data)
    }

    static func entryText(_ archive: Archive, _ path: String, _ displayName: String) throws -> String? {
        try entryBytes(archive, path, displayName).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Sheet names and the archive paths of their XML parts.
    static func workbookSheets(_ archive: Archive, _ displayName: String) throws -> [(name: String, target: String)] {
        guard let workbook = try entryBytes(archive, "xl/workbook.xml", displayName) else {
            throw Diagnostic(.badWorkbook, .error, "this ZIP file is not an Excel workbook (no xl/workbook.xml)", file: displayName)
        }
        var targets: [String: String] = [:]
        if let rels = try entryBytes(archive, "xl/_rels/workbook.xml.rels", displayName) {
            var scanner = XMLScanner(rels)
            while let event = scanner.next() {
                if case .start("Relationship", let a, _) = event, let id = a["Id"], let target = a["Target"] {
                    targets[id] = target.hasPrefix("/") ? String(target.dropFirst()) : "xl/" + target
                }
            }
        }
        var sheets: [(String, String)] = []
        var scanner = XMLScanner(workbook)
        var index = 0
        while let event = scanner.next() {
            if case .start("sheet", let a, _) = event, let name = a["name"] {
                index += 1
                let target = a["id"].flatMap { targets[$0] } ?? "xl/worksheets/sheet\(index).xml"
                sheets.append((name, target))
            }
        }
        return sheets
    }

    static func sharedStrings(_ archive: Archive, _ displayName: String) throws -> [String] {
        guard let bytes = try entryBytes(archive, "xl/sharedStrings.xml", displayName) else { return [] }
        var strings: [String] = []
        var scanner = XMLScanner(bytes)
        var current = ""
        var inText = false, inPhonetic = false
        while let event = scanner.next() {
            switch event {
            case .start("si", _, _): current = ""
            case .end("si"): strings.append(current)
            case .start("rPh", _, let selfClosing): inPhonetic = !selfClosing
            case .end("rPh"): inPhonetic = false
            case .start("t", _, let selfClosing): inText = !selfClosing
            case .end("t"): inText = false
            case .text(let t) where inText && !inPhonetic: current += t
            default: break
            }
        }
        return strings
    }

    /// For each cell style index, whether its number format shows a date.
    static func dateStyles(_ archive: Archive, _ displayName: String) throws -> [Bool] {
        guard let bytes = try entryBytes(archive, "xl/styles.xml", displayName) else { return [] }
        var custom: [Int: String] = [:]
        var styles: [Bool] = []
        var inCellXfs = false
        var scanner = XMLScanner(bytes)
        var formatIds: [Int] = []
        while let event = scanner.next() {
            switch event {
            case .start("numFmt", let a, _):
                if let id = a["numFmtId"].flatMap({ Int($0) }), let code = a["formatCode"] { custom[id] = code }
            case .start("cellXfs", _, _): inCellXfs = true
            case .end("cellXfs"): inCellXfs = false
            case .start("xf", let a, _) where inCellXfs:
                formatIds.append(a["numFmtId"].flatMap { Int($0) } ?? 0)
            default: break
            }
        }
        for id in formatIds { styles.append(isDateFormat(id, custom[id])) }
        return styles
    }

    static func isDateFormat(_ id: Int, _ code: String?) -> Bool {
        if (14...22).contains(id) || (27...36).contains(id) || (45...47).contains(id) || (50...58).contains(id) { return true }
        guard let code else { return false }
        var inQuote = false, inBracket = false
        for c in code.lowercased() {
            if c == "\"" { inQuote.toggle(); continue }
            if inQuote { continue }
            if c == "[" { inBracket = true; continue }
            if c == "]" { inBracket = false; continue }
            if inBracket { continue }
            if "dmy".contains(c) { return true }
        }
        return false
    }

    /// "AB12" → (row 12, column 27); nil past Excel's last column (XFD, 16,384) or row (1,048,576).
    static func position(_ reference: String) -> (row: Int, column: Int)? {
        var column = 0, row = 0, sawDigit = false
        for c in reference.utf8 {
            if c >= 65, c <= 90, !sawDigit {
                column = column * 26 + Int(c - 64)
            } else if c >= 48, c <= 57 {
                sawDigit = true; row = row * 10 + Int(c - 48)
            } else {
                return nil
            }
            if column > 16_384 || row > 1_048_576 { return nil }
        }
        return column > 0 && row > 0 ? (row, column) : nil
    }

    /// Rows of the sheet: sheet row number and its cells by 1-based column.
    static func parseSheet(
        _ bytes: [UInt8], shared: [String], dateStyles: [Bool], date1904: Bool,
        file: String, workbook: String? = nil, sheet: String = ""
    ) throws -> [(row: Int, cells: [Int: Cell])] {
        var rows: [(Int, [Int: Cell])] = []
        var scanner = XMLScanner(bytes)
        var rowNumber = 0
        var cells: [Int: Cell] = [:]
        var cellColumn = 0, cellType = "n", cellStyle = 0
        var value: String? = nil
        var inValue = false, inInline = false, inText = false
        var inlineText = ""
        func finishCell() throws {
            defer { value = nil; inlineText = "" }
            if cellType == "inlineStr" { cells[cellColumn] = .text(inlineText); return }
            guard let raw = value else { return }
            switch cellType {
            case "s":
                guard let k = Int(raw), k >= 0, k < shared.count else {
                    throw Diagnostic(
                        .badWorkbook, .error, "cell refers to shared string \(raw), which the workbook lacks", file: file, line: rowNumber)
                }
                cells[cellColumn] = .text(shared[k])
            case "str": cells[cellColumn] = .text(raw)
            case "b": cells[cellColumn] = .boolean(raw == "1")
            case "e": cells[cellColumn] = .error(raw)
            default:
                guard let number = Double(raw) else { cells[cellColumn] = .text(raw); return }
                // Excel's dates run from serial 1 to 2,958,465 (9999-12-31); a larger number in a
                // date-styled cell is kept as a number.
                if cellStyle < dateStyles.count, dateStyles[cellStyle], number >= 1, number < 2_958_466 {
                    let days = Int32(saturating: (number + (date1904 ? 1462 : 0)).rounded(.down)) - 25569
                    cells[cellColumn] = .date(days)
                } else {
                    cells[cellColumn] = .number(number)
                }
            }
        }
        while let event = scanner.next() {
            switch event {
            case .start("row", let a, let selfClosing):
                if let r = a["r"] {
                    guard let n = Int(r), n >= 1, n <= 1_048_576 else {
                        throw Diagnostic(
                            .badWorkbook, .error, "a row numbered \"\(r.prefix(20))\": Excel's rows run from 1 to 1,048,576", file: file,
                            line: rowNumber + 1)
                    }
                    rowNumber = n
                } else {
                    rowNumber += 1
                }
                cells = [:]
                cellColumn = 0
                if selfClosing { rows.append((rowNumber, cells)) }
            case .end("row"):
                rows.append((rowNumber, cells))
            case .start("c", let a, let selfClosing):
                if let r = a["r"] {
                    guard let at = position(r) else {
                        throw Diagnostic(
                            .badWorkbook, .error,
                            "a cell at \"\(r.prefix(20))\", which is not a cell of a sheet (a sheet's cells run from A1 to XFD1048576)",
                            file: file, line: rowNumber)
                    }
                    cellColumn = at.column
                } else {
                    cellColumn += 1
                }
                cellType = a["t"] ?? "n"
                // A style the workbook does not have (negative, past its cellXfs, or not a number)
                // is an error naming the cell, never an index out of range.
                if let s = a["s"] {
                    guard let k = Int(s), k >= 0, k < max(1, dateStyles.count) else {
                        let cell = XlsxWriter.columnLetter(max(0, cellColumn - 1)) + String(rowNumber)
                        throw Diagnostic(
                            .badWorkbook, .error,
                            "sheet \"\(sheet)\" cell \(a["r"].map { String($0.prefix(20)) } ?? cell): style index \(s.prefix(20)) is out of range"
                                + " (the workbook has \(Format.plural(dateStyles.count, "cell style")))", file: workbook ?? file)
                    }
                    cellStyle = k
                } else {
                    cellStyle = 0
                }
                value = nil
                inlineText = ""
                if selfClosing { try finishCell() }
            case .end("c"): try finishCell()
            case .start("v", _, let selfClosing): inValue = !selfClosing
            case .end("v"): inValue = false
            case .start("is", _, _): inInline = true
            case .end("is"): inInline = false
            case .start("t", _, let selfClosing): inText = !selfClosing
            case .end("t"): inText = false
            case .text(let t):
                if inValue { value = (value ?? "") + t } else if inInline, inText { inlineText += t }
            default: break
            }
        }
        return rows
    }

    /// Header names with line breaks and runs of spaces folded to one space.
    public static func normalizeHeader(_ text: String) -> String {
        text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    static func buildTable(_ rows: [(row: Int, cells: [Int: Cell])], headerRow: Int, file: String, sheet: String) throws -> Table {
        guard let header = rows.first(where: { $0.row == headerRow }) else {
            throw Diagnostic(.badWorkbook, .error, "sheet \"\(sheet)\" has no row \(headerRow) to use as the header", file: file)
        }
        let width = max(header.cells.keys.max() ?? 0, rows.map { $0.cells.keys.max() ?? 0 }.max() ?? 0)
        var names: [String] = []
        var seen: [String: Int] = [:]
        for k in 1...max(1, width) {
            var name: String
            switch header.cells[k] {
            case .text(let t)?: name = normalizeHeader(t)
            case .number(let v)?: name = Value.formatDecimal(v).replacingOccurrences(of: ".0", with: "")
            default: name = ""
            }
            if name.isEmpty { name = "column_\(k)" }
            if let n = seen[name] { seen[name] = n + 1; name += "_\(n + 1)" } else { seen[name] = 1 }
            names.append(name)
        }
        let body = rows.filter { $0.row > headerRow && !$0.cells.isEmpty }
        var columns: [Column] = []
        for (k, name) in names.enumerated() {
            let cells = body.map { $0.cells[k + 1] }
            columns.append(makeColumn(name: name, cells))
        }
        let lines = body.map { Int32(truncatingIfNeeded: $0.row) }
        return Table(names: names, columns: columns, provenance: Provenance(file: file, lines: lines))
    }

    /// One column from its cells: a single type when every present cell agrees, else text.
    static func makeColumn(name: String, _ cells: [Cell?]) -> Column {
        var numbers = 0, integral = 0, dates = 0, booleans = 0, texts = 0
        for cell in cells {
            switch cell {
            case .number(let v)?: numbers += 1; if v == v.rounded(), abs(v) < 1e15 { integral += 1 }
            case .date?: dates += 1
            case .boolean?: booleans += 1
            case .text?, .error?: texts += 1
            case nil: break
            }
        }
        let present = numbers + dates + booleans + texts
        var type = DataType.text
        if present > 0 {
            if numbers == present {
                type = integral == numbers ? .integer : .decimal
            } else if dates == present {
                type = .date
            } else if booleans == present {
                type = .boolean
            }
        }
        if type.isNumeric, ValueParsing.looksLikeIdentifier(name) { type = .text }
        var builder = ColumnBuilder(type: type, capacity: cells.count)
        for cell in cells {
            switch cell {
            case nil: builder.append(.null)
            case .text(let t)?: builder.append(t.isEmpty ? .null : .text(t))
            case .error(let e)?: builder.append(.text(e))
            case .boolean(let b)?: builder.append(type == .boolean ? .boolean(b) : .text(b ? "TRUE" : "FALSE"))
            case .date(let d)?: builder.append(type == .date ? .date(d) : .text(DateCodec.iso(d)))
            case .number(let v)?:
                switch type {
                case .integer: builder.append(.integer(Int64(v)))
                case .decimal: builder.append(.decimal(v))
                default:
                    builder.append(.text(v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)))
                }
            }
        }
        return builder.build()
    }
}
