/// The five column types of the playbook language.
public enum DataType: String, Sendable, Equatable, CaseIterable, Codable {
    case text, integer, decimal, date, boolean

    /// Integer and decimal compare and combine with each other.
    public var isNumeric: Bool { self == .integer || self == .decimal }

    /// Whether values of the two types may be compared or matched as join keys.
    public func isComparable(with other: DataType) -> Bool {
        self == other || (isNumeric && other.isNumeric)
    }
}
