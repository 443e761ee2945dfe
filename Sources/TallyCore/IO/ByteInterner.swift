/// Interns byte strings into dense `Int32` codes with an open-addressing hash table.
///
/// Hand-written because it runs once per field of every input: it hashes bytes in place and
/// never makes a `String` for a value it has seen before (a 1M-row SENR has ~1.2M grade-level
/// fields but 15 distinct values).
struct ByteInterner {
    private(set) var arena: [UInt8] = []
    private(set) var starts: [Int] = []
    private(set) var lengths: [Int32] = []
    private var slots: [Int32]
    private var mask: Int

    init(capacity: Int = 64) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
    }

    var count: Int { starts.count }

    @inline(__always) static func hash(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt64 {
        var h: UInt64 = 0xcbf29ce484222325
        var i = start
        while i < end { h = (h ^ UInt64(p[i])) &* 0x100000001b3; i += 1 }
        return h ^ (h >> 29)
    }

    mutating func intern(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int32 {
        let h = ByteInterner.hash(p, start, end)
        var slot = Int(truncatingIfNeeded: h) & mask
        let length = end - start
        while true {
            let code = slots[slot]
            if code < 0 { break }
            if Int(lengths[Int(code)]) == length {
                let s = starts[Int(code)]
                var equal = true
                var k = 0
                while k < length { if arena[s + k] != p[start + k] { equal = false; break }; k += 1 }
                if equal { return code }
            }
            slot = (slot + 1) & mask
        }
        let code = Int32(starts.count)
        starts.append(arena.count)
        lengths.append(Int32(length))
        arena.append(contentsOf: UnsafeBufferPointer(rebasing: p[start..<end]))
        slots[slot] = code
        if starts.count * 2 > slots.count { grow() }
        return code
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        arena.withUnsafeBufferPointer { a in
            for code in 0..<starts.count {
                var slot = Int(truncatingIfNeeded: ByteInterner.hash(a, starts[code], starts[code] + Int(lengths[code]))) & mask
                while slots[slot] >= 0 { slot = (slot + 1) & mask }
                slots[slot] = Int32(code)
            }
        }
    }

    func bytes(_ code: Int32) -> ArraySlice<UInt8> {
        let s = starts[Int(code)]
        return arena[s..<(s + Int(lengths[Int(code)]))]
    }

    func string(_ code: Int32) -> String { String(decoding: bytes(code), as: UTF8.self) }
}
