import Foundation
import TallyModel

/// The fast path of `DelimitedReader` for text in which no field is quoted (every CALPADS file,
/// and CSV files without a `"`): the records are split into one chunk per core, each chunk is
/// parsed into its own per-column interners, and the interners are merged once.
///
/// Hand-written and measured (bench/, docs/PERFORMANCE.md): the parse loop keeps its state in
/// locals and unsafe buffers so that Swift makes no exclusivity or copy-on-write check per field.
extension DelimitedReader {
    struct Chunk {
        var interners: [ByteInterner]
        var codes: [[Int32]]
        /// The columns read without interning (see `DistinctText`), empty for the others.
        var distinct: [DistinctText]
        /// Line of each record, counted from the chunk's first line as 0.
        var lines: [Int32]
        /// Line breaks in the chunk (to number the next chunk's lines).
        var lineBreaks: Int
        /// The first malformed record: its line (relative) and field count.
        var badRecord: (line: Int, fields: Int)?
    }

    /// One column's interners and codes, one of each per chunk, while chunks are merged.
    final class ColumnParts: @unchecked Sendable {
        var interners: [ByteInterner] = []
        var codes: [[Int32]] = []
        var distinct: [DistinctText] = []
    }

    /// Which columns to read without interning: those whose values are mostly distinct in the
    /// file's first records (IDs, street lines). Decided once, before the chunks are parsed in
    /// parallel, so every chunk reads a column the same way.
    static func distinctColumns(_ p: UnsafeBufferPointer<UInt8>, from: Int, expected: Int, delimiter: UInt8) -> [Bool] {
        // A quarter of the file, at least 64 KB and at most 4 MB: about 28,000 CALPADS records,
        // enough to tell IDs and street lines (nearly all distinct) from last names (20,000 of
        // them in a district: 55% distinct in such a sample, but 98% of a million rows repeats,
        // and numbering repeats afterwards costs a cache miss each).
        var to = min(p.count, from + min(4 << 20, max(64 << 10, (p.count - from) / 4)))
        while to < p.count, p[to] != 10, p[to] != 13 { to += 1 }
        if to < p.count { to += 1 }
        let sample = parseChunk(
            p, from: from, to: to, expected: expected, delimiter: delimiter,
            distinct: [Bool](repeating: false, count: expected))
        let rows = sample.lines.count
        // Fewer rows than this say little; 90% distinct is what an ID column looks like.
        guard rows >= 64, sample.badRecord == nil else { return [Bool](repeating: false, count: expected) }
        return sample.interners.map { $0.count * 10 > rows * 9 }
    }

    /// Chunks worth splitting a file into: one per core, at least 4 MB each.
    static func chunkCount(bytes: Int) -> Int {
        max(1, min(ProcessInfo.processInfo.activeProcessorCount, bytes / (4 << 20)))
    }

    /// Where each chunk starts: `from` and then the byte after a line break near each boundary.
    static func chunkStarts(_ p: UnsafeBufferPointer<UInt8>, from: Int, count: Int) -> [Int] {
        var starts = [from]
        let n = p.count
        for c in 1..<max(1, count) {
            var i = from + (n - from) * c / count
            while i < n, p[i] != 10, p[i] != 13 { i += 1 }
            if i < n, p[i] == 13 { i += 1 }
            if i < n, p[i] == 10 { i += 1 }
            if i > starts[starts.count - 1], i < n { starts.append(i) }
        }
        return starts
    }

    /// Records split per block before their fields are interned (see `ByteInterner.internBlock`).
    static let blockRecords = 4096

