import Foundation

/// The distinct strings of one or more text columns; columns store `Int32` codes into it.
///
/// Append-only, so codes handed out stay valid while columns that share the dictionary are
/// filtered, joined or gathered. Repeated codes (grade levels, school codes, statuses) cost four
/// bytes a row and compare as integers.
///
/// The values are kept as UTF-8 bytes back to back (a reader's `ByteInterner`), not as one
/// `String` each: a real district's IDs, names and street lines are millions of distinct values,
/// and making (then reference-counting and freeing) a `String` for each was a large part of a
/// load (docs/PERFORMANCE.md, "Realistic cardinality"). Exports, joins and the cell cache read the
/// bytes; `values` makes the strings once, for the paths that still want them.
public final class TextDictionary: @unchecked Sendable {
    /// The values' bytes. Its hash table is dropped when a reader hands it over (a column of a
    /// million IDs that is never searched never pays for one) and rebuilt on first lookup.
    private var store: ByteInterner
    private var hasTable: Bool
    /// The values as strings, made on first use of `values`.
    private var strings: [String]?
    /// Guards the lazy table and strings: several threads may read one dictionary at once.
    private let lock = NSLock()

    /// Codes of this dictionary's values in another one (see `KeyEncoder.atomize`), kept so a
    /// second join on the same two ID columns does not map a million values again.
    package var remaps: [(base: TextDictionary, map: [Int64])] = []

    public init() {
        store = ByteInterner()
        hasTable = true
    }

    public init(values: [String]) {
        store = ByteInterner(capacity: values.count)
        hasTable = true
        for value in values { _ = intern(value) }
    }

    /// A dictionary of values already known to be distinct, in code order.
    public init(distinct values: [String]) {
        store = ByteInterner.packing(values)
        hasTable = false
        strings = values
    }

    /// A dictionary of the distinct values an interner holds, in code order (its table is dropped).
    package init(interned: ByteInterner) {
        store = interned
        store.dropTable()
        hasTable = false
    }

    public var count: Int { store.count }

    /// The values as strings (made once; prefer `bytes` and `packed` on paths that run per value
    /// of a large column).
    public var values: [String] {
        lock.lock(); defer { lock.unlock() }
        if let strings { return strings }
        let made = (0..<store.count).map { store.string(Int32($0)) }
        strings = made
        return made
    }

    /// The values' bytes back to back, with their starts and lengths (no hash table).
    package var packed: ByteInterner {
        lock.lock(); defer { lock.unlock() }
        return store
    }

    private func tabled() {
        lock.lock(); defer { lock.unlock() }
        if !hasTable { store.rebuildTable(); hasTable = true }
    }

    /// The code of `value`, adding it when new.
    @discardableResult
    public func intern(_ value: String) -> Int32 {
        tabled()
        var v = value
        let before = store.count
        let code = v.withUTF8 { store.intern($0, 0, $0.count) }
        if store.count > before { strings?.append(value) }
        return code
    }

    /// The code of `value` if any row of a column sharing this dictionary may hold it.
    public func code(of value: String) -> Int32? {
        tabled()
        var v = value
        return v.withUTF8 { store.find($0, 0, $0.count) }
    }

    public subscript(code: Int32) -> String {
        lock.lock(); defer { lock.unlock() }
        if let strings { return strings[Int(code)] }
        return store.string(code)
    }

    /// The UTF-8 bytes of the value with `code`.
    package func bytes(_ code: Int32) -> ArraySlice<UInt8> { store.bytes(code) }
}
