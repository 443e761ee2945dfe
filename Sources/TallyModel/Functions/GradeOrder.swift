/// CALPADS grade level codes in school order. As text, "KN" and "TK" sort after "12" and
/// "05" < "5"; `grade_order(code)` and an open `pivot` across grades use this order instead.
public enum GradeOrder {
    /// Infant, toddler, preschool, transitional kindergarten, kindergarten, then grades 1 to 12.
    package static let ranks: [String: Int64] = {
        var ranks: [String: Int64] = ["IN": -4, "TD": -3, "PS": -2, "TK": -1, "KN": 0]
        for grade in 1...12 {
            ranks[grade < 10 ? "0\(grade)" : "\(grade)"] = Int64(grade)
            ranks["\(grade)"] = Int64(grade)
        }
        return ranks
    }()
    /// Codes with no place among the grades (ungraded elementary and secondary, adult): they
    /// order after grade 12, in this order, but have no number.
    package static let ungraded = ["UE", "US", "AD"]

    /// The code's place among the grades (PS -2, TK -1, KN 0, 01 1 … 12 12); nil for any other.
    public static func rank(_ code: String) -> Int64? {
        ranks[code.trimmingCharacters(in: .whitespaces).uppercased()]
    }

    /// Whether every value is a grade code (ranked or ungraded): then they order as grades.
    package static func areGrades(_ values: [String]) -> Bool {
        !values.isEmpty && values.allSatisfy { rank($0) != nil || ungraded.contains($0.trimmingCharacters(in: .whitespaces).uppercased()) }
    }

    /// Mostly grade codes — an axis of grades with a stray code (`K`, planted or mistyped): at
    /// least three distinct values are grades and they are at least half. A chart then reads in
    /// school order with the stray codes last, rather than falling back to text order.
    package static func mostlyGrades(_ values: [String]) -> Bool {
        let distinct = Set(values)
        let ranked = distinct.filter { rank($0.trimmingCharacters(in: .whitespaces).uppercased()) != nil }.count
        return ranked >= 3 && ranked * 2 >= distinct.count
    }

    /// Orders two grade codes: by rank, the ungraded codes after 12, then as text.
    package static func precedes(_ a: String, _ b: String) -> Bool {
        func key(_ code: String) -> (Int64, String) {
            let upper = code.trimmingCharacters(in: .whitespaces).uppercased()
            if let r = rank(upper) { return (r, code) }
            return (100 + Int64(ungraded.firstIndex(of: upper) ?? ungraded.count), code)
        }
        return key(a) < key(b)
    }
}
