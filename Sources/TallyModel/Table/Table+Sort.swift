extension Table {
    /// A stable ordering of the rows by the given columns; nulls last in either direction.
    public func sortPermutation(_ keys: [(column: Column, descending: Bool)]) -> [Int32] {
        // Pre-rank every key into an Int64 (text by its dictionary's sorted order) so the
        // comparator never touches a String.
        let ranked: [(values: [Int64], nulls: Bitmap?, descending: Bool)] = keys.map { key in
            let c = key.column
            var values = [Int64](repeating: 0, count: c.count)
            switch c.data {
            case .text(let codes, let dictionary):
                // Only the codes the column holds are ranked: 5,000 rows over a million SSIDs
                // sort 5,000 strings, not a million.
                let used: [Int32], strings: [String]
                if dictionary.count > c.count * 2 {
                    var seen = [Bool](repeating: false, count: dictionary.count)
                    for code in codes where !seen[Int(code)] { seen[Int(code)] = true }
                    used = (0..<Int32(dictionary.count)).filter { seen[Int($0)] }
                    strings = used.map { dictionary[$0] }
                } else {
                    used = Array(0..<Int32(dictionary.count))
                    strings = dictionary.values
                }
                let order = strings.indices.sorted { strings[$0] < strings[$1] }
                var rank = [Int64](repeating: 0, count: dictionary.count)
                for (r, i) in order.enumerated() { rank[Int(used[i])] = Int64(r) }
                for i in 0..<c.count { values[i] = rank[Int(codes[i])] }
            case .integer(let v): values = v
            case .decimal(let v):
                // Order-preserving map from Double to Int64.
                for i in 0..<c.count {
                    let bits = Int64(bitPattern: (v[i] + 0.0).bitPattern)
                    values[i] = bits < 0 ? Int64.min - bits - 1 : bits
                }
            case .date(let v): for i in 0..<c.count { values[i] = Int64(v[i]) }
            case .boolean(let v): for i in 0..<c.count { values[i] = v[i] ? 1 : 0 }
            }
            return (values, c.validity, key.descending)
        }
        var permutation = (0..<Int32(rowCount)).map { $0 }
        permutation.sort { a, b in
            for key in ranked {
                let aNull = key.nulls.map { !$0[Int(a)] } ?? false
                let bNull = key.nulls.map { !$0[Int(b)] } ?? false
                if aNull != bNull { return bNull }
                if aNull { continue }
                let x = key.values[Int(a)], y = key.values[Int(b)]
                if x != y { return key.descending ? x > y : x < y }
            }
            return a < b
        }
        return permutation
    }
}
