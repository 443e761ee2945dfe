import TallyModel

/// The notebook `tally run` prints: one block per cell, then a summary.
public struct TerminalReport {
    public var color: Bool
    /// Off in golden tests, where elapsed times would make output differ run to run.
    public var timings: Bool

    var currentNumber = 0
    var stopped = false

    public init(color: Bool, timings: Bool) { self.color = color; self.timings = timings }

    /// Tally's own colours are written as this marker, and become escape sequences only after
    /// every control character of the text — data, titles, messages, paths, the playbook's own
    /// lines — was made visible (`TerminalText`): the one ESC left in the output is Tally's.
    /// The marker is random per process, so no value in a file can spell it.
    static let colorMarker = "\u{E000}" + String(UInt64.random(in: 1...UInt64.max), radix: 36) + "\u{E001}"

    func paint(_ s: String, _ code: String) -> String {
        color ? "\(TerminalReport.colorMarker)\(code)m\(s)\(TerminalReport.colorMarker)0m" : s
    }
    func bold(_ s: String) -> String { paint(s, "1") }
    func dim(_ s: String) -> String { paint(s, "2") }
    func red(_ s: String) -> String { paint(s, "31;1") }
    func yellow(_ s: String) -> String { paint(s, "33;1") }
    func green(_ s: String) -> String { paint(s, "32") }

    public func render(_ record: RunRecord) -> String {
        var copy = self
        copy.stopped = record.exitStatus == 2
        return TerminalReport.finish(copy.renderRecord(record))
    }

    /// Control characters made visible, then Tally's colour markers made escape sequences.
    static func finish(_ text: String) -> String {
        TerminalText.visible(text).replacingOccurrences(of: colorMarker, with: "\u{1B}[")
    }

    func renderRecord(_ record: RunRecord) -> String {
        var out: [String] = []
        out.append(bold(record.title) + dim("  (\(record.playbookPath))"))
        if !record.params.isEmpty {
            out.append("parameters: " + record.params.map { "\($0.name) = \($0.value)" }.joined(separator: ", "))
        }
        if !record.checkWarnings.isEmpty {
            out.append("")
            out.append(
                record.checkWarnings.map { colorWarning($0.render(source: $0.column > 0 ? record.playbookSource : nil)) }
                    .joined(separator: "\n\n"))
        }
        var number = 0
        for cell in record.cells where cell.kind != .param {
            number += 1
            out.append("")
            out.append(renderCell(cell, number: number))
        }
        if !record.errors.isEmpty {
            out.append("")
            for error in record.errors {
                let source = error.file == record.playbookPath ? record.playbookSource : nil
                out.append(colorDiagnostic(error.render(source: source)))
            }
        }
        if !record.notes.isEmpty {
            out.append("")
            for note in record.notes { out.append(dim("note: ") + note) }
        }
        out.append("")
        out.append(summary(record))
        return out.joined(separator: "\n") + "\n"
    }

    func colorWarning(_ text: String) -> String {
        guard color else { return text }
        return text.replacingFirst(": warning:", with: ": " + yellow("warning") + ":")
    }

    func colorDiagnostic(_ text: String) -> String {
        guard color else { return text }
        return text.replacingFirst(": error:", with: ": " + red("error") + ":")
    }

    func header(_ cell: CellResult, _ title: String, status: String? = nil) -> String {
        var line = bold("[\(currentNumber)] \(title)") + dim("  line \(cell.line)")
        if let status { line += "  " + status }
        if cell.status == .cached { line += dim("  cached") } else if timings { line += dim("  \(Format.seconds(cell.elapsed))") }
        return line
    }

    func renderCell(_ cell: CellResult, number: Int) -> String {
        var copy = self
        copy.currentNumber = number
        return copy.renderCell(cell)
    }

