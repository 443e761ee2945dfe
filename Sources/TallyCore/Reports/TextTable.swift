/// Aligns rows of text into columns for the terminal.
public enum TextTable {
    /// - Parameters:
    ///   - maxWidth: longer cells are cut with "…" (a preview, never an export).
    public static func render(header: [String], rows: [[String]], maxWidth: Int = 32, indent: String = "    ",
                              rightAlign: Set<Int> = [], uncut: Set<Int> = []) -> String {
        func cut(_ s: String, _ k: Int = -1) -> String {
            // Escaped before measuring, so the columns stay aligned.
            let clean = TerminalText.visible(s.replacingNewlines())
            return clean.count > maxWidth && !uncut.contains(k) ? String(clean.prefix(maxWidth - 1)) + "…" : clean
        }
        let h = header.enumerated().map { cut($0.element, $0.offset) }
        let r = rows.map { $0.enumerated().map { cut($0.element, $0.offset) } }
        var widths = h.map(\.count)
        for row in r { for (k, cell) in row.enumerated() where k < widths.count { widths[k] = max(widths[k], cell.count) } }
        func line(_ cells: [String]) -> String {
            var out = indent
            for (k, cell) in cells.enumerated() where k < widths.count {
                let pad = String(repeating: " ", count: widths[k] - cell.count)
                out += rightAlign.contains(k) ? pad + cell : cell + (k == cells.count - 1 ? "" : pad)
                if k < cells.count - 1 { out += "  " }
            }
            while out.hasSuffix(" ") { out.removeLast() }
            return out
        }
        var lines = [line(h), indent + widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")]
        lines += r.map(line)
        return lines.joined(separator: "\n")
    }
}

extension String {
    func replacingNewlines() -> String {
        String(map { $0.isNewline || $0 == "\t" ? " " : $0 })
    }
}

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
