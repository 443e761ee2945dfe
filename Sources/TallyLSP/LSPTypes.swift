import TallyModel

/// The Language Server Protocol types Tally sends (LSP 3.17), written by hand: only the fields
/// used. Lines and characters are 0-based; characters count UTF-16 code units (see `Document`).
public struct Position: Codable, Sendable, Equatable {
    public var line: Int
    public var character: Int
    public init(line: Int, character: Int) { self.line = line; self.character = character }
}

public struct Range: Codable, Sendable, Equatable {
    public var start: Position
    public var end: Position
    public init(start: Position, end: Position) { self.start = start; self.end = end }
}

public struct Location: Codable, Sendable, Equatable {
    public var uri: String
    public var range: Range
}

public struct DiagnosticRelatedInformation: Codable, Sendable {
    public var location: Location
    public var message: String
}

public struct LSPDiagnostic: Codable, Sendable {
    public var range: Range
    /// 1 error, 2 warning, 3 information, 4 hint.
    public var severity: Int
    public var code: String?
    public var source: String = "tally"
    public var message: String
    public var relatedInformation: [DiagnosticRelatedInformation]?
}

public struct TextEdit: Codable, Sendable, Equatable {
    public var range: Range
    public var newText: String
}

public struct WorkspaceEdit: Codable, Sendable {
    public var changes: [String: [TextEdit]]
}

public struct MarkupContent: Codable, Sendable {
    public var kind = "markdown"
    public var value: String
}

public struct Hover: Codable, Sendable {
    public var contents: MarkupContent
    public var range: Range?
}

public struct CompletionItem: Codable, Sendable {
    public var label: String
    /// 3 function, 5 field, 6 variable, 14 keyword, 17 file, 19 folder, 21 constant, 22 struct.
    public var kind: Int
    public var detail: String?
    public var documentation: String?
    public var insertText: String?
    public var sortText: String?
}

public struct Command: Codable, Sendable {
    public var title: String
    public var command: String
    public var arguments: [JSON]?
}

public struct CodeAction: Codable, Sendable {
    public var title: String
    public var kind = "quickfix"
    public var diagnostics: [LSPDiagnostic]?
    public var isPreferred: Bool?
    public var edit: WorkspaceEdit
}

public struct CodeLens: Codable, Sendable {
    public var range: Range
    public var command: Command
}

public struct InlayHint: Codable, Sendable {
    public var position: Position
    public var label: String
    public var paddingLeft = true
}

public struct DocumentSymbol: Codable, Sendable {
    public var name: String
    public var detail: String?
    /// 5 class, 6 method, 13 variable, 14 constant, 24 event.
    public var kind: Int
    public var range: Range
    public var selectionRange: Range
}
