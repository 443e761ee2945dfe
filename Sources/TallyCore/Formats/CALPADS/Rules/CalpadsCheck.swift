import Foundation
import TallyModel

/// A rule checked declaratively: the `check` column of scripts/calpads_rules.tsv, parsed once.
/// Most CALPADS input validations are one of a few shapes — a field's format, "if this then
/// that", two codes that must be a valid combination, no repeated keys — so a new rule or a new
/// year's change is a row of data, not code. The grammar is in the TSV's header.
struct CalpadsCheck: Sendable {
    enum Term: Sendable {
        case field(String), number(Double), today, yearStart, yearEnd
        case duration(years: Int, months: Int, days: Int)
    }
    /// A sum or difference of terms.
    struct Expr: Sendable { var terms: [(sign: Double, term: Term)] }

    enum Condition: Sendable {
        case member(String, Set<String>, negated: Bool)
        case present(String), blank(String), tenDigits(String)
        case compare(Expr, String, Expr)
    }

    enum Kind: Sendable {
        case academicYear
        case nameChars([String])
        case numeric([String])
        case allOrNone([String])
        case inSheet(String, String)
        case combo(String, [String], String)
        case effective([(sheet: String, field: String)])
        case unique([String], [Condition])
        case consistent([String], [String])
        case conflict([String], String, Set<String>, Set<String>)
        case assert([Condition], [Condition])
    }

    let kind: Kind

    /// Parses a check; nil for `code` (checked by the validator's Swift code) or text that is not
    /// a check (the transcription script and a test make sure every rule's check parses).
    static func parse(_ text: String) -> CalpadsCheck? {
        let words = text.split(separator: " ").map(String.init)
        guard let head = words.first else { return nil }
        let rest = Array(words.dropFirst())
        func list(_ s: String) -> [String] { s.split(separator: ",").map(String.init) }
        switch head {
        case "academic-year": return CalpadsCheck(kind: .academicYear)
        case "name-chars" where rest.count == 1: return CalpadsCheck(kind: .nameChars(list(rest[0])))
        case "numeric" where rest.count == 1: return CalpadsCheck(kind: .numeric(list(rest[0])))
        case "all-or-none" where rest.count == 1: return CalpadsCheck(kind: .allOrNone(list(rest[0])))
        case "in-sheet" where rest.count == 2: return CalpadsCheck(kind: .inSheet(rest[0], rest[1]))
        case "combo" where rest.count == 3: return CalpadsCheck(kind: .combo(rest[0], list(rest[1]), rest[2]))
        case "effective":
            let pairs = rest.compactMap { w -> (sheet: String, field: String)? in
                let p = w.split(separator: ":").map(String.init)
                return p.count == 2 ? (p[0], p[1]) : nil
            }
            return pairs.count == rest.count && !pairs.isEmpty ? CalpadsCheck(kind: .effective(pairs)) : nil
        case "unique" where !rest.isEmpty:
            guard let conditions = rest.count > 1 ? (rest[1] == "when" ? parseConditions(Array(rest.dropFirst(2))) : nil) : [] else {
                return nil
            }
            return CalpadsCheck(kind: .unique(list(rest[0]), conditions))
        case "consistent" where rest.count == 2: return CalpadsCheck(kind: .consistent(list(rest[0]), list(rest[1])))
        case "conflict" where rest.count == 3:
            let a = rest[1].split(separator: "=", maxSplits: 1).map(String.init),
                b = rest[2].split(separator: "=", maxSplits: 1).map(String.init)
            guard a.count == 2, b.count == 2, a[0] == b[0] else { return nil }
            return CalpadsCheck(
                kind: .conflict(
                    list(rest[0]), a[0], Set(a[1].split(separator: "|").map(String.init)),
                    Set(b[1].split(separator: "|").map(String.init))))
        case "when", "assert":
            let whenPart: [String], assertPart: [String]
            if head == "when" {
                guard let k = rest.firstIndex(of: "assert") else { return nil }
                whenPart = Array(rest[..<k]); assertPart = Array(rest[(k + 1)...])
            } else {
                whenPart = []; assertPart = rest
            }
            guard let w = parseConditions(whenPart), let a = parseConditions(assertPart), !a.isEmpty else { return nil }
            return CalpadsCheck(kind: .assert(w, a))
        default: return nil
        }
    }

    static func parseConditions(_ words: [String]) -> [Condition]? {
        var out: [Condition] = []
        for w in words {
            guard let c = parseCondition(w) else { return nil }
            out.append(c)
        }
        return out
    }

