import Foundation
import TallyModel

/// `chart` cells drawn from their (already masked and suppressed) preview: SVG for the HTML
/// report and the watch page, in the report charts' style (`HTMLFragments`: Okabe–Ito colours,
/// values beside bars, labels wrapped), and a small text chart for the terminal. A value that is
/// not a number here — `*` (a suppressed count) or a token (a masked value) — is never drawn as a
/// length: it is printed as it is, with no bar.
enum ChartFragments {
    static func e(_ s: String) -> String { ReportRenderer.escape(s) }

    /// Bars (and histogram bins) drawn; a line chart's points.
    static let maxBars = 40, maxPoints = 200

    /// One drawn item: its label and its value as shown (nil: null).
    struct Item { var label: String; var shown: String?; var value: Double? }

    static func items(_ p: Preview) -> [Item] {
        p.rows.map { row in
            let shown = row.count > 1 ? row[1] : nil
            return Item(
                label: row.first.flatMap { $0 } ?? "null", shown: shown,
                value: shown.flatMap(Double.init).flatMap { $0.isFinite ? $0 : nil })
        }
    }

    /// What the caption says besides the title: values not drawn and why.
    static func notes(_ items: [Item], drawn: Int, spec: ChartSpec, privacy: ReportPrivacy?) -> [String] {
        var out: [String] = []
        if items.count > drawn { out.append("the first \(drawn) of \(Format.count(items.count)) drawn") }
        let suppressed = items.filter { $0.shown == "*" }.count
        if suppressed > 0 {
            out.append(
                "\(Format.plural(suppressed, "count")) below \(privacy?.suppressBelow.map(String.init) ?? "the limit") suppressed (*, no bar)"
            )
        }
        let masked = items.filter { $0.shown != nil && $0.shown != "*" && $0.value == nil }.count
        if masked > 0 { out.append("\(Format.plural(masked, "value")) masked (no bar)") }
        if spec.nulls > 0 { out.append("\(Format.plural(spec.nulls, "null value")) not drawn") }
        return out
    }

    static func title(_ spec: ChartSpec) -> String {
        switch spec.kind {
        case "histogram": return "Histogram of \(spec.y)"
        case "line": return "Line chart of \(spec.y) by \(spec.x ?? "")"
        default: return "Bar chart of \(spec.y) by \(spec.x ?? "")"
        }
    }

    // MARK: SVG

    static func html(_ cell: ReportRecord.Cell, privacy: ReportPrivacy) -> String {
        guard let spec = cell.chart, let p = cell.preview else { return "" }
        // Axis names are masked with their columns' values (a pivot column is named after one).
        let xName = p.columns.first ?? "", yName = p.columns.count > 1 ? p.columns[1] : ""
        let all = items(p)
        guard !all.isEmpty else { return "<p class=\"note\">No chart: \(e(cell.table ?? "the table")) has no values to draw.</p>" }
        let id = "chart\(cell.number)"
        let svg: String, drawn: Int
        switch spec.kind {
        case "line": (svg, drawn) = line(all, xName: xName, yName: yName, id: id, spec: spec)
        case "histogram": (svg, drawn) = histogram(all, yName: xName, id: id, spec: spec)
        default: (svg, drawn) = bars(all, xName: xName, yName: yName, id: id, spec: spec)
        }
        let caption = [title(spec)] + notes(all, drawn: drawn, spec: spec, privacy: privacy)
        return "<figure class=\"chart\">" + svg + "<figcaption>\(e(caption.joined(separator: "; ")))</figcaption></figure>"
    }

    /// The opening of an accessible SVG: a title and a description a screen reader reads (the
    /// values as the page shows them).
    static func open(_ id: String, width: Int, height: Int, title: String, desc: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" style=\"max-width:100%;height:auto\" role=\"img\" aria-labelledby=\"\(id)-t \(id)-d\">"
            + "<title id=\"\(id)-t\">\(e(title))</title><desc id=\"\(id)-d\">\(e(desc))</desc>"
    }

    static func describe(_ items: ArraySlice<Item>) -> String {
        items.map { "\($0.label): \($0.value.map(HTMLFragments.number) ?? $0.shown ?? "null")" }.joined(separator: "; ")
    }

