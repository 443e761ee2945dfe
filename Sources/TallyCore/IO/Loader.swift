import Foundation

/// A loaded input with what the ledger records about its file.
public struct LoadedInput: Sendable {
    public var table: Table
    public var bytes: Int
    public var sha256: String
}

/// Reads an input in the format a `load` statement names.
public enum Loader {
    public static func load(_ request: LoadRequest, progress: ProgressHandler?) throws -> Table {
        try read(request, progress: progress, fingerprint: false).table
    }

    /// SHA-256 of an input's bytes, computed on another core while the input is parsed.
    final class PendingFingerprint: @unchecked Sendable {
        private var value = ""
        private let group = DispatchGroup()
        init(_ input: InputFile?) {
            guard let input else { return }
            DispatchQueue.global().async(group: group) { self.value = Fingerprint.sha256(input.bytes) }
        }
        var result: String { group.wait(); return value }
    }

    /// Reads the input and fingerprints it from the bytes already in memory, so the file is
    /// read once (a 1M-student SENR is 116 MB).
    /// - Parameter fingerprint: compute the file's SHA-256 (for the ledger and reports).
    public static func read(_ request: LoadRequest, progress: ProgressHandler?, fingerprint: Bool = true) throws -> LoadedInput {
        var options = DelimitedOptions()
        options.header = request.options.header
        options.headerGiven = request.options.headerGiven
        options.encoding = request.options.encoding
        options.missing = request.options.missing
        options.columns = request.options.columns
        options.dateFormat = request.options.dateFormat
        switch request.format {
        case .csv: options.delimiter = UInt8(ascii: ",")
        case .tsv: options.delimiter = UInt8(ascii: "\t")
        case .delimited(let d): options.delimiter = d.utf8.first ?? UInt8(ascii: ",")
        case .calpads(let layout, let year, let extract):
            let input = try InputFile.read(path: request.path, displayName: request.displayPath)
            let sha = PendingFingerprint(fingerprint ? input : nil)
            let table = try CalpadsReader.read(input, type: layout, year: year, extract: extract,
                                               encoding: request.options.encoding, progress: progress).0
            return LoadedInput(table: table, bytes: input.size, sha256: sha.result)
        case .xlsx(let sheet, let headerRow):
            // The workbook is read through ZIPFoundation; hashing it is one more read of a
            // compressed file of a few megabytes.
            let table = try XlsxReader.read(path: request.path, displayName: request.displayPath, sheet: sheet, headerRow: headerRow)
            let input = try InputFile.read(path: request.path, displayName: request.displayPath)
            return LoadedInput(table: table, bytes: input.size, sha256: Fingerprint.sha256(input.bytes))
        case .sqlite:
            throw Diagnostic(.error, "reading \(request.format.name) files is not available in this version of Tally", file: request.displayPath,
                             help: "export it from the source system as CSV, or read a caret file with: as delimited \"^\" with header false, columns (...)")
        }
        if let d = request.options.delimiter?.utf8.first { options.delimiter = d }
        let input = try InputFile.read(path: request.path, displayName: request.displayPath)
        let sha = PendingFingerprint(fingerprint ? input : nil)
        let table = try DelimitedReader.read(input, options: options, progress: progress)
        return LoadedInput(table: table, bytes: input.size, sha256: sha.result)
    }
}
