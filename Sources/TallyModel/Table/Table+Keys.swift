/// Turns the key columns of one or more tables into dense `Int32` group ids so that rows with
/// equal keys — on any side — get equal ids. Null in any key column gives -1 (never matches).
///
/// Join, aggregate, distinct and `unique by` all hash these small integers instead of strings.
public enum KeyEncoder {
    /// - Parameter sides: for each table, its key columns in key order (same count per side).
    /// - Returns: for each side, one id per row; and how many distinct keys were seen.
    public static func encode(_ sides: [[Column]]) -> (ids: [[Int32]], distinct: Int) {
        guard let width = sides.first?.count, width > 0 else {
            return (sides.map { cols in [Int32](repeating: 0, count: cols.first?.count ?? 0) }, 1)
        }
        var ids: [[Int32]] = []
        var distinct = 0
        let rows = sides.reduce(0) { $0 + ($1.first?.count ?? 0) }
        if width == 1, let (slots, span) = textSlots(sides.map { $0[0] }) {
            // One text key: slots index an array directly; ids in order of first appearance.
            var dense = [Int32](repeating: -1, count: span)
            var next: Int32 = 0
            let ids = slots.map { side in
                side.map { slot -> Int32 in
                    guard slot >= 0 else { return -1 }
                    if dense[Int(slot)] < 0 { dense[Int(slot)] = next; next += 1 }
                    return dense[Int(slot)]
                }
            }
            return (ids, Int(next))
        }
        for k in 0..<width {
            let atoms = atomize(sides.map { $0[k] })
            var map = IdTable(capacity: min(rows, 1 << 16))
            if k == 0, let (low, high) = KeyEncoder.range(atoms), KeyEncoder.isSmallRange(low, high, rows: rows) {
                // Text codes (and small integers) index an array directly: no hashing.
                var dense = [Int32](repeating: -1, count: Int(high - low) + 1)
                var next: Int32 = 0
                ids = atoms.map { side in
                    side.map { atom -> Int32 in
                        guard let atom else { return -1 }
                        let slot = Int(atom - low)
                        if dense[slot] < 0 { dense[slot] = next; next += 1 }
                        return dense[slot]
                    }
                }
                distinct = Int(next)
                continue
            }
            if k == 0 {
                ids = atoms.map { side in
                    side.map { atom -> Int32 in
                        guard let atom else { return -1 }
                        return map.id(atom).id
                    }
                }
            } else {
                for s in 0..<ids.count {
                    for r in 0..<ids[s].count {
                        let prior = ids[s][r]
                        guard prior >= 0, let atom = atoms[s][r] else { ids[s][r] = -1; continue }
                        ids[s][r] = map.id(Int64(prior), atom).id
                    }
                }
            }
            distinct = map.count
        }
        return (ids, distinct)
    }

    /// Whether atoms from `low` to `high` can index an array of about the rows' size.
    package static func isSmallRange(_ low: Int64, _ high: Int64, rows: Int) -> Bool {
        let (span, overflow) = high.subtractingReportingOverflow(low)
        return !overflow && span < Int64(max(rows, 1)) * 2
    }

    /// The smallest and largest atom of all sides (nil when all are null).
    package static func range(_ atoms: [[Int64?]]) -> (Int64, Int64)? {
        var low = Int64.max, high = Int64.min
        for side in atoms { for case let a? in side { if a < low { low = a }; if a > high { high = a } } }
        return low <= high ? (low, high) : nil
    }

