import Foundation

/// Interns byte strings into dense `Int32` codes with an open-addressing hash table.
///
/// Hand-written because it runs once per field of every input: it hashes bytes in place and
/// never makes a `String` for a value it has seen before (a 1M-row SENR has ~1.2M grade-level
/// fields but 15 distinct values). Measured in bench/: hashing eight bytes at a time and
/// comparing with memcmp took interning from 17% of a SENR load to under 10%.
package struct ByteInterner {
    package private(set) var arena: [UInt8] = []
    package private(set) var starts: [Int] = []
    package private(set) var lengths: [Int32] = []
    /// Each slot holds the high 32 bits of a value's hash and its code + 1 (0: empty). With the
    /// hash in the slot a probe that meets another value rarely touches that value's length or
    /// bytes: for a column of a million distinct IDs each of those is a cache miss. (Filling the
    /// table to three quarters instead of half made the 3M load slower: longer probes.)
    private var slots: SlotStorage
    private var mask: Int

    package init(capacity: Int = 64) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = SlotStorage(count: size)
        mask = size - 1
    }

    package var count: Int { starts.count }

    /// The bytes of `values` back to back, *not* interned (no table): the input of `internAll`.
    package static func packing(_ values: [String]) -> ByteInterner {
        var list = ByteInterner(capacity: 0)
        list.starts.reserveCapacity(values.count)
        list.lengths.reserveCapacity(values.count)
        list.arena.reserveCapacity(values.reduce(0) { $0 + $1.utf8.count })
        for value in values {
            list.starts.append(list.arena.count)
            list.lengths.append(Int32(value.utf8.count))
            list.arena.append(contentsOf: value.utf8)
        }
        return list
    }

    /// Values given as their bytes back to back and their lengths, *not* interned (no table; see
    /// `rebuildTable`): a dictionary read back from the cell cache.
    package init(arena: [UInt8], lengths: [Int32]) {
        self.init(capacity: 0)
        self.arena = arena
        self.lengths = lengths
        var at = 0
        starts = lengths.map { length in
            defer { at += Int(length) }; return at
        }
    }

    /// A multiplicative hash over eight-byte words (and the tail byte by byte). Inlinable: TallyCore's
    /// `DistinctText.dedupe` hashes every row of a mostly distinct column with it.
    @inlinable @inline(__always) package static func hash(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 &* UInt64(truncatingIfNeeded: end - start &+ 1)
        guard let base = p.baseAddress else { return h }
        let raw = UnsafeRawPointer(base)
        var i = start
        while i &+ 8 <= end {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = (h ^ w) &* 0xff51_afd7_ed55_8ccd
            h ^= h >> 32
            i &+= 8
        }
        while i < end { h = (h ^ UInt64(base[i])) &* 0x100_0000_01b3; i &+= 1 }
        h ^= h >> 29
        h = h &* 0xc4ce_b9fe_1a85_ec53
        return h ^ (h >> 32)
    }

    package mutating func intern(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int32 {
        intern(p, start, end, hash: ByteInterner.hash(p, start, end))
    }

    /// Interns one column's fields of a block of records: field `column` of record `r` is
    /// `p[bounds[r * stride + column] ..< bounds[r * stride + column + 1] - 1]`.
    ///
    /// The fields are hashed sixteen at a time and their slots read before any is inserted, so
    /// the cache misses of a large table (a column of distinct IDs) overlap instead of stalling
    /// one after another: at 3M students nearly all of interning's time was that one load.
    package mutating func internBlock(
        _ p: UnsafeBufferPointer<UInt8>, bounds: UnsafeBufferPointer<Int>, stride: Int,
        column: Int, rows: Int, into codes: inout [Int32]
    ) {
        // A field equal to the one above it (an empty or constant column: half of a CALPADS
        // file's fields) takes the code above it without being hashed or looked up.
        func sameAsAbove(_ row: Int) -> Bool {
            guard row > 0 else { return false }
            let at = row * stride + column, above = at - stride
            let s = bounds[at], length = bounds[at + 1] - 1 - s
            let t = bounds[above]
            guard bounds[above + 1] - 1 - t == length else { return false }
            var k = 0
            while k < length { if p[s + k] != p[t + k] { return false }; k += 1 }
            return true
        }
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 16) { hashes in
            withUnsafeTemporaryAllocation(of: Bool.self, capacity: 16) { same in
                var r = 0
                while r < rows {
                    let m = min(16, rows - r)
                    var fresh = 0
                    for i in 0..<m {
                        same[i] = !codes.isEmpty && sameAsAbove(r + i)
                        if same[i] { continue }
                        let at = (r + i) * stride + column
                        hashes[fresh] = ByteInterner.hash(p, bounds[at], bounds[at + 1] - 1)
                        fresh += 1
                    }
                    warm(hashes, fresh)
                    var h = 0
                    for i in 0..<m {
                        if same[i], let above = codes.last { codes.append(above); continue }
                        let at = (r + i) * stride + column
                        codes.append(intern(p, bounds[at], bounds[at + 1] - 1, hash: hashes[h]))
                        h += 1
                    }
                    r += m
                }
            }
        }
    }

    /// Interns every value of `other` (merging chunks read in parallel): the code of each of
    /// `other`'s values here. Batched like `internBlock`, for the same reason.
    package mutating func internAll(of other: ByteInterner) -> [Int32] {
        var remap = [Int32](repeating: 0, count: other.count)
        other.arena.withUnsafeBufferPointer { a in
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 16) { hashes in
                var c = 0
                while c < other.count {
                    let m = min(16, other.count - c)
                    for i in 0..<m {
                        let s = other.starts[c + i]
                        hashes[i] = ByteInterner.hash(a, s, s + Int(other.lengths[c + i]))
                    }
                    warm(hashes, m)
                    for i in 0..<m {
                        let s = other.starts[c + i]
                        remap[c + i] = intern(a, s, s + Int(other.lengths[c + i]), hash: hashes[i])
                    }
                    c += m
                }
            }
        }
        return remap
    }

    /// Reads the slots of `m` hashed values in a tight loop of independent loads, so that all of
    /// their cache misses are in flight at once before any value is inserted.
    @inline(__always) private mutating func warm(_ hashes: UnsafeMutableBufferPointer<UInt64>, _ m: Int) {
        let mask = self.mask
        sink &+= slots.read { s in
            var warm: UInt64 = 0
            for i in 0..<m { warm |= s[Int(truncatingIfNeeded: hashes[i]) & mask] }
            return warm
        }
    }

    /// Keeps the slot reads of `internBlock` from being optimised away.
    private var sink: UInt64 = 0

    @inline(__always)
    package mutating func intern(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, hash h: UInt64) -> Int32 {
        var slot = Int(truncatingIfNeeded: h) & mask
        let tag = h & 0xFFFF_FFFF_0000_0000
        let length = end - start
        while true {
            let entry = slots.pointer[slot]
            if entry == 0 { break }
            let code = Int32(truncatingIfNeeded: entry) &- 1
            if entry & 0xFFFF_FFFF_0000_0000 == tag, Int(lengths[Int(code)]) == length {
                let s = starts[Int(code)]
                let equal =
                    length == 0
                    || arena.withUnsafeBufferPointer { a -> Bool in
                        guard let x = a.baseAddress, let y = p.baseAddress else { return false }
                        // Codes and IDs are short: compare them inline rather than calling memcmp.
                        if length <= 16 {
                            var k = 0
                            while k < length { if x[s + k] != y[start + k] { return false }; k += 1 }
                            return true
                        }
                        return memcmp(x + s, y + start, length) == 0
                    }
                if equal { return code }
            }
            slot = (slot + 1) & mask
        }
        let code = Int32(starts.count)
        starts.append(arena.count)
        lengths.append(Int32(length))
        if length > 0 { arena.append(contentsOf: UnsafeBufferPointer(rebasing: p[start..<end])) }
        if !isKnownUniquelyReferenced(&slots) { slots = slots.copy() }
        slots.pointer[slot] = tag | UInt64(UInt32(bitPattern: code &+ 1))
        if starts.count * 2 > slots.count { grow() }
        return code
    }

    /// The code of the value `p[start..<end]`, or nil when it was never interned.
    package func find(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int32? {
        let h = ByteInterner.hash(p, start, end)
        var slot = Int(truncatingIfNeeded: h) & mask
        let tag = h & 0xFFFF_FFFF_0000_0000
        let length = end - start
        while true {
            let entry = slots.pointer[slot]
            if entry == 0 { return nil }
            let code = Int32(truncatingIfNeeded: entry) &- 1
            if entry & 0xFFFF_FFFF_0000_0000 == tag, Int(lengths[Int(code)]) == length {
                let s = starts[Int(code)]
                let equal =
                    length == 0
                    || arena.withUnsafeBufferPointer { a -> Bool in
                        guard let x = a.baseAddress, let y = p.baseAddress else { return false }
                        return memcmp(x + s, y + start, length) == 0
                    }
                if equal { return code }
            }
            slot = (slot + 1) & mask
        }
    }

    /// Frees the hash table, keeping the values (a dictionary that may never be searched).
    /// `rebuildTable` must run before the next `intern` or `find`.
    package mutating func dropTable() {
        slots = SlotStorage(count: 16)
        mask = 15
    }

    /// A hash table for the values held (after `dropTable`).
    package mutating func rebuildTable() {
        var size = 16
        while size < (starts.count + 1) * 2 { size <<= 1 }
        rehash(size)
    }

    /// Makes room for `values` distinct values of about `bytes` bytes in all without growing
    /// (an ID column of a million rows would otherwise be rehashed twenty times).
    package mutating func reserve(values: Int, bytes: Int) {
        starts.reserveCapacity(values)
        lengths.reserveCapacity(values)
        arena.reserveCapacity(bytes)
        guard values * 2 > slots.count else { return }
        var size = slots.count
        while size < values * 2 { size <<= 1 }
        rehash(size)
    }

    private mutating func grow() { rehash(slots.count * 2) }

    /// A table of `size` slots holding every value interned so far.
    private mutating func rehash(_ size: Int) {
        slots = SlotStorage(count: size)
        mask = size - 1
        let fresh = slots.pointer
        arena.withUnsafeBufferPointer { a in
            for code in 0..<starts.count {
                let h = ByteInterner.hash(a, starts[code], starts[code] + Int(lengths[code]))
                var slot = Int(truncatingIfNeeded: h) & mask
                while fresh[slot] != 0 { slot = (slot + 1) & mask }
                fresh[slot] = (h & 0xFFFF_FFFF_0000_0000) | UInt64(code + 1)
            }
        }
    }

    package func bytes(_ code: Int32) -> ArraySlice<UInt8> {
        let s = starts[Int(code)]
        return arena[s..<(s + Int(lengths[Int(code)]))]
    }

    package func string(_ code: Int32) -> String { String(decoding: bytes(code), as: UTF8.self) }
}

