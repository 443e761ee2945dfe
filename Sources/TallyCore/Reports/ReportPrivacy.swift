import Crypto
import Foundation
import TallyModel

/// Student privacy in every output (reports, terminal, JSON, JUnit): masked values become
/// stable, keyed tokens wherever they appear, and small counts of students are suppressed.
///
/// Masking follows the *values*: a column is masked when its lineage (see `Lineage`) includes a
/// masked name, so `select SSID as StudentID`, `concat(LastName, ", ", FirstName)`, an aggregate
/// keyed by SSID, a `validate` finding's `value` for the SSID field and a `diff snapshot` change
/// of a masked column all stay masked. In free text the run wrote (details, notes, errors) a
/// masked value is replaced only where it stands as a whole word; the playbook's own text — its
/// statements, messages and `##` narrative — is never rewritten.
public struct ReportPrivacy: Sendable {
    /// Column names whose values are masked.
    public var masks: Set<String>
    /// Counts of students below this (and above zero) show as `*`.
    public var suppressBelow: Int?
    /// The secret that keys the tokens: the same value always gives the same token, and without
    /// the key a token cannot be matched back by hashing candidate IDs.
    public var key: String

    public init(masks: Set<String>, suppressBelow: Int?, key: String) {
        self.masks = masks
        self.suppressBelow = suppressBelow
        self.key = key
    }

    public var isEmpty: Bool { masks.isEmpty && suppressBelow == nil }

