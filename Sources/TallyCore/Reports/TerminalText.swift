import TallyModel

/// Text for a terminal that cannot drive the terminal.
///
/// A value in a file, a playbook's title or message, a path: any of them may hold ESC, and a
/// terminal obeys ESC sequences wherever they come from — an OSC 8 link that hides its address,
/// an OSC 0 window title, a screen cleared, a line rewritten by CR or backspaces. Every output
/// for the terminal (`tally run`'s notebook, `tally runs`, `tally errors`) shows such characters
/// as `\u{1B}`, `\u{9B}`, `\u{8}`: visible, and in the one form Swift and the docs use.
public enum TerminalText {
    /// C0 controls but tab and newline, DEL, C1 controls (U+0080–U+009F: U+009B is a one-byte
    /// CSI to some terminals), and the bidirectional overrides and isolates that reorder what is
    /// shown (a "Trojan source" line).
    static func isControl(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x09, 0x0A: return false
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    /// `s` with every control character (see `isControl`) written `\u{HEX}`; with
    /// `newlines: false`, newlines too (a value shown on one line).
    public static func visible(_ s: String, newlines: Bool = true) -> String {
        guard s.unicodeScalars.contains(where: { isControl($0) || (!newlines && $0 == "\n") }) else { return s }
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            if isControl(u) || (!newlines && u == "\n") {
                out.append(contentsOf: "\\u{\(String(u.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                out.append(u)
            }
        }
        return String(out)
    }
}
