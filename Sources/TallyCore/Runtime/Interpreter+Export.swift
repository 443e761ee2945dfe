import Foundation
import TallyModel

/// What an export writes and where it may write it: the masked table for people, small-count
/// suppression, the writers, and the destination checks (moved out of Interpreter.swift to keep
/// each file short).
extension Interpreter {
    /// Rows grouped by a column's shown value, in value order (null as "").
    static func rowsByValue(_ column: Column, count: Int) -> [(value: String, rows: [Int])] {
        var groups: [String: [Int]] = [:]
        for row in 0..<count { groups[column.isNull(row) ? "" : column.value(row).display, default: []].append(row) }
        return groups.keys.sorted().map { ($0, groups[$0] ?? []) }
    }

    /// The table as an export writes it — masked when the run masks and the file is one for
    /// people (`ExportRequest.masked`) — and a sentence for the report saying what was masked,
    /// suppressed or left in clear (nil when the run masks and suppresses nothing).
    func maskedForExport(_ data: Table, _ request: ExportRequest, table: String) -> (Table, String?, numbers: Set<String>) {
        guard let privacy = exportPrivacy else { return (data, nil, []) }
        let lineage = lineage(table)
        guard request.masked else {
            let clear = privacy.maskedColumns(data, lineage: lineage)
            // Suppression applies to files for people too: say where it did not.
            let small = privacy.suppressBelow.map { Interpreter.smallCounts(data, lineage: lineage, below: $0) } ?? 0
            guard !clear.isEmpty || small > 0 else { return (data, nil, []) }
            let why: String
            if case .calpads = request.format {
                why = "a CALPADS file needs its SSIDs"
            } else if request.options.masked == false {
                why = "with unmasked"
            } else {
                why = "a data file; add with masked to mask it"
            }
            var parts: [String] = []
            if !clear.isEmpty { parts.append("\(clear.joined(separator: ", ")) written in clear") }
            if small > 0, let below = privacy.suppressBelow {
                parts.append(
                    "\(Format.plural(small, "count")) below \(below) written in clear"
                        + (request.options.masked == false ? "" : " (add with masked)"))
            }
            return (data, "not masked (\(why)): " + parts.joined(separator: "; "), [])
        }
        let result = privacy.apply(data, lineage: lineage)
        var parts: [String] = []
        if !result.masked.isEmpty { parts.append(result.masked.joined(separator: ", ") + " as tokens") }
        if let below = privacy.suppressBelow {
            parts.append(
                result.suppressed == 0
                    ? "no count below \(below) to suppress"
                    : "\(Format.plural(result.suppressed, "count")) below \(below) as *")
        }
        if parts.isEmpty { parts.append("no masked column in this table") }
        return (result.table, "masked: " + parts.joined(separator: "; "), Set(result.numbers))
    }

    /// Counts (integer columns an aggregate made) from 1 to `below - 1`: what suppression would
    /// have hidden in a file for people.
    static func smallCounts(_ data: Table, lineage: ColumnLineage, below: Int) -> Int {
        var small = 0
        for (k, name) in data.names.enumerated()
        where data.columns[k].type == .integer
            && Lineage.of(name, in: lineage).contains(ReportPrivacy.countMarker)
        {
            let column = data.columns[k]
            for row in 0..<data.rowCount where !column.isNull(row) {
                if case .integer(let v) = column.value(row), v > 0, v < Int64(below) { small += 1 }
            }
        }
        return small
    }

    /// Writes one export file (or one part of a split export) to its staging path: its size and
    /// the format as the cell names it.
    /// - Parameters:
    ///   - destination: the final path; a workbook several exports write gets a sheet from each.
    ///   - numbers: number columns that masking made text (their `*`s): still numbers in a workbook.
    func writeExport(
        _ data: Table, _ request: ExportRequest, to staged: String, destination: String, table: String,
        numbers: Set<String>, node: StatementNode
    ) throws -> (Int, String) {
        switch request.format {
        case .calpads(let type, let year, let extract):
            guard let layout = CalpadsWriter.layout(for: data, type: type, year: year) else {
                throw Diagnostic(.unknownLayout, "no CALPADS layout \(type)", file: file, line: node.line)
            }
            return (
                try CalpadsWriter.write(data, layout: layout, extract: extract, to: staged, displayPath: request.displayPath),
                "calpads \(layout.type)"
            )
        case .xlsx:
            let numberColumns = Set(data.names.indices.filter { numbers.contains(data.names[$0]) })
            var sheets = [XlsxWriter.Sheet(name: table, table: data, rows: Array(0..<data.rowCount), numbers: numberColumns)]
            if let by = request.sheetColumn, let column = data.column(by) {
                sheets = Interpreter.rowsByValue(column, count: data.rowCount).map {
                    XlsxWriter.Sheet(name: $0.value.isEmpty ? "(missing)" : $0.value, table: data, rows: $0.rows, numbers: numberColumns)
                }
                if sheets.isEmpty { sheets = [XlsxWriter.Sheet(name: table, table: data, rows: [])] }
            }
            // Several exports to one workbook: a sheet (or sheets) each, in statement order.
            let all = (workbooks[destination] ?? []) + sheets
            workbooks[destination] = all
            return (try XlsxWriter.write(all, to: staged), request.format.name)
        default:
            var writeOptions = DelimitedWriteOptions()
            switch request.format {
            case .tsv: writeOptions.delimiter = UInt8(ascii: "\t")
            case .delimited(let d): writeOptions.delimiter = d.utf8.first ?? UInt8(ascii: ",")
            default: break
            }
            if let d = request.options.delimiter?.utf8.first { writeOptions.delimiter = d }
            writeOptions.header = request.options.header
            writeOptions.dateFormat = request.options.dateFormat
            writeOptions.neutralizeFormulas = !request.options.raw
            var progress: ProgressHandler? = nil
            if let report = options.progress {
                let label = "export \(table)"
                progress = { done, total, rows in report(label, done, total, rows) }
            }
            return (try DelimitedWriter.write(data, to: staged, options: writeOptions, progress: progress), request.format.name)
        }
    }
}

