/// A fixed-size bit set used as a column's validity mask (bit set = value present).
///
/// Packed 64 bits a word so a 1M-row column's mask costs 128 KB, not 1 MB of `Bool`s.
public struct Bitmap: Sendable, Equatable {
    /// Set only by the initialisers and the subscript. Stored under another name so that the
    /// subscript can be `@inlinable`: the readers in TallyCore set a bit per row, and as a call
    /// across the module boundary that cost a call and a retain per row (docs/PERFORMANCE.md).
    @usableFromInline var bits: [UInt64]
    public let count: Int

    @inlinable public var words: [UInt64] { bits }

    public init(count: Int, filled: Bool) {
        self.count = count
        let wordCount = (count + 63) >> 6
        bits = [UInt64](repeating: filled ? ~0 : 0, count: wordCount)
        if filled, count & 63 != 0, wordCount > 0 {
            bits[wordCount - 1] = (1 << UInt64(count & 63)) - 1
        }
    }

    @inlinable @inline(__always) public subscript(index: Int) -> Bool {
        get { (bits[index >> 6] >> UInt64(index & 63)) & 1 == 1 }
        set {
            if newValue {
                bits[index >> 6] |= (1 << UInt64(index & 63))
            } else {
                bits[index >> 6] &= ~(1 << UInt64(index & 63))
            }
        }
    }

    /// A bitmap from its words (as `words` gave them), e.g. read back from the cell cache.
    package init(words: [UInt64], count: Int) {
        self.count = count
        self.bits = words
    }

    /// Number of set bits.
    public var setCount: Int { bits.reduce(0) { $0 + $1.nonzeroBitCount } }
}
