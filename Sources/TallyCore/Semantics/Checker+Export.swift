import Foundation
import TallyModel

extension Checker {
    /// An `export`: where it may write (confinement), its format and options, worklists and workbooks.
    func checkExport(
        _ index: Int, _ node: StatementNode, table: Name, path: String, pathSpan: SourceSpan, format: FormatSpec?, options: IOOptions
    ) {
        guard let schema = lookup(table) else { return }
        record {
            // `{COLUMN}` in the path: a file per value (a column, where no parameter has the name).
            var template = path, splitColumn: String? = nil
            for name in Checker.braced(path) where params[name] == nil && schema.type(of: name) != nil {
                if let first = splitColumn, first != name {
                    throw error(
                        .exportPath, "an export splits by one column; this path uses {\(first)} and {\(name)}", pathSpan,
                        help: "derive one column from both first, e.g. derive folder = concat(\(first), \"-\", \(name))")
                }
                splitColumn = name
                template = template.replacingOccurrences(of: "{\(name)}", with: ExportRequest.placeholder(name))
            }
            if let split = options.split {
                guard schema.type(of: split.text) != nil else {
                    throw error(
                        .unknownColumn, "table \"\(table.text)\" has no column \"\(split.text)\" to split by", split.span,
                        help: Suggest.help(for: split.text, in: schema.names))
                }
                if let first = splitColumn {
                    throw error(
                        .exportPath, "this export is split by {\(first)} in its path and by \(split.text)", split.span,
                        help: "split by one column: leave out split by, or the braces")
                }
                // A folder per value, before the file name.
                splitColumn = split.text
                let folder = (template as NSString).deletingLastPathComponent
                template =
                    (folder.isEmpty ? "" : folder + "/") + ExportRequest.placeholder(split.text) + "/"
                    + (template as NSString).lastPathComponent
            }
            let resolved = try resolvePath(template, pathSpan, base: exportBase)
            // An input of the run (as the run says it, now at check time too).
            if confinement != nil {
                let real = ExportConfinement.realPath(ExportRequest.filled(resolved.path))
                for input in loads.values.sorted(by: { $0.displayPath < $1.displayPath })
                where !Loader.isPattern(input.path) && ExportConfinement.realPath(input.path) == real {
                    throw error(
                        .overwritesInput, "export to \(resolved.display) would overwrite \(input.displayPath), an input of this run",
                        pathSpan,
                        help: "export to another file; the run's inputs are never replaced")
                }
            }
            // Confined before anything runs: `tally check` reports it too.
            if let confinement, let refusal = confinement.refusal(ExportRequest.filled(resolved.path)) {
                throw error(.exportRefused, "cannot export to \(resolved.display): \(refusal.message)", pathSpan, help: refusal.help)
            }
            // (The path as written, {COLUMN} and all, for a message about its extension.)
            let written = resolved.path.split(separator: "\u{1}", omittingEmptySubsequences: false).enumerated()
                .map { $0.offset % 2 == 1 ? "{\($0.element)}" : String($0.element) }.joined()
            let fmt = try formatFor(format, path: written, span: pathSpan, verb: "write")
            var sheetColumn: String? = nil
            if options.map, let confinement, let refusal = confinement.refusal(ExportRequest.filled(resolved.path) + ".map") {
                throw error(
                    .exportRefused, "cannot export the record map \(resolved.display).map: \(refusal.message)", pathSpan,
                    help: refusal.help)
            }
            if options.map {
                guard case .calpads = fmt else {
                    throw error(
                        .exportOption, "map applies to a CALPADS export: it links each record written to the row it came from", pathSpan
                    )
                }
                if splitColumn != nil { throw error(.exportOption, "map applies to one CALPADS file, not a file per value", pathSpan) }
            }
            switch fmt {
            case .csv, .tsv, .delimited: break
            case .xlsx(let sheet, _):
                if options.raw {
                    throw error(
                        .exportOption, "a workbook's text is never run as a formula: raw applies to CSV, TSV and delimited exports",
                        pathSpan)
                }
                if let sheet, let name = Checker.braced(sheet).first {
                    guard schema.type(of: name) != nil else {
                        throw error(
                            .unknownColumn, "table \"\(table.text)\" has no column \"\(name)\" to make a sheet per value of", pathSpan,
                            help: Suggest.help(for: name, in: schema.names))
                    }
                    sheetColumn = name
                }
            case .calpads(let type, let year, _):
                if options.raw {
                    throw error(
                        .exportOption, "a CALPADS file is always written exactly as its layout says: raw does not apply", pathSpan)
                }
                if options.masked == true {
                    throw error(
                        .exportOption, "a CALPADS file is never masked: the state matches its records by SSID", pathSpan,
                        help: "export a masked copy as csv or xlsx for people to read")
                }
                guard let layout = CalpadsWriter.layout(for: nil, type: type, year: year) else {
                    throw error(
                        .unknownLayout, "no CALPADS layout \(type)\(year.map { " for \($0)" } ?? "")", pathSpan,
                        help: Suggest.help(for: type, in: CalpadsLayouts.types, noun: "layouts"))
                }
                if let schema = tables[table.text] {
                    let missing = CalpadsWriter.missingRequired(schema, layout)
                    if !missing.isEmpty {
                        throw error(
                            .exportOption,
                            "\(table.text) lacks required \(type) field\(missing.count == 1 ? "" : "s") "
                                + missing.prefix(6).map { "\($0.number) \($0.name)" }.joined(separator: ", ")
                                + (missing.count > 6 ? ", ..." : ""), table.span,
                            help: "a CALPADS file needs every required field; derive or select them first")
                    }
                }
            case .calpadsErrors, .calpadsRejected, .calpadsReport:
                throw error(
                    .exportOption, "\(fmt.name) is a file CALPADS sends back: Tally reads it but never writes it", pathSpan,
                    help: "export as csv, tsv or xlsx")
            default:
                throw error(
                    .exportOption, "exporting as \(fmt.name) is not available in this version of Tally", pathSpan,
                    help: "export as csv, tsv or delimited \"^\"")
            }
            // Two exports to one file: only a workbook takes both (a sheet each); any other file
            // would silently keep only the last.
            if case .xlsx = fmt {
            } else if let earlier = exports.values.first(where: { request in
                if case .xlsx = request.format { return false }
                return request.path == resolved.path
            }),
                let line = exportLines[earlier.path], line != pathSpan.line
            {
                throw error(
                    .overwritesInput, "line \(line) exports to \(resolved.display) too: the second export would replace the first",
                    pathSpan,
                    help: "export each table to a file of its own (or both as sheets of one xlsx workbook)")
            }
            exportLines[resolved.path] = pathSpan.line
            exports[index] = ExportRequest(
                table: table.text, path: resolved.path, displayPath: resolved.display,
                format: fmt, options: options, splitColumn: splitColumn, sheetColumn: sheetColumn)
        }
    }
}
