import Foundation
import TallyModel

/// How to write a delimited text file.
public struct DelimitedWriteOptions: Sendable {
    public var delimiter: UInt8 = UInt8(ascii: ",")
    public var header = true
    public var quoting = true
    public var lineEnding: [UInt8] = [10]
    /// Date format for every date column (default `YYYY-MM-DD`).
    public var dateFormat: String? = nil
    /// Text that a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab
    /// or a carriage return) is written after a `'`, which makes Excel and LibreOffice show it as
    /// text (OWASP's advice against CSV injection). On for CSV/TSV/delimited exports unless
    /// `with raw`; never for CALPADS files, which are written byte-exact by their own writer.
    public var neutralizeFormulas = false
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

        init(
            _ kind: Kind, column: Column, codes: [Int32] = [], first: Int32 = 0, arena: [UInt8] = [], offsets: [Int] = [],
            integers: [Int64] = []
        ) {
            self.kind = kind; self.column = column; self.codes = codes; self.first = first
            self.arena = arena; self.offsets = offsets; self.integers = integers
        }
    }

    /// A text value's bytes as written: neutralised if it could run as a formula, then quoted.
    static func text(_ bytes: [UInt8], _ options: DelimitedWriteOptions) -> [UInt8] {
        guard options.neutralizeFormulas, let first = bytes.first, formulaStarts.contains(first) else { return quoted(bytes, options) }
        return quoted([0x27] + bytes, options)
    }

    /// `=`, `+`, `-`, `@`, tab, carriage return.
    static let formulaStarts: Set<UInt8> = [0x3D, 0x2B, 0x2D, 0x40, 0x09, 0x0D]

    /// Whether `text` would change `bytes` (a formula to neutralise, or a character to quote).
    @inline(__always) static func needsEncoding(_ bytes: UnsafeBufferPointer<UInt8>, _ options: DelimitedWriteOptions) -> Bool {
        if options.neutralizeFormulas, let first = bytes.first, formulaStarts.contains(first) { return true }
        guard options.quoting else { return false }
        let delimiter = options.delimiter
        for b in bytes where b == delimiter || b == 34 || b == 10 || b == 13 { return true }
        return false
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
            // From the dictionary's bytes: a value that needs neither quotes nor neutralising (nearly
            // all) is copied as it is, with no array made for it.
            let packed = dictionary.packed
            var arena: [UInt8] = [], offsets = [Int]()
            arena.reserveCapacity(packed.arena.count + packed.count / 8)
            offsets.reserveCapacity(packed.count + 1)
            offsets.append(0)
            packed.arena.withUnsafeBufferPointer { a in
                for code in 0..<packed.count {
                    let s = packed.starts[code], e = s + Int(packed.lengths[code])
                    let value = UnsafeBufferPointer(rebasing: a[s..<e])
                    if needsEncoding(value, options) {
                        arena += text(Array(value), options)
                    } else {
                        arena.append(contentsOf: value)
                    }
                    offsets.append(arena.count)
                }
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

    /// One column's encoder seen through raw pointers, so the per-cell loop of `format` retains,
    /// checks and copies nothing (with the encoders read through class references, reference
    /// counting was a third of the export's time at 3M students). Valid while the encoder lives.
    struct Cursor {
        let kind: Encoder.Kind
        let codes: UnsafePointer<Int32>?
        let first: Int32
        let arena: UnsafePointer<UInt8>?
        let offsets: UnsafePointer<Int>?
        let integers: UnsafePointer<Int64>?
        let validity: UnsafePointer<UInt64>?
        /// The longest cell (table encoders), or -1 when unknown.
        let widest: Int

        init(_ e: Encoder, validity: Bitmap?) {
            kind = e.kind
            codes = e.codes.withUnsafeBufferPointer { $0.baseAddress }
            first = e.first
            arena = e.arena.withUnsafeBufferPointer { $0.baseAddress }
            offsets = e.offsets.withUnsafeBufferPointer { $0.baseAddress }
            integers = e.integers.withUnsafeBufferPointer { $0.baseAddress }
            self.validity = validity?.words.withUnsafeBufferPointer { $0.baseAddress }
            switch e.kind {
            case .table:
                var w = 0
                for i in 0..<max(0, e.offsets.count - 1) { w = max(w, e.offsets[i + 1] - e.offsets[i]) }
                widest = w
            case .integer: widest = 20
            case .other: widest = -1
            }
        }
    }

    /// A growable byte buffer written through a pointer.
    struct ByteSink: @unchecked Sendable {
        private(set) var base: UnsafeMutablePointer<UInt8>
        private(set) var capacity: Int
        var count = 0

        init(capacity: Int) {
            self.capacity = max(64, capacity)
            base = UnsafeMutablePointer<UInt8>.allocate(capacity: self.capacity)
        }

        @inline(__always) mutating func ensure(_ extra: Int) {
            guard count + extra > capacity else { return }
            var size = capacity * 2
            while size < count + extra { size *= 2 }
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
            grown.update(from: base, count: count)
            base.deallocate()
            base = grown
            capacity = size
        }

        @inline(__always) mutating func append(_ byte: UInt8) { base[count] = byte; count &+= 1 }

        @inline(__always) mutating func append(_ from: UnsafePointer<UInt8>, _ length: Int) {
            (base + count).update(from: from, count: length)
            count &+= length
        }

        mutating func append(_ bytes: [UInt8]) {
            ensure(bytes.count)
            bytes.withUnsafeBufferPointer { if let b = $0.baseAddress { append(b, bytes.count) } }
        }

        func free() { base.deallocate() }
    }

    /// Appends rows `range` to `out`.
    static func format(
        _ range: Range<Int>, _ columns: [Column], _ cursors: [Cursor], _ options: DelimitedWriteOptions, into out: inout ByteSink
    ) {
        let lineEnding = options.lineEnding
        let delimiter = options.delimiter
        // A row's size is bounded when every column is: then one capacity check per row.
        let bounded = cursors.allSatisfy { $0.widest >= 0 }
        let rowBound = cursors.reduce(0) { $0 + max(0, $1.widest) + 1 } + lineEnding.count
        cursors.withUnsafeBufferPointer { cs in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
                for row in range {
                    if bounded { out.ensure(rowBound) }
                    for k in 0..<cs.count {
                        let c = cs[k]
                        if k > 0 { if !bounded { out.ensure(1) }; out.append(delimiter) }
                        if let v = c.validity, (v[row >> 6] >> UInt64(row & 63)) & 1 == 0 { continue }
                        switch c.kind {
                        case .table:
                            guard let codes = c.codes, let offsets = c.offsets else { continue }
                            let code = Int(codes[row] &- c.first)
                            let from = offsets[code], length = offsets[code + 1] - from
                            if !bounded { out.ensure(length) }
                            if length > 0, let arena = c.arena { out.append(arena + from, length) }
                        case .integer:
                            guard let integers = c.integers else { continue }
                            if !bounded { out.ensure(20) }
                            var v = integers[row]
                            if v == 0 { out.append(48); continue }
                            let negative = v < 0
                            var n = 0
                            // Digits from the right; Int64.min's magnitude is handled digit by digit.
                            while v != 0 { let r = v % 10; digits[n] = UInt8(48 + (r < 0 ? -r : r)); n += 1; v /= 10 }
                            if negative { out.append(45) }
                            while n > 0 { n -= 1; out.append(digits[n]) }
                        case .other:
                            let value = columns[k].value(row)
                            if case .text = value {
                                out.append(text(Array(value.display.utf8), options))
                            } else {
                                out.append(quoted(Array(value.display.utf8), options))
                            }
                        }
                    }
                    if !bounded { out.ensure(lineEnding.count) }
                    for b in lineEnding { out.append(b) }
                }
            }
        }
    }

    /// Writes `table` to `path` (a staging file); returns the number of bytes written.
    public static func write(
        _ table: Table, to path: String, options: DelimitedWriteOptions,
        progress: ProgressHandler? = nil
    ) throws -> Int {
        guard FileCreation.create(path, permissions: 0o600),
            let handle = FileHandle(forWritingAtPath: path)
        else {
            throw Diagnostic(.writeFailed, .error, "cannot create the file", file: path)
        }
        defer { try? handle.close() }
        nonisolated(unsafe) var written = 0
        if options.header {
            var header: [UInt8] = []
            for (k, name) in table.names.enumerated() {
                if k > 0 { header.append(options.delimiter) }
                header += text(Array(name.utf8), options)
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
        let cursors = zip(built, columns).map { Cursor($0, validity: $1.validity) }
        // Blocks of rows, split among the cores; while one block is formatted the one before it
        // is written on another thread, in order.
        let parts = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let block = 32_768 * parts
        let writer = DispatchQueue(label: "tally.export.write")
        let inFlight = DispatchSemaphore(value: 2)
        let failure = WriteFailure()
        var start = 0
        withExtendedLifetime((built, columns)) {
            while start < table.rowCount, !failure.failed {
                let end = min(table.rowCount, start + block)
                var sinks = [ByteSink?](repeating: nil, count: parts)
                let blockStart = start
                sinks.withUnsafeMutableBufferPointer { buffer in
                    let out = buffer
                    Parallel.forEach(parts) { part in
                        let from = blockStart + (end - blockStart) * part / parts, to = blockStart + (end - blockStart) * (part + 1) / parts
                        var sink = ByteSink(capacity: (to - from) * max(16, cursors.count * 8))
                        format(from..<to, columns, cursors, options, into: &sink)
                        out[part] = sink
                    }
                }
                let ready = sinks.compactMap { $0 }
                inFlight.wait()
                writer.async {
                    defer { inFlight.signal(); for sink in ready { sink.free() } }
                    guard !failure.failed else { return }
                    for sink in ready where sink.count > 0 {
                        do { try handle.write(contentsOf: UnsafeRawBufferPointer(start: sink.base, count: sink.count)) } catch {
                            failure.failed = true
                            return
                        }
                        written += sink.count
                    }
                }
                start = end
                progress?(start, table.rowCount, start)
            }
            writer.sync {}
        }
        if failure.failed { throw Diagnostic(.writeFailed, .error, "cannot write the file (disk full?)", file: path) }
        return written
    }
}

/// Set by the export's writer thread when a write fails.
final class WriteFailure: @unchecked Sendable {
    var failed = false
}
