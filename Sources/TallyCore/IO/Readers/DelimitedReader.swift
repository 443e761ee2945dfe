import Foundation
import TallyModel

/// How to read a delimited text file.
public struct DelimitedOptions: Sendable {
    public var delimiter: UInt8 = UInt8(ascii: ",")
    public var header = true
    /// The playbook said `header true|false`: trust it even when the header row looks like data.
    public var headerGiven = false
    /// RFC 4180 quoting; off for CALPADS caret files, where `"` is an ordinary character.
    public var quoting = true
    public var encoding: String? = nil
    /// Values read as null; nil means "the empty field".
    public var missing: [String]? = nil
    public var columns: [ColumnDeclaration] = []
    /// Date format for declared date columns without their own format.
    public var dateFormat: String? = nil
    /// When set, inferred types are skipped: every undeclared column is text (CALPADS files).
    public var inferTypes = true
    /// Dates that do not parse become null and are kept in `Table.rejected` instead of failing.
    public var lenientDates = false
    /// How many chunks to parse unquoted text in (nil: one per core, at least 4 MB each).
    public var chunks: Int? = nil
    public init() {}
}

/// Reports progress of a long read or write: bytes done, bytes in all, rows so far.
public typealias ProgressHandler = @Sendable (_ done: Int, _ total: Int, _ rows: Int) -> Void

/// Parses CSV, TSV and other single-character-delimited text into a `Table`.
///
/// Hand-written rather than a CSV library because it is the hot path of every run: it splits
/// fields in place over the raw bytes and interns each field straight into its column's
/// dictionary, so no `String` is built per field (see ARCHITECTURE.md's performance budget).
public enum DelimitedReader {
    struct RawColumn {
        var interner = ByteInterner()
        var codes: [Int32] = []
    }

    /// Column names from header cells: trimmed, `column_N` for an empty one, `_2` for a repeat.
    static func headerNames(_ cells: [String]) -> [String] {
        var seen: [String: Int] = [:]
        var names: [String] = []
        for (k, cell) in cells.enumerated() {
            var name = cell.trimmedSpaces()
            if name.isEmpty { name = "column_\(k + 1)" }
            if let n = seen[name] { seen[name] = n + 1; name += "_\(n + 1)" } else { seen[name] = 1 }
            names.append(name)
        }
        return names
    }

    /// A file named .csv that is really separated by semicolons or tabs reads as one column.
    static func checkSeparator(_ cells: [String], delimiter: UInt8, file: String, line: Int) throws {
        guard delimiter == UInt8(ascii: ","), cells.count == 1 else { return }
        let semicolons = cells[0].filter { $0 == ";" }.count, tabs = cells[0].filter { $0 == "\t" }.count
        guard semicolons > 0 || tabs > 0 else { return }
        let tab = tabs >= semicolons
        throw Diagnostic(
            .delimiter, .error,
            "the first row has no commas but \(Format.plural(tab ? tabs : semicolons, tab ? "tab" : "semicolon")): this file is \(tab ? "tab" : "semicolon")-separated",
            file: file, line: line, help: tab ? "load it with: as tsv" : "load it with: as delimited \";\"")
    }

