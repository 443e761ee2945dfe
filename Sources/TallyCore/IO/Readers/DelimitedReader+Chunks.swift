import Foundation

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
        /// Line of each record, counted from the chunk's first line as 0.
        var lines: [Int32]
        /// Line breaks in the chunk (to number the next chunk's lines).
        var lineBreaks: Int
        /// The first malformed record: its line (relative) and field count.
        var badRecord: (line: Int, fields: Int)?
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

    /// Parses the records of `p[from..<to]` (which starts at a record).
    /// - Parameter report: called every 8 MB with the bytes and records done in this chunk.
    static func parseChunk(_ p: UnsafeBufferPointer<UInt8>, from: Int, to: Int, expected: Int, delimiter: UInt8,
                           report: ((Int, Int) -> Void)? = nil) -> Chunk {
        var interners = [ByteInterner](repeating: ByteInterner(), count: expected)
        let estimate = max(16, (to - from) / max(1, expected * 4))
        var codes = [[Int32]](repeating: [], count: expected)
        for k in 0..<expected { codes[k].reserveCapacity(estimate) }
        var lines: [Int32] = []
        lines.reserveCapacity(estimate)
        var line = 0
        var bad: (line: Int, fields: Int)? = nil
        interners.withUnsafeMutableBufferPointer { ip in
            codes.withUnsafeMutableBufferPointer { cp in
                var i = from
                var nextReport = from + (8 << 20)
                var sized = false
                records: while i < to {
                    if let report, i > nextReport { nextReport = i + (8 << 20); report(i - from, lines.count) }
                    if !sized, lines.count == 4096 {
                        // Columns that are mostly distinct so far (IDs) get room for the whole chunk.
                        sized = true
                        let estimate = (to - from) / max(1, i - from) * lines.count + 4096
                        for k in 0..<expected where ip[k].count > 2048 {
                            ip[k].reserve(values: estimate, bytes: ip[k].arena.count / max(1, ip[k].count) * estimate + 64)
                        }
                    }
                    var k = 0
                    var start = i
                    while true {
                        var j = start
                        while j < to {
                            let c = p[j]
                            if c == delimiter || c == 10 || c == 13 { break }
                            j &+= 1
                        }
                        let endOfLine = j >= to || p[j] != delimiter
                        if endOfLine, k == 0, j == start {
                            // A blank line.
                            i = j
                            if i < to { if p[i] == 13 { i += 1; if i < to, p[i] == 10 { i += 1 } } else { i += 1 }; line += 1 }
                            continue records
                        }
                        if k < expected { cp[k].append(ip[k].intern(p, start, j)) }
                        k &+= 1
                        if endOfLine {
                            i = j
                            if i < to { if p[i] == 13 { i += 1; if i < to, p[i] == 10 { i += 1 } } else { i += 1 } }
                            break
                        }
                        start = j + 1
                    }
                    if k != expected {
                        bad = (line, k)
                        return
                    }
                    lines.append(Int32(truncatingIfNeeded: line))
                    line += 1
                }
            }
        }
        return Chunk(interners: interners, codes: codes, lines: lines, lineBreaks: line, badRecord: bad)
    }

    /// Reads records in parallel chunks and merges them: the columns' interners and codes, and
    /// every record's line. `from` is the first record's byte, `firstLine` its line number.
    static func readChunks(_ p: UnsafeBufferPointer<UInt8>, from: Int, firstLine: Int, expected: Int, delimiter: UInt8,
                           chunks count: Int?, file: String, progress: ProgressHandler?) throws -> (raw: [RawColumn], lines: [Int32]) {
        let starts = chunkStarts(p, from: from, count: count ?? chunkCount(bytes: p.count - from))
        var chunks = [Chunk?](repeating: nil, count: starts.count)
        chunks.withUnsafeMutableBufferPointer { buffer in
            let out = buffer
            Parallel.forEach(starts.count) { c in
                let to = c + 1 < starts.count ? starts[c + 1] : p.count
                // The first chunk reports for all: the chunks are of about the same size.
                let report: ((Int, Int) -> Void)? = c == 0 ? progress.map { progress in
                    { done, rows in progress(min(p.count, done * starts.count), p.count, rows * starts.count) }
                } : nil
                out[c] = parseChunk(p, from: starts[c], to: to, expected: expected, delimiter: delimiter, report: report)
            }
        }
        // Line numbers continue from chunk to chunk; the first malformed record stops the read.
        var base = firstLine
        var offsets: [Int] = []
        for chunk in chunks {
            guard let chunk else { continue }
            offsets.append(base)
            if let bad = chunk.badRecord {
                throw Diagnostic(.error, "this row has \(bad.fields) field\(bad.fields == 1 ? "" : "s"), expected \(expected)",
                                 file: file, line: base + bad.line,
                                 help: bad.fields > expected ? "a value may contain the delimiter without quotes" : "the row may be cut short or a quote left open")
            }
            base += chunk.lineBreaks
        }
        let parsed = chunks.compactMap { $0 }
        var lines: [Int32] = []
        lines.reserveCapacity(parsed.reduce(0) { $0 + $1.lines.count })
        for (c, chunk) in parsed.enumerated() {
            let offset = Int32(truncatingIfNeeded: offsets[c])
            lines.append(contentsOf: chunk.lines.map { $0 &+ offset })
        }
        progress?(p.count, p.count, lines.count)
        // Merge each column's chunks into the first chunk's interner, columns in parallel.
        var raw = [RawColumn](repeating: RawColumn(), count: expected)
        let rows = lines.count
        raw.withUnsafeMutableBufferPointer { buffer in
            let out = buffer
            Parallel.forEach(expected) { k in
                var interner = parsed[0].interners[k]
                let incoming = parsed.dropFirst().reduce(0) { $0 + $1.interners[k].count }
                if incoming > 2048 {
                    interner.reserve(values: interner.count + incoming,
                                     bytes: interner.arena.count + parsed.dropFirst().reduce(0) { $0 + $1.interners[k].arena.count })
                }
                var codes = parsed[0].codes[k]
                codes.reserveCapacity(rows)
                for chunk in parsed.dropFirst() {
                    let other = chunk.interners[k]
                    var remap = [Int32](repeating: 0, count: other.count)
                    for code in 0..<other.count { remap[code] = interner.intern(Int32(code), of: other) }
                    codes.append(contentsOf: chunk.codes[k].map { remap[Int($0)] })
                }
                out[k] = RawColumn(interner: interner, codes: codes)
            }
        }
        return (raw, lines)
    }
}
