import Foundation

/// How to write a delimited text file.
public struct DelimitedWriteOptions: Sendable {
    public var delimiter: UInt8 = UInt8(ascii: ",")
    public var header = true
    public var quoting = true
    public var lineEnding: [UInt8] = [10]
    /// Date format for every date column (default `YYYY-MM-DD`).
    public var dateFormat: String? = nil
    public init() {}
}

/// Streams a table to delimited text, a buffer at a time, so a 1M-row export never sits in
/// memory as one string.
public enum DelimitedWriter {
    /// Writes `table` to `path` (a staging file); returns the number of bytes written.
    public static func write(_ table: Table, to path: String, options: DelimitedWriteOptions,
                             progress: ProgressHandler? = nil) throws -> Int {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw Diagnostic(.error, "cannot create the file", file: path)
        }
        defer { try? handle.close() }
        var buffer = [UInt8]()
        buffer.reserveCapacity(1 << 20)
        var written = 0
        func flush() throws {
            try handle.write(contentsOf: buffer)
            written += buffer.count
            buffer.removeAll(keepingCapacity: true)
        }
        func field(_ text: String) {
            let bytes = Array(text.utf8)
            let needsQuotes = options.quoting && bytes.contains { $0 == options.delimiter || $0 == 34 || $0 == 10 || $0 == 13 }
            if needsQuotes {
                buffer.append(34)
                for b in bytes { buffer.append(b); if b == 34 { buffer.append(34) } }
                buffer.append(34)
            } else {
                buffer.append(contentsOf: bytes)
            }
        }
        if options.header {
            for (k, name) in table.names.enumerated() {
                if k > 0 { buffer.append(options.delimiter) }
                field(name)
            }
            buffer.append(contentsOf: options.lineEnding)
        }
        // Text cells are written from their dictionary's bytes, encoded once per distinct value.
        let encoders: [(Int) -> [UInt8]?] = table.columns.map { column in
            switch column.data {
            case .text(let codes, let dictionary):
                var cache = [[UInt8]?](repeating: nil, count: dictionary.count)
                return { row in
                    if column.isNull(row) { return nil }
                    let code = Int(codes[row])
                    if let hit = cache[code] { return hit }
                    let bytes = Array(dictionary.values[code].utf8)
                    cache[code] = bytes
                    return bytes
                }
            case .date(let days):
                let pattern = options.dateFormat
                return { row in
                    column.isNull(row) ? nil : Array((pattern.map { DateCodec.format(days[row], $0) } ?? DateCodec.iso(days[row])).utf8)
                }
            default:
                return { row in column.isNull(row) ? nil : Array(column.value(row).display.utf8) }
            }
        }
        for row in 0..<table.rowCount {
            for k in 0..<encoders.count {
                if k > 0 { buffer.append(options.delimiter) }
                guard let bytes = encoders[k](row) else { continue }
                if options.quoting, bytes.contains(where: { $0 == options.delimiter || $0 == 34 || $0 == 10 || $0 == 13 }) {
                    buffer.append(34)
                    for b in bytes { buffer.append(b); if b == 34 { buffer.append(34) } }
                    buffer.append(34)
                } else {
                    buffer.append(contentsOf: bytes)
                }
            }
            buffer.append(contentsOf: options.lineEnding)
            if buffer.count >= 1 << 20 {
                try flush()
                progress?(row + 1, table.rowCount, row + 1)
            }
        }
        try flush()
        return written
    }
}
