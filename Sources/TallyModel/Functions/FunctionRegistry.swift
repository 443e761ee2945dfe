import Foundation

/// A scalar function: how many arguments it takes, its result type, and what it computes.
public struct FunctionDefinition: Sendable {
    public var name: String
    public var arity: ClosedRange<Int>
    public var signature: String
    /// The result type from the argument types (nil = null literal); a string is an error message.
    public var resultType: @Sendable ([DataType?]) -> Result<DataType?, FunctionTypeError>
    /// Computes one row's value; arguments are already evaluated.
    public var evaluate: @Sendable ([Value], EvaluationClock) -> Value
}

public struct FunctionTypeError: Error, Sendable { public var message: String }

/// The clock `today()` reads; injected so tests are reproducible.
public struct EvaluationClock: Sendable {
    public var today: Int32
    public init(today: Int32) { self.today = today }
    public static var system: EvaluationClock {
        EvaluationClock(today: Int32((Date().timeIntervalSince1970 / 86400).rounded(.down)))
    }
}

/// Every scalar function of the language.
public enum FunctionRegistry {
    public static let aggregateNames: Set<String> = ["count", "count_distinct", "sum", "min", "max", "avg"]

    package static func expect(_ args: [DataType?], _ types: [DataType?], _ name: String) -> FunctionTypeError? {
        for (k, (actual, wanted)) in zip(args, types).enumerated() {
            guard let wanted, let actual else { continue }
            if wanted == .decimal, actual.isNumeric { continue }
            if actual != wanted {
                return FunctionTypeError(message: "argument \(k + 1) of \(name) must be \(wanted.rawValue), not \(actual.rawValue)")
            }
        }
        return nil
    }

    package static func fixed(
        _ name: String, _ signature: String, _ args: [DataType?], _ result: DataType,
        _ body: @escaping @Sendable ([Value], EvaluationClock) -> Value
    ) -> FunctionDefinition {
        FunctionDefinition(
            name: name, arity: args.count...args.count, signature: signature,
            resultType: { types in
                if let e = expect(types, args, name) { return .failure(e) }
                return .success(result)
            }, evaluate: body)
    }

    package static func text(_ v: Value) -> String? { if case .text(let s) = v { return s }; return nil }

    /// A decimal number written in text ("12", "-3.5", "1e3"); nil for anything else, and for
    /// "inf" and "nan", which Swift would read.
    package static func number(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let first = trimmed.first, first.isNumber || first == "-" || first == "+" || first == ".",
            let value = Double(trimmed), value.isFinite
        else { return nil }
        return value
    }
    package static func date(_ v: Value) -> Int32? { if case .date(let d) = v { return d }; return nil }

    /// Whole years from `birth` to `on`.
    public static func age(_ birth: Int32, _ on: Int32) -> Int64 {
        let b = DateCodec.civil(birth), o = DateCodec.civil(on)
        var years = o.year - b.year
        if (o.month, o.day) < (b.month, b.day) { years -= 1 }
        return Int64(years)
    }

    /// Whole days, months or years from `x` to `y` (negative when `y` is earlier); nil for
    /// another unit.
    public static func dateDiff(_ unit: String, _ x: Int32, _ y: Int32) -> Int64? {
        switch unit.lowercased() {
        case "day", "days": return Int64(y) - Int64(x)
        case "month", "months", "year", "years":
            let a = DateCodec.civil(min(x, y)), b = DateCodec.civil(max(x, y))
            var months = (b.year - a.year) * 12 + (b.month - a.month)
            if b.day < a.day { months -= 1 }
            let whole = unit.lowercased().hasPrefix("month") ? months : months / 12
            return Int64(x <= y ? whole : -whole)
        default: return nil
        }
    }