    public static func read(
        _ input: InputFile, options: DelimitedOptions,
        progress: ProgressHandler? = nil
    ) throws -> Table {
        let text = try input.textBytes(encoding: options.encoding)
        let file = input.displayName
        let unquoted =
            !options.quoting || text.withUnsafeBufferPointer { b in b.baseAddress.map { memchr($0, 34, b.count) == nil } ?? true }
        if unquoted, !text.isEmpty {
            return try readUnquoted(text, options: options, file: file, progress: progress)
        }
        var names: [String] = []
        var raw: [RawColumn] = []
        var lines: [Int32] = []
        var expected = -1
        if !options.header, !options.columns.isEmpty {
            names = options.columns.map(\.name.text)
            expected = names.count
            raw = Array(repeating: RawColumn(), count: expected)
        }
        var headerDone = !options.header
        var unescaped: [UInt8] = []
        let delimiter = options.delimiter
        let quoting = options.quoting
        var fieldStart: [Int] = [], fieldEnd: [Int] = [], fieldEscaped: [Bool] = []
        var pendingHeader: (cells: [String], line: Int)? = nil
        let total = text.count
        var nextProgress = 1 << 22

        try text.withUnsafeBufferPointer { p in
            let n = p.count
            var i = 0
            var line = 1
            var firstRecordLine = -1
            func finishRecord(_ recordLine: Int) throws {
                if firstRecordLine < 0, !(fieldStart.count == 1 && fieldStart[0] == fieldEnd[0] && !fieldEscaped[0]) {
                    firstRecordLine = recordLine
                }
                if fieldStart.count == 1, fieldStart[0] == fieldEnd[0], !fieldEscaped[0] { return } // blank line
                if recordLine == firstRecordLine || !headerDone {
                    let cells = (0..<fieldStart.count).map {
                        String(decoding: UnsafeBufferPointer(rebasing: p[fieldStart[$0]..<fieldEnd[$0]]), as: UTF8.self)
                    }
                    try DelimitedReader.checkSeparator(cells, delimiter: delimiter, file: file, line: recordLine)
                }
                // The header is checked against the record under it (see DelimitedReader+Header).
                if let header = pendingHeader {
                    pendingHeader = nil
                    let cells = (0..<fieldStart.count).map {
                        String(decoding: UnsafeBufferPointer(rebasing: p[fieldStart[$0]..<fieldEnd[$0]]), as: UTF8.self)
                    }
                    try DelimitedReader.requireHeaderLike(header.cells, next: cells, file: file, line: header.line)
                }
                if !headerDone {
                    if !options.headerGiven {
                        pendingHeader = (
                            (0..<fieldStart.count).map {
                                String(decoding: UnsafeBufferPointer(rebasing: p[fieldStart[$0]..<fieldEnd[$0]]), as: UTF8.self)
                                    .trimmedSpaces()
                            }, recordLine
                        )
                    }
                    names = DelimitedReader.headerNames(
                        (0..<fieldStart.count).map { k in
                            let name = String(decoding: UnsafeBufferPointer(rebasing: p[fieldStart[k]..<fieldEnd[k]]), as: UTF8.self)
                            return fieldEscaped[k] ? name.replacingDoubledQuotes() : name
                        })
                    expected = names.count
                    raw = Array(repeating: RawColumn(), count: expected)
                    headerDone = true
                    return
                }
                if expected < 0 {
                    expected = fieldStart.count
                    names = (1...expected).map { "column_\($0)" }
                    raw = Array(repeating: RawColumn(), count: expected)
                }
                guard fieldStart.count == expected else {
                    throw Diagnostic(
                        .fieldCount, .error,
                        "this row has \(fieldStart.count) field\(fieldStart.count == 1 ? "" : "s"), expected \(expected)",
                        file: file, line: recordLine,
                        help: fieldStart.count > expected
                            ? "a value may contain the delimiter without quotes" : "the row may be cut short or a quote left open")
                }
                for k in 0..<expected {
                    if fieldEscaped[k] {
                        unescaped.removeAll(keepingCapacity: true)
                        var j = fieldStart[k]
                        while j < fieldEnd[k] {
                            unescaped.append(p[j])
                            j += (p[j] == 34 && j + 1 < fieldEnd[k] && p[j + 1] == 34) ? 2 : 1
                        }
                        let code = unescaped.withUnsafeBufferPointer { u in raw[k].interner.intern(u, 0, u.count) }
                        raw[k].codes.append(code)
                    } else {
                        raw[k].codes.append(raw[k].interner.intern(p, fieldStart[k], fieldEnd[k]))
                    }
                }
                lines.append(Int32(truncatingIfNeeded: recordLine))
                if let progress, i > nextProgress { nextProgress = i + (1 << 22); progress(i, total, lines.count) }
            }

            while i < n {
                let recordLine = line
                fieldStart.removeAll(keepingCapacity: true)
                fieldEnd.removeAll(keepingCapacity: true)
                fieldEscaped.removeAll(keepingCapacity: true)
                var endOfRecord = false
                while !endOfRecord {
                    if quoting, i < n, p[i] == 34 {
                        let quoteLine = line
                        i += 1
                        let start = i
                        var escaped = false
                        var closed = false
                        while i < n {
                            let c = p[i]
                            if c == 34 {
                                if i + 1 < n, p[i + 1] == 34 { escaped = true; i += 2; continue }
                                closed = true
                                break
                            }
                            if c == 10 { line += 1 }
                            i += 1
                        }
                        guard closed else {
                            throw Diagnostic(
                                .unclosedQuote, .error, "a quoted field opened on this line is never closed", file: file, line: quoteLine,
                                help: "a value with a \" inside must double it: \"\"")
                        }
                        fieldStart.append(start); fieldEnd.append(i); fieldEscaped.append(escaped)
                        i += 1 // closing quote
                        if i < n, p[i] != delimiter, p[i] != 10, p[i] != 13 {
                            throw Diagnostic(
                                .unclosedQuote, .error, "unexpected text after a closing quote", file: file, line: line,
                                help: "a value with a \" inside must be quoted and the quote doubled: \"\"")
                        }
                    } else {
                        let start = i
                        while i < n {
                            let c = p[i]
                            if c == delimiter || c == 10 || c == 13 { break }
                            i += 1
                        }
                        fieldStart.append(start); fieldEnd.append(i); fieldEscaped.append(false)
                    }
                    if i >= n { endOfRecord = true; break }
                    let c = p[i]
                    if c == delimiter {
                        i += 1; if i >= n { fieldStart.append(n); fieldEnd.append(n); fieldEscaped.append(false); endOfRecord = true };
                        continue
                    }
                    if c == 13 { i += 1; if i < n, p[i] == 10 { i += 1 } } else { i += 1 }
                    line += 1
                    endOfRecord = true
                }
                try finishRecord(recordLine)
            }
        }
        if !headerDone || names.isEmpty {
            throw Diagnostic(.emptyFile, .error, "the file has no header row", file: file)
        }
        if let header = pendingHeader { try requireHeaderLike(header.cells, next: nil, file: file, line: header.line) }
        progress?(total, total, lines.count)
        return try buildTable(names: names, raw: raw, lines: lines, options: options, file: file)
    }