    /// `#` and twelve hex digits of HMAC-SHA256(key, value).
    public func token(_ value: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(value.utf8), using: SymmetricKey(data: Data(key.utf8)))
        return "#"
            + mac.prefix(6).map { byte in
                let s = String(byte, radix: 16)
                return s.count == 1 ? "0" + s : s
            }.joined()
    }

    /// A name is masked when it is listed, or is a joined copy of a listed one (`sinf_SSID`).
    func isMaskedName(_ name: String) -> Bool {
        masks.contains(name) || masks.contains { name.hasSuffix("_" + $0) }
    }

    /// A column is masked when anything in its lineage is.
    func isMasked(_ lineage: [String]) -> Bool { lineage.contains { isMaskedName($0) } }

    /// Counts: integer columns whose lineage says they count rows (`@count`).
    static let countMarker = "@count"

    // MARK: previews

    /// Masks a preview's cells and suppresses its small counts; `found` collects the raw values it
    /// masked, so free text can be searched for them.
    func apply(_ p: Preview, suppress: Bool, found: inout Set<String>) -> Preview {
        var out = p
        let lineage = p.lineage ?? p.columns.map { [$0] }
        // `validate` findings name the field in `field`; CALPADS error reports in `FieldName`.
        let field = p.columns.firstIndex(of: "field") ?? p.columns.firstIndex(of: "FieldName")
        let value = p.columns.firstIndex(of: "value") ?? p.columns.firstIndex(of: "FieldValue")
        // Lineage of each column by name, for `changes` text ("LastName: Smith → Smyth").
        var byName: [String: [String]] = [:]
        for (k, c) in p.columns.enumerated() { byName[c] = k < lineage.count ? lineage[k] : [c] }
        for (k, _) in p.columns.enumerated() {
            let l = k < lineage.count ? lineage[k] : [p.columns[k]]
            let masked = isMasked(l)
            if masked, l.contains(Lineage.header) {
                found.insert(p.columns[k])
                out.columns[k] = token(p.columns[k])
            }
            for r in p.rows.indices {
                guard let raw = p.rows[r][k] else { continue }
                if masked {
                    found.insert(raw)
                    out.rows[r][k] = token(raw)
                } else if l.contains(Lineage.fieldValue), let f = field, let name = p.rows[r][f], isMaskedName(name) {
                    found.insert(raw)
                    out.rows[r][k] = token(raw)
                } else if l.contains(Lineage.fieldText), let f = field, let name = p.rows[r][f], isMaskedName(name),
                    let v = value, let quoted = p.rows[r][v], !quoted.isEmpty
                {
                    out.rows[r][k] = replacingWords(in: raw, [quoted])
                } else if l.contains(Lineage.changes) {
                    out.rows[r][k] = maskChanges(raw, lineage: byName, found: &found)
                }
            }
            // With SSID masked, a ten-digit number standing alone in other text is taken for one,
            // as in exports: a note or an address quoting a student's SSID.
            if !masked, masks.contains("SSID"), k < p.types.count, p.types[k] == "text" {
                for r in out.rows.indices { out.rows[r][k] = out.rows[r][k].map(replaceTenDigitNumbers) }
            }
        }
        if suppress, let limit = suppressBelow { out = suppressCounts(out, original: p, lineage: lineage, below: limit) }
        return out
    }

    /// `Column: before → after; ...` with the values of masked columns tokenised.
    func maskChanges(_ text: String, lineage: [String: [String]], found: inout Set<String>) -> String {
        let parts = text.components(separatedBy: "; ")
        return parts.map { part -> String in
            guard let colon = part.range(of: ": ") else { return part }
            let column = String(part[..<colon.lowerBound])
            guard isMasked(lineage[column] ?? [column]) else { return part }
            let values = part[colon.upperBound...].components(separatedBy: " → ")
            return column + ": "
                + values.map { v in
                    if v == "null" { return v }
                    found.insert(v)
                    return token(v)
                }.joined(separator: " → ")
        }.joined(separator: "; ")
    }

    /// Small counts become `*`. In a comparison, `actual` and `expected` are counts, and the
    /// `difference` and `percent` of a row are suppressed with either of them (a difference next
    /// to one shown part gives the other away); a difference whose parts are both shown is left,
    /// since it reveals nothing they do not.
    func suppressCounts(_ p: Preview, original: Preview, lineage: [[String]], below limit: Int) -> Preview {
        var out = p
        func small(_ text: String?) -> Bool {
            guard let text, let n = Double(text) else { return false }
            return n > 0 && n < Double(limit)
        }
        let actual = p.columns.firstIndex(of: "actual"), expected = p.columns.firstIndex(of: "expected")
        let isComparison = actual != nil && expected != nil && p.columns.contains("status")
        for r in p.rows.indices {
            if isComparison, let a = actual, let e = expected {
                let hideA = small(original.rows[r][a]), hideE = small(original.rows[r][e])
                if hideA { out.rows[r][a] = "*" }
                if hideE { out.rows[r][e] = "*" }
                if hideA || hideE {
                    for name in ["difference", "percent"] {
                        if let k = p.columns.firstIndex(of: name), out.rows[r][k] != nil { out.rows[r][k] = "*" }
                    }
                }
                continue
            }
            for k in p.columns.indices where k < p.types.count && p.types[k] == "integer" {
                let l = k < lineage.count ? lineage[k] : []
                // Old records without lineage: every integer column of an aggregate counts.
                guard p.lineage == nil || l.contains(ReportPrivacy.countMarker) else { continue }
                if small(original.rows[r][k]) { out.rows[r][k] = "*" }
            }
        }
        return out
    }

    // MARK: free text

    /// Replaces each value where it stands as a whole word (not inside another word: a first
    /// name "Ana" leaves "Analysis" alone), longest values first.
    func replacingWords(in text: String, _ values: [String]) -> String {
        var result = text
        for value in values.sorted(by: { ($0.count, $0) > ($1.count, $1) }) where !value.isEmpty && result.contains(value) {
            var out = ""
            var rest = Substring(result)
            while let range = rest.range(of: value) {
                let before = range.lowerBound > rest.startIndex ? rest[rest.index(before: range.lowerBound)] : nil
                let after = range.upperBound < rest.endIndex ? rest[range.upperBound] : nil
                let bounded = !(before.map(ReportPrivacy.isWordCharacter) ?? false) && !(after.map(ReportPrivacy.isWordCharacter) ?? false)
                out += rest[..<range.lowerBound]
                out += bounded ? token(value) : String(rest[range])
                rest = rest[range.upperBound...]
            }
            out += rest
            result = out
        }
        return result
    }

    static func isWordCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }

    /// Free text the run wrote: masked values as whole words, and with SSID masked any
    /// stand-alone ten-digit number.
    func text(_ s: String, values: [String]) -> String {
        var result = replacingWords(in: s, values)
        if masks.contains("SSID") { result = replaceTenDigitNumbers(result) }
        return result
    }

    func replaceTenDigitNumbers(_ s: String) -> String {
        let chars = Array(s)
        var out = ""
        var i = 0
        while i < chars.count {
            guard chars[i].isASCII, chars[i].isNumber else { out.append(chars[i]); i += 1; continue }
            var j = i
            while j < chars.count, chars[j].isASCII, chars[j].isNumber { j += 1 }
            let run = String(chars[i..<j])
            let before: Character? = i > 0 ? chars[i - 1] : nil
            let after: Character? = j < chars.count ? chars[j] : nil
            let bounded = !(before.map(ReportPrivacy.isWordCharacter) ?? false) && !(after.map(ReportPrivacy.isWordCharacter) ?? false)
            out += run.count == 10 && bounded ? token(run) : run
            i = j
        }
        return out
    }

    // MARK: exported files

    /// What masking did to an exported table.
    public struct ExportMasking: Sendable {
        public var table: Table
        /// Columns written as tokens.
        public var masked: [String] = []
        /// Counts written as `*`.
        public var suppressed = 0
        /// Number columns that became text only for their `*`s: a workbook still writes their
        /// other values as numbers.
        public var numbers: [String] = []
    }

    /// An exported table as the reports show it: masked columns (by lineage) as tokens, small
    /// counts as `*`, and with SSID masked any stand-alone ten-digit number in other text. A
    /// column that changed becomes text; the others keep their types (numbers stay numbers in a
    /// workbook).
    public func apply(_ table: Table, lineage: ColumnLineage) -> ExportMasking {
        let original = Preview(table, limit: table.rowCount, lineage: lineage)
        var found = Set<String>()
        var shown = apply(original, suppress: true, found: &found)
        let lineages = original.lineage ?? []
        var result = ExportMasking(table: table)
        var names = table.names, columns = table.columns
        for k in columns.indices {
            let l = k < lineages.count ? lineages[k] : [names[k]]
            let tokenised = isMasked(l)
            if !tokenised, masks.contains("SSID"), columns[k].type == .text {
                for r in shown.rows.indices { shown.rows[r][k] = shown.rows[r][k].map(replaceTenDigitNumbers) }
            }
            names[k] = shown.columns[k]
            var changed = false, stars = 0
            for r in shown.rows.indices where shown.rows[r][k] != original.rows[r][k] {
                changed = true
                if shown.rows[r][k] == "*" { stars += 1 }
            }
            if tokenised || names[k] != table.names[k] { result.masked.append(table.names[k]) }
            result.suppressed += stars
            if changed, !tokenised, table.columns[k].type == .integer || table.columns[k].type == .decimal {
                result.numbers.append(names[k])
            }
            if changed {
                var builder = ColumnBuilder(type: .text, capacity: shown.rows.count)
                for row in shown.rows { builder.append(row[k].map { .text($0) } ?? .null) }
                columns[k] = builder.build()
            }
        }
        result.table = Table(names: names, columns: columns, provenance: table.provenance)
        return result
    }

    /// Columns of a table whose values the run masks (by lineage).
    public func maskedColumns(_ table: Table, lineage: ColumnLineage) -> [String] {
        table.names.filter { isMasked(Lineage.of($0, in: lineage).sorted()) }
    }

    // MARK: records

    /// The raw values to hide in free text: those masked in tables, and those the run quoted.
    func freeTextValues(found: Set<String>, sensitive: [SensitiveValue]) -> [String] {
        var values = Set(found.filter { $0.count >= 3 })
        for item in sensitive where isMasked(item.lineage) { values.insert(item.value) }
        return Array(values)
    }

    func apply(check: CheckResult, found: inout Set<String>) -> CheckResult {
        var c = check
        c.failingRows = check.failingRows.map { apply($0, suppress: false, found: &found) }
        if var affected = check.affected {
            if isMasked(affected.lineage + [affected.column]) {
                found.formUnion(affected.values)
                affected.values = affected.values.map(token)
            }
            // A small count of failing students by school is suppressed like any other (0 = "*").
            if let below = suppressBelow { affected.counts = affected.counts.map { $0 < below ? 0 : $0 } }
            c.affected = affected
        }
        return c
    }

    /// Counts written into text as "×N" or "(N rows)" shown as `*` when below the suppression threshold.
    func suppressInText(_ text: String) -> String {
        guard let below = suppressBelow else { return text }
        var out = text
        for pattern in [#"×([0-9][0-9,]*)"#, #"\(([0-9][0-9,]*) rows?\)"#] {
            guard let regex = try? NSRegularExpression(pattern: pattern) else { continue }
            let matches = regex.matches(in: out, range: NSRange(out.startIndex..., in: out)).reversed()
            for m in matches {
                guard let r = Range(m.range(at: 1), in: out), let n = Int(out[r].replacingOccurrences(of: ",", with: "")),
                    n > 0, n < below
                else { continue }
                out.replaceSubrange(r, with: "*")
            }
        }
        return out
    }

    public func apply(_ record: ReportRecord) -> ReportRecord {
        guard !isEmpty else { return record }
        var out = record
        var found = Set<String>()
        for i in out.cells.indices {
            let counts = [.pipeline, .show, .compare, .counts, .chart].contains(out.cells[i].kind)
            out.cells[i].preview = out.cells[i].preview.map { apply($0, suppress: counts, found: &found) }
            // A share beside a suppressed count would give it away (share × rows): hidden with it.
            if out.cells[i].kind == .counts, var p = out.cells[i].preview,
                let c = p.columns.lastIndex(of: "count"), let s = p.columns.lastIndex(of: "share")
            {
                for r in p.rows.indices where p.rows[r][c] == "*" { p.rows[r][s] = "*" }
                out.cells[i].preview = p
            }
            // A comparison's totals are counts too: a small one is not shown (-1).
            if let below = suppressBelow, var summary = out.cells[i].comparison {
                if summary.actualTotal > 0, summary.actualTotal < Double(below) { summary.actualTotal = -1 }
                if summary.expectedTotal > 0, summary.expectedTotal < Double(below) { summary.expectedTotal = -1 }
                out.cells[i].comparison = summary
            }
            if let check = out.cells[i].check {
                out.cells[i].check = apply(check: check, found: &found)
                out.cells[i].check?.failingKeys = []
            }
        }
        let values = freeTextValues(found: found, sensitive: record.sensitive ?? [])
        for i in out.cells.indices where out.cells[i].kind == .profile {
            // A profile writes counts into text ("No ×3", "(3 rows)"): small ones are suppressed there too.
            out.cells[i].preview = out.cells[i].preview.map { p in
                var q = p
                q.rows = p.rows.map { row in row.map { $0.map(suppressInText) } }
                return q
            }
            out.cells[i].notes = out.cells[i].notes.map(suppressInText)
        }
        for i in out.cells.indices {
            out.cells[i].notes = out.cells[i].notes.map { text($0, values: values) }
            out.cells[i].steps = out.cells[i].steps.map {
                var s = $0; s.detail = text(s.detail, values: values); return s
            }
            if var check = out.cells[i].check {
                check.detail = check.detail.map { text($0, values: values) }
                out.cells[i].check = check
            }
        }
        out.errors = out.errors.map { text($0, values: values) }
        out.params = out.params.map { pair in pair.count == 2 && isMaskedName(pair[0]) ? [pair[0], token(pair[1])] : pair }
        out.sensitive = nil
        return out
    }

    /// The same masking for the terminal notebook.
    public func apply(_ record: RunRecord) -> RunRecord {
        guard !masks.isEmpty else { return record }
        var out = record
        var found = Set<String>()
        for i in out.cells.indices {
            out.cells[i].preview = out.cells[i].preview.map { apply($0, suppress: false, found: &found) }
            if let check = out.cells[i].check {
                out.cells[i].check = apply(check: check, found: &found)
                out.cells[i].check?.failingKeys = []
            }
        }
        let values = freeTextValues(found: found, sensitive: record.sensitive)
        for i in out.cells.indices {
            out.cells[i].notes = out.cells[i].notes.map { text($0, values: values) }
            out.cells[i].steps = out.cells[i].steps.map {
                var s = $0; s.notes = s.notes.map { text($0, values: values) }; return s
            }
            if var check = out.cells[i].check {
                check.detail = check.detail.map { text($0, values: values) }
                out.cells[i].check = check
            }
        }
        out.errors = out.errors.map {
            var d = $0; d.message = text(d.message, values: values); d.help = d.help.map { text($0, values: values) }; d.values = [];
            return d
        }
        out.params = out.params.map { isMaskedName($0.name) ? ($0.name, token($0.value)) : $0 }
        return out
    }
}

