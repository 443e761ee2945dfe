import Foundation
import TallyModel

/// Recognises a data file given where a playbook belongs (`tally run SENR.txt`): its first lines
/// are records, not statements. Read as a playbook such a file is an error per field separator
/// (a 400-line SENR file made 13,670 of them); instead it is one error saying what it is and how
/// to load it. Reads the first two lines only, each once.
enum DataFileGuess {
    enum Kind: Equatable {
        case calpads(String) // caret-delimited records whose first field is a CALPADS file type
        case delimited(UInt8) // ^, tab or comma

        var described: String {
            switch self {
            case .calpads(let type): return "caret-delimited CALPADS \(type) records"
            case .delimited(UInt8(ascii: "^")): return "caret-delimited records"
            case .delimited(UInt8(ascii: "\t")): return "tab-separated values"
            default: return "comma-separated values"
            }
        }

        func howToLoad(_ file: String) -> String {
            let path = "\"" + file.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
            switch self {
            case .calpads(let type): return "load it from a playbook: load \(type.lowercased()) from \(path) as calpads \(type)"
            case .delimited(UInt8(ascii: "^")): return "load it from a playbook: load data from \(path) as delimited \"^\""
            case .delimited(UInt8(ascii: "\t")): return "load it from a playbook: load data from \(path) as tsv"
            default: return "load it from a playbook: load data from \(path) as csv"
            }
        }
    }

    /// Fields a line needs (separators plus one) to look like a record rather than a statement.
    static let minimumFields = 4

    /// The diagnostic for a data file, or nil when `source` may be a playbook: its first two
    /// non-blank lines (or its only one) each look like a record of the same kind.
    static func diagnose(_ source: String, file: String) -> Diagnostic? {
        var lines: [(number: Int, text: Substring)] = []
        var rest = Substring(source)
        var number = 0
        // Blank lines before the records are skipped, but only so many.
        while lines.count < 2, number < 64, !rest.isEmpty {
            number += 1
            let end = rest.utf8.firstIndex(of: 10) ?? rest.endIndex
            let line = rest[..<end]
            rest = end == rest.endIndex ? "" : rest[rest.index(after: end)...]
            if line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\u{FEFF}" }) { continue }
            lines.append((number, line))
        }
        guard let first = lines.first, let kind = record(first.text) else { return nil }
        if lines.count > 1 {
            guard let second = record(lines[1].text), sameKind(kind, second) else { return nil }
        }
        return Diagnostic(
            .notAPlaybook, "this looks like a data file (\(kind.described)), not a playbook", file: file,
            span: SourceSpan(line: first.number, column: 1, length: 1), help: kind.howToLoad(file))
    }

    static func sameKind(_ a: Kind, _ b: Kind) -> Bool {
        switch (a, b) {
        case (.calpads, .calpads): return true
        case (.calpads, .delimited(let d)), (.delimited(let d), .calpads): return d == UInt8(ascii: "^")
        case (.delimited(let x), .delimited(let y)): return x == y
        }
    }

    /// What a line is as a record, or nil when it may be part of a playbook: it starts a
    /// statement, is a comment or a continuation, or has too few separators.
    static func record(_ line: Substring) -> Kind? {
        var text = line
        if text.first == "\u{FEFF}" { text = text.dropFirst() }
        guard let c = text.first, c != " ", c != "\t", c != "#", c != "|" else { return nil }
        if Lexer.startsStatement(text) { return nil }
        var carets = 0, tabs = 0, commas = 0
        var firstField: [UInt8] = [], inFirst = true
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "^"): carets += 1; inFirst = false
            case UInt8(ascii: "\t"): tabs += 1
            case UInt8(ascii: ","): commas += 1
            default: if inFirst, firstField.count <= 8 { firstField.append(b) }
            }
        }
        if carets > 0, let type = calpadsType(firstField) { return .calpads(type) }
        let most = max(carets, tabs, commas)
        guard most + 1 >= minimumFields else { return nil }
        if carets == most { return .delimited(UInt8(ascii: "^")) }
        return .delimited(tabs == most ? UInt8(ascii: "\t") : UInt8(ascii: ","))
    }

    /// The CALPADS file type a record's first field names (`SENR`, `SELA`), if it names one.
    static func calpadsType(_ field: [UInt8]) -> String? {
        guard (2...8).contains(field.count), field.allSatisfy({ (65...90).contains($0) || (48...57).contains($0) || $0 == 45 }) else {
            return nil
        }
        let type = String(decoding: field, as: UTF8.self)
        let base = String(type.split(separator: "-").first ?? "")
        if !CalpadsLayouts.layouts(for: type).isEmpty { return type }
        return CalpadsLayouts.layouts(for: base).isEmpty ? nil : base
    }
}
