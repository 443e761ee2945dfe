import Foundation
import TallyModel
import ZIPFoundation

/// Writes a table as an Excel workbook (Office Open XML on ZIPFoundation): a header row in bold,
/// frozen under the header, columns as wide as their contents, numbers as numbers and dates as
/// dates. One sheet per table, or one per value of a column (a worklist per school).
public enum XlsxWriter {
    /// 2000-01-01 00:00 UTC, the modification time written on every part of a workbook.
    static let partDate = Date(timeIntervalSince1970: 946_684_800)

    /// One sheet: rows of a table. `numbers`: text columns whose values that read as numbers are
    /// written as numbers (a count column with suppressed counts as `*` among them).
    public struct Sheet: Sendable {
        public var name: String
        public var table: Table
        public var rows: [Int]
        public var numbers: Set<Int> = []
        public init(name: String, table: Table, rows: [Int], numbers: Set<Int> = []) {
            self.name = name; self.table = table; self.rows = rows; self.numbers = numbers
        }
    }

    /// Excel's sheet names: 1 to 31 characters, none of `[]:*?/\\` (each becomes `_`), not
    /// starting or ending with `'`, not `History` (Excel keeps that name for itself), no
    /// character XML cannot hold, and unique regardless of case (`Lincoln (2)`). A workbook that
    /// breaks one of these opens only after Excel "repairs" it, dropping sheets.
    static func sheetNames(_ wanted: [String]) -> [String] {
        var used = Set<String>(), out: [String] = []
        for w in wanted {
            var base = String(String(xmlSafe(w).map { "[]:*?/\\".contains($0) || $0.isNewline ? "_" : $0 }).utf16Prefix(31))
            if base.hasPrefix("'") { base = "_" + base.dropFirst() }
            if base.hasSuffix("'") { base = base.dropLast() + "_" }
            if base.isEmpty { base = "(missing)" }
            if base.lowercased() == "history" { base += "_" }
            var name = base, n = 2
            while used.contains(name.lowercased()) {
                let suffix = " (\(n))"
                name = String(base.utf16Prefix(31 - suffix.count)) + suffix
                n += 1
            }
            used.insert(name.lowercased()); out.append(name)
        }
        return out
    }