    /// Horizontal bars from zero, each with its value; labels wrapped, never clipped.
    static func bars(_ all: [Item], xName: String, yName: String, id: String, spec: ChartSpec) -> (String, Int) {
        let shown = all.prefix(maxBars)
        let labels = shown.map { HTMLFragments.wrap($0.label) }
        let longest = max(xName.count, labels.flatMap { $0 }.map(\.count).max() ?? 4)
        let labelWidth = min(240, max(60, longest * 7 + 10)), plot = 420, barHeight = 14
        let numbers = shown.compactMap(\.value)
        let low = min(0, numbers.min() ?? 0), high = max(0, numbers.max() ?? 0)
        let span = high > low ? high - low : 1
        func px(_ v: Double) -> Int { labelWidth + Int(saturating: (v - low) / span * Double(plot)) }
        var y = 20
        var body = "<text x=\"\(labelWidth - 6)\" y=\"13\" text-anchor=\"end\" font-size=\"11\" font-weight=\"bold\">\(e(xName))</text>"
        for (i, item) in shown.enumerated() {
            let h = max(barHeight, labels[i].count * 12) + 6
            body += HTMLFragments.labelText(labels[i], x: labelWidth - 6, y: y + h / 2)
            if let v = item.value {
                let a = px(min(0, v)), b = px(max(0, v))
                body +=
                    "<rect x=\"\(a)\" y=\"\(y + (h - barHeight) / 2)\" width=\"\(max(1, b - a))\" height=\"\(barHeight)\" fill=\"\(HTMLFragments.blue)\"/>"
                body += "<text x=\"\(b + 4)\" y=\"\(y + h / 2 + 4)\" font-size=\"11\">\(e(HTMLFragments.number(v)))</text>"
            } else {
                body += "<text x=\"\(px(0) + 4)\" y=\"\(y + h / 2 + 4)\" font-size=\"11\" fill=\"#555\">\(e(item.shown ?? "null"))</text>"
            }
            y += h
        }
        body += "<line x1=\"\(px(0))\" y1=\"18\" x2=\"\(px(0))\" y2=\"\(y)\" stroke=\"#333\" stroke-width=\"1\"/>"
        body +=
            "<text x=\"\(labelWidth + plot / 2)\" y=\"\(y + 16)\" text-anchor=\"middle\" font-size=\"11\" font-weight=\"bold\">\(e(yName))</text>"
        let width = labelWidth + plot + 80
        let svg = open(id, width: width, height: y + 22, title: title(spec), desc: describe(shown)) + body + "</svg>"
        return (svg, shown.count)
    }

    /// The vertical scale of a line chart or histogram: from zero (or the least value, when
    /// below zero) to the greatest.
    struct Scale {
        var low: Double, high: Double, top: Int, height: Int
        func y(_ v: Double) -> Int { top + height - Int(saturating: (v - low) / (high > low ? high - low : 1) * Double(height)) }
    }

    /// X labels under the axis: every one when they fit, else every k-th.
    static func xLabels(_ labels: [String], xs: [Int], y: Int, gap: Int) -> String {
        let widest = max(1, labels.map(\.count).max() ?? 1)
        let every = max(1, (widest * 6 + 6) / max(1, gap) + 1)
        var out = ""
        for (i, label) in labels.enumerated() where i % every == 0 {
            out += "<text x=\"\(xs[i])\" y=\"\(y)\" text-anchor=\"middle\" font-size=\"10\">\(e(String(label.prefix(24))))</text>"
        }
        return out
    }

    static func axes(_ scale: Scale, left: Int, right: Int, yName: String, xName: String, bottom: Int) -> String {
        let base = scale.y(max(scale.low, 0))
        var out = "<line x1=\"\(left)\" y1=\"\(base)\" x2=\"\(right)\" y2=\"\(base)\" stroke=\"#333\" stroke-width=\"1\"/>"
        out +=
            "<line x1=\"\(left)\" y1=\"\(scale.top)\" x2=\"\(left)\" y2=\"\(scale.top + scale.height)\" stroke=\"#333\" stroke-width=\"1\"/>"
        for v in Set([scale.low, scale.high, max(scale.low, 0)]).sorted() {
            out +=
                "<text x=\"\(left - 4)\" y=\"\(scale.y(v) + 4)\" text-anchor=\"end\" font-size=\"10\">\(e(HTMLFragments.number(v)))</text>"
        }
        let middle = scale.top + scale.height / 2
        out +=
            "<text x=\"12\" y=\"\(middle)\" text-anchor=\"middle\" font-size=\"11\" font-weight=\"bold\" transform=\"rotate(-90 12 \(middle))\">\(e(yName))</text>"
        out +=
            "<text x=\"\((left + right) / 2)\" y=\"\(bottom)\" text-anchor=\"middle\" font-size=\"11\" font-weight=\"bold\">\(e(xName))</text>"
        return out
    }

