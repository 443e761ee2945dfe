/// The typed storage of one column.
public enum ColumnData: @unchecked Sendable {
    case text(codes: [Int32], dictionary: TextDictionary)
    case integer([Int64])
    case decimal([Double])
    case date([Int32])
    case boolean([Bool])
}

/// One column: typed values plus a validity bitmap (`nil` when the column has no nulls).
///
/// For example, a `GradeLevelCode` column of 1M rows is 1M `Int32` codes into a dictionary
/// of fifteen strings.
public struct Column: Sendable {
    public var data: ColumnData
    public var validity: Bitmap?
    public let count: Int

    public init(data: ColumnData, validity: Bitmap?) {
        self.data = data
        switch data {
        case .text(let codes, _): count = codes.count
        case .integer(let v): count = v.count
        case .decimal(let v): count = v.count
        case .date(let v): count = v.count
        case .boolean(let v): count = v.count
        }
        if let validity, validity.setCount == count {
            self.validity = nil
        } else {
            self.validity = validity
        }
    }

    public var type: DataType {
        switch data {
        case .text: return .text
        case .integer: return .integer
        case .decimal: return .decimal
        case .date: return .date
        case .boolean: return .boolean
        }
    }

    /// Inlinable: the evaluator and the readers in TallyCore ask it per row.
    @inlinable @inline(__always) public func isNull(_ row: Int) -> Bool {
        guard let validity else { return false }
        return !validity[row]
    }

    public var nullCount: Int { validity.map { count - $0.setCount } ?? 0 }

    /// The value at `row` (slow path: for previews, messages and the row-wise evaluator).
    public func value(_ row: Int) -> Value {
        if isNull(row) { return .null }
        switch data {
        case .text(let codes, let dictionary): return .text(dictionary[codes[row]])
        case .integer(let v): return .integer(v[row])
        case .decimal(let v): return .decimal(v[row])
        case .date(let v): return .date(v[row])
        case .boolean(let v): return .boolean(v[row])
        }
    }

    /// A column of `count` copies of one value (literals broadcast to a table's height).
    public static func constant(_ value: Value, type: DataType, count: Int) -> Column {
        var builder = ColumnBuilder(type: type, capacity: count)
        for _ in 0..<count { builder.append(value) }
        return builder.build()
    }

    /// An all-null column of a type.
    public static func nulls(type: DataType, count: Int) -> Column {
        constant(.null, type: type, count: count)
    }
}

/// Accumulates values of one declared type into a `Column`.
public struct ColumnBuilder {
    public let type: DataType
    private var texts: [Int32] = []
    private var dictionary: TextDictionary
    private var ints: [Int64] = []
    private var doubles: [Double] = []
    private var dates: [Int32] = []
    private var bools: [Bool] = []
    private var validity: [Bool] = []
    private var sawNull = false

    public init(type: DataType, capacity: Int = 0, dictionary: TextDictionary = TextDictionary()) {
        self.type = type
        self.dictionary = dictionary
        validity.reserveCapacity(capacity)
        switch type {
        case .text: texts.reserveCapacity(capacity)
        case .integer: ints.reserveCapacity(capacity)
        case .decimal: doubles.reserveCapacity(capacity)
        case .date: dates.reserveCapacity(capacity)
        case .boolean: bools.reserveCapacity(capacity)
        }
    }

    /// Appends a value; a value of another numeric type is converted, any other mismatch is null.
    public mutating func append(_ value: Value) {
        var present = true
        switch type {
        case .text:
            if case .text(let s) = value {
                texts.append(dictionary.intern(s))
            } else if value.isNull {
                texts.append(0); present = false
            } else {
                texts.append(dictionary.intern(value.display))
            }
        case .integer:
            switch value {
            case .integer(let v): ints.append(v)
            case .decimal(let v) where v.isFinite && abs(v) < 9e18: ints.append(Int64(v))
            default: ints.append(0); present = false
            }
        case .decimal:
            if let v = value.doubleValue { doubles.append(v) } else { doubles.append(0); present = false }
        case .date:
            if case .date(let v) = value { dates.append(v) } else { dates.append(0); present = false }
        case .boolean:
            if case .boolean(let v) = value { bools.append(v) } else { bools.append(false); present = false }
        }
        if !present { sawNull = true }
        validity.append(present)
    }

    public func build() -> Column {
        var bitmap: Bitmap? = nil
        if sawNull {
            var b = Bitmap(count: validity.count, filled: false)
            for (i, v) in validity.enumerated() where v { b[i] = true }
            bitmap = b
        }
        switch type {
        case .text: return Column(data: .text(codes: texts, dictionary: dictionary), validity: bitmap)
        case .integer: return Column(data: .integer(ints), validity: bitmap)
        case .decimal: return Column(data: .decimal(doubles), validity: bitmap)
        case .date: return Column(data: .date(dates), validity: bitmap)
        case .boolean: return Column(data: .boolean(bools), validity: bitmap)
        }
    }
}
