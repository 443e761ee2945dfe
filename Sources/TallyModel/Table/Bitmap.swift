/// A fixed-size bit set used as a column's validity mask (bit set = value present).
///
/// Packed 64 bits a word so a 1M-row column's mask costs 128 KB, not 1 MB of `Bool`s.
public struct Bitmap: Sendable, Equatable {
    public private(set) var words: [UInt64]
    public let count: Int

    public init(count: Int, filled: Bool) {
        self.count = count
        let wordCount = (count + 63) >> 6
        words = [UInt64](repeating: filled ? ~0 : 0, count: wordCount)
        if filled, count & 63 != 0, wordCount > 0 {
            words[wordCount - 1] = (1 << UInt64(count & 63)) - 1
        }
    }

    @inline(__always) public subscript(index: Int) -> Bool {
        get { (words[index >> 6] >> UInt64(index & 63)) & 1 == 1 }
        set {
            if newValue {
                words[index >> 6] |= (1 << UInt64(index & 63))
            } else {
                words[index >> 6] &= ~(1 << UInt64(index & 63))
            }
        }
    }

    /// A bitmap from its words (as `words` gave them), e.g. read back from the cell cache.
    package init(words: [UInt64], count: Int) {
        self.count = count
        self.words = words
    }

    /// Number of set bits.
    public var setCount: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }
}
