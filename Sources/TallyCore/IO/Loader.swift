import Foundation
import TallyModel

/// A loaded input with what the ledger records about its file.
public struct LoadedInput: Sendable {
    public var table: Table
    public var bytes: Int
    public var sha256: String
}

/// Reads an input in the format a `load` statement names.
public enum Loader {
    /// The column a load of many files adds: the name of the file each row came from.
    public static let sourceFileColumn = "source_file"

    /// Whether a path's file name is a pattern (`extracts/*.txt`, `day_??.csv`).
    public static func isPattern(_ path: String) -> Bool {
        let name = (path as NSString).lastPathComponent
        return name.contains("*") || name.contains("?") || name.contains("[")
    }

    /// The files a pattern matches (in its folder only), in name order.
    public static func matches(_ pattern: String) throws -> [String] {
        let folder = (pattern as NSString).deletingLastPathComponent
        let name = (pattern as NSString).lastPathComponent
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.isEmpty ? "." : folder)
        return names.filter { fnmatch(name, $0, 0) == 0 && !$0.hasPrefix(".") }.sorted()
            .map { (folder as NSString).appendingPathComponent($0) }
            .filter {
                var d: ObjCBool = false; return FileManager.default.fileExists(atPath: $0, isDirectory: &d) && !d.boolValue
            }
    }

    /// The files of a many-file load, or an error naming the pattern when none matches.
    static func files(_ request: LoadRequest) throws -> [LoadRequest] {
        let found = (try? matches(request.path)) ?? []
        guard !found.isEmpty else {
            throw Diagnostic(
                .fileNotFound, .error, "no file matches this pattern", file: request.displayPath,
                help:
                    "the pattern is matched in its folder: \(FileCreation.folder(of: request.displayPath).isEmpty ? "." : FileCreation.folder(of: request.displayPath))"
            )
        }
        // (Not Foundation's deletingLastPathComponent: it traps on a one-character path, "*".)
        let displayFolder = FileCreation.folder(of: request.displayPath)
        return found.map { path in
            var one = request
            one.path = path
            one.displayPath =
                displayFolder.isEmpty ? (path as NSString).lastPathComponent : displayFolder + "/" + (path as NSString).lastPathComponent
            return one
        }
    }

    /// A table with the file name of its rows as a last column.
    static func withSourceFile(_ table: Table, _ display: String) -> Table {
        var out = table
        let name = (display as NSString).lastPathComponent
        let dictionary = TextDictionary(values: [name])
        out.setColumn(
            sourceFileColumn,
            Column(data: .text(codes: [Int32](repeating: 0, count: table.rowCount), dictionary: dictionary), validity: nil))
        return out
    }

    /// Every file a pattern matches, read in name order into one table with `source_file`.
    static func readMany(_ request: LoadRequest, progress: ProgressHandler?, fingerprint: Bool) throws -> LoadedInput {
        var combined: Table? = nil
        var bytes = 0
        for one in try files(request) {
            let loaded = try read(one, progress: progress, fingerprint: false)
            bytes += loaded.bytes
            let table = withSourceFile(loaded.table, one.displayPath)
            guard let so_far = combined else { combined = table; continue }
            guard so_far.names == table.names else {
                throw Diagnostic(
                    .columnsDiffer, .error,
                    "this file's columns differ from the first file's (\(so_far.names.filter { $0 != sourceFileColumn }.joined(separator: ", ")))",
                    file: one.displayPath, line: 1, help: "every file a pattern loads must have the same columns")
            }
            var columns: [Column] = []
            for k in 0..<table.columnCount { columns.append(so_far.columns[k].appending(table.columns[k])) }
            var merged = Table(names: so_far.names, columns: columns, provenance: so_far.provenance.appending(table.provenance))
            merged.rejected = so_far.rejected + table.rejected
            combined = merged
        }
        guard let combined else { throw Diagnostic(.fileNotFound, .error, "no file matches this pattern", file: request.displayPath) }
        return LoadedInput(table: combined, bytes: bytes, sha256: fingerprint ? Fingerprint.sha256(file: request.path) ?? "" : "")
    }

    public static func load(_ request: LoadRequest, progress: ProgressHandler?) throws -> Table {
        try read(request, progress: progress, fingerprint: false).table
    }

    /// An input's columns and types without reading all of it: a CALPADS file's layout from its
    /// first record, delimited text's header and types from its first rows (as many as type
    /// inference looks at), a workbook in full. `tally check` stays fast on a 1M-student file.
    public static func schema(_ request: LoadRequest) throws -> Schema {
        if isPattern(request.path), let first = try files(request).first {
            var schema = try Loader.schema(first)
            schema.columns.append(Schema.Field(name: sourceFileColumn, type: .text))
            return schema
        }
        switch request.format {
        case .calpads(let layout, let year, let extract):
            let (input, _) = try InputFile.readPrefix(path: request.path, displayName: request.displayPath, maxBytes: 1 << 16)
            try requireCaretFile(input.bytes, request)
            return try CalpadsReader.schema(input, type: layout, year: year, extract: extract, encoding: request.options.encoding)
        case .calpadsRejected(let layout, let year):
            let (input, _) = try InputFile.readPrefix(
                path: request.path, displayName: request.displayPath, maxBytes: 1 << 16, allowEmpty: true)
            try requireCaretFile(input.bytes, request)
            let text = try input.textBytes(encoding: request.options.encoding)
            return CalpadsReturns.rejectedSchema(try CalpadsReader.pickLayout(text, type: layout, year: year, file: request.displayPath))
        case .xlsx, .sqlite, .calpadsErrors, .calpadsReport:
            return try load(request, progress: nil).schema
        default:
            var size = 1 << 20
            while true {
                let (input, complete) = try InputFile.readPrefix(path: request.path, displayName: request.displayPath, maxBytes: size)
                if complete { return try read(request, input: input).schema }
                // A quoted field cut at the prefix's end is no error of the file's: read more.
                if let table = try? read(request, input: input), table.rowCount > ValueParsing.inferenceRows {
                    return table.schema
                }
                size *= 4
            }
        }
    }

    /// A CALPADS load of a comma (or tab) file — a SIS export with a header, say — would fail
    /// only when run, on its first record's field count: `tally check` and the run say what the
    /// file is instead, from its first line (a CALPADS record has carets, no header).
    static func requireCaretFile(_ bytes: FileBytes, _ request: LoadRequest) throws {
        var text = bytes.prefix(1 << 16)
        if text.starts(with: [0xEF, 0xBB, 0xBF]) { text = text.dropFirst(3) }
        let lines = text.split(omittingEmptySubsequences: true) { $0 == 10 || $0 == 13 }
        guard let first = lines.first, !first.contains(UInt8(ascii: "^")) else { return }
        let tab = !first.contains(UInt8(ascii: ",")) && first.contains(9)
        guard tab || first.contains(UInt8(ascii: ",")) else { return }
        let separator = tab ? UInt8(9) : UInt8(ascii: ",")
        func cells<Line: Collection<UInt8>>(_ line: Line) -> [String] {
            line.split(separator: separator, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self).trimmedSpaces() }
        }
        let head = cells(first)
        let kind = tab ? "tab" : "comma"
        let asWhat: String
        switch request.format {
        case .calpadsRejected(let layout, _): asWhat = "calpads \(layout) rejected"
        case .calpads(let layout, _, _): asWhat = "calpads \(layout)"
        default: asWhat = "calpads"
        }
        let plain = tab ? "as tsv" : "as csv"
        if DelimitedReader.dataReason(head, next: lines.dropFirst().first.map { cells($0) }) == nil {
            let shown = head.prefix(3).joined(separator: ", ") + (head.count > 3 ? ", …" : "")
            throw Diagnostic(
                .recordType, .error,
                "this is a \(kind)-separated file with a header row (\(shown)), not a CALPADS file (caret-separated, no header)",
                file: request.displayPath, line: 1,
                help: "load it \(plain) instead of as \(asWhat): its header names the columns")
        }
        throw Diagnostic(
            .recordType, .error, "this is a \(kind)-separated file, not a CALPADS file: its first line has no ^",
            file: request.displayPath, line: 1,
            help: "load it \(plain) with header false, columns (...) instead of as \(asWhat)")
    }

    static func delimitedOptions(_ request: LoadRequest) -> DelimitedOptions {
        var options = DelimitedOptions()
        options.header = request.options.header
        options.headerGiven = request.options.headerGiven
        options.encoding = request.options.encoding
        options.missing = request.options.missing
        options.columns = request.options.columns
        options.dateFormat = request.options.dateFormat
        switch request.format {
        case .tsv: options.delimiter = UInt8(ascii: "\t")
        case .delimited(let d): options.delimiter = d.utf8.first ?? UInt8(ascii: ",")
        default: options.delimiter = UInt8(ascii: ",")
        }
        if let d = request.options.delimiter?.utf8.first { options.delimiter = d }
        return options
    }

    static func read(_ request: LoadRequest, input: InputFile) throws -> Table {
        try DelimitedReader.read(input, options: delimitedOptions(request))
    }

    /// `with trim` and `with upper COL`: text values cleaned once per distinct value (values that
    /// become equal — "No " and "No" — become one).
    static func cleaned(_ table: Table, _ options: IOOptions, file: String) throws -> Table {
        guard options.trim || !options.upper.isEmpty else { return table }
        var out = table
        // Columns named in upper that the file lacks are the checker's to report, at their name.
        for (k, name) in table.names.enumerated() {
            guard case .text(let codes, let dictionary) = table.columns[k].data else { continue }
            let upper = options.upper.contains { $0.text == name }
            guard options.trim || upper else { continue }
            let fresh = TextDictionary()
            let remap = dictionary.values.map { value -> Int32 in
                var v = options.trim ? value.trimmedSpaces() : value
                if upper { v = v.uppercased() }
                return fresh.intern(v)
            }
            // A value that was only spaces is now empty: null, as an empty field is when read.
            let missing = Set(options.missing ?? [""])
            var validity = table.columns[k].validity
            if let empty = fresh.code(of: ""), missing.contains("") || missing.contains(where: { $0.trimmedSpaces().isEmpty }) {
                var bits = validity ?? Bitmap(count: codes.count, filled: true)
                for (row, code) in codes.enumerated() where remap[Int(code)] == empty { bits[row] = false }
                validity = bits
            }
            let column = Column(data: .text(codes: codes.map { remap[Int($0)] }, dictionary: fresh), validity: validity)
            out.setColumn(name, column)
        }
        return out
    }

    /// SHA-256 of an input's bytes, computed on another core while the input is parsed.
    final class PendingFingerprint: @unchecked Sendable {
        private var value = ""
        private let group = DispatchGroup()
        /// - Parameter known: the bytes' SHA-256 when the cell cache has just taken it.
        init(_ input: InputFile?, known: String? = nil) {
            guard let input else { return }
            if let known { value = known; return }
            DispatchQueue.global().async(group: group) { self.value = Fingerprint.sha256(input.bytes) }
        }
        var result: String { group.wait(); return value }
    }

    /// Reads the input and fingerprints it from the bytes already in memory, so the file is
    /// read once (a 1M-student SENR is 116 MB).
    /// - Parameter fingerprint: compute the file's SHA-256 (for the ledger and reports).
    /// - Parameter ahead: the file as the cell cache read and hashed it (`InputFile.ReadAhead`).
    public static func read(
        _ request: LoadRequest, progress: ProgressHandler?, fingerprint: Bool = true,
        ahead: InputFile.ReadAhead? = nil
    ) throws -> LoadedInput {
        if isPattern(request.path) { return try readMany(request, progress: progress, fingerprint: fingerprint) }
        let given = ahead?.path == request.path ? ahead : nil
        switch request.format {
        case .calpads(let layout, let year, let extract):
            let input = try InputFile.read(path: request.path, displayName: request.displayPath, ahead: given)
            try requireCaretFile(input.bytes, request)
            let sha = PendingFingerprint(fingerprint ? input : nil, known: given?.sha256)
            let table = try cleaned(
                try CalpadsReader.read(
                    input, type: layout, year: year, extract: extract,
                    encoding: request.options.encoding, progress: progress
                ).0,
                request.options, file: request.displayPath)
            // After the SHA-256 is taken, so that both it and the table are of bytes that held still.
            let loaded = LoadedInput(table: table, bytes: input.size, sha256: sha.result)
            try input.requireUnchanged()
            return loaded
        case .xlsx(let sheet, let headerRow):
            // The workbook is read through ZIPFoundation; hashing it is one more read of a
            // compressed file of a few megabytes.
            let table = try cleaned(
                try XlsxReader.read(path: request.path, displayName: request.displayPath, sheet: sheet, headerRow: headerRow),
                request.options, file: request.displayPath)
            let input = try InputFile.read(path: request.path, displayName: request.displayPath)
            return LoadedInput(table: table, bytes: input.size, sha256: Fingerprint.sha256(input.bytes))
        case .calpadsErrors, .calpadsRejected, .calpadsReport:
            var empty = false
            if case .calpadsRejected = request.format { empty = true }
            let input = try InputFile.read(path: request.path, displayName: request.displayPath, allowEmpty: empty, ahead: given)
            if empty { try requireCaretFile(input.bytes, request) }
            let sha = PendingFingerprint(fingerprint ? input : nil, known: given?.sha256)
            let table: Table
            switch request.format {
            case .calpadsRejected(let layout, let year):
                table = try CalpadsReturns.readRejected(input, type: layout, year: year, encoding: request.options.encoding).0
            case .calpadsReport(let report):
                table = try CalpadsReturns.readReport(input, report: report, encoding: request.options.encoding)
            default:
                table = try CalpadsReturns.readErrors(input, encoding: request.options.encoding)
            }
            // After the SHA-256 is taken, so that both it and the table are of bytes that held still.
            let loaded = LoadedInput(
                table: try cleaned(table, request.options, file: request.displayPath), bytes: input.size, sha256: sha.result)
            try input.requireUnchanged()
            return loaded
        case .sqlite:
            throw Diagnostic(
                .unknownLayout, .error, "reading \(request.format.name) files is not available in this version of Tally",
                file: request.displayPath,
                help:
                    "export it from the source system as CSV, or read a caret file with: as delimited \"^\" with header false, columns (...)"
            )
        default: break
        }
        let input = try InputFile.read(path: request.path, displayName: request.displayPath, ahead: given)
        let sha = PendingFingerprint(fingerprint ? input : nil, known: given?.sha256)
        let table = try cleaned(
            try DelimitedReader.read(input, options: delimitedOptions(request), progress: progress),
            request.options, file: request.displayPath)
        // After the SHA-256 is taken, so that both it and the table are of bytes that held still.
        let loaded = LoadedInput(table: table, bytes: input.size, sha256: sha.result)
        try input.requireUnchanged()
        return loaded
    }
}