    public static let all: [String: FunctionDefinition] = {
        var list: [FunctionDefinition] = [
            fixed("upper", "upper(text)", [.text], .text) { a, _ in text(a[0]).map { .text($0.uppercased()) } ?? .null },
            fixed("lower", "lower(text)", [.text], .text) { a, _ in text(a[0]).map { .text($0.lowercased()) } ?? .null },
            fixed("trim", "trim(text)", [.text], .text) { a, _ in text(a[0]).map { .text($0.trimmedSpaces()) } ?? .null },
            fixed("len", "len(text)", [.text], .integer) { a, _ in text(a[0]).map { .integer(Int64($0.count)) } ?? .null },
            fixed("year", "year(date)", [.date], .integer) { a, _ in date(a[0]).map { .integer(Int64(DateCodec.civil($0).year)) } ?? .null
            },
            fixed("month", "month(date)", [.date], .integer) { a, _ in
                date(a[0]).map { .integer(Int64(DateCodec.civil($0).month)) } ?? .null
            },
            fixed("day", "day(date)", [.date], .integer) { a, _ in date(a[0]).map { .integer(Int64(DateCodec.civil($0).day)) } ?? .null },
            fixed("today", "today()", [], .date) { _, clock in .date(clock.today) },
            fixed("age", "age(birth date, on date)", [.date, .date], .integer) { a, _ in
                guard let b = date(a[0]), let o = date(a[1]) else { return .null }
                return .integer(age(b, o))
            },
            fixed("age_on", "age_on(birth date, on date)", [.date, .date], .integer) { a, _ in
                guard let b = date(a[0]), let o = date(a[1]) else { return .null }
                return .integer(age(b, o))
            },
            fixed("add_days", "add_days(date, days)", [.date, .integer], .date) { a, _ in
                guard let d = date(a[0]), case .integer(let n) = a[1], abs(n) < 3_000_000 else { return .null }
                return .date(Int32(truncatingIfNeeded: Int64(d) + n))
            },
            fixed("date_diff", "date_diff(\"day\" | \"month\" | \"year\", from, to)", [.text, .date, .date], .integer) { a, _ in
                guard let unit = text(a[0]), let x = date(a[1]), let y = date(a[2]) else { return .null }
                return dateDiff(unit, x, y).map { .integer($0) } ?? .null
            },
            fixed("pad_left", "pad_left(text, width, \"0\")", [.text, .integer, .text], .text) { a, _ in
                guard let t = text(a[0]), case .integer(let w) = a[1], let pad = text(a[2])?.first else { return .null }
                let width = Int(max(0, min(w, 1_000)))
                return .text(t.count >= width ? t : String(repeating: pad, count: width - t.count) + t)
            },
            fixed("days_between", "days_between(date, date)", [.date, .date], .integer) { a, _ in
                guard let x = date(a[0]), let y = date(a[1]) else { return .null }
                return .integer(Int64(y) - Int64(x))
            },
            fixed("date", "date(text, \"YYYYMMDD\")", [.text, .text], .date) { a, _ in
                guard let s = text(a[0]), let f = text(a[1]), let p = DateCodec.Pattern(f), let d = p.parse(s) else { return .null }
                return .date(d)
            },
        ]
        list.append(
            FunctionDefinition(
                name: "substr", arity: 2...3, signature: "substr(text, start, length)",
                resultType: { t in expect(t, [.text, .integer, .integer], "substr").map { .failure($0) } ?? .success(.text) },
                evaluate: { a, _ in
                    guard let s = text(a[0]), case .integer(let start) = a[1] else { return .null }
                    let chars = Array(s)
                    let from = max(0, Int(start) - 1)
                    var length = chars.count
                    if a.count > 2 { guard case .integer(let l) = a[2] else { return .null }; length = max(0, Int(l)) }
                    guard from < chars.count else { return .text("") }
                    return .text(String(chars[from..<min(chars.count, from + length)]))
                }))
        list.append(
            FunctionDefinition(
                name: "concat", arity: 1...64, signature: "concat(a, b, ...)",
                resultType: { _ in .success(.text) },
                evaluate: { a, _ in .text(a.map(\.display).joined()) }))
        list.append(
            FunctionDefinition(
                name: "coalesce", arity: 1...64, signature: "coalesce(a, b, ...)",
                resultType: { t in commonType(t, "coalesce") },
                evaluate: { a, _ in a.first { !$0.isNull } ?? .null }))
        list.append(
            FunctionDefinition(
                name: "if", arity: 3...3, signature: "if(condition, then, else)",
                resultType: { t in
                    if let c = t[0], c != .boolean {
                        return .failure(FunctionTypeError(message: "the condition of if must be boolean, not \(c.rawValue)"))
                    }
                    return commonType(Array(t[1...]), "if")
                },
                evaluate: { a, _ in
                    if case .boolean(true) = a[0] { return a[1] }
                    return a[2]
                }))
        // Codes that look like numbers: order grades as grades, and read text as a number
        // only on purpose (null where it is not one; derive's cell counts those).
        list.append(
            fixed("grade_order", "grade_order(code)", [.text], .integer) { a, _ in
                text(a[0]).flatMap(GradeOrder.rank).map { .integer($0) } ?? .null
            })
        list.append(
            fixed("number", "number(text)", [.text], .decimal) { a, _ in
                text(a[0]).flatMap(FunctionRegistry.number).map { .decimal($0) } ?? .null
            })
        list.append(
            fixed("integer", "integer(text)", [.text], .integer) { a, _ in
                text(a[0]).flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }.map { .integer($0) } ?? .null
            })
        list.append(
            fixed("matches", "matches(text, \"regex\")", [.text, .text], .boolean) { a, _ in
                guard let t = text(a[0]), let p = text(a[1]), let re = Patterns.compiled(p) else { return .null }
                return .boolean(re.firstMatch(in: t, range: NSRange(t.startIndex..., in: t)) != nil)
            })
        list.append(
            fixed("extract", "extract(text, \"regex\", group)", [.text, .text, .integer], .text) { a, _ in
                guard let t = text(a[0]), let p = text(a[1]), case .integer(let g) = a[2], let re = Patterns.compiled(p),
                    let m = re.firstMatch(in: t, range: NSRange(t.startIndex..., in: t)), g >= 0, Int(g) < m.numberOfRanges,
                    let r = Range(m.range(at: Int(g)), in: t)
                else { return .null }
                return .text(String(t[r]))
            })
        list.append(
            fixed("replace", "replace(text, \"regex\", \"with\")", [.text, .text, .text], .text) { a, _ in
                guard let t = text(a[0]), let p = text(a[1]), let with = text(a[2]), let re = Patterns.compiled(p) else { return .null }
                return .text(re.stringByReplacingMatches(in: t, range: NSRange(t.startIndex..., in: t), withTemplate: with))
            })
        // `case when C then A else B end` (the parser nests one of these per when).
        list.append(
            FunctionDefinition(
                name: "case", arity: 3...3, signature: "case when CONDITION then VALUE else OTHER end",
                resultType: { t in
                    if let c = t[0], c != .boolean {
                        return .failure(FunctionTypeError(message: "the condition after when must be true/false, not \(c.rawValue)"))
                    }
                    return commonType(Array(t[1...]), "case").mapError {
                        FunctionTypeError(
                            message: $0.message.replacingOccurrences(
                                of: "the arguments of case", with: "the values of case (after then and else)"))
                    }
                },
                evaluate: { a, _ in
                    if case .boolean(true) = a[0] { return a[1] }
                    return a[2]
                }))
        list.append(
            FunctionDefinition(
                name: "nullif", arity: 2...2, signature: "nullif(value, this)",
                resultType: { t in
                    if let a = t[0], let b = t[1], !a.isComparable(with: b) {
                        return .failure(
                            FunctionTypeError(message: "nullif compares values of one type, not \(a.rawValue) and \(b.rawValue)"))
                    }
                    return .success(t[0])
                },
                evaluate: { a, _ in
                    if a[0].isNull { return .null }
                    return Value.compare(a[0], a[1]) == 0 && !a[1].isNull ? .null : a[0]
                }))
        list.append(
            FunctionDefinition(
                name: "round", arity: 1...2, signature: "round(number, digits)",
                resultType: { t in
                    if let x = t[0], !x.isNumeric { return .failure(FunctionTypeError(message: "round takes a number, not \(x.rawValue)")) }
                    return .success(t.count == 1 ? .integer : .decimal)
                },
                evaluate: { a, _ in
                    guard let x = a[0].doubleValue else { return .null }
                    if a.count == 1 { return .integer(Int64(x.rounded(.toNearestOrAwayFromZero))) }
                    guard case .integer(let digits) = a[1] else { return .null }
                    let scale = pow(10.0, Double(digits))
                    return .decimal((x * scale).rounded(.toNearestOrAwayFromZero) / scale)
                }))
        list.append(
            FunctionDefinition(
                name: "abs", arity: 1...1, signature: "abs(number)",
                resultType: { t in
                    if let x = t[0], !x.isNumeric { return .failure(FunctionTypeError(message: "abs takes a number, not \(x.rawValue)")) }
                    return .success(t[0] ?? .integer)
                },
                evaluate: { a, _ in
                    switch a[0] {
                    case .integer(let v): return .integer(v == Int64.min ? v : Swift.abs(v))
                    case .decimal(let v): return .decimal(Swift.abs(v))
                    default: return .null
                    }
                }))
        return Dictionary(uniqueKeysWithValues: list.map { ($0.name, $0) })
    }()

    package static func commonType(_ types: [DataType?], _ name: String) -> Result<DataType?, FunctionTypeError> {
        var result: DataType? = nil
        for t in types {
            guard let t else { continue }
            guard let r = result else { result = t; continue }
            if r == t { continue }
            if r.isNumeric, t.isNumeric { result = .decimal; continue }
            return .failure(FunctionTypeError(message: "the arguments of \(name) mix \(r.rawValue) and \(t.rawValue)"))
        }
        return .success(result)
    }
}

/// Compiled regular expressions, once per pattern (patterns are literals, checked before the run).
public enum Patterns {
    nonisolated(unsafe) private static var cache: [String: NSRegularExpression] = [:]
    private static let lock = NSLock()

    public static func compiled(_ pattern: String) -> NSRegularExpression? {
        lock.lock()
        defer { lock.unlock() }
        if let re = cache[pattern] { return re }
        guard let re = try? NSRegularExpression(pattern: pattern) else { return nil }
        cache[pattern] = re
        return re
    }

    /// Why a pattern does not compile, or nil when it does.
    public static func problem(_ pattern: String) -> String? {
        do { _ = try NSRegularExpression(pattern: pattern); return nil } catch {
            return (error as NSError).localizedDescription
        }
    }
}
