/// "Did you mean" suggestions for unknown names.
public enum Suggest {
    /// The candidate closest to `name`, if any is plausibly what was meant.
    ///
    /// For example, `GradeLevel` suggests `GradeLevelCode`; `ssid` suggests `SSID`.
    public static func closest(to name: String, in candidates: [String]) -> String? {
        let lower = name.lowercased()
        if let exact = candidates.first(where: { $0.lowercased() == lower }) { return exact }
        var best: (String, Int)? = nil
        for candidate in candidates {
            let c = candidate.lowercased()
            var score = distance(lower, c)
            if c.hasPrefix(lower) || lower.hasPrefix(c) { score = min(score, abs(c.count - lower.count) / 3 + 1) }
            if score < (best?.1 ?? Int.max) { best = (candidate, score) }
        }
        guard let (candidate, score) = best else { return nil }
        let limit = max(2, min(name.count, candidate.count) / 3)
        return score <= limit ? candidate : nil
    }

    /// Levenshtein distance between two strings.
    public static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var previous = Array(0...y.count)
        var current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[y.count]
    }

    /// A help line: "did you mean ...?" or the list of what is available.
    public static func help(for name: String, in candidates: [String], noun: String = "columns") -> String? {
        if let match = closest(to: name, in: candidates) { return "did you mean \"\(match)\"?" }
        if candidates.isEmpty { return nil }
        let shown = candidates.prefix(12).joined(separator: ", ")
        return "available \(noun): \(shown)\(candidates.count > 12 ? ", ..." : "")"
    }
}
