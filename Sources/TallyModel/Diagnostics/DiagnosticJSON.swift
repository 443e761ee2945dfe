import Foundation

/// `tally check --json`: the diagnostics as data, each with its stable code, so an editor or a
/// CI script reads `code` rather than matching the message's wording.
public enum DiagnosticJSON {
    package struct Entry: Encodable {
        package var file: String
        package var line: Int
        package var column: Int
        package var length: Int
        package var severity: String
        /// `T0101`; absent for the rare diagnostic without a code.
        package var code: String?
        package var title: String?
        package var message: String
        package var help: String?
    }
    package struct Output: Encodable {
        package var playbook: String
        package var ok: Bool
        package var errors: Int
        package var diagnostics: [Entry]
    }

    package static func entry(_ d: Diagnostic) -> Entry {
        // "… N more errors" keeps its count in the message, as the text output says it.
        Entry(
            file: d.file, line: d.line, column: d.column, length: d.length, severity: d.severity.rawValue,
            code: d.code?.rawValue, title: d.code?.title, message: d.omitted > 0 ? d.description : d.message, help: d.help)
    }

    /// Errors then warnings, as one JSON object.
    public static func render(playbook: String, errors: [Diagnostic], warnings: [Diagnostic]) -> String {
        let out = Output(
            playbook: playbook, ok: errors.isEmpty, errors: Diagnostic.total(errors),
            diagnostics: (errors + warnings).map(entry))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(out)).map { String(decoding: $0, as: UTF8.self) + "\n" } ?? "{}\n"
    }
}
