/// Dense `Int32` ids for 64-bit keys and key pairs: joins, aggregates, distinct and `unique by`
/// number their keys through it.
///
/// Hand-written (measured in bench/): Swift's `Dictionary<Int64, Int32>` hashes with SipHash and
/// an `[Int64?]` key per row allocates; this open-addressing table with a multiplicative hash
/// numbers a million SSID keys in a fraction of the time.
package struct IdTable {
    private var first: [Int64]
    private var second: [Int64]
    private var ids: [Int32]
    private var mask: Int
    private(set) var count = 0

    package init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        first = [Int64](repeating: 0, count: size)
        second = [Int64](repeating: 0, count: size)
        ids = [Int32](repeating: -1, count: size)
        mask = size - 1
    }

    @inline(__always) package static func slot(_ a: Int64, _ b: Int64, _ mask: Int) -> Int {
        var h = UInt64(bitPattern: a) &* 0x9E37_79B9_7F4A_7C15
        h ^= UInt64(bitPattern: b) &* 0xC2B2_AE3D_27D4_EB4F
        h ^= h >> 31
        return Int(truncatingIfNeeded: h) & mask
    }

    /// The id of the key (a, b): an existing one, or the next (`isNew`).
    @inline(__always) package mutating func id(_ a: Int64, _ b: Int64 = 0) -> (id: Int32, isNew: Bool) {
        var s = IdTable.slot(a, b, mask)
        while true {
            let existing = ids[s]
            if existing < 0 { break }
            if first[s] == a, second[s] == b { return (existing, false) }
            s = (s + 1) & mask
        }
        let id = Int32(count)
        first[s] = a; second[s] = b; ids[s] = id
        count += 1
        if count * 2 > ids.count { grow() }
        return (id, true)
    }

    private mutating func grow() {
        let oldFirst = first, oldSecond = second, oldIds = ids
        let size = ids.count * 2
        first = [Int64](repeating: 0, count: size)
        second = [Int64](repeating: 0, count: size)
        ids = [Int32](repeating: -1, count: size)
        mask = size - 1
        for i in 0..<oldIds.count where oldIds[i] >= 0 {
            var s = IdTable.slot(oldFirst[i], oldSecond[i], mask)
            while ids[s] >= 0 { s = (s + 1) & mask }
            first[s] = oldFirst[i]; second[s] = oldSecond[i]; ids[s] = oldIds[i]
        }
    }
}
