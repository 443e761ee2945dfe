/// "Did you mean" suggestions for unknown names.
public enum Suggest {
    /// Set while checking past the errors that will be shown: no suggestions are worked out.
    @TaskLocal public static var quiet = false

    /// The candidate closest to `name`, if any is plausibly what was meant.
    ///
    /// For example, `GradeLevel` suggests `GradeLevelCode`; `ssid` suggests `SSID`.
    public static func closest(to name: String, in candidates: [String]) -> String? {
        if quiet { return nil }
        let lower = name.lowercased()
        if let exact = candidates.first(where: { $0.lowercased() == lower }) { return exact }
        var best: (String, Int)? = nil
        let letters = Array(lower)
        let count = letters.count
        // No candidate is suggested whose distance is more than this (see `limit` below).
        let widest = max(2, max(count, name.count) / 3)
        for candidate in candidates {
            let c = candidate.lowercased()
            let isPrefix = c.hasPrefix(lower) || lower.hasPrefix(c)
            let difference = abs(c.count - count)
            // The distance is at least the difference in length: past `widest`, this candidate
            // could never be suggested, nor hide one that could. Skipping it keeps a long
            // name against many columns from costing their product.
            if !isPrefix, difference > widest { continue }
            // A prefix is `difference` edits away, never fewer than this.
            // Past the best so far (or past `widest`) the exact distance does not matter.
            let score = isPrefix ? difference / 3 + 1 : distance(letters, Array(c), atMost: min(widest, (best?.1 ?? Int.max) - 1))
            if score < (best?.1 ?? Int.max) { best = (candidate, score) }
        }
        guard let (candidate, score) = best else { return nil }
        let limit = max(2, min(name.count, candidate.count) / 3)
        return score <= limit ? candidate : nil
    }

    /// Levenshtein distance between two strings.
    public static func distance(_ a: String, _ b: String) -> Int {
        distance(Array(a), Array(b), atMost: Int.max - 1)
    }

    /// The distance, or `bound + 1` as soon as it is known to be more than `bound` (a row of
    /// the table whose every cell is past the bound can only grow).
    package static func distance(_ x: [Character], _ y: [Character], atMost bound: Int) -> Int {
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        if abs(x.count - y.count) > bound { return bound + 1 }
        var previous = [Int](repeating: 0, count: y.count + 1)
        for j in 0...y.count { previous[j] = j }
        var current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            var smallest = i
            for j in 1...y.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
                smallest = min(smallest, current[j])
            }
            if smallest > bound { return bound + 1 }
            swap(&previous, &current)
        }
        return previous[y.count]
    }

    /// A help line: "did you mean ...?" or the list of what is available.
    /// The candidates are not even listed (sorted, mapped) while `quiet`.
    public static func help(for name: String, in list: @autoclosure () -> [String], noun: String = "columns") -> String? {
        if quiet { return nil }
        let candidates = list()
        if let match = closest(to: name, in: candidates) { return "did you mean \"\(match)\"?" }
        if candidates.isEmpty { return nil }
        let shown = candidates.prefix(12).joined(separator: ", ")
        return "available \(noun): \(shown)\(candidates.count > 12 ? ", ..." : "")"
    }
}
