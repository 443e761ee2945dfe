import TallyModel

/// HTML pieces of a report cell: step waterfalls, tables, failing rows, charts.
enum HTMLFragments {
    static func e(_ s: String) -> String { ReportRenderer.escape(s) }

    static func result(_ cell: ReportRecord.Cell, privacy: ReportPrivacy) -> String {
        var out = ""
        if let input = cell.input {
            out +=
                "<p class=\"meta\">\(Format.count(input.rows)) rows × \(input.columns) columns from <code>\(e(input.path))</code> (\(Format.bytes(input.bytes)))</p>"
        }
        for note in cell.notes { out += "<p class=\"note\">\(e(note))</p>" }
        if !cell.steps.isEmpty { out += waterfall(cell) }
        if let check = cell.check {
            if !check.passed, let message = check.message { out += "<p class=\"message\">\(e(message))</p>" }
            if let reason = check.acknowledged { out += "<p class=\"note\">Acknowledged, failing rows unchanged: \(e(reason))</p>" }
            if let detail = check.detail { out += "<p class=\"detail\">\(e(detail))</p>" }
            if !check.passed, let rows = check.failingRows {
                let more =
                    check.failingCount > rows.rows.count
                    ? " (the first \(Format.count(rows.rows.count)) are here: export the table for all)" : ""
                out += "<p>\(Format.plural(check.failingCount, "failing row"))\(more), with the file and line to fix:</p>"
                out += pagedTable(narrow(rows))
            }
        }
        if let export = cell.export {
            out +=
                "<p class=\"meta\">\(Format.plural(export.rows, "row")) to <code>\(e(export.path))</code> (\(Format.bytes(export.bytes)))</p>"
        }
        if let preview = cell.preview {
            if cell.kind == .compare {
                out += differenceChart(preview, summary: cell.comparison, privacy: privacy)
                out += pagedTable(preview, locations: false, highlightStatus: true)
            } else if cell.kind == .pipeline {
                out += chart(preview, compare: false, privacy: privacy)
            } else if cell.kind == .chart {
                out += ChartFragments.html(cell, privacy: privacy)
            } else if cell.showAll == true {
                // Every row: the first ten in view, the rest in collapsed pages (as failing rows).
                out += pagedTable(preview, locations: false)
                if preview.totalRows > preview.rows.count {
                    out +=
                        "<p class=\"note\">\(Format.count(preview.totalRows - preview.rows.count)) more rows — use export to read them all (a report keeps the first \(Format.count(preview.rows.count))).</p>"
                }
            } else if cell.kind == .counts {
                out += table(nullsShown(preview), locations: false, highlightStatus: false)
                if preview.totalRows > preview.rows.count {
                    out += "<p class=\"meta\">\(Format.count(preview.rows.count)) of \(Format.count(preview.totalRows)) values shown.</p>"
                }
            } else {
                out += table(preview, locations: false, highlightStatus: false)
                if preview.totalRows > preview.rows.count {
                    out += "<p class=\"meta\">\(Format.count(preview.rows.count)) of \(Format.count(preview.totalRows)) rows shown.</p>"
                }
            }
        }
        return out
    }

    /// `counts` counts null as a value of its own, written `null` (the other tables show `·`).
    static func nullsShown(_ p: Preview) -> Preview {
        var q = p
        let keys = max(0, p.columns.count - 2)
        q.rows = p.rows.map { row in row.enumerated().map { k, v in k < keys ? v ?? "null" : v } }
        return q
    }

    /// Rows in and out of each step, with bars proportional to the rows.
    static func waterfall(_ cell: ReportRecord.Cell) -> String {
        let most = max(1, cell.steps.map { max($0.rowsIn, $0.rowsOut) }.max() ?? 1)
        var out =
            "<table class=\"steps\"><thead><tr><th>step</th><th class=\"n\">rows in</th><th class=\"n\">rows out</th><th></th><th>what happened</th></tr></thead><tbody>"
        for step in cell.steps {
            let width = Int(saturating: Double(step.rowsOut) / Double(most) * 160)
            out +=
                "<tr><td>\(e(step.keyword))</td><td class=\"n\">\(Format.count(step.rowsIn))</td><td class=\"n\">\(Format.count(step.rowsOut))</td>"
            out +=
                "<td><svg width=\"164\" height=\"12\" role=\"img\" aria-label=\"\(step.rowsOut) rows\"><rect x=\"0\" y=\"2\" width=\"\(max(1, width))\" height=\"8\" fill=\"#4a7bb7\"/></svg></td>"
            out += "<td>\(e(step.detail))</td></tr>"
        }
        return out + "</tbody></table>"
    }

