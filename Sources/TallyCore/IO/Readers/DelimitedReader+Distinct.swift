import Foundation
import TallyModel

/// The values of a mostly distinct column (a Local Record ID per record, SSIDs, street lines)
/// while a file is parsed: their bytes back to back, in row order, with no hash table.
///
/// Interning such a column a field at a time missed the cache on nearly every insert (its table
/// is tens of MB) and made the kernel zero those tables' pages: on a district with real-world
/// cardinality it was most of a load's time (docs/PERFORMANCE.md, "Realistic cardinality"). Here
/// the parse only copies bytes; `dedupe` then numbers the values once, partitioned by hash so that
/// each partition's table stays in cache. The result is what interning gives: distinct values in
/// order of first appearance and a code per row.
struct DistinctText {
    var arena: [UInt8] = []
    /// Row `r`'s value is `arena[ends[r - 1] ..< ends[r]]` (from 0 for the first row).
    var ends: [Int] = []

    var count: Int { ends.count }

    /// Appends field `column` of the block's `rows` records (see `ByteInterner.internBlock`).
    mutating func appendBlock(_ p: UnsafeBufferPointer<UInt8>, bounds: UnsafeBufferPointer<Int>, stride: Int, column: Int, rows: Int) {
        for r in 0..<rows {
            let at = r * stride + column
            let start = bounds[at], end = bounds[at + 1] - 1
            if end > start { arena.append(contentsOf: UnsafeBufferPointer(rebasing: p[start..<end])) }
            ends.append(arena.count)
        }
    }

    /// The distinct values of one column read in parts (one per chunk, in order), in order of
    /// first appearance, and each row's code among them.
    ///
    /// Rows are hashed, scattered by the top bits of their hash into partitions of a few thousand,
    /// and each partition is numbered with a small open-addressing table that stays in cache
    /// (rows of one partition are visited in row order, so the first row of each value wins).
    /// Codes are then given in row order. Every step reads or writes memory in order except the
    /// scatter, which writes to a few hundred places at once.
    ///
    /// The parts are read where they are rather than joined first: at 3M students joining them
    /// was one more copy of every ID and street line, in memory the kernel had to zero (6% of
    /// the run's page faults). A column whose values are all distinct, read in one part, keeps
    /// its bytes as they are.
    static func dedupe(_ parts: [DistinctText]) -> (interner: ByteInterner, codes: [Int32]) {
        var partStarts = [0]
        for part in parts { partStarts.append(partStarts[partStarts.count - 1] + part.count) }
        let n = partStarts[partStarts.count - 1]
        var partitionBits = 0
        while (n >> partitionBits) > 2048, partitionBits < 16 { partitionBits += 1 }
        let partitions = 1 << partitionBits
        var first = [Int32](repeating: 0, count: n)
        // Each part's bytes and value ends, held while the rows are numbered.
        let arenas = parts.map { part in part.arena.withUnsafeBufferPointer { $0 } }
        let ends = parts.map { part in part.ends.withUnsafeBufferPointer { $0 } }
        withExtendedLifetime(parts) {
            /// Row `r`'s bytes: its part's arena and the value's start and end in it.
            @inline(__always) func locate(_ r: Int) -> (UnsafeBufferPointer<UInt8>, Int, Int) {
                var p = 0
                while r >= partStarts[p + 1] { p += 1 }
                let local = r - partStarts[p]
                let e = ends[p]
                return (arenas[p], local == 0 ? 0 : e[local - 1], e[local])
            }
            // Each row's hash and row number, grouped by partition.
            var grouped = [(hash: UInt64, row: Int32)](repeating: (0, 0), count: n)
            var hashes = [UInt64](repeating: 0, count: n)
            var starts = [Int](repeating: 0, count: partitions + 1)
            func partition(_ h: UInt64) -> Int { partitionBits == 0 ? 0 : Int(truncatingIfNeeded: h >> UInt64(64 - partitionBits)) }
            for p in parts.indices {
                let a = arenas[p], e = ends[p], base = partStarts[p]
                for local in 0..<e.count {
                    let h = ByteInterner.hash(a, local == 0 ? 0 : e[local - 1], e[local])
                    hashes[base + local] = h
                    starts[partition(h) + 1] += 1
                }
            }
            for p in 0..<partitions { starts[p + 1] += starts[p] }
            var next = starts
            for r in 0..<n {
                let p = partition(hashes[r])
                grouped[next[p]] = (hashes[r], Int32(truncatingIfNeeded: r))
                next[p] += 1
            }
            hashes = []
            // Per partition: the first row holding each value (slots hold an index into `grouped` + 1).
            var slots = [Int32](repeating: 0, count: 16)
            for p in 0..<partitions {
                let lo = starts[p], hi = starts[p + 1]
                var size = 16
                while size < (hi - lo) * 2 { size <<= 1 }
                if slots.count < size {
                    slots = [Int32](repeating: 0, count: size)
                } else {
                    slots.withUnsafeMutableBufferPointer { s in s.baseAddress?.update(repeating: 0, count: size) }
                }
                let mask = size - 1
                for g in lo..<hi {
                    let (h, row) = grouped[g]
                    var slot = Int(truncatingIfNeeded: h) & mask
                    while true {
                        let held = slots[slot]
                        if held == 0 {
                            slots[slot] = Int32(g - lo + 1)
                            first[Int(row)] = row
                            break
                        }
                        let (oh, other) = grouped[lo + Int(held) - 1]
                        if oh == h {
                            let (a, rs, re) = locate(Int(row))
                            let (b, os, oe) = locate(Int(other))
                            if oe - os == re - rs,
                                re == rs
                                    || (a.baseAddress.flatMap { x in b.baseAddress.map { y in memcmp(x + rs, y + os, re - rs) == 0 } }
                                        ?? true)
                            {
                                first[Int(row)] = other
                                break
                            }
                        }
                        slot = (slot + 1) & mask
                    }
                }
            }
        }
        // Codes in row order; the distinct values' bytes in code order.
        var codes = [Int32](repeating: 0, count: n)
        var distinct = 0
        var bytes = 0
        for p in parts.indices {
            let e = ends[p], base = partStarts[p]
            for local in 0..<e.count where first[base + local] == Int32(truncatingIfNeeded: base + local) {
                distinct += 1
                bytes += e[local] - (local == 0 ? 0 : e[local - 1])
            }
        }
        var lengths = [Int32]()
        lengths.reserveCapacity(distinct)
        if distinct == n, parts.count == 1 {
            // All distinct, one part: the bytes are the values already, in order.
            let e = ends[0]
            for r in 0..<n {
                codes[r] = Int32(truncatingIfNeeded: r)
                lengths.append(Int32(truncatingIfNeeded: e[r] - (r == 0 ? 0 : e[r - 1])))
            }
            return (ByteInterner(arena: parts[0].arena, lengths: lengths), codes)
        }
        var values = [UInt8]()
        values.reserveCapacity(bytes)
        withExtendedLifetime(parts) {
            var next: Int32 = 0
            for p in parts.indices {
                let a = arenas[p], e = ends[p], base = partStarts[p]
                for local in 0..<e.count {
                    let r = base + local
                    let f = Int(first[r])
                    if f == r {
                        codes[r] = next
                        next += 1
                        let s = local == 0 ? 0 : e[local - 1]
                        values.append(contentsOf: UnsafeBufferPointer(rebasing: a[s..<e[local]]))
                        lengths.append(Int32(e[local] - s))
                    } else {
                        codes[r] = codes[f]
                    }
                }
            }
        }
        return (ByteInterner(arena: values, lengths: lengths), codes)
    }
}
