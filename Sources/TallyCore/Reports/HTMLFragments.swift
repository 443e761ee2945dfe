/// HTML pieces of a report cell: step waterfalls, tables, failing rows, charts.
enum HTMLFragments {
    static func e(_ s: String) -> String { ReportRenderer.escape(s) }

    static func result(_ cell: ReportRecord.Cell, privacy: ReportPrivacy) -> String {
        var out = ""
        if let input = cell.input {
            out += "<p class=\"meta\">\(Format.count(input.rows)) rows × \(input.columns) columns from <code>\(e(input.path))</code> (\(Format.bytes(input.bytes)))</p>"
        }
        for note in cell.notes { out += "<p class=\"note\">\(e(note))</p>" }
        if !cell.steps.isEmpty { out += waterfall(cell) }
        if let check = cell.check {
            if !check.passed, let message = check.message { out += "<p class=\"message\">\(e(message))</p>" }
            if let reason = check.acknowledged { out += "<p class=\"note\">Acknowledged, failing rows unchanged: \(e(reason))</p>" }
            if let detail = check.detail { out += "<p class=\"detail\">\(e(detail))</p>" }
            if !check.passed, let rows = check.failingRows {
                let more = check.failingCount > rows.rows.count ? " (the first \(Format.count(rows.rows.count)) are here: export the table for all)" : ""
                out += "<p>\(Format.plural(check.failingCount, "failing row"))\(more), with the file and line to fix:</p>"
                out += pagedTable(narrow(rows))
            }
        }
        if let export = cell.export {
            out += "<p class=\"meta\">\(Format.plural(export.rows, "row")) to <code>\(e(export.path))</code> (\(Format.bytes(export.bytes)))</p>"
        }
        if let preview = cell.preview {
            if cell.kind == "compare" {
                out += chart(preview, compare: true, privacy: privacy)
                out += table(preview, locations: false, highlightStatus: true)
            } else if cell.kind == "pipeline" {
                out += chart(preview, compare: false, privacy: privacy)
            } else {
                out += table(preview, locations: false, highlightStatus: false)
                if preview.totalRows > preview.rows.count {
                    out += "<p class=\"meta\">\(Format.count(preview.rows.count)) of \(Format.count(preview.totalRows)) rows shown.</p>"
                }
            }
        }
        return out
    }

    /// Rows in and out of each step, with bars proportional to the rows.
    static func waterfall(_ cell: ReportRecord.Cell) -> String {
        let most = max(1, cell.steps.map { max($0.rowsIn, $0.rowsOut) }.max() ?? 1)
        var out = "<table class=\"steps\"><thead><tr><th>step</th><th class=\"n\">rows in</th><th class=\"n\">rows out</th><th></th><th>what happened</th></tr></thead><tbody>"
        for step in cell.steps {
            let width = Int(Double(step.rowsOut) / Double(most) * 160)
            out += "<tr><td>\(e(step.keyword))</td><td class=\"n\">\(Format.count(step.rowsIn))</td><td class=\"n\">\(Format.count(step.rowsOut))</td>"
            out += "<td><svg width=\"164\" height=\"12\" role=\"img\" aria-label=\"\(step.rowsOut) rows\"><rect x=\"0\" y=\"2\" width=\"\(max(1, width))\" height=\"8\" fill=\"#4a7bb7\"/></svg></td>"
            out += "<td>\(e(step.detail))</td></tr>"
        }
        return out + "</tbody></table>"
    }

