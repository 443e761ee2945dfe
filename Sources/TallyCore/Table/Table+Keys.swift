/// Turns the key columns of one or more tables into dense `Int32` group ids so that rows with
/// equal keys — on any side — get equal ids. Null in any key column gives -1 (never matches).
///
/// Join, aggregate, distinct and `unique by` all hash these small integers instead of strings.
public enum KeyEncoder {
    struct Pair: Hashable { let a: Int32; let b: Int64 }

    /// - Parameter sides: for each table, its key columns in key order (same count per side).
    /// - Returns: for each side, one id per row; and how many distinct keys were seen.
    public static func encode(_ sides: [[Column]]) -> (ids: [[Int32]], distinct: Int) {
        guard let width = sides.first?.count, width > 0 else {
            return (sides.map { cols in [Int32](repeating: 0, count: cols.first?.count ?? 0) }, 1)
        }
        var ids: [[Int32]] = []
        var distinct = 0
        for k in 0..<width {
            let atoms = atomize(sides.map { $0[k] })
            if k == 0 {
                var map: [Int64: Int32] = [:]
                ids = atoms.map { side in
                    side.map { atom -> Int32 in
                        guard let atom else { return -1 }
                        if let id = map[atom] { return id }
                        let id = Int32(map.count); map[atom] = id; return id
                    }
                }
                distinct = map.count
            } else {
                var map: [Pair: Int32] = [:]
                for s in 0..<ids.count {
                    for r in 0..<ids[s].count {
                        let prior = ids[s][r]
                        guard prior >= 0, let atom = atoms[s][r] else { ids[s][r] = -1; continue }
                        let key = Pair(a: prior, b: atom)
                        if let id = map[key] { ids[s][r] = id } else {
                            let id = Int32(map.count); map[key] = id; ids[s][r] = id
                        }
                    }
                }
                distinct = map.count
            }
        }
        return (ids, distinct)
    }

    /// One comparable 64-bit atom per row and column, consistent across the sides.
    static func atomize(_ columns: [Column]) -> [[Int64?]] {
        let anyDecimal = columns.contains { $0.type == .decimal }
        var baseDictionary: TextDictionary? = nil
        var extra: [String: Int64] = [:]
        return columns.map { column in
            var out = [Int64?](repeating: nil, count: column.count)
            switch column.data {
            case .text(let codes, let dictionary):
                let base = baseDictionary ?? dictionary
                baseDictionary = base
                if base === dictionary {
                    for i in 0..<column.count where !column.isNull(i) { out[i] = Int64(codes[i]) }
                } else {
                    let remap: [Int64] = dictionary.values.map { value in
                        if let c = base.code(of: value) { return Int64(c) }
                        if let e = extra[value] { return e }
                        let e = -1 - Int64(extra.count); extra[value] = e; return e
                    }
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
