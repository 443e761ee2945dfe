import TallyModel

/// A lexical token with its span.
public struct Token: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case identifier(String) // also keywords: the parser reads them in context
        case quotedIdentifier(String) // `Total Enrollment`
        case string(String)
        case integer(Int64)
        case decimal(Double)
        case percent(Double)
        case date(Int32)
        case symbol(String) // | = == != < <= > >= + - * / ( ) , : .
        case narrative(String) // a `##` line
        case newline // end of a statement
        case eof
    }
    public var kind: Kind
    public var span: SourceSpan

    public var identifierText: String? {
        switch kind {
        case .identifier(let s), .quotedIdentifier(let s): return s
        default: return nil
        }
    }

    public func isKeyword(_ word: String) -> Bool {
        if case .identifier(let s) = kind { return s.lowercased() == word } else { return false }
    }

    public func isSymbol(_ s: String) -> Bool {
        if case .symbol(let x) = kind { return x == s } else { return false }
    }

    public var describe: String {
        switch kind {
        case .identifier(let s): return "\"\(Diagnostic.shown(s))\""
        case .quotedIdentifier(let s): return "`\(Diagnostic.shown(s))`"
        case .string(let s): return "text \"\(Diagnostic.shown(s))\""
        case .integer(let v): return "number \(v)"
        case .decimal(let v): return "number \(v)"
        case .percent(let v): return "\(v)%"
        case .date(let d): return "date @\(DateCodec.iso(d))"
        case .symbol(let s): return "\"\(s)\""
        case .narrative: return "a ## line"
        case .newline: return "end of statement"
        case .eof: return "end of file"
        }
    }
}