    func renderCell(_ cell: CellResult) -> String {
        var lines: [String] = []
        for n in cell.narrative { lines.append(dim("  ## " + n)) }
        if cell.status == .notRun {
            lines.append(
                header(
                    cell,
                    cell.kind == .load || cell.kind == .pipeline
                        ? "\(cell.kind == .load ? "load " : "")\(cell.table ?? "")" : cell.kind.rawValue)
                    + dim("  not run"))
            lines.append(statement(cell))
            return lines.joined(separator: "\n")
        }
        switch cell.kind {
        case .load:
            lines.append(header(cell, "load \(cell.table ?? "")"))
            lines.append(statement(cell))
            if let input = cell.input {
                lines.append(
                    "    → \(Format.count(input.rows)) rows × \(input.columns) columns from \(input.path) (\(Format.bytes(input.bytes)))")
            }
            for note in cell.notes { lines.append("    " + yellow("note: ") + note) }
            if let schema = cell.schema {
                let shown = schema.columns.prefix(12).map { "\($0.name): \($0.type.rawValue)" }.joined(separator: ", ")
                lines.append(dim("    columns: " + shown + (schema.columns.count > 12 ? ", … (\(schema.columns.count) in all)" : "")))
            }
        case .pipeline:
            lines.append(header(cell, cell.table ?? ""))
            lines.append(statement(cell))
            for step in cell.steps { lines.append(renderStep(step)) }
            lines.append("    → \(cell.table ?? ""): \(Format.plural(cell.rowsOut ?? 0, "row"))")
        case .assert, .compare:
            guard let check = cell.check else { break }
            let status: String
            if check.passed {
                status = green("passed")
            } else if check.acknowledged != nil {
                status = dim("acknowledged")
            } else if check.severity == .warning {
                status = yellow("WARNING")
            } else {
                status = red("FAILED")
            }
            lines.append(header(cell, cell.kind == .assert ? "assert" : "compare", status: status))
            lines.append(statement(cell))
            if !check.passed, let message = check.message { lines.append("    " + bold(message)) }
            if let reason = check.acknowledged { lines.append("    acknowledged, failing rows unchanged: \(reason)") }
            if let detail = check.detail { lines.append("    " + detail) }
            if !check.passed, var rows = check.failingRows {
                // The terminal shows ten; reports keep them all.
                rows.rows = Array(rows.rows.prefix(10))
                rows.locations = Array(rows.locations.prefix(10))
                lines.append(
                    "    \(Format.count(check.failingCount)) failing row\(check.failingCount == 1 ? "" : "s")"
                        + (check.failingCount > rows.rows.count ? ", first \(rows.rows.count):" : ":"))
                lines.append(previewTable(rows, withLocations: true))
            }
            if cell.kind == .compare, var preview = cell.preview, !preview.rows.isEmpty {
                let all = preview.rows.count
                preview.rows = Array(preview.rows.prefix(20))
                lines.append(all > 20 ? "    rows not ok, first 20 of \(Format.count(all)):" : "    rows not ok:")
                lines.append(previewTable(preview, withLocations: false))
            }
        case .export:
            lines.append(header(cell, "export"))
            lines.append(statement(cell))
            if let e = cell.export {
                if stopped {
                    lines.append("    → \(Format.plural(e.rows, "row")) for \(e.path): not written, the run stopped")
                } else {
                    lines.append("    → \(Format.plural(e.rows, "row")) to \(e.path) (\(Format.bytes(e.bytes)))")
                    for note in cell.notes { lines.append("    " + note) }
                }
            }
        case .save, .snapshot:
            lines.append(header(cell, cell.kind.rawValue))
            lines.append(statement(cell))
            for note in cell.notes { lines.append("    → " + note) }
        case .chart:
            lines.append(header(cell, "chart"))
            lines.append(statement(cell))
            if let preview = cell.preview, let spec = cell.chart { lines += ChartFragments.text(preview, spec: spec) }
        case .counts:
            lines.append(header(cell, "counts"))
            lines.append(statement(cell))
            for note in cell.notes { lines.append("    → " + note) }
            if let preview = cell.preview {
                lines.append(previewTable(HTMLFragments.nullsShown(preview), withLocations: false, maxColumns: 12))
                lines.append(dim("    \(Format.plural(preview.totalRows, "value")), \(Format.plural(cell.rowsIn ?? 0, "row")) in all"))
            }
        case .show, .profile, .track:
            lines.append(header(cell, cell.kind.rawValue))
            lines.append(statement(cell))
            if let filter = cell.steps.first, let all = cell.rowsIn {
                lines.append("    where     \(Format.count(all)) → \(Format.count(filter.rowsOut))")
            }
            for note in cell.notes { lines.append("    → " + note) }
            if let preview = cell.preview {
                lines.append(previewTable(preview, withLocations: false, maxColumns: 12))
                if preview.totalRows > preview.rows.count {
                    lines.append(
                        dim(
                            "    … \(Format.count(preview.totalRows - preview.rows.count)) more rows (\(Format.count(preview.totalRows)) in all)"
                        ))
                } else {
                    lines.append(dim("    \(Format.count(preview.totalRows)) row\(preview.totalRows == 1 ? "" : "s")"))
                }
            }
        default:
            lines.append(header(cell, cell.kind.rawValue))
            lines.append(statement(cell))
        }
        return lines.joined(separator: "\n")
    }

    func statement(_ cell: CellResult) -> String {
        cell.text.split(separator: "\n", omittingEmptySubsequences: false).map { dim("    " + $0) }.joined(separator: "\n")
    }

    func renderStep(_ step: StepResult) -> String {
        let line = "    " + step.keyword.padding(9) + " \(Format.count(step.rowsIn)) → \(Format.count(step.rowsOut))"
        let detail = TerminalReport.stepDetail(step)
        return detail.isEmpty ? line : line + "   " + detail
    }

