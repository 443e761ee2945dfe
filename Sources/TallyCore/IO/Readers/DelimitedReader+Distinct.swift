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

    /// The parts of one column (one per chunk, in order) as one.
    static func joined(_ parts: [DistinctText]) -> DistinctText {
        guard parts.count > 1 else { return parts.first ?? DistinctText() }
        var all = DistinctText()
        all.arena.reserveCapacity(parts.reduce(0) { $0 + $1.arena.count })
        all.ends.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for part in parts {
            let base = all.arena.count
            all.arena.append(contentsOf: part.arena)
            all.ends.append(contentsOf: part.ends.map { $0 + base })
        }
        return all
    }

    /// The distinct values, in order of first appearance, and each row's code among them.
    ///
    /// Rows are hashed, scattered by the top bits of their hash into partitions of a few thousand,
    /// and each partition is numbered with a small open-addressing table that stays in cache
    /// (rows of one partition are visited in row order, so the first row of each value wins).
    /// Codes are then given in row order. Every step reads or writes memory in order except the
    /// scatter, which writes to a few hundred places at once.
    func dedupe() -> (interner: ByteInterner, codes: [Int32]) {
        let n = count
        var partitionBits = 0
        while (n >> partitionBits) > 2048, partitionBits < 16 { partitionBits += 1 }
        let partitions = 1 << partitionBits
        // Each row's hash and row number, grouped by partition.
        var grouped = [(hash: UInt64, row: Int32)](repeating: (0, 0), count: n)
        var first = [Int32](repeating: 0, count: n)
        arena.withUnsafeBufferPointer { a in
            ends.withUnsafeBufferPointer { e in
                var hashes = [UInt64](repeating: 0, count: n)
                var starts = [Int](repeating: 0, count: partitions + 1)
                func partition(_ h: UInt64) -> Int { partitionBits == 0 ? 0 : Int(truncatingIfNeeded: h >> UInt64(64 - partitionBits)) }
                for r in 0..<n {
                    let h = ByteInterner.hash(a, r == 0 ? 0 : e[r - 1], e[r])
                    hashes[r] = h
                    starts[partition(h) + 1] += 1
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
                        let rs = row == 0 ? 0 : e[Int(row) - 1], re = e[Int(row)]
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
                                let os = other == 0 ? 0 : e[Int(other) - 1], oe = e[Int(other)]
                                if oe - os == re - rs, re == rs || a.baseAddress.map({ memcmp($0 + os, $0 + rs, re - rs) == 0 }) ?? true {
                                    first[Int(row)] = other
                                    break
                                }
                            }
                            slot = (slot + 1) & mask
                        }
                    }
                }
            }
        }
        grouped = []
        // Codes in row order; the distinct values' bytes in code order.
        var codes = [Int32](repeating: 0, count: n)
        var distinct = 0
        var bytes = 0
        for r in 0..<n where first[r] == Int32(truncatingIfNeeded: r) {
            distinct += 1
            bytes += ends[r] - (r == 0 ? 0 : ends[r - 1])
        }
        var values = [UInt8]()
        values.reserveCapacity(bytes)
        var lengths = [Int32]()
        lengths.reserveCapacity(distinct)
        arena.withUnsafeBufferPointer { a in
            var next: Int32 = 0
            for r in 0..<n {
                let f = Int(first[r])
                if f == r {
                    codes[r] = next
                    next += 1
                    let s = r == 0 ? 0 : ends[r - 1]
                    values.append(contentsOf: UnsafeBufferPointer(rebasing: a[s..<ends[r]]))
                    lengths.append(Int32(ends[r] - s))
                } else {
                    codes[r] = codes[f]
                }
            }
        }
        return (ByteInterner(arena: values, lengths: lengths), codes)
    }
}
