import Foundation
import Ink
import Mustache
import TallyData
import TallyModel

/// How to render a report.
public struct ReportOptions: Sendable {
    public var hideCode = false
    public var privacy = ReportPrivacy(masks: [], suppressBelow: nil, key: "tally")
    /// A folder with the district's own `report.html.mustache` / `report.md.mustache`.
    public var templates: String? = nil
    /// Set when a masked run is rendered in clear (`tally report RUN --unmask`): the report
    /// says so at its top and in its appendix.
    public var unmasked: Unmasking? = nil
    public init() {}
}

/// Who asked for a masked run's report in clear, when, and what the run had masked.
public struct Unmasking: Sendable {
    public var by: String
    public var on: String
    public var masks: [String]
    public var suppressBelow: Int?
    public init(by: String, at date: Date, masks: [String], suppressBelow: Int?) {
        self.by = by; self.on = QAStore.timestamp(date); self.masks = masks; self.suppressBelow = suppressBelow
    }

    public var sentence: String {
        var what = masks.isEmpty ? [] : ["masked " + masks.joined(separator: ", ")]
        if let suppressBelow { what.append("suppressed counts below \(suppressBelow)") }
        return
            "Rendered unmasked at the request of \(by) on \(on): the run \(what.joined(separator: " and ")), and this copy shows them in clear."
    }
}