    /// Failing rows, all of them: the first ten in view, the rest in collapsed pages of 200
    /// (no script: `<details>` opens each page).
    static func pagedTable(_ p: Preview, first: Int = 10, page: Int = 200) -> String {
        func slice(_ range: Range<Int>) -> Preview {
            var q = p
            q.rows = Array(p.rows[range])
            q.locations = p.locations.isEmpty ? [] : Array(p.locations[range])
            return q
        }
        let n = p.rows.count
        var out = table(slice(0..<min(first, n)), locations: true, highlightStatus: false)
        var start = first
        while start < n {
            let end = min(n, start + page)
            out += "<details class=\"rows\"><summary>rows \(Format.count(start + 1))–\(Format.count(end)) of \(Format.count(n))</summary>"
            out += table(slice(start..<end), locations: true, highlightStatus: false) + "</details>"
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
            if highlightStatus, let k = statusIndex, let status = row[k], Comparison.failing.contains(status) { rowClass = " class=\"bad\"" }
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

    /// A horizontal bar chart (inline SVG) by key: one bar per key, or actual and expected for a
    /// comparison. Suppressed counts (`*`) get no bar.
    static func chart(_ p: Preview, compare: Bool, privacy: ReportPrivacy) -> String {
        let numericColumns = p.types.indices.filter { ["integer", "decimal"].contains(p.types[$0]) }
        let valueColumns: [Int]
        if compare {
            valueColumns = ["actual", "expected"].compactMap { p.columns.firstIndex(of: $0) }
        } else {
            valueColumns = numericColumns.first.map { [$0] } ?? []
        }
        guard !valueColumns.isEmpty, !p.rows.isEmpty else { return "" }
        let keyColumns = p.columns.indices.filter { !numericColumns.contains($0) && p.columns[$0] != "status" }
        let rows = Array(p.rows.prefix(40))
        let values = rows.map { row in valueColumns.map { row[$0].flatMap(Double.init) } }
        let suppressed = rows.reduce(0) { n, row in n + valueColumns.filter { row[$0] == "*" }.count }
        var suppressionNote = ""
        if suppressed > 0, let limit = privacy.suppressBelow {
            // A bar's length would give a suppressed count away: such a count gets none.
            if values.allSatisfy({ $0.allSatisfy { $0 == nil } }) {
                return "<p class=\"note\">No chart: every count here is below \(limit) and suppressed.</p>"
            }
            suppressionNote = "\(Format.plural(suppressed, "count")) below \(limit) suppressed (*, no bar)"
        }
        let largest = max(1, values.flatMap { $0.compactMap { $0 } }.max() ?? 1)
        let barHeight = compare ? 8 : 14, gap = 6, labelWidth = 170, plot = 380
        let rowHeight = barHeight * valueColumns.count + gap
        let height = rows.count * rowHeight + 24
        let colors = ["#4a7bb7", "#b0b7c3"]
        var svg = "<figure class=\"chart\"><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(labelWidth + plot + 80)\" height=\"\(height)\" role=\"img\" aria-label=\"bar chart of \(e(valueColumns.map { p.columns[$0] }.joined(separator: " and ")))\">"
        for (i, row) in rows.enumerated() {
            let y = i * rowHeight
            let label = keyColumns.map { row[$0] ?? "·" }.joined(separator: " / ")
            svg += "<text x=\"\(labelWidth - 6)\" y=\"\(y + barHeight * valueColumns.count / 2 + 4)\" text-anchor=\"end\" font-size=\"11\">\(e(String(label.prefix(28))))</text>"
            for (s, value) in values[i].enumerated() {
                let by = y + s * barHeight
                if let value {
                    let w = max(1, Int(value / largest * Double(plot)))
                    svg += "<rect x=\"\(labelWidth)\" y=\"\(by)\" width=\"\(w)\" height=\"\(barHeight - 1)\" fill=\"\(colors[s % 2])\"/>"
                    svg += "<text x=\"\(labelWidth + w + 4)\" y=\"\(by + barHeight - 2)\" font-size=\"10\">\(e(Format.decimal(Value.formatDecimal(value)).replacingOccurrences(of: ".0", with: "")))</text>"
                } else {
                    svg += "<text x=\"\(labelWidth + 4)\" y=\"\(by + barHeight - 2)\" font-size=\"10\">\(e(row[valueColumns[s]] ?? "·"))</text>"
                }
            }
        }
        let legendY = rows.count * rowHeight + 14
        for (s, k) in valueColumns.enumerated() {
            svg += "<rect x=\"\(labelWidth + s * 110)\" y=\"\(legendY - 9)\" width=\"10\" height=\"10\" fill=\"\(colors[s % 2])\"/><text x=\"\(labelWidth + s * 110 + 14)\" y=\"\(legendY)\" font-size=\"11\">\(e(p.columns[k]))</text>"
        }
        svg += "</svg>"
        var caption: [String] = []
        if p.rows.count > rows.count { caption.append("first \(rows.count) of \(p.rows.count) keys") }
        if !suppressionNote.isEmpty { caption.append(suppressionNote) }
        if !caption.isEmpty { svg += "<figcaption>\(e(caption.joined(separator: "; ")))</figcaption>" }
        return svg + "</figure>"
    }
}

/// Markdown pieces of a report cell (tables read well on code-hosting sites and in pull requests).
enum MarkdownFragments {
    static func result(_ cell: ReportRecord.Cell) -> String {
        var out: [String] = []
        if let input = cell.input {
            out.append("\(Format.count(input.rows)) rows × \(input.columns) columns from `\(input.path)` (\(Format.bytes(input.bytes))), SHA-256 `\(input.sha256.isEmpty ? "—" : input.sha256)`")
        }
        for note in cell.notes { out.append("_\(ReportRenderer.md(note))_") }
        if !cell.steps.isEmpty {
            var t = "| step | rows in | rows out | what happened |\n|---|---:|---:|---|"
            for s in cell.steps { t += "\n| \(s.keyword) | \(Format.count(s.rowsIn)) | \(Format.count(s.rowsOut)) | \(ReportRenderer.md(s.detail)) |" }
            out.append(t)
        }
        if let check = cell.check {
            if !check.passed, let message = check.message { out.append("**\(ReportRenderer.md(message))**") }
            if let reason = check.acknowledged { out.append("Acknowledged, failing rows unchanged: \(ReportRenderer.md(reason))") }
            if let detail = check.detail { out.append(ReportRenderer.md(detail)) }
            if !check.passed, let rows = check.failingRows {
                out.append("\(Format.plural(check.failingCount, "failing row"))\(check.failingCount > rows.rows.count ? ", the first \(rows.rows.count) shown" : ""):")
                out.append(table(HTMLFragments.narrow(rows), locations: true))
            }
        }
        if let export = cell.export { out.append("\(Format.plural(export.rows, "row")) to `\(export.path)` (\(Format.bytes(export.bytes)))") }
        if let preview = cell.preview, cell.kind != "pipeline" {
            out.append(table(preview, locations: false))
            if preview.totalRows > preview.rows.count { out.append("_\(Format.count(preview.rows.count)) of \(Format.count(preview.totalRows)) rows shown._") }
        } else if let preview = cell.preview {
            out.append(table(preview, locations: false))
        }
        return out.joined(separator: "\n\n")
    }

    static func table(_ p: Preview, locations: Bool) -> String {
        var header = p.columns
        if locations, !p.locations.isEmpty { header.append("source") }
        var t = "| " + header.map(ReportRenderer.md).joined(separator: " | ") + " |\n|"
        for (k, _) in header.enumerated() {
            let numeric = k < p.types.count && ["integer", "decimal"].contains(p.types[k])
            t += numeric ? "---:|" : "---|"
        }
        for (r, row) in p.rows.enumerated() {
            var cells = row.enumerated().map { k, v in
                v.map { k < p.types.count && p.types[k] == "decimal" ? Format.decimal($0) : $0 }.map(ReportRenderer.md) ?? "·"
            }
            if locations, !p.locations.isEmpty { cells.append(r < p.locations.count ? "`\(p.locations[r] ?? "")`" : "") }
            t += "\n| " + cells.joined(separator: " | ") + " |"
        }
        return t
    }
}
