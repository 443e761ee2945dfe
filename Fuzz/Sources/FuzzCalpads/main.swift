import Foundation
import FuzzDriver
import TallyCore

/// A CALPADS caret file through the reader: the first byte picks the layout and whether it is an
/// ODS extract, or (bits 32 and 64) one of the readers of what CALPADS sends back — an error
/// report, a rejected-records extract, a certification report; the rest is the file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCalpads(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let types = ["SENR", "SINF", "SPRG", "SELA", "CRSC", "SCSC"]
    let type = types[Int(bytes[0] & 7) % types.count]
    let input = InputFile(bytes: Array(bytes.dropFirst()), displayName: "fuzz.txt")
    let year = bytes[0] & 8 == 0 ? nil : "2024-2025"
    switch bytes[0] & 96 {
    case 32: _ = try? CalpadsReturns.readErrors(input, encoding: nil)
    case 64: _ = try? CalpadsReturns.readRejected(input, type: type, year: year, encoding: nil)
    case 96: _ = try? CalpadsReturns.readReport(input, report: ["1.1", "1.17", "8.1"][Int(bytes[0] & 3) % 3], encoding: nil)
    default: _ = try? CalpadsReader.read(input, type: type, year: year, extract: bytes[0] & 16 != 0, encoding: nil, progress: nil)
    }
    return 0
}

runFuzzer { data, size in data.map { fuzzCalpads($0, size) } ?? 0 }
