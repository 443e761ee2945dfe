/// Aggregate functions of `aggregate ... by` and of scalar assertions.
public enum AggregateFunction: String, Sendable, CaseIterable {
    case count, countDistinct = "count_distinct", sum, min, max, avg

    /// The result type for an input column type (`count()` has no input).
    public func resultType(_ input: DataType?) -> DataType {
        switch self {
        case .count, .countDistinct: return .integer
        case .avg: return .decimal
        case .sum: return input == .decimal ? .decimal : .integer
        case .min, .max: return input ?? .integer
        }
    }
}

extension Table {
    /// One aggregate to compute per group.
    public struct AggregateSpec {
        public var name: String
        public var function: AggregateFunction
        public var input: Column?
        public init(name: String, function: AggregateFunction, input: Column?) {
            self.name = name; self.function = function; self.input = input
        }
    }

    /// Hash-aggregates by key columns; groups come out in key order. Rows with a null key form
    /// their own group (null sorts last), as SQL's GROUP BY does.
    public func aggregate(by keyNames: [String], _ specs: [AggregateSpec]) -> Table {
        let keyColumns = keyNames.compactMap { column($0) }
        let grouping = Table.groupIds(keyColumns, rowCount: rowCount)
        let groupOf = grouping.ids
        let groupCount = grouping.representatives.count
        let representative = grouping.representatives
        var names: [String] = []
        var columns: [Column] = []
        if !keyColumns.isEmpty {
            for (name, c) in zip(keyNames, keyColumns) { names.append(name); columns.append(c.gather(representative)) }
        }
        for spec in specs {
            names.append(spec.name)
            columns.append(Table.accumulate(spec, groupOf: groupOf, groups: groupCount, rows: rowCount))
        }
        let unordered = Table(names: names, columns: columns, provenance: .none(count: groupCount))
        if keyColumns.isEmpty { return unordered }
        let order = unordered.sortPermutation(unordered.columns.prefix(keyColumns.count).map { ($0, false) })
        return unordered.gather(order)
    }

    /// Group ids and each group's row count (`unique by`, unique snapshot keys).
    public static func groupCounts(
        _ keyColumns: [Column], rowCount: Int
    ) -> (grouping: (ids: [Int32], representatives: [Int32]), counts: [Int]) {
        let grouping = groupIds(keyColumns, rowCount: rowCount)
        var counts = [Int](repeating: 0, count: grouping.representatives.count)
        for g in grouping.ids { counts[Int(g)] += 1 }
        return (grouping, counts)
    }

    /// Dense group ids for rows by key columns, nulls equal to each other (GROUP BY, distinct,
    /// `unique by`); `representatives` holds each group's first row, in first-seen order.
    public static func groupIds(_ keyColumns: [Column], rowCount: Int) -> (ids: [Int32], representatives: [Int32]) {
        guard !keyColumns.isEmpty else { return ([Int32](repeating: 0, count: rowCount), [0]) }
        var ids = [Int32](repeating: 0, count: rowCount)
        var representatives: [Int32] = []
        if keyColumns.count == 1, let (slotSides, span) = KeyEncoder.textSlots(keyColumns), let slots = slotSides.first {
            // One text key: group ids by direct index, nulls in the last slot.
            var dense = [Int32](repeating: -1, count: span + 1)
            for r in 0..<rowCount {
                let slot = slots[r] < 0 ? span : Int(slots[r])
                if dense[slot] < 0 { dense[slot] = Int32(representatives.count); representatives.append(Int32(r)) }
                ids[r] = dense[slot]
            }
            return (ids, representatives)
        }
        let atoms = keyColumns.map { KeyEncoder.atomize([$0])[0] }
        if atoms.count == 1, let (low, high) = KeyEncoder.range(atoms), KeyEncoder.isSmallRange(low, high, rows: rowCount) {
            // One text key (or small integers): group ids by direct index, nulls in the last slot.
            let nullSlot = Int(high - low) + 1
            var dense = [Int32](repeating: -1, count: nullSlot + 1)
            for r in 0..<rowCount {
                let slot = atoms[0][r].map { Int($0 - low) } ?? nullSlot
                if dense[slot] < 0 { dense[slot] = Int32(representatives.count); representatives.append(Int32(r)) }
                ids[r] = dense[slot]
            }
            return (ids, representatives)
        }
        // Column by column: a row's id so far and its next atom (null flagged apart from every
        // value, so nulls group with each other) give its next id.
        var previous = [Int64](repeating: 0, count: rowCount)
        for (k, column) in atoms.enumerated() {
            var map = IdTable(capacity: min(rowCount, 1 << 16))
            let last = k == atoms.count - 1
            for r in 0..<rowCount {
                let atom = column[r]
                let (g, isNew) = map.id(previous[r] << 1 | (atom == nil ? 1 : 0), atom ?? 0)
                if last {
                    ids[r] = g
                    if isNew { representatives.append(Int32(r)) }
                } else {
                    previous[r] = Int64(g)
                }
            }
        }
        return (ids, representatives)
    }

    package static func accumulate(_ spec: AggregateSpec, groupOf: [Int32], groups: Int, rows: Int) -> Column {
        let input = spec.input
        switch spec.function {
        case .count:
            var counts = [Int64](repeating: 0, count: groups)
            for r in 0..<rows where input.map({ !$0.isNull(r) }) ?? true { counts[Int(groupOf[r])] += 1 }
            return Column(data: .integer(counts), validity: nil)
        case .countDistinct:
            guard let input else { return Column(data: .integer([Int64](repeating: 0, count: groups)), validity: nil) }
            let atoms = KeyEncoder.atomize([input])[0]
            var seen = [Set<Int64>](repeating: [], count: groups)
            for r in 0..<rows { if let a = atoms[r] { seen[Int(groupOf[r])].insert(a) } }
            return Column(data: .integer(seen.map { Int64($0.count) }), validity: nil)
        case .sum, .avg:
            guard let input else { return .nulls(type: .integer, count: groups) }
            var sums = [Double](repeating: 0, count: groups)
            var isums = [Int64](repeating: 0, count: groups)
            var n = [Int](repeating: 0, count: groups)
            switch input.data {
            case .integer(let v):
                for r in 0..<rows where !input.isNull(r) {
                    let g = Int(groupOf[r])
                    isums[g] = isums[g] &+ v[r]; sums[g] += Double(v[r]); n[g] += 1
                }
            case .decimal(let v):
                for r in 0..<rows where !input.isNull(r) { let g = Int(groupOf[r]); sums[g] += v[r]; n[g] += 1 }
            default: break
            }
            var valid = Bitmap(count: groups, filled: true)
            for g in 0..<groups where n[g] == 0 { valid[g] = false }
            if spec.function == .avg {
                return Column(data: .decimal((0..<groups).map { n[$0] > 0 ? sums[$0] / Double(n[$0]) : 0 }), validity: valid)
            }
            if input.type == .integer { return Column(data: .integer(isums), validity: valid) }
            return Column(data: .decimal(sums), validity: valid)
        case .min, .max:
            guard let input else { return .nulls(type: .integer, count: groups) }
            var best = [Int32](repeating: -1, count: groups)
            for r in 0..<rows where !input.isNull(r) {
                let g = Int(groupOf[r])
                if best[g] < 0 { best[g] = Int32(r); continue }
                let c = Value.compare(input.value(r), input.value(Int(best[g])))
                if spec.function == .min ? c < 0 : c > 0 { best[g] = Int32(r) }
            }
            return input.gather(best)
        }
    }
}
