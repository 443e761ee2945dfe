import TallyModel

/// Is the first row a header? A file exported without its header must not lose its first
/// student to the column names (`1000000000`, `08/14/2024`, an empty name) and pass one short.
///
/// The first row is data — an error suggesting `with header false`, unless the playbook wrote
/// `header true` — when:
/// - every filled cell is a number, a date or an ID;
/// - most filled cells are, and one of them is a date, an ID or a number of five or more digits
///   (so that `School,01,02,03` or `School,2023,2024`, a pivot's or a yearly table's header, stay headers);
/// - a cell is empty and another is a number, a date or an ID (a header names its columns; a
///   record leaves optional fields empty);
/// - more of its dates, IDs and long numbers have the shape (digit count, date pattern) of the
///   value under them than there are columns that read as headed (words above a number or date).
/// Headers with numbers in their words (`Grade 12 Count`, `2024-25 Enrollment`) are words.
extension DelimitedReader {
    enum CellKind { case empty, text, shortNumber, strong }

    static func kind(_ s: String) -> CellKind {
        if s.isEmpty { return .empty }
        guard looksLikeData(s) || looksLikeID(s) else { return .text }
        let digits = s.utf8.filter { $0 >= 48 && $0 <= 57 }.count
        let plain = s.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
        return plain && digits <= 4 ? .shortNumber : .strong
    }

    /// A record ID: letters, digits, `-` and `_` only, digits at least half of it, and six digits
    /// with letters or a run of five without (`ENR-000005`, `S123456`, `123-45678`; not `FY2024`,
    /// `2023-24`, or `c12345`, a generated column name).
    static func looksLikeID(_ s: String) -> Bool {
        let b = Array(s.utf8)
        func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
        func isLetter(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
        guard b.allSatisfy({ isDigit($0) || isLetter($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }) else { return false }
        let digits = b.filter(isDigit).count
        var run = 0, longest = 0
        for c in b { run = isDigit(c) ? run + 1 : 0; longest = max(longest, run) }
        return digits * 2 >= b.count && (b.contains(where: isLetter) ? digits >= 6 : longest >= 5)
    }

    /// A value's shape: each digit `9`, each run of letters `a`, each run of spaces one space,
    /// anything else itself (`08/14/2024` → `99/99/9999`, `ENR-000005` → `a-999999`).
    static func shape(_ s: String) -> String {
        var out: [UInt8] = []
        for c in s.utf8 {
            let mapped: UInt8
            if c >= 48 && c <= 57 {
                mapped = UInt8(ascii: "9")
            } else if (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c >= 128 {
                mapped = UInt8(ascii: "a")
            } else if c == 32 || c == 9 {
                mapped = 32
            } else {
                mapped = c
            }
            if mapped == UInt8(ascii: "a") || mapped == 32, out.last == mapped { continue }
            out.append(mapped)
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func isDate(_ s: String) -> Bool {
        looksLikeData(s) && (s.utf8.contains(UInt8(ascii: "/")) || s.utf8.filter { $0 == UInt8(ascii: "-") }.count == 2)
    }

    /// Why the first row (trimmed cells) reads as data, or nil when it reads as a header.
    /// - Parameter next: the next record's cells, when there is one.
    static func dataReason(_ cells: [String], next: [String]?) -> String? {
        let kinds = cells.map(kind)
        let filled = kinds.filter { $0 != .empty }.count
        let numeric = kinds.filter { $0 == .shortNumber || $0 == .strong }.count
        let strong = kinds.filter { $0 == .strong }.count
        guard filled > 0 else { return nil }
        if numeric == filled { return "" }
        if numeric * 2 > filled, strong > 0 {
            return " (\(numeric) of its \(filled) values are numbers, dates or IDs)"
        }
        if numeric > 0, kinds.contains(.empty) {
            return " (it has an empty cell beside numbers, as a record does; a header names every column)"
        }
        guard let next, next.count == cells.count else { return nil }
        var same = 0, headed = 0
        for k in cells.indices {
            let below = next[k].trimmedSpaces()
            guard !below.isEmpty else { continue }
            // Words above a number or a date: this column has a header.
            if kinds[k] == .text, kind(below) != .text { headed += 1 }
            if kinds[k] == .strong, shape(cells[k]) == shape(below) || (isDate(cells[k]) && isDate(below)) { same += 1 }
        }
        return same > headed ? " (the next row has values of the same shape in the same columns)" : nil
    }

    /// Throws when the first row reads as data (see above); `header true` skips this check.
    static func requireHeaderLike(_ cells: [String], next: [String]?, file: String, line: Int) throws {
        guard let reason = dataReason(cells, next: next) else { return }
        let filled = cells.filter { !$0.isEmpty }
        let shown = filled.prefix(4).map { "\"\($0)\"" }.joined(separator: ", ") + (filled.count > 4 ? ", …" : "")
        throw Diagnostic(
            .headerlessFile, .error, "the first row looks like data, not column names: \(shown)\(reason)", file: file, line: line,
            help:
                "if the file has no header row, add: with header false, columns (Name: type, ...) — or, if this row really is the header, add: with header true"
        )
    }

    /// A number (`42`, `-3.5`, `0123456`), or a date such as `08/14/2024`, `2024-08-14`.
    static func looksLikeData(_ s: String) -> Bool {
        let b = Array(s.utf8)
        func digits(_ r: ArraySlice<UInt8>) -> Bool { !r.isEmpty && r.allSatisfy { $0 >= 48 && $0 <= 57 } }
        var body = b[...]
        if let f = body.first, f == UInt8(ascii: "-") || f == UInt8(ascii: "+") { body = body.dropFirst() }
        let parts = body.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        if parts.count <= 2, parts.allSatisfy(digits) { return true }
        for separator in [UInt8(ascii: "/"), UInt8(ascii: "-")] {
            let pieces = b.split(separator: separator, omittingEmptySubsequences: false)
            if pieces.count == 3, pieces.allSatisfy({ digits($0) && $0.count <= 4 }) { return true }
        }
        return false
    }
}