    /// Failing rows, all of them: the first ten in view, the rest in collapsed pages of 200
    /// (no script: `<details>` opens each page).
    static func pagedTable(_ p: Preview, first: Int = 10, page: Int = 200, locations: Bool = true, highlightStatus: Bool = false) -> String
    {
        func slice(_ range: Range<Int>) -> Preview {
            var q = p
            q.rows = Array(p.rows[range])
            q.locations = p.locations.isEmpty ? [] : Array(p.locations[range])
            return q
        }
        let n = p.rows.count
        var out = table(slice(0..<min(first, n)), locations: locations, highlightStatus: highlightStatus)
        var start = first
        while start < n {
            let end = min(n, start + page)
            out += "<details class=\"rows\"><summary>rows \(Format.count(start + 1))–\(Format.count(end)) of \(Format.count(n))</summary>"
            out += table(slice(start..<end), locations: locations, highlightStatus: highlightStatus) + "</details>"
            start = end
        }
        return out
    }

    /// Failing rows: the check's key columns first, at most eight, so the source stays in view.
    static func narrow(_ p: Preview) -> Preview {
        guard p.columns.count > 8 else { return p }
        var q = p
        q.columns = Array(p.columns.prefix(8))
        q.types = Array(p.types.prefix(8))
        q.rows = p.rows.map { Array($0.prefix(8)) }
        return q
    }

