import Foundation
import Mustache
import TallyModel

/// The watch's own HTML — the bar, error banner and updating script put into the notebook page,
/// and the table view — rendered from templates/watch-*.html.mustache, embedded by
/// scripts/embed_templates.py (Generated/WatchTemplates.swift) so the binary needs no file at run
/// time. Values go through Mustache's HTML escaping; only the table view's JSON name is raw.
enum WatchPage {
    static let library: Result<MustacheLibrary, Error> = Result {
        var library = MustacheLibrary()
        try library.register(WatchTemplates.bar, named: "bar")
        try library.register(WatchTemplates.live, named: "live")
        try library.register(WatchTemplates.table, named: "table")
        return library
    }

    /// A template rendered, or a line saying it could not be (the built-in templates are checked
    /// by the tests, so this is never shown to an analyst).
    static func render(_ name: String, _ values: [String: Any]) -> String {
        switch library {
        case .success(let library): return library.render(values, withTemplate: name) ?? "<p>the watch template \(name) did not render</p>"
        case .failure(let error): return "<p>the watch templates do not parse: \(escape("\(error)"))</p>"
        }
    }

    /// The bar (run number, links to each table) and, when the last run stopped, its error.
    static func bar(version: Int, tables: [String], error: String?) -> String {
        render(
            "bar",
            [
                "version": version,
                "tables": tables.map { ["name": $0, "url": escapeURL($0)] },
                "failed": error != nil, "error": error ?? "",
            ])
    }

    /// Replaces the page's body with the new notebook after each rerun, keeping the scroll position.
    static var liveScript: String { render("live", [:]) }

    /// One table in full: sort by a column (click its header), filter with a condition in the
    /// playbook language, and page through every row; the server does the work.
    static func table(_ name: String) -> String { render("table", ["table": name, "tableJSON": jsonString(name)]) }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func escapeURL(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s }

    /// A JavaScript string literal for a `<script>`: JSON, with `<` escaped too so no name can
    /// close the script or open a comment in it.
    static func jsonString(_ s: String) -> String {
        ((try? String(decoding: JSONEncoder().encode(s), as: UTF8.self)) ?? "\"\"").replacingOccurrences(of: "<", with: "\\u003c")
    }
}
