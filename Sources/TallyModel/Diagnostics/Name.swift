/// A name as written in the playbook, with where it was written.
public struct Name: Sendable, Equatable, Hashable {
    public var text: String
    public var span: SourceSpan
    public init(_ text: String, _ span: SourceSpan) { self.text = text; self.span = span }
}

/// A value a run wrote into free text (an error, a check's detail) and the columns it came from,
/// so that masking can find it there as a whole word.
public struct SensitiveValue: Sendable, Codable, Equatable, Hashable {
    public var value: String
    public var lineage: [String]
    public init(value: String, lineage: [String]) { self.value = value; self.lineage = lineage }
}