/// The ledger as `tally runs show` and `tally runs diff` print it: failing keys, errors, details
/// and compared keys hold student values too.
extension ReportPrivacy {
    /// The raw values masked in a stored report record (its tables and quoted values).
    public func maskedValues(in report: ReportRecord?) -> Set<String> {
        guard let report, !masks.isEmpty else { return [] }
        var found = Set<String>()
        for cell in report.cells {
            if let p = cell.preview { _ = apply(p, suppress: false, found: &found) }
            if let p = cell.check?.failingRows { _ = apply(p, suppress: false, found: &found) }
        }
        for item in report.sensitive ?? [] where isMasked(item.lineage) { found.insert(item.value) }
        return found
    }

    /// A `|`- or ` / `-joined key: each part that is a masked value becomes its token.
    func key(_ key: String, separator: String, values: Set<String>, words: [String]) -> String {
        key.components(separatedBy: separator).map { part in
            values.contains(part) ? token(part) : text(part, values: words)
        }.joined(separator: separator)
    }

    public func apply(_ run: RunDetail, report: ReportRecord?) -> RunDetail {
        guard !masks.isEmpty else { return run }
        let values = maskedValues(in: report)
        let words = Array(values.filter { $0.count >= 3 })
        var out = run
        out.errors = run.errors.map { text($0, values: words) }
        out.checks = run.checks.map { check in
            var c = check
            c.detail = check.detail.map { text($0, values: words) }
            c.failingKeys = check.failingKeys.map { key($0, separator: "|", values: values, words: words) }
            return c
        }
        out.values = run.values.mapValues { series in
            Dictionary(
                series.map { (key($0.key, separator: " / ", values: values, words: words), $0.value) }, uniquingKeysWith: { a, _ in a })
        }
        out.params = Dictionary(uniqueKeysWithValues: run.params.map { ($0.key, isMaskedName($0.key) ? token($0.value) : $0.value) })
        return out
    }

