import Foundation
import FuzzDriver
import TallyCore

/// Delimited text through the reader. The first byte picks the options (delimiter, header,
/// quoting, a declared date column, missing values); the rest is the file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDelimited(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let pick = bytes[0]
    var options = DelimitedOptions()
    options.delimiter = [UInt8(ascii: ","), UInt8(ascii: "\t"), UInt8(ascii: "^"), UInt8(ascii: ";")][Int(pick & 3)]
    options.header = pick & 4 == 0
    options.quoting = pick & 8 == 0
    if pick & 16 != 0 { options.missing = ["", "N/A"] }
    if pick & 32 != 0 { options.columns = [ColumnDeclaration(name: Name("d", .none), type: .date, dateFormat: "MM/DD/YYYY")] }
    if pick & 64 != 0 { options.chunks = 3 }
    if pick & 128 != 0 { options.encoding = "cp1252" }
    let input = InputFile(bytes: Array(bytes.dropFirst()), displayName: "fuzz.csv")
    _ = try? DelimitedReader.read(input, options: options)
    return 0
}

runFuzzer { data, size in data.map { fuzzDelimited($0, size) } ?? 0 }