    static func table(_ p: Preview, locations: Bool, highlightStatus: Bool) -> String {
        var out = "<div class=\"scroll\"><table class=\"data\"><thead><tr>"
        for c in p.columns { out += "<th>\(e(c))</th>" }
        if locations, !p.locations.isEmpty { out += "<th>source</th>" }
        out += "</tr></thead><tbody>"
        let statusIndex = p.columns.firstIndex(of: "status")
        for (r, row) in p.rows.enumerated() {
            var rowClass = ""
            if highlightStatus, let k = statusIndex, let status = row[k], Comparison.failing.contains(status) {
                rowClass = " class=\"bad\""
            }
            out += "<tr\(rowClass)>"
            for (k, value) in row.enumerated() {
                let numeric = ["integer", "decimal"].contains(p.types.indices.contains(k) ? p.types[k] : "")
                let shown = value.map { p.types.indices.contains(k) && p.types[k] == "decimal" ? Format.decimal($0) : $0 }
                out += "<td\(numeric ? " class=\"n\"" : "")>\(shown.map(e) ?? "<span class=\"null\">·</span>")</td>"
            }
            if locations, r < p.locations.count { out += "<td><code>\(e(p.locations[r] ?? ""))</code></td>" }
            out += "</tr>"
        }
        return out + "</tbody></table></div>"
    }

    /// Okabe–Ito colours: told apart with any colour vision.
    static let blue = "#0072B2", vermillion = "#D55E00", orange = "#E69F00", grey = "#999999"

    /// Key labels wrapped to lines of at most `width` characters (never cut).
    static func wrap(_ label: String, width: Int = 34) -> [String] {
        var lines: [String] = [], line = ""
        for word in label.split(separator: " ", omittingEmptySubsequences: false).map(String.init) {
            var w = word
            while w.count > width {
                if !line.isEmpty { lines.append(line); line = "" }
                lines.append(String(w.prefix(width))); w = String(w.dropFirst(width))
            }
            if line.isEmpty { line = w } else if line.count + 1 + w.count <= width { line += " " + w } else { lines.append(line); line = w }
        }
        if !line.isEmpty || lines.isEmpty { lines.append(line) }
        return lines
    }

    static func number(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return Format.count(Int(v)) }
        let text = Format.decimal(Value.formatDecimal(v))
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }

    /// SVG text lines for a label, right-aligned at x, centred on y.
    static func labelText(_ lines: [String], x: Int, y: Int) -> String {
        var out = "<text x=\"\(x)\" y=\"\(y - (lines.count - 1) * 6 + 4)\" text-anchor=\"end\" font-size=\"11\">"
        for (i, line) in lines.enumerated() { out += "<tspan x=\"\(x)\" dy=\"\(i == 0 ? 0 : 12)\">\(e(line))</tspan>" }
        return out + "</text>"
    }

    /// A horizontal bar chart (inline SVG) of an aggregate: the largest groups first, at most
    /// 25 of them, each bar with its value; labels wrapped, never clipped. Suppressed counts (`*`)
    /// get no bar.
    static func chart(_ p: Preview, compare: Bool, privacy: ReportPrivacy) -> String {
        let numericColumns = p.types.indices.filter { ["integer", "decimal"].contains(p.types[$0]) }
        guard let valueColumn = numericColumns.first, !p.rows.isEmpty else { return "" }
        let keyColumns = p.columns.indices.filter { !numericColumns.contains($0) && p.columns[$0] != "status" }
        let shownLimit = 25
        let ordered = p.rows.sorted { (a, b) in (a[valueColumn].flatMap(Double.init) ?? -1) > (b[valueColumn].flatMap(Double.init) ?? -1) }
        let rows = Array(ordered.prefix(shownLimit))
        let values = rows.map { $0[valueColumn].flatMap(Double.init) }
        let suppressed = rows.filter { $0[valueColumn] == "*" }.count
        var notes: [String] = []
        if suppressed > 0, let limit = privacy.suppressBelow {
            // A bar's length would give a suppressed count away: such a count gets none.
            if values.allSatisfy({ $0 == nil }) {
                return "<p class=\"note\">No chart: every count here is below \(limit) and suppressed.</p>"
            }
            notes.append("\(Format.plural(suppressed, "count")) below \(limit) suppressed (*, no bar)")
        }
        let labels = rows.map { row in wrap(keyColumns.map { row[$0] ?? "·" }.joined(separator: " / ")) }
        let longest = labels.flatMap { $0 }.map(\.count).max() ?? 4
        let labelWidth = min(240, max(60, longest * 7 + 10)), plot = 420, barHeight = 14
        let largest = max(1, values.compactMap { $0 }.max() ?? 1)
        var y = 4
        var body = ""
        for (i, row) in rows.enumerated() {
            let h = max(barHeight, labels[i].count * 12) + 6
            body += labelText(labels[i], x: labelWidth - 6, y: y + h / 2)
            if let value = values[i] {
                let w = max(1, min(plot, Int(saturating: value / largest * Double(plot))))
                body +=
                    "<rect x=\"\(labelWidth)\" y=\"\(y + (h - barHeight) / 2)\" width=\"\(w)\" height=\"\(barHeight)\" fill=\"\(blue)\"/>"
                body += "<text x=\"\(labelWidth + w + 4)\" y=\"\(y + h / 2 + 4)\" font-size=\"11\">\(e(number(value)))</text>"
            } else {
                body += "<text x=\"\(labelWidth + 4)\" y=\"\(y + h / 2 + 4)\" font-size=\"11\">\(e(row[valueColumn] ?? "·"))</text>"
            }
            y += h
        }
        let width = labelWidth + plot + 70
        var svg =
            "<figure class=\"chart\"><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(y + 4)\" width=\"\(width)\" style=\"max-width:100%;height:auto\" role=\"img\" aria-label=\"bar chart of \(e(p.columns[valueColumn]))\">"
        svg += body + "</svg>"
        let groups = p.totalRows
        var caption = "\(e(p.columns[valueColumn])) by \(e(keyColumns.map { p.columns[$0] }.joined(separator: ", ")))"
        if groups > rows.count {
            caption +=
                ": the \(rows.count) largest of \(Format.count(groups)) groups"
                + (p.rows.count < groups ? " (of the first \(Format.count(p.rows.count)) kept)" : "")
                + "; \(Format.count(groups - rows.count)) smaller ones not drawn"
        } else {
            caption += ": all \(Format.plural(groups, "group"))"
        }
        notes.insert(caption, at: 0)
        return svg + "<figcaption>\(notes.joined(separator: "; "))</figcaption></figure>"
    }

    /// A comparison's difference chart: for each key not ok, a bar from zero to actual − expected
    /// (vermillion outside the tolerance, blue inside), over a grey band as wide as the tolerance
    /// allows, with "actual vs expected" beside it; the largest differences first.
    static func differenceChart(_ p: Preview, summary: ComparisonSummary?, privacy: ReportPrivacy) -> String {
        guard let a = p.columns.firstIndex(of: "actual"), let x = p.columns.firstIndex(of: "expected"),
            let d = p.columns.firstIndex(of: "difference"), let s = p.columns.firstIndex(of: "status")
        else { return "" }
        let keyColumns = p.columns.indices.filter { ![a, x, d, s].contains($0) && p.columns[$0] != "percent" }
        var caption: [String] = []
        if let summary {
            let totals =
                summary.actualTotal < 0 || summary.expectedTotal < 0
                ? ""
                : "; totals: actual \(number(summary.actualTotal)), expected \(number(summary.expectedTotal)), difference \(number(summary.actualTotal - summary.expectedTotal))"
            let tolerance = [summary.tolerancePercent.map { "\(number($0))%" }, summary.toleranceAbsolute.map(number)].compactMap { $0 }
            caption.append(
                "\(Format.plural(summary.keys, "key")) compared, \(Format.count(summary.ok)) within "
                    + (tolerance.isEmpty ? "an exact match" : "the tolerance (\(tolerance.joined(separator: " or ")))") + totals)
        }
        guard !p.rows.isEmpty else {
            return "<p class=\"meta\">\(e(caption.first ?? "")). Every key is within the tolerance: no chart needed.</p>"
        }
        let rows = Array(
            p.rows.sorted { abs($0[d].flatMap(Double.init) ?? .infinity) > abs($1[d].flatMap(Double.init) ?? .infinity) }.prefix(25))
        let diffs = rows.map { $0[d].flatMap(Double.init) }
        let allowed = rows.map { row in summary?.allowed(expected: row[x].flatMap(Double.init)) ?? 0 }
        let scale = max(1, (diffs.compactMap { $0.map(abs) } + allowed).max() ?? 1)
        let labels = rows.map { row in wrap(keyColumns.map { row[$0] ?? "·" }.joined(separator: " / ")) }
        let longest = labels.flatMap { $0 }.map(\.count).max() ?? 4
        let labelWidth = min(240, max(60, longest * 7 + 10)), half = 170, barHeight = 12
        let zero = labelWidth + 10 + half
        var y = 18
        var body = "<text x=\"\(zero)\" y=\"11\" text-anchor=\"middle\" font-size=\"10\" fill=\"#555\">actual − expected</text>"
        let top = y
        for (i, row) in rows.enumerated() {
            let h = max(barHeight, labels[i].count * 12) + 8
            let mid = y + h / 2
            body += labelText(labels[i], x: labelWidth - 6, y: mid)
            let band = min(half, Int(saturating: allowed[i] / scale * Double(half)))
            if band > 0 {
                body +=
                    "<rect x=\"\(zero - band)\" y=\"\(y + 1)\" width=\"\(band * 2)\" height=\"\(h - 2)\" fill=\"#000\" fill-opacity=\"0.09\"/>"
            }
            let status = row[s] ?? ""
            if let diff = diffs[i] {
                let w = min(half, Int(saturating: abs(diff) / scale * Double(half)))
                let color = status == "ok" ? blue : vermillion
                body +=
                    "<rect x=\"\(diff < 0 ? zero - max(1, w) : zero)\" y=\"\(mid - barHeight / 2)\" width=\"\(max(1, w))\" height=\"\(barHeight)\" fill=\"\(color)\"/>"
                body +=
                    "<text x=\"\(zero + half + 8)\" y=\"\(mid + 4)\" font-size=\"11\">\(diff > 0 ? "+" : "")\(e(number(diff))): \(e(row[a] ?? "·")) vs \(e(row[x] ?? "·"))</text>"
            } else {
                body +=
                    "<text x=\"\(zero + half + 8)\" y=\"\(mid + 4)\" font-size=\"11\">\(e(status)): \(e(row[a] ?? "·")) vs \(e(row[x] ?? "·"))</text>"
            }
            y += h
        }
        body += "<line x1=\"\(zero)\" y1=\"\(top)\" x2=\"\(zero)\" y2=\"\(y)\" stroke=\"#333\" stroke-width=\"1\"/>"
        let legendY = y + 16
        body +=
            "<rect x=\"\(labelWidth)\" y=\"\(legendY - 9)\" width=\"10\" height=\"10\" fill=\"\(vermillion)\"/><text x=\"\(labelWidth + 14)\" y=\"\(legendY)\" font-size=\"11\">outside the tolerance</text>"
        body +=
            "<rect x=\"\(labelWidth + 150)\" y=\"\(legendY - 9)\" width=\"10\" height=\"10\" fill=\"#000\" fill-opacity=\"0.09\"/><text x=\"\(labelWidth + 164)\" y=\"\(legendY)\" font-size=\"11\">allowed by the tolerance</text>"
        let width = zero + half + 190
        var svg =
            "<figure class=\"chart\"><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(legendY + 6)\" width=\"\(width)\" style=\"max-width:100%;height:auto\" role=\"img\" aria-label=\"differences, actual minus expected, with the tolerance\">"
        svg += body + "</svg>"
        let notOk = summary.map { $0.keys - $0.ok } ?? p.totalRows
        caption.append(
            rows.count < notOk
                ? "the \(rows.count) largest of \(Format.count(notOk)) differences shown; all are in the table"
                : "\(Format.plural(notOk, "key")) not ok, all shown")
        return svg + "<figcaption>\(e(caption.joined(separator: "; ")))</figcaption></figure>"
    }
}