extension Interpreter {
    /// An export may not replace one of the run's own inputs, write into a folder, replace a
    /// symbolic link, or leave the playbook's folder through a link in its path (`out` linked to
    /// a folder elsewhere): a playbook from someone else must not be a way to overwrite the files
    /// of the person who runs it. Checked before anything is written.
    func checkDestination(_ destination: String, shown: String, plan: Plan, node: StatementNode) throws {
        let fm = FileManager.default
        let real = Interpreter.realPath(destination)
        let known =
            realPaths ?? (
                plan.loads.values.map { (Interpreter.realPath($0.path), $0.displayPath) },
                baseDirectory.isEmpty ? "" : Interpreter.realPath(baseDirectory)
            )
        realPaths = known
        if let input = known.inputs.first(where: { $0.real == real }) {
            throw Diagnostic(
                .overwritesInput, .error, "export to \(shown) would overwrite \(input.shown), an input of this run", file: file,
                line: node.line,
                help: "export to another file; the run's inputs are never replaced")
        }
        if let target = try? fm.destinationOfSymbolicLink(atPath: destination) {
            throw Diagnostic(
                .exportNotAFile, .error, "\(shown) is a symbolic link (to \(target)): an export does not replace or write through a link",
                file: file, line: node.line,
                help: "remove the link, or export to another path")
        }
        var isFolder: ObjCBool = false
        if fm.fileExists(atPath: destination, isDirectory: &isFolder), isFolder.boolValue {
            throw Diagnostic(
                .exportNotAFile, .error, "\(shown) is a folder: an export needs a file name", file: file, line: node.line,
                help: "add a file name, e.g. \(shown)/export.csv")
        }
        // The folder (or the nearest one that exists, where folders will be made) must take new
        // files: found now, not when the first exports are already in place.
        var folder = (destination as NSString).deletingLastPathComponent
        while !folder.isEmpty, folder != "/", !fm.fileExists(atPath: folder) { folder = (folder as NSString).deletingLastPathComponent }
        if !fm.isWritableFile(atPath: folder.isEmpty ? "." : folder) {
            throw Diagnostic(
                .writeFailed, .error,
                "cannot write \(shown): its folder \(Checker.display(folder, relativeTo: options.displayBase)) is read-only", file: file,
                line: node.line,
                help: "export to a folder you can write to")
        }
        // Inside the playbook's folder (or one the command line allows), and never the store,
        // the cache, the playbook or a template: after the column's value is in the path.
        if let confinement, let refusal = confinement.refusal(destination) {
            throw Diagnostic(
                .exportRefused, .error, "cannot export to \(shown): \(refusal.message)", file: file, line: node.line, help: refusal.help)
        }
    }

    /// `path` with every symbolic link in its existing part resolved (the rest appended as is).
    static func realPath(_ path: String) -> String {
        var existing = Checker.lexical(path)
        var rest: [String] = []
        while !existing.isEmpty, existing != "/", !FileManager.default.fileExists(atPath: existing) {
            rest.insert((existing as NSString).lastPathComponent, at: 0)
            existing = (existing as NSString).deletingLastPathComponent
        }
        guard let resolved = realpath(existing, nil) else { return path }
        defer { free(resolved) }
        return ([String(cString: resolved)] + rest).joined(separator: "/").replacingOccurrences(of: "//", with: "/")
    }