    /// Characters XML 1.0 cannot hold — C0 controls but tab, newline and CR, U+FFFE and U+FFFF —
    /// as U+FFFD: a value with one would make the part unreadable (Excel refuses the workbook).
    static func xmlSafe(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { !isXMLCharacter($0) }) else { return s }
        return String(String.UnicodeScalarView(s.unicodeScalars.map { isXMLCharacter($0) ? $0 : "\u{FFFD}" }))
    }

    static func isXMLCharacter(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x09, 0x0A, 0x0D: return true
        case 0x00..<0x20, 0xFFFE, 0xFFFF: return false
        default: return true
        }
    }

    static func xml(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case _ where !isXMLCharacter(scalar): out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Excel's limit for a cell's text, in UTF-16 units: a longer one makes Excel repair the
    /// workbook (cutting it anyway).
    static let cellLimit = 32_767

    /// Text within `cellLimit`: a longer value is cut, and its end says so in the cell itself
    /// ("… [cut: 40,000 characters, Excel holds 32,767]"), so no one takes it for the whole value.
    static func fitCell(_ text: String) -> String {
        guard text.utf8.count > cellLimit else { return text } // UTF-16 is never longer than UTF-8
        let length = text.utf16.count
        guard length > cellLimit else { return text }
        let note = "… [cut: \(Format.count(length)) characters, Excel holds \(Format.count(cellLimit))]"
        return String(text.utf16Prefix(cellLimit - note.utf16.count)) + note
    }

    /// `12`, `-3`, `4.5`: a number as Excel reads one (not `+3`, `1e5`, `inf` or a hex float).
    static func isPlainNumber(_ text: String) -> Bool {
        guard let first = text.first, first.isASCII, first.isNumber || first == "-", Double(text) != nil else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isNumber || $0 == "-" || $0 == ".") }
    }

    static func columnLetter(_ k: Int) -> String {
        var n = k + 1, s = ""
        while n > 0 { let r = (n - 1) % 26; s = String(UnicodeScalar(UInt8(65 + r))) + s; n = (n - 1) / 26 }
        return s
    }

    /// Days since 1899-12-30, Excel's date serial.
    static let excelEpoch = Int(DateCodec.days(year: 1899, month: 12, day: 30) ?? 0)

    static func sheetXML(_ table: Table, rows: [Int], numbers: Set<Int> = []) -> String {
        var widths = table.names.map { min(60, max(8, $0.count + 2)) }
        var body = "<row r=\"1\">"
        for (k, name) in table.names.enumerated() {
            body += "<c r=\"\(columnLetter(k))1\" t=\"inlineStr\" s=\"1\"><is><t>\(xml(fitCell(name)))</t></is></c>"
        }
        body += "</row>"
        for (i, row) in rows.enumerated() {
            let r = i + 2
            body += "<row r=\"\(r)\">"
            for (k, column) in table.columns.enumerated() where !column.isNull(row) {
                let ref = "\(columnLetter(k))\(r)"
                switch column.value(row) {
                case .integer(let v): body += "<c r=\"\(ref)\"><v>\(v)</v></c>"; widths[k] = max(widths[k], min(60, String(v).count + 2))
                case .decimal(let v) where v.isFinite: body += "<c r=\"\(ref)\"><v>\(Value.formatDecimal(v))</v></c>"
                case .date(let d): body += "<c r=\"\(ref)\" s=\"2\"><v>\(Int(d) - excelEpoch)</v></c>"; widths[k] = max(widths[k], 12)
                case .boolean(let b): body += "<c r=\"\(ref)\" t=\"b\"><v>\(b ? 1 : 0)</v></c>"
                case .text(let text) where numbers.contains(k) && isPlainNumber(text):
                    body += "<c r=\"\(ref)\"><v>\(xml(text))</v></c>"; widths[k] = max(widths[k], min(60, text.count + 2))
                case let v:
                    let text = fitCell(v.display)
                    widths[k] = max(widths[k], min(60, text.count + 2))
                    body += "<c r=\"\(ref)\" t=\"inlineStr\"><is><t xml:space=\"preserve\">\(xml(text))</t></is></c>"
                }
            }
            body += "</row>"
        }
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
        out += "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
        out +=
            "<sheetViews><sheetView workbookViewId=\"0\"><pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/></sheetView></sheetViews>"
        out +=
            "<cols>"
            + widths.enumerated().map {
                "<col min=\"\($0.offset + 1)\" max=\"\($0.offset + 1)\" width=\"\($0.element)\" customWidth=\"1\"/>"
            }.joined() + "</cols>"
        out += "<sheetData>\(body)</sheetData>"
        if !table.names.isEmpty { out += "<autoFilter ref=\"A1:\(columnLetter(table.names.count - 1))\(rows.count + 1)\"/>" }
        return out + "</worksheet>"
    }

    /// Writes `sheets` (name, rows of `table`) to `path`; returns the file's size.
    public static func write(_ table: Table, sheets: [(name: String, rows: [Int])], to path: String) throws -> Int {
        try write(sheets.map { Sheet(name: $0.name, table: table, rows: $0.rows) }, to: path)
    }

    /// Writes the sheets, in order, to `path`; returns the file's size.
    public static func write(_ sheets: [Sheet], to path: String) throws -> Int {
        let url = URL(fileURLWithPath: path)
        try? FileManager.default.removeItem(at: url)
        // A workbook holds student records: readable by its owner only, like every other output.
        // The file starts as an empty ZIP (its end record alone) made 0600, which ZIPFoundation
        // then fills; its own `.create` would make it as the umask says (0644).
        let emptyZip = Data([0x50, 0x4B, 0x05, 0x06] + [UInt8](repeating: 0, count: 18))
        let archive: Archive
        do {
            guard FileCreation.create(path, contents: emptyZip, permissions: 0o600) else {
                throw Diagnostic(.writeFailed, .error, "cannot create the workbook", file: path)
            }
            archive = try Archive(url: url, accessMode: .update)
        } catch let d as Diagnostic {
            throw d
        } catch {
            throw Diagnostic(.writeFailed, .error, "cannot create the workbook: \(error)", file: path)
        }
        let names = sheetNames(sheets.map(\.name))
        var files: [(String, String)] = []
        files.append(
            (
                "[Content_Types].xml",
                """
                <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
                <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\(names.indices.map { "<Override PartName=\"/xl/worksheets/sheet\($0 + 1).xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>" }.joined())</Types>
                """
            ))
        files.append(
            (
                "_rels/.rels",
                """
                <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
                <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>
                """
            ))
        files.append(
            (
                "xl/workbook.xml",
                """
                <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
                <workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>\(names.enumerated().map { "<sheet name=\"\(xml($0.element))\" sheetId=\"\($0.offset + 1)\" r:id=\"rId\($0.offset + 1)\"/>" }.joined())</sheets></workbook>
                """
            ))
        files.append(
            (
                "xl/_rels/workbook.xml.rels",
                """
                <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
                <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\(names.indices.map { "<Relationship Id=\"rId\($0 + 1)\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet\($0 + 1).xml\"/>" }.joined())<Relationship Id="rId\(names.count + 1)" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>
                """
            ))
        files.append(
            (
                "xl/styles.xml",
                """
                <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
                <styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="3"><xf/><xf fontId="1" applyFont="1"/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>
                """
            ))
        for (k, sheet) in sheets.enumerated() {
            files.append(("xl/worksheets/sheet\(k + 1).xml", sheetXML(sheet.table, rows: sheet.rows, numbers: sheet.numbers)))
        }
        do {
            for (name, text) in files {
                let data = Data(text.utf8)
                // A fixed time on every part: the same table gives the same bytes (goldens, the audit folder's hashes).
                try archive.addEntry(
                    with: name, type: .file, uncompressedSize: Int64(data.count), modificationDate: XlsxWriter.partDate,
                    compressionMethod: .deflate
                ) { position, size in
                    data.subdata(in: Data.Index(position)..<min(data.count, Data.Index(position) + size))
                }
            }
        } catch {
            throw Diagnostic(.writeFailed, .error, "cannot write the workbook: \(error)", file: path)
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        return size
    }
}

extension String {
    /// The longest prefix of at most `limit` UTF-16 units that does not split a character.
    func utf16Prefix(_ limit: Int) -> Substring {
        var units = 0
        var end = startIndex
        for index in indices {
            let next = units + self[index].utf16.count
            if next > limit { break }
            units = next
            end = self.index(after: index)
        }
        return self[..<end]
    }
}
