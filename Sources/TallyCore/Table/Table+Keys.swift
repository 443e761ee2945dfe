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
    static func isSmallRange(_ low: Int64, _ high: Int64, rows: Int) -> Bool {
        let (span, overflow) = high.subtractingReportingOverflow(low)
        return !overflow && span < Int64(max(rows, 1)) * 2
    }

    /// The smallest and largest atom of all sides (nil when all are null).
    static func range(_ atoms: [[Int64?]]) -> (Int64, Int64)? {
        var low = Int64.max, high = Int64.min
        for side in atoms { for case let a? in side { if a < low { low = a }; if a > high { high = a } } }
        return low <= high ? (low, high) : nil
    }

    /// One comparable 64-bit atom per row and column, consistent across the sides.
    static func atomize(_ columns: [Column]) -> [[Int64?]] {
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
                    // Map this dictionary onto the base one through the byte interner: values
                    // already in the base keep its codes, new ones count down from -1.
                    // With two columns (a join's two key columns) the map depends only on the two
                    // dictionaries, new values numbered -1, -2 ... in this dictionary's order.
                    let pair = columns.count == 2 && baseInterner == nil
                    if pair, let cached = dictionary.remaps.first(where: { $0.base === base && $0.map.count == dictionary.count }) {
                        for i in 0..<column.count where !column.isNull(i) { out[i] = cached.map[Int(codes[i])] }
                        return out
                    }
                    if baseInterner == nil {
                        var interner = ByteInterner(capacity: base.count)
                        for value in base.values { var v = value; _ = v.withUTF8 { interner.intern($0, 0, $0.count) } }
                        baseInterner = interner
                    }
                    let remap: [Int64] = dictionary.values.map { value in
                        var v = value
                        let code = v.withUTF8 { baseInterner!.intern($0, 0, $0.count) }
                        return code < base.count ? Int64(code) : -1 - Int64(Int(code) - base.count)
                    }
                    if pair { dictionary.remaps = [(base, remap)] }
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
}
