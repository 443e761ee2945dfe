import TallyModel

/// Text for `report.md` that reads as the text it is, never as Markdown or HTML.
///
/// report.md is read where Markdown is rendered — a pull request, a wiki — so a value such as
/// `<img src=x onerror=…>` or `![x](http://host/b.png?ssid=…)` would become a live tag or a
/// remote image carrying an ID the moment someone looks. Everything from data, titles,
/// parameters, file names and messages goes through here: `inline` escapes it (HTML's three
/// characters as entities, Markdown's punctuation with a backslash), and text an autolinker
/// would turn into a link (`://`, `www.`, `@`) becomes a code span instead, which no renderer
/// links. The playbook author's `##` narrative keeps its Markdown (`narrative`), without raw
/// HTML, images or links to anything but http(s), mailto and relative addresses.
enum MarkdownText {
    /// Escaped with a backslash wherever they stand (CommonMark lets any ASCII punctuation be).
    static let escaped: Set<Character> = ["\\", "`", "*", "_", "[", "]", "|", "~", "$", "{", "}"]

    /// A value on one line, as text.
    static func inline(_ raw: String) -> String {
        let s = TerminalText.visible(oneLine(raw))
        let lower = s.lowercased()
        if lower.contains("://") || lower.contains("www.") || s.contains("@") { return code(raw) }
        var out = ""
        out.reserveCapacity(s.utf8.count)
        let chars = Array(s)
        for (k, c) in chars.enumerated() {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case _ where k == 0 && startsBlock(s): out += "\\" + String(c)
            // A `*` or `_` with a space (or nothing) on both sides can never open or close
            // emphasis: a suppressed count reads `*`, not `\*`.
            case _
            where (c == "*" || c == "_") && (k == 0 || chars[k - 1].isWhitespace) && (k == chars.count - 1 || chars[k + 1].isWhitespace):
                out.append(c)
            case _ where escaped.contains(c): out += "\\" + String(c)
            default: out.append(c)
            }
        }
        // "1. x" or "1) x" at the start of a line is a numbered list ("0.1.0" is not).
        if let end = out.firstIndex(where: { !$0.isASCII || !$0.isNumber }), end != out.startIndex, out[end] == "." || out[end] == ")" {
            let after = out.index(after: end)
            if after == out.endIndex || out[after] == " " { out.insert("\\", at: end) }
        }
        return out
    }

    /// Line breaks as spaces (a table row, a heading and a list item are one line each).
    static func oneLine(_ s: String) -> String {
        s.contains(where: \.isNewline) ? String(s.map { $0.isNewline ? " " : $0 }) : s
    }

    /// Whether text at the start of a line would make a heading (`# x`, `## x`), a list item
    /// (`- x`, `+ x`, `* x`), a rule (`---`) or a setext underline (`===`): a `#`, `-`, `+`, `*` or `=`
    /// followed by a space, the end, or more of itself. (`-5` and a token `#1a2b…` are text.)
    static func startsBlock(_ s: String) -> Bool {
        guard let first = s.first, "#-+=*".contains(first) else { return false }
        let next = s.dropFirst().first
        // A lone `*` (a suppressed count) is at most an empty list item: left as it reads.
        if next == nil { return first != "*" }
        return next == " " || next == first
    }

    /// A code span on one line: a fence longer than any run of backticks inside, padded with a
    /// space each side (CommonMark strips one), and `|` escaped so a table keeps its cells (a
    /// pipe inside a code span still ends a table cell).
    static func code(_ raw: String) -> String {
        let s = TerminalText.visible(oneLine(raw))
            .replacingOccurrences(of: "|", with: "\\|")
        if s.isEmpty { return "" }
        let fence = String(repeating: "`", count: longestBacktickRun(s) + 1)
        return fence + " " + s + " " + fence
    }

    /// A fenced code block (`text`): its fence longer than any run of backticks inside, so no
    /// line of the text can close it.
    static func block(_ raw: String) -> String {
        let fence = String(repeating: "`", count: max(3, longestBacktickRun(raw) + 1))
        return fence + "text\n" + TerminalText.visible(raw) + "\n" + fence
    }

    static func longestBacktickRun(_ s: String) -> Int {
        var longest = 0, run = 0
        for c in s { if c == "`" { run += 1; longest = max(longest, run) } else { run = 0 } }
        return longest
    }

    // MARK: the playbook's narrative

    /// The author's Markdown, kept, but as `SafeMarkdown` makes it in the HTML report: `<`
    /// escaped (no tag can form), links to anything but http(s), mailto, an anchor or a relative
    /// address pointing to `#`, and images shown as links (a viewer loads an image by itself; a
    /// remote one tells its server who read the report). Code spans and fenced blocks are left
    /// as written: nothing in them is live.
    static func narrative(_ markdown: String) -> String {
        var out: [String] = []
        var fence: (char: Character, count: Int)? = nil
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let trimmed = line.drop { $0 == " " }
            let marker = trimmed.prefix { $0 == "`" || $0 == "~" }
            let run = marker.prefix { $0 == marker.first }
            if line.count - trimmed.count <= 3, run.count >= 3, let c = run.first {
                if let open = fence {
                    if c == open.char, run.count >= open.count, trimmed.dropFirst(run.count).allSatisfy({ $0 == " " }) { fence = nil }
                } else {
                    fence = (c, run.count)
                }
                out.append(TerminalText.visible(line))
                continue
            }
            out.append(fence == nil ? narrativeLine(line) : TerminalText.visible(line))
        }
        return out.joined(separator: "\n")
    }

    /// One line outside fenced code: code spans kept, the rest made safe.
    static func narrativeLine(_ line: String) -> String {
        let chars = Array(TerminalText.visible(line))
        var out = "", plain = ""
        var i = 0
        while i < chars.count {
            guard chars[i] == "`" else { plain.append(chars[i]); i += 1; continue }
            var n = 0
            while i + n < chars.count, chars[i + n] == "`" { n += 1 }
            // The closing run: exactly as long (a code span on this line; one running on to the
            // next line is left as text, so at worst it shows an escaped `<`).
            var j = i + n, close: Int? = nil
            while j < chars.count {
                guard chars[j] == "`" else { j += 1; continue }
                var m = 0
                while j + m < chars.count, chars[j + m] == "`" { m += 1 }
                if m == n { close = j; break }
                j += m
            }
            if let close {
                out += safePlain(plain) + String(chars[i..<(close + n)])
                plain = ""
                i = close + n
            } else {
                plain += String(chars[i..<(i + n)])
                i += n
            }
        }
        return out + safePlain(plain)
    }

    /// Narrative text outside code: no tag, no image, no link to a disallowed address.
    static func safePlain(_ text: String) -> String {
        var s = text.replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: "![", with: "!\\[")
        // An inline link's destination: `](address` or `](<address>`.
        var out = "", rest = Substring(s)
        while let open = rest.range(of: "](") {
            out += rest[..<open.upperBound]
            rest = rest[open.upperBound...]
            let spaces = rest.prefix { $0 == " " }
            out += spaces
            rest = rest.dropFirst(spaces.count)
            // Up to a space or the `)` that closes the link (CommonMark allows balanced ones inside).
            var depth = 0
            let address = rest.prefix { c in
                if c.isWhitespace { return false }
                if c == "(" { depth += 1 } else if c == ")" { if depth == 0 { return false }; depth -= 1 }
                return true
            }
            out += allowed(String(address)) ? String(address) : "#"
            rest = rest.dropFirst(address.count)
        }
        s = out + rest
        // A link reference definition: `[name]: address`.
        if let match = s.range(of: #"^ {0,3}\[[^\]]+\]:[ \t]*"#, options: .regularExpression) {
            let address = s[match.upperBound...].prefix { !$0.isWhitespace }
            if !allowed(String(address)) {
                s = String(s[..<match.upperBound]) + "#" + s[match.upperBound...].dropFirst(address.count)
            }
        }
        return s
    }

    /// A link's address as SafeMarkdown allows it. Markdown decodes entities in an address
    /// (`javascript&colon;…`), so an `&` before the first `/`, `?` or `#` — where the scheme
    /// is — is refused too.
    static func allowed(_ address: String) -> Bool {
        var bare = Substring(address)
        if bare.hasPrefix("&lt;") { bare = bare.dropFirst(4) }
        if bare.hasSuffix(">") { bare = bare.dropLast() }
        if bare.prefix(while: { !"/?#".contains($0) }).contains("&") { return false }
        return SafeMarkdown.allowed(String(bare))
    }
}