    /// An `export`: masked as the run says, one file or one per value of a column, each staged beside its destination.
    func runExport(_ index: Int, _ node: StatementNode, _ plan: Plan, table: Name) throws -> CellResult {
        guard let request = plan.exports[index], let unmasked = tables[table.text] else {
            throw Diagnostic(.unknownTable, "unknown table \"\(table.text)\"", file: file, span: table.span)
        }
        var cell = CellResult(index: index, node: node, kind: .export)
        cell.rowsIn = unmasked.rowCount
        let (data, privacyNote, numbers) = maskedForExport(unmasked, request, table: table.text)
        // One file, or one per value of the column named in the path (a worklist per school).
        let groups: [(value: String?, rows: [Int])]
        if let split = request.splitColumn, let column = data.column(split) {
            groups = Interpreter.rowsByValue(column, count: data.rowCount).map { ($0.value, $0.rows) }
        } else {
            groups = [(nil, [])]
        }
        // Two values that make one file name ("a/b" and "a_b", "" and "(missing)") would leave
        // only the last value's rows in it: stop, naming both (masked like their column).
        if let split = request.splitColumn {
            var made: [String: String] = [:]
            for group in groups {
                guard let value = group.value else { continue }
                let destination = request.path(for: value, request.path)
                if let other = made[destination] {
                    quote(other, column: split, table: table.text)
                    quote(value, column: split, table: table.text)
                    throw Diagnostic(
                        .exportPath, .error,
                        "\(split) values \"\(other)\" and \"\(value)\" both make the file \(request.path(for: value, request.displayPath)): one would replace the other",
                        file: file, line: node.line, help: "derive a column whose values make distinct names, and split by it")
                }
                made[destination] = value
            }
        }
        var bytes = 0
        var format = request.format.name
        var written: [String] = []
        for group in groups {
            let destination = group.value.map { request.path(for: $0, request.path) } ?? request.path
            let part = group.value == nil ? data : data.gather(group.rows.map { Int32($0) })
            let shown = group.value.map { request.path(for: $0, request.displayPath) } ?? request.displayPath
            try checkDestination(destination, shown: shown, plan: plan, node: node)
            let staged: String
            do { staged = try staging.stage(for: destination, shown: shown, file: file, line: node.line) } catch {
                throw Diagnostic(
                    .writeFailed, .error, "cannot write \(shown): \((error as? Diagnostic)?.message ?? error.localizedDescription)",
                    file: file, line: node.line)
            }
            let earlier = workbooks[destination]?.count ?? 0
            let size: Int, writtenFormat: String
            do {
                (size, writtenFormat) = try writeExport(
                    part, request, to: staged, destination: destination, table: table.text,
                    numbers: numbers, node: node)
            } catch var d as Diagnostic where d.file == staged {
                // Name the export as the playbook does, not its staging file.
                d.message =
                    d.message.contains("the file")
                    ? d.message.replacingOccurrences(of: "the file", with: shown) : "\(shown): \(d.message)"
                d.file = file
                d.line = node.line
                throw d
            } catch let d as Diagnostic {
                throw d
            } catch {
                // A write the file system refused (a full disk, a quota, a file-size limit).
                throw Diagnostic(
                    .writeFailed, .error, "cannot write \(shown): \(error.localizedDescription)", file: file, line: node.line)
            }
            if request.options.map, case .calpads(let type, let year, _) = request.format,
                let layout = CalpadsWriter.layout(for: part, type: type, year: year)
            {
                let mapPath = destination + ".map", mapShown = shown + ".map"
                try checkDestination(mapPath, shown: mapShown, plan: plan, node: node)
                do {
                    let stagedMap = try staging.stage(for: mapPath, shown: mapShown, file: file, line: node.line)
                    _ = try DelimitedWriter.write(
                        CalpadsWriter.recordMap(part, layout: layout), to: stagedMap, options: DelimitedWriteOptions())
                } catch let d as Diagnostic {
                    throw Diagnostic(.writeFailed, .error, "cannot write \(mapShown): \(d.message)", file: file, line: node.line)
                } catch {
                    throw Diagnostic(
                        .writeFailed, .error, "cannot write \(mapShown): \(error.localizedDescription)", file: file, line: node.line)
                }
                cell.notes.append(
                    "record map \(mapShown): each record's Local Record ID, SSID and school with the file and line it came from")
            }
            if earlier > 0, group.value == nil {
                cell.notes.append("added to the workbook after \(Format.plural(earlier, "sheet")) from earlier exports")
            }
            bytes += size
            format = writtenFormat
            written.append(group.value.map { request.path(for: $0, request.displayPath) } ?? request.displayPath)
        }
        let shownPath =
            request.splitColumn.map { request.displayPath.replacingOccurrences(of: ExportRequest.placeholder($0), with: "{\($0)}") }
            ?? request.displayPath
        cell.export = ExportRecord(
            table: table.text, path: shownPath, format: format, rows: data.rowCount, bytes: bytes,
            privacy: privacyNote)
        if let privacyNote { cell.notes.append(privacyNote) }
        if !options.writeExports { cell.notes.append("preview: not written (tally run writes it)") }
        if let out = options.exportFolder {
            cell.notes.append(
                "written under --out \(Checker.display(Runner.absolute(out), relativeTo: options.displayBase)), not the playbook's folder"
            )
        }
        if let split = request.splitColumn {
            cell.notes.append(
                "\(Format.plural(written.count, "file")), one per \(split): " + written.prefix(3).joined(separator: ", ")
                    + (written.count > 3 ? ", …" : ""))
        }
        if let sheets = request.sheetColumn {
            let count = data.column(sheets).map { Interpreter.rowsByValue($0, count: data.rowCount).count } ?? 0
            cell.notes.append("\(Format.plural(count, "sheet")) per workbook, one per \(sheets)")
        }
        return cell
    }
}