    static func parseCondition(_ w: String) -> Condition? {
        if w.hasSuffix("~10digits") { return .tenDigits(String(w.dropLast(9))) }
        if w.hasSuffix("?") { return .present(String(w.dropLast())) }
        if w.hasSuffix("!") { return .blank(String(w.dropLast())) }
        for op in ["<=", ">=", "=="] {
            if let r = w.range(of: op) {
                guard let l = parseExpr(String(w[..<r.lowerBound])), let rr = parseExpr(String(w[r.upperBound...])) else { return nil }
                return .compare(l, op, rr)
            }
        }
        if let r = w.range(of: "!=") {
            return .member(String(w[..<r.lowerBound]), Set(w[r.upperBound...].split(separator: "|").map(String.init)), negated: true)
        }
        if let r = w.range(of: "=") {
            return .member(String(w[..<r.lowerBound]), Set(w[r.upperBound...].split(separator: "|").map(String.init)), negated: false)
        }
        for op in ["<", ">"] {
            if let r = w.range(of: op) {
                guard let l = parseExpr(String(w[..<r.lowerBound])), let rr = parseExpr(String(w[r.upperBound...])) else { return nil }
                return .compare(l, op, rr)
            }
        }
        return nil
    }

    static func parseExpr(_ s: String) -> Expr? {
        var terms: [(sign: Double, term: Term)] = []
        var sign = 1.0, current = ""
        func flush() -> Bool {
            guard !current.isEmpty else { return false }
            let t: Term
            if current == "today" {
                t = .today
            } else if current == "yearstart" {
                t = .yearStart
            } else if current == "yearend" {
                t = .yearEnd
            } else if let n = Double(current) {
                t = .number(n)
            } else if let unit = current.last, "ymd".contains(unit), let n = Int(current.dropLast()) {
                t = .duration(years: unit == "y" ? n : 0, months: unit == "m" ? n : 0, days: unit == "d" ? n : 0)
            } else if current.allSatisfy({ $0.isLetter || $0.isNumber }) {
                t = .field(current)
            } else {
                return false
            }
            terms.append((sign, t)); current = ""
            return true
        }
        for ch in s {
            if ch == "+" || ch == "-" {
                guard flush() else { return nil }
                sign = ch == "+" ? 1 : -1
            } else {
                current.append(ch)
            }
        }
        guard flush() else { return nil }
        return Expr(terms: terms)
    }

    /// The fields a condition reads, first one first (a finding names it).
    static func fields(of c: Condition) -> [String] {
        switch c {
        case .member(let f, _, _), .present(let f), .blank(let f), .tenDigits(let f): return [f]
        case .compare(let l, _, let r):
            return (l.terms + r.terms).compactMap { if case .field(let f) = $0.term { return f } else { return nil } }
        }
    }
}

/// Runs the declarative checks.
extension CalpadsValidator {
    /// A value an expression evaluates to: a date (days since 1970) or a number.
    enum Operand { case date(Int32), number(Double) }

    static let todayDays: Int32 = Int32((Date().timeIntervalSince1970 / 86_400).rounded(.down))

    /// A field term of an expression as a function of the row, read through its view: a date
    /// column's day, else the number its text holds, judged once per distinct value (a
    /// `numericValue` per row per rule, and a name looked up for it, was most of these checks).
    static func operand(_ f: String, _ r: Record) -> (Int) -> Operand? {
        guard let view = r.view(f) else { return { _ in nil } }
        if case .date = view.column.data { return { row in view.date(row).map { .date($0) } } }
        let number = view.judged(numericValue)
        return { row in (number(row) ?? nil).map { .number($0) } }
    }

