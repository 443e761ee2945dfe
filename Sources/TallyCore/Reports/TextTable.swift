import TallyModel

/// Aligns rows of text into columns for the terminal.
public enum TextTable {
    /// - Parameters:
    ///   - maxWidth: longer cells are cut with "…" (a preview, never an export).
    public static func render(
        header: [String], rows: [[String]], maxWidth: Int = 32, indent: String = "    ",
        rightAlign: Set<Int> = [], uncut: Set<Int> = []
    ) -> String {
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