/// Renders a `ReportRecord` to self-contained HTML and to Markdown through Mustache templates.
/// The templates lay the report out; tables, charts and narrative are rendered here as fragments.
public enum ReportRenderer {
    public static func render(_ original: ReportRecord, options: ReportOptions) throws -> (html: String, markdown: String) {
        let record = options.privacy.apply(original)
        var library = MustacheLibrary()
        for (name, builtIn) in [("report.html", DefaultTemplates.html), ("report.md", DefaultTemplates.markdown)] {
            var text = builtIn
            if let folder = options.templates {
                let path = folder + "/" + name + ".mustache"
                guard let custom = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw Diagnostic(
                        .reportFailed, .error, "no template \(name).mustache in \(folder)", file: path,
                        help: "copy templates/ from the Tally repository and edit them")
                }
                text = custom
            }
            do { try library.register(text, named: name) } catch {
                throw Diagnostic(
                    .reportFailed, .error, "the template does not parse: \(error)",
                    file: options.templates.map { $0 + "/" + name + ".mustache" } ?? name)
            }
        }
        let context = self.context(record, options: options)
        guard let html = library.render(context, withTemplate: "report.html"),
            let markdown = library.render(markdownValues(context, key: "") as? [String: Any] ?? [:], withTemplate: "report.md")
        else {
            throw Diagnostic(.reportFailed, .error, "the report templates could not be rendered", file: options.templates ?? "templates")
        }
        return (html, markdown)
    }

    /// Writes `report.html` and `report.md`, readable by their owner only.
    public static func write(_ record: ReportRecord, to folder: String, options: ReportOptions) throws -> [String] {
        let (html, markdown) = try render(record, options: options)
        // A folder that cannot be written is said in words ("cannot write the report to out/r:
        // permission denied"), never as Foundation's error text.
        if let problem = makeFolder(folder) {
            throw Diagnostic(.reportFailed, .error, "cannot write the report to \(folder): \(problem)", file: folder)
        }
        var written: [String] = []
        for (name, text) in [("report.html", html), ("report.md", markdown)] {
            let path = folder + "/" + name
            errno = 0
            guard FileCreation.replace(path, contents: Data(text.utf8), permissions: 0o600) else {
                let code = errno
                throw Diagnostic(
                    .reportFailed, .error,
                    "cannot write the report to \(folder): \(code == 0 ? "\(name) could not be written" : reason(code))", file: path)
            }
            written.append(path)
        }
        return written
    }

    /// Makes `folder` and its missing parents, readable by their owner only; nil when it is
    /// there, else why it cannot be ("permission denied", "out is a file, not a folder").
    static func makeFolder(_ folder: String) -> String? {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) {
            return isFolder.boolValue ? nil : "\(folder) is a file, not a folder"
        }
        let parent = FileCreation.folder(of: folder)
        if !parent.isEmpty, parent != folder, let problem = makeFolder(parent) { return problem }
        if mkdir(folder, 0o700) == 0 || errno == EEXIST { return nil }
        return reason(errno)
    }

    /// The system's words for an error number, in lower case ("permission denied").
    static func reason(_ code: Int32) -> String { String(cString: strerror(code)).lowercased() }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    /// Values fill report.md as safe Markdown, each by what it is (`MarkdownText`): paths and
    /// fingerprints as code spans, statements and errors as fenced blocks, the narrative as the
    /// author's Markdown made safe, fragments (`…MD`) as they were made, everything else as
    /// escaped text. A district's own report.md.mustache gets them so too: it writes
    /// `{{path}}`, not `` `{{path}}` ``.
    static let codeKeys: Set<String> = ["path", "playbook", "playbookSHA256", "sha256"]

    static func markdownValues(_ value: Any, key: String) -> Any {
        switch value {
        case let s as String:
            if key == "narrativeMD" || key == "introductionMD" { return MarkdownText.narrative(s) }
            if key.hasSuffix("MD") || key.hasSuffix("HTML") { return s }
            if codeKeys.contains(key) { return MarkdownText.code(s) }
            if key == "statement" || key == "block" { return MarkdownText.block(s) }
            return MarkdownText.inline(s)
        case let d as [String: Any]:
            return Dictionary(uniqueKeysWithValues: d.map { ($0.key, markdownValues($0.value, key: $0.key)) })
        case let a as [Any]:
            return a.map { markdownValues($0, key: key) }
        default:
            return value
        }
    }

    static func context(_ r: ReportRecord, options: ReportOptions) -> [String: Any] {
        let status: (String, String) =
            r.exitStatus == 0
            ? ("All error-severity checks passed", "ok")
            : r.exitStatus == 1 ? ("An error-severity check failed", "fail") : ("The playbook could not be run", "error")
        let failures: [[String: Any]] = r.cells.compactMap { cell in
            guard let check = cell.check, !check.passed else { return nil }
            let severity = check.acknowledged != nil ? "acknowledged" : check.severity.rawValue
            return ["number": cell.number, "severity": severity, "text": check.message ?? check.predicate, "line": cell.line]
        }
        let verdict = Verdict(r)
        let introduction = (r.introduction ?? []).joined(separator: "\n")
        let cells: [[String: Any]] = r.cells.map { cell in
            let narrative = cell.narrative.joined(separator: "\n")
            return [
                "number": cell.number, "kind": cell.kind.rawValue, "line": cell.line, "statement": cell.statement,
                "title": title(cell), "status": statusText(cell), "hasStatus": !statusText(cell).isEmpty, "statusClass": statusClass(cell),
                "hasNarrative": !narrative.isEmpty, "narrativeHTML": SafeMarkdown.html(narrative), "narrativeMD": narrative,
                "resultHTML": HTMLFragments.result(cell, privacy: options.privacy),
                "resultMD": MarkdownFragments.result(cell),
            ]
        }
        return [
            "title": r.title, "playbook": r.playbookPath, "playbookSHA256": r.playbookSHA256, "toolVersion": r.toolVersion,
            "runBy": r.runBy, "started": r.started, "finished": r.finished, "runId": r.runId.map { String($0) } ?? "not recorded",
            "exitStatus": r.exitStatus, "statusText": status.0, "statusClass": status.1,
            "params": r.params.map { ["name": $0.first ?? "", "value": $0.count > 1 ? $0[1] : ""] },
            "hasParams": !r.params.isEmpty,
            "inputs": r.inputs.map {
                [
                    "table": $0.table, "path": $0.path, "bytes": Format.bytes($0.bytes), "rows": Format.count($0.rows),
                    "sha256": $0.sha256.isEmpty ? "—" : $0.sha256,
                ]
            },
            "hasInputs": !r.inputs.isEmpty,
            "passed": r.checksPassed, "failed": r.checksFailed, "warnings": r.warnings, "comparisonsOutside": r.comparisonsOutside,
            "exports": r.exports.map { e -> [String: Any] in
                var row: [String: Any] = ["path": e.path, "rows": Format.count(e.rows)]
                if let privacy = e.privacy { row["privacy"] = privacy }
                return row
            }, "exportCount": r.exports.count,
            "hasExportPrivacy": r.exports.contains { $0.privacy != nil },
            "failures": failures, "hasFailures": !failures.isEmpty,
            "errors": r.errors.map { ["text": $0, "block": $0] }, "hasErrors": !r.errors.isEmpty,
            "unmaskedNote": options.unmasked?.sentence ?? "", "hasUnmaskedNote": options.unmasked != nil,
            "masks": r.masks.joined(separator: ", ") + (options.privacy.masks.isEmpty ? "" : ""),
            "masked": options.privacy.masks.sorted().joined(separator: ", "), "hasMasked": !options.privacy.masks.isEmpty,
            "suppressBelow": options.privacy.suppressBelow.map(String.init) ?? "",
            "suppressBelowMinusOne": options.privacy.suppressBelow.map { String($0 - 1) } ?? "",
            "hasSuppression": options.privacy.suppressBelow != nil,
            "cells": cells, "showCode": !options.hideCode,
            "verdictText": verdict.sentence, "verdictClass": verdict.style, "verdictDetail": verdict.detail,
            "blockers": verdict.blockers.map(\.context), "hasBlockers": !verdict.blockers.isEmpty,
            "toReview": verdict.warnings.map(\.context), "hasToReview": !verdict.warnings.isEmpty,
            "hasIntroduction": !introduction.isEmpty, "introductionHTML": SafeMarkdown.html(introduction),
            "introductionMD": introduction,
            "historyHTML": TrackFragments.html(r) + HistoryFragments.html(r.history, privacy: options.privacy),
            "historyMD": [TrackFragments.markdown(r), HistoryFragments.markdown(r.history, privacy: options.privacy)].filter { !$0.isEmpty }
                .joined(separator: "\n\n"),
            "paramLine": r.params.map { "\($0.first ?? "") \($0.count > 1 ? $0[1] : "")" }.joined(separator: " · "),
        ]
    }

    static func title(_ cell: ReportRecord.Cell) -> String {
        switch cell.kind {
        case .pipeline, .load: return "\(cell.kind == .load ? "load " : "")\(cell.table ?? "")"
        default: return cell.kind.rawValue
        }
    }

    static func statusText(_ cell: ReportRecord.Cell) -> String {
        if cell.notRun == true { return "not run" }
        guard let check = cell.check else { return "" }
        if check.passed { return "passed" }
        if check.acknowledged != nil { return "acknowledged" }
        return check.severity == .warning ? "warning" : "failed"
    }

    static func statusClass(_ cell: ReportRecord.Cell) -> String {
        switch statusText(cell) {
        case "passed": return "ok"
        case "failed": return "fail"
        case "warning": return "warn"
        case "acknowledged": return "ack"
        case "not run": return "skipped"
        default: return ""
        }
    }
}