    /// `e` as a function of row and year, its fields' readers (`operand`) and its durations made
    /// once.
    static func evaluator(_ e: CalpadsCheck.Expr, _ r: Record) -> (Int, Int) -> Operand? {
        let readers = e.terms.map { t -> ((Int) -> Operand?)? in
            if case .field(let f) = t.term { return operand(f, r) } else { return nil }
        }
        var durations: [(Double, Int, Int, Int)] = []
        for (sign, term) in e.terms { if case .duration(let y, let m, let d) = term { durations.append((sign, y, m, d)) } }
        return { row, year in
            var date: Int32? = nil
            var number = 0.0
            for (k, (sign, term)) in e.terms.enumerated() {
                switch term {
                case .field:
                    switch readers[k]?(row) {
                    case .date(let d)?:
                        guard date == nil, sign > 0 else { return nil }
                        date = d
                    case .number(let n)?: number += sign * n
                    case nil: return nil
                    }
                case .number(let n): number += sign * n
                case .today, .yearStart, .yearEnd:
                    guard date == nil, sign > 0 else { return nil }
                    switch term {
                    case .today: date = todayDays
                    case .yearStart: date = DateCodec.days(year: year, month: 7, day: 1)
                    default: date = DateCodec.days(year: year + 1, month: 6, day: 30)
                    }
                case .duration: break
                }
            }
            guard var d = date else { return durations.isEmpty ? .number(number) : nil }
            // Days added to a date stay within a few thousand years (a field's value could be anything).
            guard number.isFinite, abs(number) < 1_000_000 else { return nil }
            for (sign, y, m, days) in durations {
                d = addCalendar(d, years: Int(sign) * y, months: Int(sign) * m) &+ Int32(Int(sign) * days)
            }
            return .date(d &+ Int32(number))
        }
    }

    /// Adds years and months to a date, keeping the day (clamped to the month's length).
    static func addCalendar(_ d: Int32, years: Int, months: Int) -> Int32 {
        guard years != 0 || months != 0 else { return d }
        let (y, m, day) = DateCodec.civil(d)
        var month = m - 1 + months, year = y + years
        year += month >= 0 ? month / 12 : (month - 11) / 12
        month = ((month % 12) + 12) % 12
        return DateCodec.days(year: year, month: month + 1, day: min(day, DateCodec.daysInMonth(year: year, month: month + 1))) ?? d
    }

    /// A CALPADS numeric field: digits with at most one decimal point (FRMT0004).
    static func numericValue(_ s: String) -> Double? {
        var dots = 0
        for ch in s.utf8 {
            if ch == UInt8(ascii: ".") { dots += 1 } else if !(48...57).contains(ch) { return nil }
        }
        return dots <= 1 && s.utf8.contains(where: { (48...57).contains($0) }) ? Double(s) : nil
    }

    /// `holds` as a function of row and year, with a code test worked out once per distinct value
    /// of its column (`FieldView.judged`); a comparison reads its fields row by row.
    static func condition(_ c: CalpadsCheck.Condition, _ r: Record) -> (Int, Int) -> Bool? {
        switch c {
        case .member(let f, let set, let negated):
            guard let judged = r.view(f)?.judged({ set.contains($0) != negated }) else { return { _, _ in nil } }
            return { row, _ in judged(row) }
        case .present(let f):
            guard let view = r.view(f) else { return { _, _ in false } }
            return { row, _ in view.hasText(row) }
        case .blank(let f):
            guard let view = r.view(f) else { return { _, _ in true } }
            return { row, _ in !view.hasText(row) }
        case .tenDigits(let f):
            guard let judged = r.view(f)?.judged({ allDigits($0, count: 10) }) else { return { _, _ in nil } }
            return { row, _ in judged(row) }
        case .compare(let le, let op, let re):
            // true, false, or nil when a field it needs is blank or not a date or number.
            let left = evaluator(le, r), right = evaluator(re, r), test = comparison(op)
            return { row, year in
                guard let l = left(row, year) else { return nil }
                switch (l, right(row, year)) {
                case (.date(let x), .date(let y)?): return test(Double(x), Double(y))
                case (.number(let x), .number(let y)?): return test(x, y)
                default: return nil
                }
            }
        }
    }

