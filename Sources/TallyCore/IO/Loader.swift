/// Reads an input in the format a `load` statement names.
public enum Loader {
    public static func load(_ request: LoadRequest, progress: ProgressHandler?) throws -> Table {
        var options = DelimitedOptions()
        options.header = request.options.header
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
            return try CalpadsReader.read(input, type: layout, year: year, extract: extract,
                                          encoding: request.options.encoding, progress: progress).0
        case .xlsx(let sheet, let headerRow):
            return try XlsxReader.read(path: request.path, displayName: request.displayPath, sheet: sheet, headerRow: headerRow)
        case .sqlite:
            throw Diagnostic(.error, "reading \(request.format.name) files is not available in this version of Tally", file: request.displayPath,
                             help: "export it from the source system as CSV, or read a caret file with: as delimited \"^\" with header false, columns (...)")
        }
        if let d = request.options.delimiter?.utf8.first { options.delimiter = d }
        let input = try InputFile.read(path: request.path, displayName: request.displayPath)
        return try DelimitedReader.read(input, options: options, progress: progress)
    }
}
