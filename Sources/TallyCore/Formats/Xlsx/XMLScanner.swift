import TallyModel

/// A minimal pull scanner for the XML inside xlsx files: start and end tags with attributes,
/// and text with entities decoded.
///
/// Hand-written rather than Foundation's XMLParser because worksheet XML is the hot path of a
/// workbook load (a 10,000-row sheet is ~300,000 elements) and a byte scanner has no libxml2
/// dependency on Linux. It is not a validating parser: it reads what spreadsheet programs write.
struct XMLScanner {
    enum Event {
        case start(name: String, attributes: [String: String], selfClosing: Bool)
        case end(name: String)
        case text(String)
    }

    let bytes: [UInt8]
    var i = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The local name (after any `prefix:`).
    static func local(_ name: String) -> String {
        if let colon = name.lastIndex(of: ":") { return String(name[name.index(after: colon)...]) }
        return name
    }

    mutating func next() -> Event? {
        let n = bytes.count
        while i < n {
            if bytes[i] != UInt8(ascii: "<") {
                let start = i
                while i < n, bytes[i] != UInt8(ascii: "<") { i += 1 }
                return .text(XMLScanner.decode(bytes[start..<i]))
            }
            // Comments, processing instructions, CDATA, doctype.
            if i + 1 < n, bytes[i + 1] == UInt8(ascii: "?") { skip(past: [UInt8(ascii: "?"), UInt8(ascii: ">")]); continue }
            if i + 3 < n, bytes[i + 1] == UInt8(ascii: "!"), bytes[i + 2] == UInt8(ascii: "-") { skip(past: Array("-->".utf8)); continue }
            if i + 8 < n, bytes[i + 1] == UInt8(ascii: "!"), bytes[i + 2] == UInt8(ascii: "[") {
                let start = i + 9
                skip(past: Array("]]>".utf8))
                return .text(String(decoding: bytes[start..<max(start, i - 3)], as: UTF8.self))
            }
            if i + 1 < n, bytes[i + 1] == UInt8(ascii: "!") { skip(past: [UInt8(ascii: ">")]); continue }
            i += 1
            var closing = false
            if i < n, bytes[i] == UInt8(ascii: "/") { closing = true; i += 1 }
            let nameStart = i
            while i < n, !XMLScanner.isSpace(bytes[i]), bytes[i] != UInt8(ascii: ">"), bytes[i] != UInt8(ascii: "/") { i += 1 }
            let name = XMLScanner.local(String(decoding: bytes[nameStart..<i], as: UTF8.self))
            var attributes: [String: String] = [:]
            var selfClosing = false
            while i < n {
                while i < n, XMLScanner.isSpace(bytes[i]) { i += 1 }
                guard i < n else { break }
                if bytes[i] == UInt8(ascii: ">") { i += 1; break }
                if bytes[i] == UInt8(ascii: "/") { selfClosing = true; i += 1; continue }
                let keyStart = i
                while i < n, bytes[i] != UInt8(ascii: "="), !XMLScanner.isSpace(bytes[i]), bytes[i] != UInt8(ascii: ">") { i += 1 }
                let key = XMLScanner.local(String(decoding: bytes[keyStart..<i], as: UTF8.self))
                while i < n, XMLScanner.isSpace(bytes[i]) { i += 1 }
                guard i < n, bytes[i] == UInt8(ascii: "=") else { continue }
                i += 1
                while i < n, XMLScanner.isSpace(bytes[i]) { i += 1 }
                guard i < n else { break }
                let quote = bytes[i]
                i += 1
                let valueStart = i
                while i < n, bytes[i] != quote { i += 1 }
                attributes[key] = XMLScanner.decode(bytes[valueStart..<min(i, n)])
                i += 1
            }
            return closing ? .end(name: name) : .start(name: name, attributes: attributes, selfClosing: selfClosing)
        }
        return nil
    }

    mutating func skip(past terminator: [UInt8]) {
        let n = bytes.count
        while i < n {
            if bytes[i] == terminator[0], i + terminator.count <= n, Array(bytes[i..<(i + terminator.count)]) == terminator {
                i += terminator.count
                return
            }
            i += 1
        }
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 10 || b == 13 }

    /// Text with `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&#N;` and `&#xN;` decoded.
    static func decode(_ slice: ArraySlice<UInt8>) -> String {
        guard slice.contains(UInt8(ascii: "&")) else { return String(decoding: slice, as: UTF8.self) }
        var out = [UInt8]()
        out.reserveCapacity(slice.count)
        var i = slice.startIndex
        while i < slice.endIndex {
            let b = slice[i]
            guard b == UInt8(ascii: "&"), let semicolon = slice[i...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else {
                out.append(b); i += 1; continue
            }
            let entity = String(decoding: slice[(i + 1)..<semicolon], as: UTF8.self)
            var scalar: Unicode.Scalar? = nil
            switch entity {
            case "amp": scalar = "&"
            case "lt": scalar = "<"
            case "gt": scalar = ">"
            case "quot": scalar = "\""
            case "apos": scalar = "'"
            default:
                if entity.hasPrefix("#x") {
                    scalar = UInt32(entity.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init)
                } else if entity.hasPrefix("#") {
                    scalar = UInt32(entity.dropFirst(1)).flatMap(Unicode.Scalar.init)
                }
            }
            if let scalar {
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
                i = semicolon + 1
            } else {
                out.append(b); i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