    /// Parses the records of `p[from..<to]` (which starts at a record).
    ///
    /// Records are split a block at a time into field boundaries (a few hundred KB, so the
    /// block's bytes stay in cache), then each column's fields of the block are interned together.
    /// - Parameter report: called every 8 MB with the bytes and records done in this chunk.
    /// - Parameter wholeEnd: where the whole read ends: the first chunk sizes its tables of
    ///   mostly distinct columns for every chunk, so merging the others into it never rehashes.
    /// - Parameter distinct: the columns appended as bytes rather than interned (`DistinctText`).
    static func parseChunk(
        _ p: UnsafeBufferPointer<UInt8>, from: Int, to: Int, wholeEnd: Int? = nil, expected: Int, delimiter: UInt8,
        distinct: [Bool], report: ((Int, Int) -> Void)? = nil
    ) -> Chunk {
        // Field k of record r starts at bounds[r * stride + k]; bounds[r * stride + expected] is one
        // past the end of the record's last field (as if a delimiter followed it).
        let stride = expected + 1
        // A block holds at most a million field bounds: 4,096 records of 100,000 columns would
        // have asked for 3 GB before reading a byte.
        let blockRecords = max(1, min(DelimitedReader.blockRecords, (1 << 20) / stride))
        var interners = [ByteInterner](repeating: ByteInterner(), count: expected)
        var codes = [[Int32]](repeating: [], count: expected)
        for k in 0..<expected where !distinct[k] { codes[k].reserveCapacity(blockRecords) }
        var texts = [DistinctText](repeating: DistinctText(), count: expected)
        var lines: [Int32] = []
        lines.reserveCapacity(blockRecords)
        var line = 0
        var bad: (line: Int, fields: Int)? = nil
        var bounds = [Int](repeating: 0, count: blockRecords * stride)
        guard let raw = UnsafeRawPointer(p.baseAddress) else {
            return Chunk(interners: interners, codes: codes, distinct: texts, lines: lines, lineBreaks: 0, badRecord: nil)
        }
        interners.withUnsafeMutableBufferPointer { ip in
            texts.withUnsafeMutableBufferPointer { tp in
                codes.withUnsafeMutableBufferPointer { cp in
                    bounds.withUnsafeMutableBufferPointer { bp in
                        let fields = UnsafeBufferPointer(bp)
                        var i = from
                        var scan = SeparatorScanner(raw, from: from, to: to, delimiter: delimiter)
                        var nextReport = from + (8 << 20)
                        var sized = false
                        while i < to, bad == nil {
                            if let report, i > nextReport { nextReport = i + (8 << 20); report(i - from, lines.count) }
                            var n = 0
                            records: while i < to, n < blockRecords {
                                var k = 0
                                var start = i
                                let row = n * stride
                                while true {
                                    let j = scan.next(start)
                                    let endOfLine = j >= to || p[j] != delimiter
                                    if endOfLine, k == 0, j == start {
                                        // A blank line.
                                        i = j
                                        if i < to { if p[i] == 13 { i += 1; if i < to, p[i] == 10 { i += 1 } } else { i += 1 }; line += 1 }
                                        continue records
                                    }
                                    if k < expected { bp[row + k] = start }
                                    k &+= 1
                                    if endOfLine {
                                        if k == expected { bp[row + expected] = j + 1 }
                                        i = j
                                        if i < to { if p[i] == 13 { i += 1; if i < to, p[i] == 10 { i += 1 } } else { i += 1 } }
                                        break
                                    }
                                    start = j + 1
                                }
                                if k != expected {
                                    bad = (line, k)
                                    break records
                                }
                                lines.append(Int32(truncatingIfNeeded: line))
                                line += 1
                                n += 1
                            }
                            for k in 0..<expected {
                                if distinct[k] {
                                    tp[k].appendBlock(p, bounds: fields, stride: stride, column: k, rows: n)
                                } else {
                                    ip[k].internBlock(p, bounds: fields, stride: stride, column: k, rows: n, into: &cp[k])
                                }
                            }
                            if !sized, n > 0 {
                                // Columns that are mostly distinct so far (IDs) get room for the whole chunk.
                                sized = true
                                // Records in this chunk, from the first block's bytes per record (and 2% over).
                                let records = Int(Double(to - from) / Double(max(1, i - from)) * Double(lines.count) * 1.02) + 64
                                // The first chunk's codes and lines get room for every chunk's (and
                                // 5% over): the merge then appends the others where they lie instead
                                // of copying all into new arrays. Room never written costs no memory:
                                // the kernel gives a page only when it is first touched.
                                let whole =
                                    wholeEnd.map { end in
                                        Int(Double(end - from) / Double(max(1, i - from)) * Double(lines.count) * 1.05) + 64
                                    }
                                    ?? records
                                for k in 0..<expected where !distinct[k] { cp[k].reserveCapacity(whole) }
                                for k in 0..<expected where distinct[k] {
                                    tp[k].ends.reserveCapacity(records)
                                    tp[k].arena.reserveCapacity(min(to - from, tp[k].arena.count / max(1, n) * records + 64))
                                }
                                lines.reserveCapacity(whole)
                                let estimate =
                                    Int(Double((wholeEnd ?? to) - from) / Double(max(1, i - from)) * Double(lines.count) * 1.02) + 64
                                for k in 0..<expected where !distinct[k] && ip[k].count > n / 2 {
                                    // Never more bytes than the rest of the input: after one record
                                    // with a 50 MB field, "65 more like it" asked for 3.4 GB.
                                    let bytes = min(ip[k].arena.count / max(1, ip[k].count) * estimate, (wholeEnd ?? to) - from)
                                    ip[k].reserve(values: estimate, bytes: bytes + 64)
                                }
                            }
                        }
                    }
                }
            }
        }
        return Chunk(interners: interners, codes: codes, distinct: texts, lines: lines, lineBreaks: line, badRecord: bad)
    }