    /// Only letters, digits, spaces, periods, hyphens and apostrophes (name-chars). All ASCII bytes of
    /// those is a yes without walking the characters; anything else is judged character by character.
    static func nameCharsOnly(_ v: String) -> Bool {
        let quick = v.utf8.allSatisfy { b in
            (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || (b >= 48 && b <= 57) || b == 32 || b == 46 || b == 45 || b == 39
        }
        return quick || v.allSatisfy({ $0.isLetter || $0.isNumber || " .-'".contains($0) })
    }

    /// `op` as a test of two numbers (or day numbers), chosen once, not per row.
    static func comparison(_ op: String) -> (Double, Double) -> Bool {
        switch op {
        case "<=": return { $0 <= $1 }
        case ">=": return { $0 >= $1 }
        case "<": return { $0 < $1 }
        case ">": return { $0 > $1 }
        default: return { abs($0 - $1) < 1e-9 }
        }
    }

    /// The rules of `type` with a declarative check, parsed once.
    static let declarative: [(rule: CalpadsRule, check: CalpadsCheck)] = CalpadsRules.all.compactMap { rule in
        CalpadsCheck.parse(rule.check).map { (rule, $0) }
    }

    /// Runs every declarative rule of the file type on the table.
    static func declarativeRules(_ r: Record, type: String, _ layout: CalpadsLayout) -> [Finding] {
        var out: [Finding] = []
        let n = r.table.rowCount
        let years = (0..<n).map { yearStart(r, $0, layout) }
        for (rule, check) in declarative where rule.types.contains(type) || (rule.types.contains("*") && !rule.atLoad) {
            func active(_ row: Int) -> Bool { rule.applies(year: years[row]) }
            func finding(_ field: String, _ row: Int, _ message: String? = nil) -> Finding {
                Finding(
                    rule: rule.id, field: field, value: r.text(field, row) ?? "", message: message ?? "expected: \(rule.description)",
                    row: row)
            }
            func key(_ fields: [String], _ row: Int) -> String? {
                var parts: [String] = []
                for f in fields {
                    guard let v = r.text(f, row) else { return nil }
                    parts.append(v)
                }
                return parts.joined(separator: "\u{1F}")
            }
            switch check.kind {
            case .academicYear:
                guard r.columns["AcademicYearID"] != nil else { continue }
                // No more than one year after the academic year today falls in.
                let today = DateCodec.civil(todayDays)
                let latest = (today.month >= 7 ? today.year : today.year - 1) + 1
                guard
                    let problem = r.view("AcademicYearID")?.judged({ v -> String? in
                        guard let start = CalpadsLayouts.startYear(v), v.count == 9 else {
                            return "the academic year must be CCYY-CCYY, e.g. 2024-2025"
                        }
                        return start > latest ? "\(v) is more than one year in the future" : nil
                    })
                else { continue }
                for row in 0..<n { if let message = problem(row) ?? nil { out.append(finding("AcademicYearID", row, message)) } }
            case .nameChars(let fields):
                // Field by field (a row's findings keep field order: makeTable's sort is stable).
                for f in fields {
                    guard let bad = r.view(f)?.judged({ v in !nameCharsOnly(v) }) else { continue }
                    for row in 0..<n where bad(row) == true && active(row) {
                        out.append(finding(f, row, "\(f) may hold only letters, digits, spaces, periods, hyphens and apostrophes"))
                    }
                }
            case .numeric(let fields):
                let present = fields.filter { r.columns[$0] != nil }
                for row in 0..<n where active(row) {
                    for f in present {
                        guard let v = r.text(f, row), numericValue(v) == nil else { continue }
                        out.append(finding(f, row, "\(f) must be a number"))
                    }
                }
            case .allOrNone(let fields):
                guard fields.allSatisfy({ r.columns[$0] != nil }) else { continue }
                let views = fields.compactMap { r.view($0) }
                for row in 0..<n where active(row) {
                    // Counted through the views first: the names are listed only for a finding.
                    let count = views.reduce(0) { $0 + ($1.hasText(row) ? 1 : 0) }
                    guard count > 0, count < views.count else { continue }
                    let given = fields.filter { r.text($0, row) != nil }
                    if !given.isEmpty, given.count < fields.count, let missing = fields.first(where: { r.text($0, row) == nil }) {
                        out.append(
                            finding(
                                missing, row,
                                "\(missing) is blank while \(given.joined(separator: ", ")) is given: give all of \(fields.joined(separator: ", ")) or none"
                            ))
                    }
                }
            case .inSheet(let sheet, let f):
                // The sheet asked once per distinct value.
                guard let unknown = r.view(f)?.judged({ !CalpadsCodes.known(sheet, $0) }) else { continue }
                for row in 0..<n where unknown(row) == true && active(row) {
                    let v = r.text(f, row) ?? ""
                    out.append(finding(f, row, "\"\(v)\" is not a code of the CALPADS \(sheet) table"))
                }
            case .combo(let sheet, let aFields, let b):
                // Each first code's combinations looked up once per distinct value, and a pair's
                // validity once per pair of codes and year.
                guard let bView = r.view(b) else { continue }
                let aViews = aFields.map { a in r.view(a).map { ($0, $0.judged { CalpadsCodes.combinations[sheet]?[$0] ?? [] }) } }
                var validPairs: [Pair<Pair<Int, Int>, Int>: Bool] = [:]
                for row in 0..<n where active(row) {
                    guard let bv = bView.text(row) else { continue }
                    for (k, a) in aFields.enumerated() {
                        // Judged only for codes the sheet lists as effective in the year: a code
                        // outside its years is GERR0007's finding, one the sheet does not list is
                        // not the sheet's to judge.
                        let year = years[row]
                        guard let aView = aViews[k]?.0, let list = aViews[k]?.1(row),
                            list.contains(where: { $0.first <= year && year <= $0.last }), let av = aView.text(row),
                            let aID = aView.id(row), let bID = bView.id(row)
                        else { continue }
                        let key = Pair(Pair(aID, bID), year)
                        let valid = validPairs[key] ?? list.contains { $0.b == bv && $0.first <= year && year <= $0.last }
                        validPairs[key] = valid
                        guard !valid else { continue }
                        out.append(
                            finding(
                                aFields.count > 1 ? a : b, row,
                                "\(a) \(av) and \(b) \(bv) are not a valid combination in \(years[row])-\(years[row] + 1)"))
                    }
                }
            case .effective(let pairs):
                // Each code's rows of the sheet looked up once per distinct value (nil: not listed).
                let judged = pairs.map { (sheet, f) in r.view(f)?.judged { CalpadsCodes.combinations[sheet]?[$0] } }
                for row in 0..<n where active(row) {
                    for (k, (_, f)) in pairs.enumerated() {
                        let year = years[row]
                        guard let list = judged[k]?(row) ?? nil, !list.contains(where: { $0.first <= year && year <= $0.last }),
                            let v = r.text(f, row)
                        else { continue }
                        out.append(finding(f, row, "code \(v) is not effective in \(years[row])-\(years[row] + 1)"))
                    }
                }
            case .unique(let keys, let conditions):
                // A row repeats an earlier counted row's key: looked for among the rows sharing its
                // most varied field (a student's few records), comparing the fields' atoms, not
                // among keys numbered across the whole file.
                let conds = conditions.map { condition($0, r) }, (groups, views) = r.keyGroups(keys)
                var repeats: [Int] = []
                for rows in groups {
                    var seen = SeenKeys(views, rows: rows.count)
                    for row in rows where active(row) && views.allSatisfy({ $0.hasText(row) }) {
                        guard conds.allSatisfy({ $0(row, years[row]) == true }) else { continue }
                        if !seen.insert(row) { repeats.append(row) }
                    }
                }
                for row in repeats.sorted() {
                    out.append(finding(rule.fields.first ?? keys[0], row, "repeats another record's \(keys.joined(separator: ", "))"))
                }
            case .consistent(let keys, let fields):
                var first: [String: Int] = [:]
                for row in 0..<n where active(row) {
                    guard let k = key(keys, row) else { continue }
                    guard let f0 = first[k] else { first[k] = row; continue }
                    if let f = fields.first(where: { r.text($0, row) != r.text($0, f0) }) {
                        out.append(finding(f, row, "\(f) differs from another record of the same \(keys.last ?? "")"))
                    }
                }
            case .conflict(let keys, let field, let a, let b):
                var hasA = Set<String>()
                for row in 0..<n where active(row) {
                    if let k = key(keys, row), let v = r.text(field, row), a.contains(v) { hasA.insert(k) }
                }
                for row in 0..<n where active(row) {
                    guard let k = key(keys, row), hasA.contains(k), let v = r.text(field, row), b.contains(v) else { continue }
                    out.append(finding(field, row, "\(field) \(v) conflicts with another record of the same \(keys.last ?? "")"))
                }
            case .assert(let when, let asserts):
                let needed = Set((when + asserts).flatMap(CalpadsCheck.fields(of:)))
                guard needed.allSatisfy({ r.columns[$0] != nil }) else { continue }
                // A condition at a time over the rows still in question (walking an array of
                // closures per row retained each one per call): the rows where every `when`
                // holds, then each row's first assert that fails, as the row-by-row test found it.
                var rows = (0..<n).filter(active)
                for c in when {
                    let holds = condition(c, r)
                    rows = rows.filter { holds($0, years[$0]) == true }
                }
                var failed = [Int](repeating: -1, count: rows.count), open = Array(rows.indices)
                for (k, c) in asserts.enumerated() {
                    let holds = condition(c, r)
                    open = open.filter { i in
                        guard holds(rows[i], years[rows[i]]) == false else { return true }
                        failed[i] = k
                        return false
                    }
                }
                for (i, row) in rows.enumerated() where failed[i] >= 0 {
                    out.append(finding(CalpadsCheck.fields(of: asserts[failed[i]]).first ?? "", row))
                }
            }
        }
        return out
    }
}
