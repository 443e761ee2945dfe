import Foundation
import XCTest

@testable import TallyCore
@testable import TallyData
@testable import TallyModel

/// The bad-input corpus's helpers that make inputs: playbooks, workbooks, ZIP archives, and the
/// checks a case makes of what the run left.
extension BadInputCorpusTests {
    // MARK: making inputs

    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    static func playbook(_ load: String = "load t from \"input.csv\"", _ body: String = "") -> [UInt8] {
        bytes("playbook \"corpus\"\n\(load)\n\(body)export t to \"out/result.csv\"\n")
    }

    static func column(_ n: Int) -> String {
        var n = n, name = ""
        while n > 0 { name = String(UnicodeScalar(UInt8(65 + (n - 1) % 26))) + name; n = (n - 1) / 26 }
        return name
    }

    static func inline(_ ref: String, _ text: String) -> String { "<c r=\"\(ref)\" t=\"inlineStr\"><is><t>\(text)</t></is></c>" }

    /// A workbook of one sheet "S" with this sheet XML (and any other parts).
    static func workbook(_ sheet: String, _ extra: [String: String] = [:], declaredSize: [String: UInt32] = [:]) -> [UInt8] {
        var parts = [
            (
                "xl/workbook.xml",
                "<workbook xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets><sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"
            ),
            ("xl/_rels/workbook.xml.rels", "<Relationships><Relationship Id=\"rId1\" Target=\"worksheets/sheet1.xml\"/></Relationships>"),
            ("xl/worksheets/sheet1.xml", sheet),
        ]
        parts += extra.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return zip(parts.map { ($0.0, bytes($0.1)) }, declaredSize: declaredSize)
    }

    static func sheet(_ rows: String) -> String { "<worksheet><sheetData>\(rows)</sheetData></worksheet>" }

    /// A ZIP archive with stored (uncompressed) entries. `declaredSize` overrides the uncompressed
    /// size the central directory states for an entry (a ZIP that lies about what it unpacks to).
    static func zip(_ entries: [(String, [UInt8])], declaredSize: [String: UInt32] = [:]) -> [UInt8] {
        func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(v >> (8 * $0) & 0xFF) } }
        var out: [UInt8] = [], central: [UInt8] = []
        for (name, data) in entries {
            let offset = UInt32(out.count), crc = crc32(data), size = UInt32(data.count)
            let shown = declaredSize[name] ?? size
            out += le32(0x0403_4B50) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0) + le32(crc) + le32(size) + le32(shown)
            out += le16(name.utf8.count) + le16(0) + Array(name.utf8) + data
            central +=
                le32(0x0201_4B50) + le16(20) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0) + le32(crc) + le32(size) + le32(shown)
            central += le16(name.utf8.count) + le16(0) + le16(0) + le16(0) + le16(0) + le32(0) + le32(offset) + Array(name.utf8)
        }
        let start = UInt32(out.count)
        out += central
        out +=
            le32(0x0605_4B50) + le16(0) + le16(0) + le16(entries.count) + le16(entries.count) + le32(UInt32(central.count)) + le32(start)
            + le16(0)
        return out
    }

    static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static let senr = "SENR^^^0161119^0112345^^2024-2025^1000000000^100000^Nathan^^Lopez^^^^^20150224^F^^^US^20240814^10^03^^^^^^^^^^^\n"

    /// The export the run wrote, or why the check failed.
    static func exported(_ expected: String) -> (Scratch, String) -> String? {
        { scratch, _ in
            let text = scratch.read("out/result.csv") ?? "(none)"
            return text == expected
                ? nil : "out/result.csv is \(text.prefix(300).debugDescription), expected \(expected.prefix(300).debugDescription)"
        }
    }

    static func exportedRows(_ rows: Int, header: String? = nil) -> (Scratch, String) -> String? {
        { scratch, _ in
            guard let text = scratch.read("out/result.csv") else { return "no out/result.csv" }
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            if lines.count != rows + 1 { return "out/result.csv has \(lines.count - 1) rows, expected \(rows)" }
            if let header, lines.first.map(String.init) != header { return "its header is \(String(lines.first?.prefix(200) ?? ""))" }
            return nil
        }
    }

    static func all(_ checks: ((Scratch, String) -> String?)...) -> (Scratch, String) -> String? {
        { scratch, output in checks.lazy.compactMap { $0(scratch, output) }.first }
    }

    static func says(_ text: String) -> (Scratch, String) -> String? {
        { _, output in output.contains(text) ? nil : "the output does not say \"\(text)\"" }
    }

    static func lacks(_ text: String) -> (Scratch, String) -> String? {
        { scratch, output in
            let files = (FileManager.default.enumerator(atPath: scratch.path("out"))?.allObjects as? [String]) ?? []
            for file in files {
                if let data = FileManager.default.contents(atPath: scratch.path("out/\(file)")),
                    String(decoding: data, as: UTF8.self).contains(text)
                {
                    return "out/\(file) contains \"\(text)\""
                }
            }
            return output.contains(text) ? "the output contains \"\(text)\"" : nil
        }
    }
}
