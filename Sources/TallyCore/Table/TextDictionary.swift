/// The distinct strings of one or more text columns; columns store `Int32` codes into it.
///
/// Append-only, so codes handed out stay valid while columns that share the dictionary are
/// filtered, joined or gathered. Repeated codes (grade levels, school codes, statuses) cost four
/// bytes a row and compare as integers.
public final class TextDictionary: @unchecked Sendable {
    public private(set) var values: [String] = []
    private var index: [String: Int32] = [:]

    public init() {}

    public init(values: [String]) {
        for value in values { _ = intern(value) }
    }

    public var count: Int { values.count }

    /// The code of `value`, adding it when new.
    @discardableResult
    public func intern(_ value: String) -> Int32 {
        if let code = index[value] { return code }
        let code = Int32(values.count)
        values.append(value)
        index[value] = code
        return code
    }

    /// The code of `value` if any row of a column sharing this dictionary may hold it.
    public func code(of value: String) -> Int32? { index[value] }

    @inline(__always) public subscript(code: Int32) -> String { values[Int(code)] }
}
