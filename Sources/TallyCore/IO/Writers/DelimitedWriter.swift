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

/// Streams a table to delimited text, a block of rows at a time, so a 1M-row export never sits
/// in memory as one string.
///
/// Hand-written for speed (measured in bench/): every distinct text value and date is encoded —
/// quoted if it must be — once, cells are copied from those bytes with no allocation per cell,
/// and each block's rows are formatted on all cores, then written in order.
public enum DelimitedWriter {
    /// One column's cells as bytes. A class with constant fields, so reading a cell copies
    /// (and retains) nothing.
    final class Encoder: @unchecked Sendable {
        enum Kind { case table, integer, other }
        let kind: Kind
        /// `table`: encoded bytes of each dictionary code (or each day from `first`), back to back.
        let codes: [Int32]
        let first: Int32
        let arena: [UInt8]
        let offsets: [Int]
        let integers: [Int64]
        let column: Column

        init(_ kind: Kind, column: Column, codes: [Int32] = [], first: Int32 = 0, arena: [UInt8] = [], offsets: [Int] = [], integers: [Int64] = []) {
            self.kind = kind; self.column = column; self.codes = codes; self.first = first
            self.arena = arena; self.offsets = offsets; self.integers = integers
        }
    }

    static func quoted(_ bytes: [UInt8], _ options: DelimitedWriteOptions) -> [UInt8] {
        guard options.quoting, bytes.contains(where: { $0 == options.delimiter || $0 == 34 || $0 == 10 || $0 == 13 }) else { return bytes }
        var out: [UInt8] = [34]
        for b in bytes { out.append(b); if b == 34 { out.append(34) } }
        out.append(34)
        return out
    }

    static func encoder(_ column: Column, _ options: DelimitedWriteOptions) -> Encoder {
        switch column.data {
        case .text(let codes, let dictionary):
            // A few rows over a large shared dictionary (5,000 SSIDs of a million): per cell.
            guard dictionary.count <= codes.count * 2 else { return Encoder(.other, column: column) }
            var arena: [UInt8] = [], offsets = [0]
            for value in dictionary.values {
                arena += quoted(Array(value.utf8), options)
                offsets.append(arena.count)
            }
            return Encoder(.table, column: column, codes: codes, first: 0, arena: arena, offsets: offsets)
        case .date(let days):
            // Dates span a few thousand days at most: format each day in the range once.
            var low = Int32.max, high = Int32.min
            for (row, d) in days.enumerated() where !column.isNull(row) { low = min(low, d); high = max(high, d) }
            guard low <= high, Int(high) - Int(low) < 1 << 20 else { return Encoder(.other, column: column) }
            var arena: [UInt8] = [], offsets = [0]
            for d in low...high {
                let text = options.dateFormat.map { DateCodec.format(d, $0) } ?? DateCodec.iso(d)
                arena += quoted(Array(text.utf8), options)
                offsets.append(arena.count)
            }
            return Encoder(.table, column: column, codes: days, first: low, arena: arena, offsets: offsets)
        case .integer(let values):
            return Encoder(.integer, column: column, integers: values)
        default:
            return Encoder(.other, column: column)
        }
    }

    /// Appends rows `range` to `out`.
    static func format(_ range: Range<Int>, _ columns: [Column], _ encoders: [Encoder], _ options: DelimitedWriteOptions, into out: inout [UInt8]) {
        var digits = [UInt8](repeating: 0, count: 20)
        for row in range {
            for k in 0..<encoders.count {
                if k > 0 { out.append(options.delimiter) }
                if columns[k].isNull(row) { continue }
                let e = encoders[k]
                switch e.kind {
                case .table:
                    let code = Int(e.codes[row] &- e.first)
                    let from = e.offsets[code], to = e.offsets[code + 1]
                    e.arena.withUnsafeBufferPointer { a in out.append(contentsOf: UnsafeBufferPointer(rebasing: a[from..<to])) }
                case .integer:
                    var v = e.integers[row]
                    if v == 0 { out.append(48); continue }
                    let negative = v < 0
                    var n = 0
                    // Digits from the right; Int64.min's magnitude is handled digit by digit.
                    while v != 0 { let r = v % 10; digits[n] = UInt8(48 + (r < 0 ? -r : r)); n += 1; v /= 10 }
                    if negative { out.append(45) }
                    while n > 0 { n -= 1; out.append(digits[n]) }
                case .other:
                    out += quoted(Array(e.column.value(row).display.utf8), options)
                }
            }
            out.append(contentsOf: options.lineEnding)
        }
    }

    /// Writes `table` to `path` (a staging file); returns the number of bytes written.
    public static func write(_ table: Table, to path: String, options: DelimitedWriteOptions,
                             progress: ProgressHandler? = nil) throws -> Int {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw Diagnostic(.error, "cannot create the file", file: path)
        }
        defer { try? handle.close() }
        var written = 0
        if options.header {
            var header: [UInt8] = []
            for (k, name) in table.names.enumerated() {
                if k > 0 { header.append(options.delimiter) }
                header += quoted(Array(name.utf8), options)
            }
            header += options.lineEnding
            try handle.write(contentsOf: header)
            written += header.count
        }
        var encoders = [Encoder?](repeating: nil, count: table.columnCount)
        encoders.withUnsafeMutableBufferPointer { buffer in
            let out = buffer
            Parallel.forEach(table.columnCount) { k in out[k] = encoder(table.columns[k], options) }
        }
        let built = encoders.compactMap { $0 }
        let columns = table.columns
        // Blocks of rows, split among the cores, written in order.
        let parts = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let block = 32_768 * parts
        var start = 0
        while start < table.rowCount {
            let end = min(table.rowCount, start + block)
            var buffers = [[UInt8]](repeating: [], count: parts)
            let blockStart = start
            buffers.withUnsafeMutableBufferPointer { buffer in
                let out = buffer
                Parallel.forEach(parts) { part in
                    let from = blockStart + (end - blockStart) * part / parts, to = blockStart + (end - blockStart) * (part + 1) / parts
                    var bytes: [UInt8] = []
                    bytes.reserveCapacity((to - from) * max(16, built.count * 8))
                    format(from..<to, columns, built, options, into: &bytes)
                    out[part] = bytes
                }
            }
            for bytes in buffers {
                try handle.write(contentsOf: bytes)
                written += bytes.count
            }
            start = end
            progress?(start, table.rowCount, start)
        }
        return written
    }
}
