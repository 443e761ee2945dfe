import Foundation
import FuzzDriver
import TallyCore
import ZIPFoundation

/// A workbook through the xlsx reader. Odd first byte: the rest is the file as it is (a zip the
/// fuzzer mutates). Even: the rest is split at NUL bytes into the parts of a workbook — sheet XML,
/// shared strings, styles, workbook — zipped here, so the XML parsing is reached on every input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzXlsx(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let path = NSTemporaryDirectory() + "tally-fuzz-\(getpid()).xlsx"
    defer { unlink(path) }
    if bytes[0] & 1 == 1 {
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes.dropFirst())) else { return 0 }
    } else {
        let parts = bytes.dropFirst().split(separator: 0, maxSplits: 3, omittingEmptySubsequences: false).map { Data($0) }
        let names = ["xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/styles.xml", "xl/workbook.xml"]
        var files: [(String, Data)] = [
            ("xl/workbook.xml", Data("<workbook><sheets><sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>".utf8)),
            (
                "xl/_rels/workbook.xml.rels",
                Data("<Relationships><Relationship Id=\"rId1\" Target=\"worksheets/sheet1.xml\"/></Relationships>".utf8)
            ),
        ]
        for (k, part) in parts.enumerated() {
            files.removeAll { $0.0 == names[k] }
            files.append((names[k], part))
        }
        guard let archive = try? Archive(url: URL(fileURLWithPath: path), accessMode: .create) else { return 0 }
        for (name, data) in files {
            try? archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .none) {
                position, size in
                data.subdata(in: Data.Index(position)..<min(data.count, Data.Index(position) + size))
            }
        }
    }
    _ = try? XlsxReader.read(path: path, displayName: "fuzz.xlsx", sheet: nil, headerRow: nil)
    return 0
}

runFuzzer { data, size in data.map { fuzzXlsx($0, size) } ?? 0 }
