import TallyModel

/// The report's history section: each check's failing rows and each compared total across the
/// last runs of the playbook with the same parameters, as a small line per series.
enum HistoryFragments {
    static func e(_ s: String) -> String { ReportRenderer.escape(s) }

    /// Totals below the suppression threshold are not shown (nil).
    static func visible(_ h: RunHistory, _ privacy: ReportPrivacy) -> RunHistory {
        guard let below = privacy.suppressBelow else { return h }
        var out = h
        for i in out.series.indices where out.series[i].kind == .total {
            out.series[i].values = out.series[i].values.map { v in v.flatMap { $0 > 0 && $0 < Double(below) ? nil : $0 } }
        }
        return out
    }

    static func trend(_ values: [Double?]) -> String {
        let known = values.compactMap { $0 }
        guard let first = known.first, let last = known.last else { return "" }
        if known.count == 1 { return "\(HTMLFragments.number(last)) (one run)" }
        let word = last < first ? "down" : last > first ? "up" : "unchanged"
        return word == "unchanged"
            ? "\(HTMLFragments.number(last)), unchanged over \(known.count) runs"
            : "\(word) from \(HTMLFragments.number(first)) to \(HTMLFragments.number(last)) over \(known.count) runs"
    }

    static func html(_ history: RunHistory?, privacy: ReportPrivacy) -> String {
        guard let raw = history, raw.runs.count >= 2, !raw.series.isEmpty else { return "" }
        let h = visible(raw, privacy)
        var out = "<h2 id=\"history\">History: the last \(h.runs.count) runs with these parameters</h2>"
        out +=
            "<p class=\"meta\">Runs \(h.runs.first.map { "\($0.id) (\($0.started))" } ?? "") to \(h.runs.last.map { "\($0.id) (\($0.started))" } ?? ""), oldest on the left. A check converging before the deadline goes down to 0.</p>"
        out +=
            "<div class=\"scroll\"><table class=\"history\"><thead><tr><th>check or total</th><th>across the runs</th><th>trend</th></tr></thead><tbody>"
        for s in h.series {
            out +=
                "<tr><td>\(e(s.name))<br><span class=\"meta\">\(e(s.kind.rawValue))</span></td><td>\(sparkline(s.values))</td><td>\(e(trend(s.values)))</td></tr>"
        }
        out += "</tbody></table></div>"
        // Every value, for the audit folder.
        out += "<details class=\"rows\"><summary>every value, run by run</summary><div class=\"scroll\"><table><thead><tr><th>run</th>"
        for s in h.series { out += "<th class=\"n\">\(e(s.name))</th>" }
        out += "</tr></thead><tbody>"
        for (k, run) in h.runs.enumerated() {
            out += "<tr><td>\(run.id) \(e(run.started))\(run.label.map { " (\(e($0)))" } ?? "")</td>"
            for s in h.series { out += "<td class=\"n\">\(s.values[k].map { e(HTMLFragments.number($0)) } ?? "·")</td>" }
            out += "</tr>"
        }
        return out + "</tbody></table></div></details>"
    }

    /// A line through the runs with a dot per value and the last value written at its end.
    static func sparkline(_ values: [Double?]) -> String {
        let width = 220, height = 36, pad = 4
        let known = values.compactMap { $0 }
        guard let lo = known.min(), let hi = known.max() else { return "" }
        let span = max(hi - lo, 1)
        let step = values.count > 1 ? Double(width - 2 * pad - 40) / Double(values.count - 1) : 0
        var points: [(Int, Int)] = []
        for (i, v) in values.enumerated() {
            guard let v else { continue }
            points.append(
                (
                    pad + Int(saturating: Double(i) * step),
                    pad + min(height, max(0, Int(saturating: (hi - v) / span * Double(height - 2 * pad))))
                ))
        }
        var svg =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" role=\"img\" aria-label=\"\(e(trend(values)))\">"
        svg +=
            "<polyline fill=\"none\" stroke=\"\(HTMLFragments.blue)\" stroke-width=\"1.5\" points=\"\(points.map { "\($0.0),\($0.1)" }.joined(separator: " "))\"/>"
        for p in points { svg += "<circle cx=\"\(p.0)\" cy=\"\(p.1)\" r=\"2.2\" fill=\"\(HTMLFragments.blue)\"/>" }
        if let last = points.last, let v = known.last {
            svg += "<text x=\"\(last.0 + 6)\" y=\"\(last.1 + 4)\" font-size=\"11\">\(e(HTMLFragments.number(v)))</text>"
        }
        return svg + "</svg>"
    }

    static func markdown(_ history: RunHistory?, privacy: ReportPrivacy) -> String {
        guard let raw = history, raw.runs.count >= 2, !raw.series.isEmpty else { return "" }
        let h = visible(raw, privacy)
        let shown = Array(h.runs.indices.suffix(10))
        var t =
            "## History: the last \(h.runs.count) runs with these parameters\n\n| check or total | "
            + shown.map { "run \(h.runs[$0].id)" }.joined(separator: " | ") + " | trend |\n|---|" + shown.map { _ in "---:|" }.joined()
            + "---|"
        for s in h.series {
            t +=
                "\n| \(MarkdownText.inline(s.name)) (\(MarkdownText.inline(s.kind.rawValue))) | "
                + shown.map { s.values[$0].map(HTMLFragments.number) ?? "·" }.joined(separator: " | ")
                + " | \(trend(s.values)) |"
        }
        return t
    }
}

