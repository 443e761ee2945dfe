/// The distinct strings of one or more text columns; columns store `Int32` codes into it.
///
/// Append-only, so codes handed out stay valid while columns that share the dictionary are
/// filtered, joined or gathered. Repeated codes (grade levels, school codes, statuses) cost four
/// bytes a row and compare as integers.
public final class TextDictionary: @unchecked Sendable {
    public private(set) var values: [String] = []
    /// Built on first lookup for dictionaries made from distinct values (a reader's), so a column
    /// of a million IDs that is never searched never pays for it.
    private var index: [String: Int32]? = [:]

    /// Codes of this dictionary's values in another one (see `KeyEncoder.atomize`), kept so a
    /// second join on the same two ID columns does not map a million values again.
    var remaps: [(base: TextDictionary, map: [Int64])] = []

    public init() {}

    public init(values: [String]) {
        for value in values { _ = intern(value) }
    }

    /// A dictionary of values already known to be distinct, in code order.
    public init(distinct values: [String]) {
        self.values = values
        index = nil
    }

    private func lookup() -> [String: Int32] {
        if let index { return index }
        var built = [String: Int32](minimumCapacity: values.count)
        for (code, value) in values.enumerated() { built[value] = Int32(code) }
        index = built
        return built
    }

    public var count: Int { values.count }

    /// The code of `value`, adding it when new.
    @discardableResult
    public func intern(_ value: String) -> Int32 {
        if let code = lookup()[value] { return code }
        let code = Int32(values.count)
        values.append(value)
        index?[value] = code
        return code
    }

    /// The code of `value` if any row of a column sharing this dictionary may hold it.
    public func code(of value: String) -> Int32? { lookup()[value] }

    @inline(__always) public subscript(code: Int32) -> String { values[Int(code)] }
}
