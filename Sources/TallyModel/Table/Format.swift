import Foundation

/// Number formatting for people: 1,204 and 170 KB.
public enum Format {
    /// "1 row", "2 rows".
    public static func plural(_ n: Int, _ noun: String) -> String {
        "\(count(n)) \(noun)\(n == 1 ? "" : "s")"
    }

    public static func count(_ n: Int) -> String {
        let s = String(abs(n))
        var out = ""
        for (k, c) in s.enumerated() {
            if k > 0, (s.count - k) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    public static func bytes(_ n: Int) -> String {
        if n < 1024 { return "\(n) B" }
        if n < 1024 * 1024 { return "\(n / 1024) KB" }
        let mb = Double(n) / 1048576
        return mb < 100 ? "\(Double(Int(mb * 10)) / 10) MB" : "\(Int(mb)) MB"
    }

    /// A decimal for reading: at most four places, trailing zeros dropped ("13.6667", "2.5").
    public static func decimal(_ text: String) -> String {
        guard let v = Double(text), v.isFinite, text.contains(".") else { return text }
        let scaled = (v * 10_000).rounded() / 10_000
        var s = Value.formatDecimal(scaled)
        if let dot = s.firstIndex(of: "."), s.distance(from: dot, to: s.endIndex) > 5 {
            s = String(s[...s.index(dot, offsetBy: 4)])
        }
        return s
    }

    public static func seconds(_ s: Double) -> String {
        if s < 0.001 { return "<1 ms" }
        if s < 1 { return "\(Int(s * 1000)) ms" }
        return "\(Double(Int(s * 100)) / 100) s"
    }
}

extension String {
    /// Without spaces, tabs and line ends at either end (not Unicode's other white space, as
    /// CALPADS and the readers count characters).
    package func trimmedSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" || f == "\n" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" || l == "\n" { s.removeLast() }
        return String(s)
    }
}
