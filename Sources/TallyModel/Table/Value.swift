/// One cell value, used at the edges (previews, literals, scalar results) and by the
/// row-at-a-time fallback of the expression evaluator. Columns never store `Value`s.
public enum Value: Sendable, Equatable, Hashable {
    case null
    case text(String)
    case integer(Int64)
    case decimal(Double)
    case date(Int32)
    case boolean(Bool)

    public var isNull: Bool { if case .null = self { return true } else { return false } }

    public var type: DataType? {
        switch self {
        case .null: return nil
        case .text: return .text
        case .integer: return .integer
        case .decimal: return .decimal
        case .date: return .date
        case .boolean: return .boolean
        }
    }

    /// The numeric value of an integer or decimal, else nil.
    public var doubleValue: Double? {
        switch self {
        case .integer(let v): return Double(v)
        case .decimal(let v): return v
        default: return nil
        }
    }

    /// How the value is written in previews, CSV exports and messages.
    public var display: String {
        switch self {
        case .null: return ""
        case .text(let s): return s
        case .integer(let v): return String(v)
        case .decimal(let v): return Value.formatDecimal(v)
        case .date(let d): return DateCodec.iso(d)
        case .boolean(let b): return b ? "true" : "false"
        }
    }

    /// Shortest text that reads back as the same Double, without exponent for ordinary sizes.
    public static func formatDecimal(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) + ".0" }
        return String(v)
    }

    /// Total order used by sort, min/max and aggregate key order: nulls compare greatest.
    public static func compare(_ a: Value, _ b: Value) -> Int {
        switch (a, b) {
        case (.null, .null): return 0
        case (.null, _): return 1
        case (_, .null): return -1
        case let (.text(x), .text(y)): return x == y ? 0 : (x < y ? -1 : 1)
        case let (.integer(x), .integer(y)): return x == y ? 0 : (x < y ? -1 : 1)
        case let (.date(x), .date(y)): return x == y ? 0 : (x < y ? -1 : 1)
        case let (.boolean(x), .boolean(y)): return x == y ? 0 : (!x ? -1 : 1)
        default:
            if let x = a.doubleValue, let y = b.doubleValue { return x == y ? 0 : (x < y ? -1 : 1) }
            return a.display < b.display ? -1 : (a.display == b.display ? 0 : 1)
        }
    }
}