    /// The separators (delimiter, LF, CR) of `p[..<to]`, in order, found eight bytes at a time.
    ///
    /// Scanning a byte at a time mispredicted a branch at the end of nearly every field (CALPADS
    /// fields are a few bytes long, of varying length), and scanning each field eight bytes at a
    /// time was slower still on such short fields (measured: docs/PERFORMANCE.md). Here each word
    /// is tested once for all three bytes, and its separators are then taken one by one.
    struct SeparatorScanner {
        let p: UnsafeRawPointer
        let to: Int
        /// The delimiter in every byte of a word.
        let pattern: UInt64
        /// The word last tested starts here; `found` has the high bit of each of its separators.
        var word: Int
        var found: UInt64 = 0

        init(_ p: UnsafeRawPointer, from: Int, to: Int, delimiter: UInt8) {
            self.p = p
            self.to = to
            pattern = UInt64(delimiter) &* 0x0101_0101_0101_0101
            word = from &- 8
        }

        /// The first separator at or after `start`, or `to` if none. `start` must not go back
        /// from one call to the next (the parse moves forward).
        @inline(__always) mutating func next(_ start: Int) -> Int {
            while true {
                while found != 0 {
                    let at = word &+ (found.trailingZeroBitCount &>> 3)
                    if at >= start { return at }
                    found &= found &- 1
                }
                let w = Swift.max(word &+ 8, start)
                if w &+ 8 > to {
                    // The last few bytes, one at a time.
                    let delimiter = UInt8(truncatingIfNeeded: pattern)
                    var j = start
                    while j < to {
                        let c = p.load(fromByteOffset: j, as: UInt8.self)
                        if c == delimiter || c == 10 || c == 13 { return j }
                        j &+= 1
                    }
                    return to
                }
                word = w
                // Byte k of the word is the byte at w + k whatever the machine's byte order.
                let x = p.loadUnaligned(fromByteOffset: w, as: UInt64.self).littleEndian
                found =
                    SeparatorScanner.zeroBytes(x ^ pattern) | SeparatorScanner.zeroBytes(x ^ 0x0A0A_0A0A_0A0A_0A0A)
                    | SeparatorScanner.zeroBytes(x ^ 0x0D0D_0D0D_0D0D_0D0D)
            }
        }

        /// The high bit of each zero byte of `t`, and no other bit. Exact (no carry crosses a
        /// byte, unlike the shorter `(t - 0x01…) & ~t & 0x80…`), so every bit is a separator.
        @inline(__always) static func zeroBytes(_ t: UInt64) -> UInt64 {
            let low: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
            return ~(((t & low) &+ low) | t | low)
        }
    }