/// `tally report --history PLAYBOOK` in the terminal: a row per check or total, a column per run
/// (the last ten), and the trend over all of them.
public enum HistoryText {
    public static func render(_ history: RunHistory, playbook: String, privacy: ReportPrivacy) -> String {
        guard !history.runs.isEmpty else { return "\(playbook): no complete runs in the ledger" }
        let h = HistoryFragments.visible(history, privacy)
        let shown = Array(h.runs.indices.suffix(10))
        var out = "\(playbook): the last \(Format.plural(h.runs.count, "run")) with the parameters of run \(h.runs.last?.id ?? 0)"
        if h.runs.count > shown.count { out += " (the last \(shown.count) shown; the trend covers all)" }
        let header = ["check or total"] + shown.map { "run \(h.runs[$0].id)" } + ["trend"]
        let rows = h.series.map { s in
            ["\(s.name) (\(s.kind.rawValue))"] + shown.map { s.values[$0].map(HTMLFragments.number) ?? "·" } + [
                HistoryFragments.trend(s.values)
            ]
        }
        out += "\n" + TextTable.render(header: header, rows: rows, maxWidth: 60, indent: "  ", rightAlign: Set(1...shown.count))
        return out
    }
}

/// The report's section on tracked CALPADS errors (`track T`): how many are new, still open and
/// resolved since the previous submission, by error code, with a link to the cell that lists
/// each one. Only statuses and error codes appear here, never a record's values.
enum TrackFragments {
    struct Row { var status: String; var count: Int; var codes: String }

    static func rows(_ cell: ReportRecord.Cell) -> [Row] {
        guard let p = cell.preview, let s = p.columns.firstIndex(of: "status"), let c = p.columns.firstIndex(of: "ErrorCode") else {
            return []
        }
        return ["new", "open", "resolved"].map { status in
            let codes = p.rows.filter { $0[s] == status }.compactMap { $0[c] }
            let counted = Dictionary(grouping: codes, by: { $0 }).mapValues(\.count).sorted { $0.key < $1.key }
            return Row(status: status, count: codes.count, codes: counted.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))
        }
    }

    static let label = [
        "new": "new in this submission", "open": "still open from an earlier submission",
        "resolved": "resolved since the previous submission",
    ]

    static func html(_ r: ReportRecord) -> String {
        var out = ""
        for cell in r.cells where cell.kind == .track {
            let rows = rows(cell)
            guard !rows.isEmpty else { continue }
            out += "<h2 id=\"calpads-errors-\(cell.number)\">CALPADS errors: \(HistoryFragments.e(trackedName(cell)))</h2>"
            if let summary = cell.notes.first { out += "<p>\(HistoryFragments.e(summary))</p>" }
            out +=
                "<div class=\"scroll\"><table><thead><tr><th>status</th><th class=\"n\">errors</th><th>by error code</th></tr></thead><tbody>"
            for row in rows {
                out +=
                    "<tr><td>\(HistoryFragments.e(label[row.status] ?? row.status))</td><td class=\"n\">\(row.count)</td><td>\(HistoryFragments.e(row.codes))</td></tr>"
            }
            out += "</tbody></table></div>"
            out +=
                "<p class=\"meta\">Each error with its record, field and the line to fix: <a href=\"#cell-\(cell.number)\">cell [\(cell.number)]</a>; across every submission: <code>tally errors</code>.</p>"
        }
        return out
    }

    static func markdown(_ r: ReportRecord) -> String {
        var out: [String] = []
        for cell in r.cells where cell.kind == .track {
            let rows = rows(cell)
            guard !rows.isEmpty else { continue }
            out.append("## CALPADS errors: \(MarkdownText.inline(trackedName(cell)))\n")
            if let summary = cell.notes.first { out.append(MarkdownText.inline(summary) + "\n") }
            out.append("| status | errors | by error code |\n|---|---:|---|")
            for row in rows { out.append("| \(label[row.status] ?? row.status) | \(row.count) | \(MarkdownText.inline(row.codes)) |") }
            out.append(
                "\nEach error with its record, field and the line to fix: [cell \(cell.number)](#cell-\(cell.number)); across every submission: `tally errors`.\n"
            )
        }
        return out.joined(separator: "\n")
    }

    /// The series' name, from the statement `track T [as "NAME"]`.
    static func trackedName(_ cell: ReportRecord.Cell) -> String {
        if let open = cell.statement.firstIndex(of: "\""), let close = cell.statement.lastIndex(of: "\""), open < close {
            return String(cell.statement[cell.statement.index(after: open)..<close])
        }
        return cell.statement.split(separator: " ").dropFirst().first.map(String.init) ?? "errors"
    }
}