    /// What a step did besides its row counts: drop reasons, join matches, groups.
    public static func stepDetail(_ step: StepResult) -> String {
        switch step.keyword {
        case "filter":
            let dropped = step.droppedFalse + step.droppedNull
            return
                ((dropped > 0
                ? ["dropped \(Format.count(dropped)): \(Format.count(step.droppedFalse)) false, \(Format.count(step.droppedNull)) null"]
                : [])
                + step.notes).joined(separator: "; ")
        case "distinct":
            return step.droppedFalse > 0 ? "removed \(Format.count(step.droppedFalse)) duplicates" : ""
        case "join":
            guard let j = step.join else { return "" }
            var text = "left: \(Format.count(j.leftMatched)) matched, \(Format.count(j.leftUnmatched)) unmatched"
            if j.leftNullKeys > 0 { text += " (\(Format.count(j.leftNullKeys)) null keys)" }
            text += "; right: \(Format.count(j.rightMatched)) matched, \(Format.count(j.rightUnmatched)) unmatched"
            return ([text] + step.notes).joined(separator: "; ")
        case "derive":
            // Only what needs attention (values that were not numbers), not each column's type.
            return step.notes.filter { $0.hasPrefix("warning: ") }.joined(separator: "; ")
        default:
            return step.notes.joined(separator: "; ")
        }
    }

    func previewTable(_ preview: Preview, withLocations: Bool, maxColumns: Int = 8) -> String {
        var header = preview.columns
        var rows = preview.rows.map { row in
            row.enumerated().map { k, v in
                guard let v else { return "·" }
                return preview.types[k] == "decimal" ? Format.decimal(v) : v
            }
        }
        // Wide tables: keep the first columns so the source line stays on screen.
        if header.count > maxColumns {
            header = Array(header.prefix(maxColumns)) + ["… \(header.count - maxColumns) more"]
            rows = rows.map { Array($0.prefix(maxColumns)) + ["…"] }
        }
        if withLocations, !preview.locations.isEmpty {
            header.append("source")
            for k in 0..<rows.count { rows[k].append(k < preview.locations.count ? preview.locations[k] ?? "" : "") }
        }
        let numeric = Set(
            preview.types.enumerated().filter { ["integer", "decimal"].contains($0.element) }.map(\.offset).filter { $0 < maxColumns })
        let last: Set<Int> = withLocations && !preview.locations.isEmpty ? [header.count - 1] : []
        return TextTable.render(header: header, rows: rows, rightAlign: numeric, uncut: last)
    }

    func summary(_ record: RunRecord) -> String {
        var lines = [bold("Summary")]
        let checks = record.checks
        var parts = ["\(record.checksPassed) passed"]
        parts.append(record.checksFailed > 0 ? red("\(record.checksFailed) failed") : "0 failed")
        parts.append(record.warnings > 0 ? yellow("\(record.warnings) warning\(record.warnings == 1 ? "" : "s")") : "0 warnings")
        lines.append("  checks:  \(checks.count) run — " + parts.joined(separator: ", "))
        for check in checks where !check.passed {
            let tag = check.acknowledged != nil ? dim("acknowledged") : check.severity == .warning ? yellow("warning") : red("error")
            lines.append("    \(tag) line \(check.line): \(check.message ?? check.predicate)")
        }
        if record.exitStatus == 2 {
            lines.append("  exports: none written (the run stopped)")
        } else if record.exports.isEmpty {
            lines.append("  exports: none")
        } else {
            lines.append("  exports: " + record.exports.map { "\($0.path) (\(Format.plural($0.rows, "row")))" }.joined(separator: ", "))
        }
        let cached = record.cells.filter { $0.status == .cached }.count
        if cached > 0 { lines.append("  cache:   \(Format.plural(cached, "cell")) taken from the cache (nothing they depend on changed)") }
        if let partial = record.partial {
            let skipped = record.cells.filter { $0.status == .notRun }.count
            lines.append("  partial: \(partial) — \(Format.plural(skipped, "cell")) not run; this run is never a baseline")
        }
        if let id = record.runId, let path = record.storePath {
            lines.append("  ledger:  run \(id) recorded in \(path)")
        }
        // A partial run's last line never reads as a whole run's pass (it is what a scheduler logs).
        let notRun = record.partial.map { " (\(Format.count(record.checksNotRun)) not run: \($0))" } ?? ""
        switch record.exitStatus {
        case 0 where record.partial != nil:
            let ran = record.checks.count
            lines.append(
                "  exit 0: "
                    + green(
                        ran == 0
                            ? "no check ran" : ran == 1 ? "the 1 check that ran passed" : "the \(Format.count(ran)) checks that ran passed")
                    + notRun)
        case 0: lines.append("  exit 0: " + green("all error-severity checks passed"))
        case 1: lines.append("  exit 1: " + red("an error-severity check failed") + notRun)
        default: lines.append("  exit 2: " + red("the playbook could not be run"))
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }

    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