    /// Text with no quoted field: the header (if any) here, the records in parallel chunks.
    static func readUnquoted(_ text: FileBytes, options: DelimitedOptions, file: String, progress: ProgressHandler?) throws -> Table {
        let delimiter = options.delimiter
        return try text.withUnsafeBufferPointer { p -> Table in
            let n = p.count
            // The first non-blank line: the header, or the first record.
            var i = 0, line = 1
            var first: [String] = []
            while i < n {
                var j = i
                while j < n, p[j] != 10, p[j] != 13 { j += 1 }
                let cells = UnsafeBufferPointer(rebasing: p[i..<j]).split(separator: delimiter, omittingEmptySubsequences: false)
                    .map { String(decoding: $0, as: UTF8.self) }
                let blank = i == j
                if !blank { first = cells }
                if blank || options.header {
                    i = j
                    if i < n { if p[i] == 13 { i += 1; if i < n, p[i] == 10 { i += 1 } } else { i += 1 } }
                    line += 1
                }
                if !blank { break }
            }
            var names: [String]
            if first.isEmpty {
                throw Diagnostic(.emptyFile, .error, "the file has no header row", file: file)
            }
            let firstLine = options.header ? line - 1 : line
            try checkSeparator(first, delimiter: delimiter, file: file, line: firstLine)
            if options.header {
                if !options.headerGiven {
                    try requireHeaderLike(
                        first.map { $0.trimmedSpaces() }, next: nextRecord(p, from: i, delimiter: delimiter),
                        file: file, line: firstLine)
                }
                names = headerNames(first)
            } else if !options.columns.isEmpty {
                names = options.columns.map(\.name.text)
            } else {
                names = (1...first.count).map { "column_\($0)" }
            }
            let (raw, lines) = try readChunks(
                p, from: i, firstLine: line, expected: names.count, delimiter: delimiter,
                chunks: options.chunks, file: file, progress: progress)
            return try buildTable(names: names, raw: raw, lines: lines, options: options, file: file)
        }
    }

    /// The cells of the first non-blank line from byte `from` on (the record under a header).
    static func nextRecord(_ p: UnsafeBufferPointer<UInt8>, from: Int, delimiter: UInt8) -> [String]? {
        var i = from
        while i < p.count {
            var j = i
            while j < p.count, p[j] != 10, p[j] != 13 { j += 1 }
            if j > i {
                return UnsafeBufferPointer(rebasing: p[i..<j]).split(separator: delimiter, omittingEmptySubsequences: false)
                    .map { String(decoding: $0, as: UTF8.self) }
            }
            i = j + 1
        }
        return nil
    }

    static func buildTable(
        names: [String], raw: [RawColumn], lines: [Int32], options: DelimitedOptions,
        file: String
    ) throws -> Table {
        for declaration in options.columns where !names.contains(declaration.name.text) {
            throw Diagnostic(
                .unknownColumn, .error, "the file has no column \"\(declaration.name.text)\" (declared in columns)", file: file, line: 1,
                help: Suggest.help(for: declaration.name.text, in: names))
        }
        // Columns are typed on all cores; the first error in column order is the one reported.
        var results = [Result<(Column, [RejectedValue]), Error>?](repeating: nil, count: names.count)
        results.withUnsafeMutableBufferPointer { buffer in
            let out = buffer
            Parallel.forEach(names.count) { k in
                let name = names[k]
                let declaration = options.columns.first { $0.name.text == name }
                var rejected: [RejectedValue] = []
                out[k] = Result {
                    let column = try withUnsafeMutablePointer(to: &rejected) { pointer in
                        try ValueParsing.makeColumn(
                            name: name, interner: raw[k].interner, codes: raw[k].codes,
                            declared: declaration?.type,
                            dateFormat: declaration?.dateFormat ?? options.dateFormat,
                            missing: options.missing, infer: options.inferTypes,
                            file: file, lines: lines, rejected: options.lenientDates ? pointer : nil)
                    }
                    return (column, rejected)
                }
            }
        }
        var columns: [Column] = []
        var rejected: [RejectedValue] = []
        for result in results {
            guard let result else { continue }
            let (column, bad) = try result.get()
            columns.append(column)
            rejected += bad
        }
        var table = Table(names: names, columns: columns, provenance: Provenance(file: file, lines: lines))
        table.rejected = rejected.sorted { $0.line < $1.line }
        return table
    }
}

extension String {
    func replacingDoubledQuotes() -> String {
        var out = ""
        var previousQuote = false
        for c in self {
            if c == "\"", previousQuote { previousQuote = false; continue }
            previousQuote = c == "\""
            out.append(c)
        }
        return out
    }
}