    /// Reads records in parallel chunks and merges them: the columns' interners and codes, and
    /// every record's line. `from` is the first record's byte, `firstLine` its line number.
    static func readChunks(
        _ p: UnsafeBufferPointer<UInt8>, from: Int, firstLine: Int, expected: Int, delimiter: UInt8,
        chunks count: Int?, file: String, progress: ProgressHandler?
    ) throws -> (raw: [RawColumn], lines: [Int32]) {
        let starts = chunkStarts(p, from: from, count: count ?? chunkCount(bytes: p.count - from))
        let distinct = distinctColumns(p, from: from, expected: expected, delimiter: delimiter)
        var chunks = [Chunk?](repeating: nil, count: starts.count)
        chunks.withUnsafeMutableBufferPointer { buffer in
            let out = buffer
            Parallel.forEach(starts.count) { c in
                let to = c + 1 < starts.count ? starts[c + 1] : p.count
                // The first chunk reports for all: the chunks are of about the same size.
                let report: ((Int, Int) -> Void)? =
                    c == 0
                    ? progress.map { progress in
                        { done, rows in progress(min(p.count, done * starts.count), p.count, rows * starts.count) }
                    } : nil
                out[c] = parseChunk(
                    p, from: starts[c], to: to, wholeEnd: c == 0 ? p.count : nil,
                    expected: expected, delimiter: delimiter, distinct: distinct, report: report)
            }
        }
        // Line numbers continue from chunk to chunk; the first malformed record stops the read.
        var base = firstLine
        var offsets: [Int] = []
        for chunk in chunks {
            guard let chunk else { continue }
            offsets.append(base)
            if let bad = chunk.badRecord {
                throw Diagnostic(
                    .fieldCount, .error, "this row has \(bad.fields) field\(bad.fields == 1 ? "" : "s"), expected \(expected)",
                    file: file, line: base + bad.line,
                    help: bad.fields > expected
                        ? "a value may contain the delimiter without quotes" : "the row may be cut short or a quote left open")
            }
            base += chunk.lineBreaks
        }
        var parsed = chunks.compactMap { $0 }
        chunks = []
        // Lines continue in the first chunk's array (which has room for all, see `parseChunk`).
        var lines: [Int32] = parsed.isEmpty ? [] : parsed[0].lines
        if !parsed.isEmpty { parsed[0].lines = [] }
        lines.reserveCapacity(parsed.reduce(lines.count) { $0 + $1.lines.count })
        let firstOffset = Int32(truncatingIfNeeded: offsets.first ?? 0)
        if firstOffset != 0 { lines.withUnsafeMutableBufferPointer { l in for r in l.indices { l[r] &+= firstOffset } } }
        for c in parsed.indices.dropFirst() {
            let offset = Int32(truncatingIfNeeded: offsets[c])
            for line in parsed[c].lines { lines.append(line &+ offset) }
            parsed[c].lines = []
        }
        progress?(p.count, p.count, lines.count)
        // Each column's parts, moved out of the chunks so that the merge below owns them
        // uniquely and grows them in place rather than copying them (at 3M students those
        // copies were most of the merge's time).
        let parts = (0..<expected).map { _ in ColumnParts() }
        for c in parsed.indices {
            for k in 0..<expected {
                parts[k].interners.append(parsed[c].interners[k])
                parts[k].codes.append(parsed[c].codes[k])
                parts[k].distinct.append(parsed[c].distinct[k])
            }
            parsed[c].interners = []
            parsed[c].codes = []
            parsed[c].distinct = []
        }
        parsed = []
        // Merge each column's chunks into the first chunk's interner, columns in parallel.
        var raw = [RawColumn](repeating: RawColumn(), count: expected)
        let rows = lines.count
        raw.withUnsafeMutableBufferPointer { buffer in
            let out = buffer
            Parallel.forEach(expected) { k in
                let part = parts[k]
                if distinct[k] {
                    let pieces = part.distinct
                    part.distinct = []
                    let (interner, codes) = DistinctText.dedupe(pieces)
                    out[k] = RawColumn(interner: interner, codes: codes)
                    return
                }
                var interner = part.interners[0]
                var codes = part.codes[0]
                part.interners[0] = ByteInterner(capacity: 0)
                part.codes[0] = []
                let others = part.interners.dropFirst()
                let incoming = others.reduce(0) { $0 + $1.count }
                if incoming > 2048 {
                    interner.reserve(
                        values: interner.count + incoming,
                        bytes: interner.arena.count + others.reduce(0) { $0 + $1.arena.count })
                }
                codes.reserveCapacity(rows)
                for c in part.interners.indices.dropFirst() {
                    let remap = interner.internAll(of: part.interners[c])
                    part.interners[c] = ByteInterner(capacity: 0)
                    remap.withUnsafeBufferPointer { r in
                        for code in part.codes[c] { codes.append(r[Int(code)]) }
                    }
                    part.codes[c] = []
                }
                out[k] = RawColumn(interner: interner, codes: codes)
            }
        }
        return (raw, lines)
    }
}