    public func apply(_ diff: RunDifference, reports: [ReportRecord?]) -> RunDifference {
        guard !masks.isEmpty else { return diff }
        let values = reports.reduce(into: Set<String>()) { $0.formUnion(maskedValues(in: $1)) }
        let words = Array(values.filter { $0.count >= 3 })
        var out = diff
        out.values = diff.values.map {
            var v = $0; v.key = key(v.key, separator: " / ", values: values, words: words); return v
        }
        return out
    }
}

extension ReportPrivacy {
    /// Tracked errors as `tally errors` shows them: masked identifiers and field values as
    /// tokens (the same tokens as the runs' reports), and a masked value quoted in an error's
    /// description replaced there too.
    public func apply(_ history: ErrorHistory) -> ErrorHistory {
        guard !masks.isEmpty else { return history }
        var out = history
        out.errors = history.errors.map { status in
            var s = status
            var e = status.error
            var hidden: [String] = []
            func mask(_ value: String?, _ column: String) -> String? {
                guard let value, isMaskedName(column) else { return value }
                hidden.append(value)
                return token(value)
            }
            e.ssid = mask(e.ssid, "SSID")
            e.localRecordID = mask(e.localRecordID, "LocalRecordID")
            e.school = mask(e.school, "SchoolOfAttendance")
            if let field = e.field { e.value = mask(e.value, field) }
            if let d = e.description { e.description = text(d, values: hidden.filter { !$0.isEmpty }) }
            if masks.contains("SSID"), let d = e.description { e.description = replaceTenDigitNumbers(d) }
            e.key = ""
            s.error = e
            return s
        }
        return out
    }
}
