import Foundation
import TallyModel

/// A JSON value: LSP messages are read into this and answered from it, so only the few fields
/// a method uses are ever named (the LSP types Tally sends are in `LSPTypes.swift`).
public enum JSON: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? c.decode(Double.self) {
            self = .number(n)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSON].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSON].self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n):
            // Integers (ids, lines) are written as integers.
            if n == n.rounded(), abs(n) < 1e15 { try c.encode(Int64(n)) } else { try c.encode(n) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    public subscript(key: String) -> JSON? {
        if case .object(let o) = self { return o[key] }
        return nil
    }
    public var string: String? { if case .string(let s) = self { return s }; return nil }
    public var int: Int? {
        if case .number(let n) = self, n == n.rounded(), abs(n) < 1e15 { return Int(n) }
        return nil
    }
    public var array: [JSON]? { if case .array(let a) = self { return a }; return nil }

    /// Any Encodable value (an LSP type) as JSON.
    public static func from<T: Encodable>(_ value: T) -> JSON {
        guard let data = try? JSONEncoder().encode(value), let json = try? JSONDecoder().decode(JSON.self, from: data) else { return .null }
        return json
    }

    /// A JSON value as an LSP type (nil when it does not have that shape).
    public func decode<T: Decodable>(_ type: T.Type) -> T? {
        guard let data = try? JSONEncoder().encode(self) else { return nil }
        return try? JSONDecoder().decode(type, from: data)
    }
}

/// JSON-RPC's framing: `Content-Length: N\r\n\r\n` then N bytes of JSON. Bytes are fed in as
/// they arrive; each complete frame comes out as a message, or as an error for a frame that is
/// not one (garbage costs time linear in its length: the search for the header's end never
/// goes back over bytes already searched).
public struct FrameReader {
    public enum Item: Equatable {
        case message(JSON)
        /// A frame that could not be read: answered with this JSON-RPC error code and message.
        case malformed(code: Int, message: String)
    }

    var buffer: [UInt8] = []
    /// Where the unread bytes of `buffer` start (bytes before it are dropped now and then, not
    /// on every frame: removing the front of a large buffer per frame would be quadratic).
    var start = 0
    /// Bytes of `buffer` already searched for the end of a header.
    var searched = 0
    /// The largest header and body accepted (a bigger one is refused, not buffered forever).
    static let maxHeader = 8 * 1024
    static let maxBody = 256 * 1024 * 1024

    public init() {}

    public mutating func feed(_ bytes: some Sequence<UInt8>) {
        if start > 65536, start * 2 > buffer.count {
            buffer.removeFirst(start)
            searched -= start
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Marks the unread bytes up to `index` as read.
    mutating func consume(to index: Int) {
        start = index
        searched = max(searched, index)
    }

    /// The next complete item, or nil when more bytes are needed.
    public mutating func next() -> Item? {
        guard let end = headerEnd() else {
            if buffer.count - start > FrameReader.maxHeader {
                // No header end in sight: drop what was searched (keeping 3 bytes, which could
                // start a "\r\n\r\n").
                consume(to: buffer.count - 3)
                return .malformed(
                    code: -32700, message: "a frame's header is longer than \(FrameReader.maxHeader) bytes without an empty line")
            }
            return nil
        }
        let header = String(decoding: buffer[start..<end], as: UTF8.self)
        // The last Content-Length in the header: garbage before a frame (what is left of
        // refused bytes) does not cost the frame after it.
        var length: Int? = nil
        if let found = header.range(of: "content-length:", options: [.caseInsensitive, .backwards]) {
            let value = header[found.upperBound...].prefix { $0 != "\r" && $0 != "\n" }
            length = Int(value.trimmingCharacters(in: .whitespaces))
        }
        guard let length, length >= 0, length <= FrameReader.maxBody else {
            consume(to: end + 4)
            return .malformed(code: -32700, message: "a frame's header has no valid Content-Length")
        }
        guard buffer.count >= end + 4 + length else { return nil }
        let body = Array(buffer[(end + 4)..<(end + 4 + length)])
        consume(to: end + 4 + length)
        guard let json = try? JSONDecoder().decode(JSON.self, from: Data(body)) else {
            return .malformed(code: -32700, message: "a frame's body is not JSON")
        }
        return .message(json)
    }

    /// The index of the "\r\n\r\n" ending the header, searching only bytes not searched yet.
    mutating func headerEnd() -> Int? {
        var i = max(start, searched - 3)
        while i + 3 < buffer.count {
            if buffer[i] == 13, buffer[i + 1] == 10, buffer[i + 2] == 13, buffer[i + 3] == 10 { return i }
            i += 1
        }
        searched = buffer.count
        return nil
    }

    /// A message framed for writing.
    public static func frame(_ message: JSON) -> Data {
        let body = (try? JSONEncoder().encode(message)) ?? Data("null".utf8)
        return Data("Content-Length: \(body.count)\r\n\r\n".utf8) + body
    }
}