/// The slots of a `ByteInterner`, shared between copies until one of them inserts.
///
/// A table of 4 MB or more is mapped straight from the kernel and marked for transparent huge
/// pages: its reads are random, and with 4 KB pages nearly every one of a million-entry table's
/// also missed the TLB. Mapped memory also comes zeroed, so it is not cleared twice.
package final class SlotStorage: @unchecked Sendable {
    package let pointer: UnsafeMutablePointer<UInt64>
    package let count: Int
    private let mappedBytes: Int

    package init(count: Int) {
        self.count = count
        let bytes = count * MemoryLayout<UInt64>.stride
        if bytes >= 4 << 20, let mapped = SlotStorage.map(bytes) {
            pointer = mapped.bindMemory(to: UInt64.self, capacity: count)
            mappedBytes = bytes
        } else {
            pointer = UnsafeMutablePointer<UInt64>.allocate(capacity: count)
            pointer.initialize(repeating: 0, count: count)
            mappedBytes = 0
        }
    }

    private static func map(_ bytes: Int) -> UnsafeMutableRawPointer? {
        guard let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED else { return nil }
        _ = madvise(p, bytes, 14) // MADV_HUGEPAGE
        return p
    }

    package func copy() -> SlotStorage {
        let other = SlotStorage(count: count)
        other.pointer.update(from: pointer, count: count)
        return other
    }

    @inline(__always) package func read<R>(_ body: (UnsafeBufferPointer<UInt64>) -> R) -> R {
        body(UnsafeBufferPointer(start: pointer, count: count))
    }

    deinit {
        if mappedBytes > 0 { munmap(pointer, mappedBytes) } else { pointer.deallocate() }
    }
}