/// Markdown pieces of a report cell (tables read well on code-hosting sites and in pull requests).
/// Every value goes through `MarkdownText`: text as text, paths and places as code spans.
enum MarkdownFragments {
    static func t(_ s: String) -> String { MarkdownText.inline(s) }

    static func result(_ cell: ReportRecord.Cell) -> String {
        var out: [String] = []
        if let input = cell.input {
            out.append(
                "\(Format.count(input.rows)) rows × \(input.columns) columns from \(MarkdownText.code(input.path)) (\(Format.bytes(input.bytes))), SHA-256 \(MarkdownText.code(input.sha256.isEmpty ? "—" : input.sha256))"
            )
        }
        for note in cell.notes { out.append("_\(t(note))_") }
        if !cell.steps.isEmpty {
            var table = "| step | rows in | rows out | what happened |\n|---|---:|---:|---|"
            for s in cell.steps {
                table += "\n| \(t(s.keyword)) | \(Format.count(s.rowsIn)) | \(Format.count(s.rowsOut)) | \(t(s.detail)) |"
            }
            out.append(table)
        }
        if let check = cell.check {
            if !check.passed, let message = check.message { out.append("**\(t(message))**") }
            if let reason = check.acknowledged { out.append("Acknowledged, failing rows unchanged: \(t(reason))") }
            if let detail = check.detail { out.append(t(detail)) }
            if !check.passed, let rows = check.failingRows {
                out.append(
                    "\(Format.plural(check.failingCount, "failing row"))\(check.failingCount > rows.rows.count ? ", the first \(rows.rows.count) shown" : ""):"
                )
                out.append(table(HTMLFragments.narrow(rows), locations: true))
            }
        }
        if let export = cell.export {
            out.append("\(Format.plural(export.rows, "row")) to \(MarkdownText.code(export.path)) (\(Format.bytes(export.bytes)))")
        }
        if let preview = cell.preview, cell.kind == .chart || cell.kind == .counts {
            // Markdown draws no SVG: a chart is the table of what it draws (see report.html).
            if cell.kind == .chart, let spec = cell.chart { out.append("_\(t(ChartFragments.title(spec))), drawn in report.html:_") }
            out.append(table(cell.kind == .counts ? HTMLFragments.nullsShown(preview) : preview, locations: false))
            if preview.totalRows > preview.rows.count {
                out.append("_\(Format.count(preview.rows.count)) of \(Format.count(preview.totalRows)) shown._")
            }
        } else if let preview = cell.preview, cell.kind != .pipeline {
            out.append(table(preview, locations: false))
            if preview.totalRows > preview.rows.count {
                out.append("_\(Format.count(preview.rows.count)) of \(Format.count(preview.totalRows)) rows shown._")
            }
        } else if let preview = cell.preview {
            out.append(table(preview, locations: false))
        }
        return out.joined(separator: "\n\n")
    }

    static func table(_ p: Preview, locations: Bool) -> String {
        var header = p.columns
        if locations, !p.locations.isEmpty { header.append("source") }
        var table = "| " + header.map(t).joined(separator: " | ") + " |\n|"
        for (k, _) in header.enumerated() {
            let numeric = k < p.types.count && ["integer", "decimal"].contains(p.types[k])
            table += numeric ? "---:|" : "---|"
        }
        for (r, row) in p.rows.enumerated() {
            var cells = row.enumerated().map { k, v in
                v.map { k < p.types.count && p.types[k] == "decimal" ? Format.decimal($0) : $0 }.map(t) ?? "·"
            }
            if locations, !p.locations.isEmpty { cells.append(r < p.locations.count ? MarkdownText.code(p.locations[r] ?? "") : "") }
            table += "\n| " + cells.joined(separator: " | ") + " |"
        }
        return table
    }
}