    /// One comparable 64-bit atom per row and column, consistent across the sides.
    package static func atomize(_ columns: [Column]) -> [[Int64?]] {
        let anyDecimal = columns.contains { $0.type == .decimal }
        var baseDictionary: TextDictionary? = nil
        var baseInterner: ByteInterner? = nil
        return columns.map { column in
            var out = [Int64?](repeating: nil, count: column.count)
            switch column.data {
            case .text(let codes, let dictionary):
                let base = baseDictionary ?? dictionary
                baseDictionary = base
                if base === dictionary {
                    for i in 0..<column.count where !column.isNull(i) { out[i] = Int64(codes[i]) }
                } else {
                    let remap = codeMap(dictionary, onto: base, interner: &baseInterner, pair: columns.count == 2)
                    for i in 0..<column.count where !column.isNull(i) { out[i] = remap[Int(codes[i])] }
                }
            case .integer(let v):
                for i in 0..<column.count where !column.isNull(i) {
                    out[i] = anyDecimal ? Int64(bitPattern: Double(v[i]).bitPattern) : v[i]
                }
            case .decimal(let v):
                for i in 0..<column.count where !column.isNull(i) {
                    out[i] = Int64(bitPattern: (v[i] + 0.0).bitPattern)
                }
            case .date(let v):
                for i in 0..<column.count where !column.isNull(i) { out[i] = Int64(v[i]) }
            case .boolean(let v):
                for i in 0..<column.count where !column.isNull(i) { out[i] = v[i] ? 1 : 0 }
            }
            return out
        }
    }

    /// The code in `base` of each value of `dictionary`; values not in `base` count down from -1
    /// in this dictionary's order. Both are interned in bulk (`ByteInterner.internAll` overlaps
    /// the cache misses of a million-entry table); `interner` keeps `base`'s table for the next
    /// dictionary. With `pair` (a join's two key columns) the map depends only on the two
    /// dictionaries and is kept for the next join of the same two.
    package static func codeMap(
        _ dictionary: TextDictionary, onto base: TextDictionary, interner: inout ByteInterner?, pair: Bool
    ) -> [Int64] {
        let pair = pair && interner == nil
        if pair, let cached = dictionary.remaps.first(where: { $0.base === base && $0.map.count == dictionary.count }) {
            return cached.map
        }
        var table =
            interner
            ?? {
                var fresh = ByteInterner(capacity: 0)
                // Sized for two mostly overlapping key sets (SSIDs of SENR and SINF); grows if not.
                fresh.reserve(values: max(base.count, dictionary.count) + min(base.count, dictionary.count) / 8, bytes: 0)
                _ = fresh.internAll(of: base.packed)
                return fresh
            }()
        let remap: [Int64] = table.internAll(of: dictionary.packed).map { code in
            code < base.count ? Int64(code) : -1 - Int64(Int(code) - base.count)
        }
        interner = table
        if pair { dictionary.remaps = [(base, remap)] }
        return remap
    }

    /// One key column of text on every side: each row's slot in one numbering of the values of
    /// all sides' dictionaries (-1 for null), and how many slots there are. Nil when a side is
    /// not text or the numbering would be much larger than the rows (then `encode` hashes).
    package static func textSlots(_ columns: [Column]) -> (slots: [[Int32]], span: Int)? {
        var dictionaries: [TextDictionary] = []
        for column in columns {
            guard case .text(_, let dictionary) = column.data else { return nil }
            dictionaries.append(dictionary)
        }
        guard let base = dictionaries.first else { return nil }
        var interner: ByteInterner? = nil
        var maps: [[Int64]?] = []
        var added = 0
        for d in dictionaries {
            if d === base { maps.append(nil); continue }
            let map = codeMap(d, onto: base, interner: &interner, pair: columns.count == 2)
            added = max(added, map.reduce(0) { max($0, $1 < 0 ? Int(-$1) : 0) })
            maps.append(map)
        }
        let span = base.count + added
        let rows = columns.reduce(0) { $0 + $1.count }
        guard span < max(rows, 1) * 2, span < Int(Int32.max) else { return nil }
        let slots: [[Int32]] = zip(columns, maps).map { column, map in
            guard case .text(let codes, _) = column.data else { return [] }
            return [Int32](unsafeUninitializedCapacity: codes.count) { out, count in
                codes.withUnsafeBufferPointer { c in
                    if let map {
                        map.withUnsafeBufferPointer { m in
                            for i in 0..<c.count {
                                let v = m[Int(c[i])]
                                out[i] = v >= 0 ? Int32(v) : Int32(base.count) - 1 - Int32(v)
                            }
                        }
                    } else {
                        for i in 0..<c.count { out[i] = c[i] }
                    }
                }
                if let validity = column.validity {
                    for i in 0..<codes.count where !validity[i] { out[i] = -1 }
                }
                count = codes.count
            }
        }
        return (slots, span)
    }
}
