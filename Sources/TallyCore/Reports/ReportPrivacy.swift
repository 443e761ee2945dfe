import Crypto
import Foundation

/// Student privacy in reports: masked columns become stable, non-reversible tokens everywhere
/// they appear, and small counts are suppressed.
public struct ReportPrivacy: Sendable {
    /// Column names whose values are masked (`SSID` also masks `sinf_SSID`).
    public var masks: Set<String>
    /// Counts below this (and above zero) show as `*`.
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
        return "#" + mac.prefix(6).map { byte in
            let s = String(byte, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined()
    }

    func isMasked(_ column: String) -> Bool {
        masks.contains(column) || masks.contains { column.hasSuffix("_" + $0) }
    }

    public func apply(_ record: ReportRecord) -> ReportRecord {
        guard !isEmpty else { return record }
        var out = record
        var seen: [String: String] = [:]
        func preview(_ p: Preview?, counts: Bool) -> Preview? {
            guard var p else { return nil }
            for (k, column) in p.columns.enumerated() {
                let masked = isMasked(column)
                let integer = p.types.indices.contains(k) && p.types[k] == "integer"
                for r in p.rows.indices {
                    guard let value = p.rows[r][k] else { continue }
                    if masked {
                        let t = token(value)
                        if value.count >= 3 { seen[value] = t }
                        p.rows[r][k] = t
                    } else if counts, integer, let limit = suppressBelow, let n = Int(value), n > 0, n < limit {
                        p.rows[r][k] = "*"
                    }
                }
            }
            return p
        }
        for i in out.cells.indices {
            let counts = ["pipeline", "show", "compare"].contains(out.cells[i].kind)
            out.cells[i].preview = preview(out.cells[i].preview, counts: counts)
            if var check = out.cells[i].check {
                check.failingRows = preview(check.failingRows, counts: false)
                check.failingKeys = []
                out.cells[i].check = check
            }
        }
        // Free text: every masked value seen in a table, and (when SSID is masked) any 10-digit number.
        let maskDigits = masks.contains("SSID")
        func text(_ s: String) -> String {
            var result = s
            for (value, t) in seen.sorted(by: { $0.key.count > $1.key.count }) where result.contains(value) {
                result = result.replacingOccurrences(of: value, with: t)
            }
            if maskDigits { result = replaceTenDigitNumbers(result) }
            return result
        }
        for i in out.cells.indices {
            out.cells[i].statement = text(out.cells[i].statement)
            out.cells[i].narrative = out.cells[i].narrative.map(text)
            out.cells[i].notes = out.cells[i].notes.map(text)
            out.cells[i].steps = out.cells[i].steps.map { var s = $0; s.detail = text(s.detail); return s }
            if var check = out.cells[i].check {
                check.detail = check.detail.map(text)
                check.message = check.message.map(text)
                check.predicate = text(check.predicate)
                out.cells[i].check = check
            }
        }
        out.errors = out.errors.map(text)
        out.params = out.params.map { pair in pair.count == 2 && isMasked(pair[0]) ? [pair[0], token(pair[1])] : pair.map(text) }
        return out
    }

    func replaceTenDigitNumbers(_ s: String) -> String {
        var out = ""
        var digits = ""
        func flush(_ next: Character?) {
            if digits.count == 10 { out += token(digits) } else { out += digits }
            digits = ""
            if let next { out.append(next) }
        }
        for c in s {
            if c.isASCII, c.isNumber { digits.append(c) } else { flush(c) }
        }
        flush(nil)
        return out
    }
}
