/// The kinds of join a pipeline can ask for.
public enum JoinKind: String, Sendable { case inner, left, full, anti, semi }

/// The cardinality a join promises; a broken promise is an error naming example keys.
public enum JoinExpectation: String, Sendable {
    case oneToOne = "one-to-one", manyToOne = "many-to-one", oneToMany = "one-to-many"
}

/// Counts a join cell reports: matched and unmatched rows on each side.
public struct JoinStats: Sendable, Equatable, Codable {
    public var leftMatched = 0, leftUnmatched = 0, rightMatched = 0, rightUnmatched = 0
    public var leftNullKeys = 0
}

/// The outcome of a hash join before the output table is assembled.
public struct JoinPlan: Sendable {
    public var leftRows: [Int32]
    public var rightRows: [Int32] // -1 for a left join's unmatched rows
    public var stats: JoinStats
    /// Keys matching more than one row on the right (per left key) / left (per right key):
    /// (a row index on that side holding the key, number of rows with it).
    public var rightDuplicates: [(row: Int, count: Int)]
    public var leftDuplicates: [(row: Int, count: Int)]
    /// A full join's rows from here on are right rows no left row matched (`leftRows` is -1).
    public var rightOnlyFrom: Int? = nil
}

extension Table {
    /// Hash-joins on key columns: builds on the right, probes with the left, keeps left order.
    public static func planJoin(
        kind: JoinKind, left: [Column], right: [Column],
        leftCount: Int, rightCount: Int
    ) -> JoinPlan {
        let encoded = KeyEncoder.encode([left, right])
        let leftIds = encoded.ids[0], rightIds = encoded.ids[1]
        let groups = encoded.distinct
        // Chained buckets over dense ids: head[id] is the first right row, next[] links the rest.
        var head = [Int32](repeating: -1, count: groups)
        var next = [Int32](repeating: -1, count: rightCount)
        var rightPerKey = [Int32](repeating: 0, count: groups)
        for r in stride(from: rightCount - 1, through: 0, by: -1) {
            let id = rightIds[r]
            guard id >= 0 else { continue }
            next[r] = head[Int(id)]
            head[Int(id)] = Int32(r)
            rightPerKey[Int(id)] += 1
        }
        var leftPerKey = [Int32](repeating: 0, count: groups)
        for id in leftIds where id >= 0 { leftPerKey[Int(id)] += 1 }

        var stats = JoinStats()
        var leftRows = [Int32](), rightRows = [Int32]()
        leftRows.reserveCapacity(leftCount)
        if kind == .inner || kind == .left || kind == .full { rightRows.reserveCapacity(leftCount) }
        var rightDuplicates: [(Int, Int)] = [], leftDuplicates: [(Int, Int)] = []
        var reported = Set<Int32>()
        for l in 0..<leftCount {
            let id = leftIds[l]
            if id < 0 { stats.leftNullKeys += 1 }
            let first = id >= 0 ? head[Int(id)] : -1
            if first < 0 {
                stats.leftUnmatched += 1
                switch kind {
                case .left, .full: leftRows.append(Int32(l)); rightRows.append(-1)
                case .anti: leftRows.append(Int32(l))
                default: break
                }
                continue
            }
            stats.leftMatched += 1
            if rightPerKey[Int(id)] > 1, !reported.contains(id) {
                rightDuplicates.append((Int(first), Int(rightPerKey[Int(id)])))
            }
            if leftPerKey[Int(id)] > 1, !reported.contains(id) {
                leftDuplicates.append((l, Int(leftPerKey[Int(id)])))
            }
            if rightPerKey[Int(id)] > 1 || leftPerKey[Int(id)] > 1 { reported.insert(id) }
            switch kind {
            case .inner, .left, .full:
                var r = first
                while r >= 0 { leftRows.append(Int32(l)); rightRows.append(r); r = next[Int(r)] }
            case .semi: leftRows.append(Int32(l))
            case .anti: break
            }
        }
        let rightOnlyFrom = kind == .full ? leftRows.count : nil
        for r in 0..<rightCount {
            let id = rightIds[r]
            if id >= 0, leftPerKey[Int(id)] > 0 {
                stats.rightMatched += 1
            } else {
                stats.rightUnmatched += 1
                if kind == .full { leftRows.append(-1); rightRows.append(Int32(r)) }
            }
        }
        var plan = JoinPlan(
            leftRows: leftRows, rightRows: rightRows, stats: stats,
            rightDuplicates: rightDuplicates, leftDuplicates: leftDuplicates)
        plan.rightOnlyFrom = rightOnlyFrom
        return plan
    }
}
