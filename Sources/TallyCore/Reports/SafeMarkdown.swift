import Foundation
import Ink
import TallyModel

/// Markdown narrative as HTML that cannot run anything in the reader's browser.
///
/// A playbook may come from someone else, and its `##` narrative goes into the HTML report. Ink
/// passes raw HTML through (Markdown allows it), so `<script>` or `<img onerror=…>` in a narrative
/// line would run when a director opens the report. Here `<`, `&` and `"` are escaped before Ink
/// sees the text (no tag or attribute can be formed; Markdown's own syntax still works), and a
/// link may only point to http(s), mailto, an anchor or a relative address: a `javascript:` (or
/// any other scheme's) link becomes `#`. An image loads by itself when the report is opened, so
/// it may only be a relative address on the same host: a remote image (which would tell its
/// server who read the report, and when) becomes `#`.
enum SafeMarkdown {
    static func html(_ markdown: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(markdown.utf8.count)
        for c in markdown {
            switch c {
            case "<": escaped += "&lt;"
            case "&": escaped += "&amp;"
            case "\"": escaped += "&quot;"
            default: escaped.append(c)
            }
        }
        // Ink escapes code itself, so in code our entities come out escaped twice: undo that
        // one level (what remains is still escaped, whatever Ink took for code).
        let html = MarkdownParser().html(from: escaped)
            .replacingOccurrences(of: "&amp;lt;", with: "&lt;")
            .replacingOccurrences(of: "&amp;quot;", with: "&quot;")
            .replacingOccurrences(of: "&amp;amp;", with: "&amp;")
        return safeURLs(html)
    }

    /// Every `href="…"` and `src="…"` whose address is not allowed becomes `"#"`.
    static func safeURLs(_ html: String) -> String {
        var out = ""
        var rest = Substring(html)
        while let found = rest.range(of: #"(href|src)=""#, options: .regularExpression) {
            let isImage = rest[found].hasPrefix("src")
            out += rest[..<found.upperBound]
            rest = rest[found.upperBound...]
            guard let close = rest.firstIndex(of: "\"") else { break }
            let url = String(rest[..<close])
            out += (isImage ? local(url) : allowed(url)) ? url : "#"
            rest = rest[close...]
        }
        return out + rest
    }

    /// An image's address: relative, on the report's own host — no scheme (not even http), and
    /// not `//host/…` (browsers read `\\` as `/` there).
    static func local(_ url: String) -> Bool {
        let decoded = url.replacingOccurrences(of: "&amp;", with: "&")
        if decoded.contains("&#") { return false }
        let start = decoded.drop { $0.isWhitespace || $0.unicodeScalars.allSatisfy { $0.value < 0x20 } }
        if start.prefix(2).allSatisfy({ $0 == "/" || $0 == "\\" }) && start.count >= 2 { return false }
        return !start.prefix { !"/?#".contains($0) }.contains(":")
    }

    static func allowed(_ url: String) -> Bool {
        // Browsers ignore control characters, spaces and entity-encoding in a scheme: decode the
        // entities Ink may leave, then drop everything that is not a letter before the colon.
        let decoded = url.replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&#", with: "\u{0}")
        if decoded.contains("\u{0}") { return false }
        guard let colon = decoded.firstIndex(of: ":") else { return true }
        let before = decoded[..<colon]
        if before.contains("/") || before.contains("?") || before.contains("#") { return true }
        let scheme = String(before.unicodeScalars.filter { CharacterSet.letters.contains($0) }).lowercased()
        return ["http", "https", "mailto"].contains(scheme)
    }
}