    /// Points along X in order, joined where both neighbours are numbers, each with its value.
    static func line(_ all: [Item], xName: String, yName: String, id: String, spec: ChartSpec) -> (String, Int) {
        let shown = Array(all.prefix(maxPoints))
        let numbers = shown.compactMap(\.value)
        let gap = max(8, min(60, 640 / max(1, shown.count)))
        let left = 70, right = left + gap * max(1, shown.count)
        let scale = Scale(low: min(0, numbers.min() ?? 0), high: max(0, numbers.max() ?? 0), top: 20, height: 200)
        let xs = shown.indices.map { left + gap / 2 + $0 * gap }
        var body = axes(scale, left: left, right: right, yName: yName, xName: xName, bottom: scale.top + scale.height + 42)
        var segment: [String] = []
        func flush() {
            if segment.count > 1 {
                body +=
                    "<polyline fill=\"none\" stroke=\"\(HTMLFragments.blue)\" stroke-width=\"2\" points=\"\(segment.joined(separator: " "))\"/>"
            }
            segment = []
        }
        for (i, item) in shown.enumerated() {
            if let v = item.value { segment.append("\(xs[i]),\(scale.y(v))") } else { flush() }
        }
        flush()
        // Values beside points while they fit; past that the description and the table hold them.
        let printValues = gap >= 6 * (shown.compactMap { $0.value.map { HTMLFragments.number($0).count } }.max() ?? 1) + 4
        for (i, item) in shown.enumerated() {
            if let v = item.value {
                body += "<circle cx=\"\(xs[i])\" cy=\"\(scale.y(v))\" r=\"3\" fill=\"\(HTMLFragments.vermillion)\"/>"
                if printValues {
                    body +=
                        "<text x=\"\(xs[i])\" y=\"\(scale.y(v) - 7)\" text-anchor=\"middle\" font-size=\"10\">\(e(HTMLFragments.number(v)))</text>"
                }
            } else {
                body +=
                    "<text x=\"\(xs[i])\" y=\"\(scale.y(max(scale.low, 0)) - 7)\" text-anchor=\"middle\" font-size=\"10\" fill=\"#555\">\(e(item.shown ?? "null"))</text>"
            }
        }
        body += xLabels(shown.map(\.label), xs: xs, y: scale.top + scale.height + 16, gap: gap)
        let svg =
            open(id, width: right + 20, height: scale.top + scale.height + 50, title: title(spec), desc: describe(shown[...])) + body
            + "</svg>"
        return (svg, shown.count)
    }

    /// Adjacent bins, each with its count above it (a suppressed count: `*`, no bar).
    static func histogram(_ all: [Item], yName: String, id: String, spec: ChartSpec) -> (String, Int) {
        let shown = Array(all.prefix(maxBars))
        let numbers = shown.compactMap(\.value)
        let gap = max(14, min(60, 640 / max(1, shown.count)))
        let left = 70, right = left + gap * shown.count
        let scale = Scale(low: 0, high: max(1, numbers.max() ?? 1), top: 24, height: 200)
        var body = axes(scale, left: left, right: right, yName: "rows", xName: yName, bottom: scale.top + scale.height + 42)
        let xs = shown.indices.map { left + gap / 2 + $0 * gap }
        for (i, item) in shown.enumerated() {
            let x = left + i * gap
            if let v = item.value {
                let top = scale.y(v)
                body +=
                    "<rect x=\"\(x + 1)\" y=\"\(top)\" width=\"\(gap - 2)\" height=\"\(max(0, scale.y(0) - top))\" fill=\"\(HTMLFragments.blue)\"/>"
                body += "<text x=\"\(xs[i])\" y=\"\(top - 4)\" text-anchor=\"middle\" font-size=\"10\">\(e(HTMLFragments.number(v)))</text>"
            } else {
                body +=
                    "<text x=\"\(xs[i])\" y=\"\(scale.y(0) - 4)\" text-anchor=\"middle\" font-size=\"10\" fill=\"#555\">\(e(item.shown ?? "null"))</text>"
            }
        }
        body += xLabels(shown.map(\.label), xs: xs, y: scale.top + scale.height + 16, gap: gap)
        let svg =
            open(id, width: right + 20, height: scale.top + scale.height + 50, title: title(spec), desc: describe(shown[...])) + body
            + "</svg>"
        return (svg, shown.count)
    }

    // MARK: text

    /// The terminal's chart: a row per bar, bin or point (in the chart's order), a bar of
    /// unicode eighth blocks as long as the value, and the value printed after it.
    static func text(_ p: Preview, spec: ChartSpec, width: Int = 40) -> [String] {
        let all = items(p)
        guard !all.isEmpty else { return ["    (no values to draw)"] }
        let shown = all.prefix(maxBars)
        let labelWidth = min(24, max(p.columns.first?.count ?? 1, shown.map(\.label.count).max() ?? 1))
        let largest = max(Double.leastNonzeroMagnitude, shown.compactMap { $0.value.map(abs) }.max() ?? 1)
        var lines = ["    " + title(spec) + (spec.kind == "histogram" ? " (rows per bin)" : "")]
        for item in shown {
            let label = item.label.count > labelWidth ? String(item.label.prefix(labelWidth - 1)) + "…" : item.label.padding(labelWidth)
            guard let v = item.value else { lines.append("    \(label) │ \(item.shown ?? "null")"); continue }
            let drawn = bar(abs(v) / largest * Double(width))
            lines.append("    \(label) │\(drawn) \(HTMLFragments.number(v))")
        }
        for note in notes(all, drawn: shown.count, spec: spec, privacy: nil) { lines.append("    (\(note))") }
        return lines
    }

    /// `length` columns of full blocks and one partial block (eighths).
    static func bar(_ length: Double) -> String {
        let eighths = Int((length * 8).rounded())
        let partial = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        let out = String(repeating: "█", count: eighths / 8) + partial[eighths % 8]
        // A value above zero is never drawn as nothing.
        return out.isEmpty && length > 0 ? "▏" : out
    }
}
