import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A table as bytes for the cell cache: every typed array written as it lies in memory, so a
/// million-row table is read back with a few copies rather than parsed. Arrays of integers (text
/// codes, dates, line numbers, integers, value lengths) are written as offsets from their least
/// value in as few bytes as they need: most columns have a few dozen values, and at four bytes a
/// code a 1M-student district's cached tables were three times the size of its input files.
///
/// Hand-written because it is what makes a cached rerun fast (measured in docs/PERFORMANCE.md);
/// the format is private to one machine's cache (native byte order) and versioned by its magic.
extension Table {
    static let binaryMagic = Array("TALLY-TABLE-3\n".utf8)

    /// Writes the table to `path` (created owner-only): the SHA-256 of the bytes written, or nil
    /// if it could not be written.
    func writeBinary(to path: String) -> String? {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out = BinaryOut(fd: fd)
        out.bytes(Table.binaryMagic)
        out.int(rowCount)
        out.int(columnCount)
        out.int(provenance.files.count)
        for file in provenance.files { out.string(file) }
        out.array(provenance.fileIndex)
        out.narrow(provenance.line)
        out.int(rejected.count)
        for r in rejected { out.string(r.column); out.string(r.file); out.int(r.line); out.string(r.raw) }
        for (name, column) in zip(names, columns) {
            out.string(name)
            out.int(DataType.allCases.firstIndex(of: column.type) ?? 0)
            if let validity = column.validity { out.int(1); out.array(validity.words) } else { out.int(0) }
            switch column.data {
            case .text(let codes, let dictionary):
                let packed = dictionary.packed
                if packed.count > 1024, packed.count > codes.count * 2 {
                    // A few rows over a large shared dictionary (5,000 SSIDs of a million): only
                    // the values they hold, renumbered in code order.
                    var map = [Int32](repeating: -1, count: packed.count)
                    for code in codes where map[Int(code)] < 0 { map[Int(code)] = 0 }
                    var used: [Int32] = []
                    for code in 0..<Int32(packed.count) where map[Int(code)] == 0 {
                        map[Int(code)] = Int32(used.count)
                        used.append(code)
                    }
                    out.narrow(codes.map { map[Int($0)] })
                    out.int(used.count)
                    out.narrow(used.map { packed.lengths[Int($0)] })
                    var arena: [UInt8] = []
                    for code in used { arena += packed.bytes(code) }
                    out.bytes(arena)
                } else {
                    // The dictionary's bytes as they lie (its values are back to back, in code order).
                    out.narrow(codes)
                    out.int(packed.count)
                    out.narrow(packed.lengths)
                    out.bytes(packed.arena)
                }
            case .integer(let v): out.narrow(v)
            case .decimal(let v): out.array(v)
            case .date(let v): out.narrow(v)
            case .boolean(let v): out.array(v.map { $0 ? UInt8(1) : 0 })
            }
        }
        out.flush()
        return out.failed ? nil : Table.hex(out.hasher.finalize())
    }

    static func hex(_ digest: SHA256.Digest) -> String { digest.map { String(format: "%02x", $0) }.joined() }

    /// Reads a table written by `writeBinary`; nil for a missing, short or foreign file, or one
    /// whose bytes do not have the SHA-256 `writeBinary` gave (a flipped byte in a text code
    /// would otherwise index past its dictionary).
    static func readBinary(from path: String, sha256: String) -> Table? {
        guard let bytes = InputFile.readAll(path), hex(SHA256.hash(data: bytes)) == sha256 else { return nil }
        var input = BinaryIn(bytes: bytes)
        guard input.take(binaryMagic.count) == binaryMagic,
              let rows = input.int(), let width = input.int(), let fileCount = input.int() else { return nil }
        var files: [String] = []
        for _ in 0..<max(0, fileCount) { guard let f = input.string() else { return nil }; files.append(f) }
        guard let fileIndex: [UInt16] = input.array(rows), let line: [Int32] = input.narrow(rows),
              let rejectedCount = input.int() else { return nil }
        var rejected: [RejectedValue] = []
        for _ in 0..<max(0, rejectedCount) {
            guard let c = input.string(), let f = input.string(), let l = input.int(), let raw = input.string() else { return nil }
            rejected.append(RejectedValue(column: c, file: f, line: l, raw: raw))
        }
        var names: [String] = [], columns: [Column] = []
        for _ in 0..<max(0, width) {
            guard let name = input.string(), let typeIndex = input.int(), typeIndex >= 0, typeIndex < DataType.allCases.count,
                  let hasValidity = input.int() else { return nil }
            var validity: Bitmap? = nil
            if hasValidity == 1 {
                guard let words: [UInt64] = input.array((rows + 63) >> 6) else { return nil }
                validity = Bitmap(words: words, count: rows)
            }
            let data: ColumnData
            switch DataType.allCases[typeIndex] {
            case .text:
                guard let codes: [Int32] = input.narrow(rows), let count = input.int(), count >= 0,
                      let lengths: [Int32] = input.narrow(count) else { return nil }
                let total = lengths.reduce(0) { $0 + Int($1) }
                guard let arena = input.take(total) else { return nil }
                guard lengths.allSatisfy({ $0 >= 0 }) else { return nil }
                data = .text(codes: codes, dictionary: TextDictionary(interned: ByteInterner(arena: arena, lengths: lengths)))
            case .integer: guard let v: [Int64] = input.narrow(rows) else { return nil }; data = .integer(v)
            case .decimal: guard let v: [Double] = input.array(rows) else { return nil }; data = .decimal(v)
            case .date: guard let v: [Int32] = input.narrow(rows) else { return nil }; data = .date(v)
            case .boolean: guard let v: [UInt8] = input.array(rows) else { return nil }; data = .boolean(v.map { $0 != 0 })
            }
            names.append(name)
            columns.append(Column(data: data, validity: validity))
        }
        var table = Table(names: names, columns: columns, provenance: Provenance(files: files, fileIndex: fileIndex, line: line))
        table.rejected = rejected
        return table
    }
}

/// Buffered writes to a file descriptor.
private struct BinaryOut {
    let fd: Int32
    var buffer: [UInt8] = []
    var failed = false
    /// Every byte written, for the checksum the cache keeps with the table.
    var hasher = SHA256()

    init(fd: Int32) { self.fd = fd; buffer.reserveCapacity(1 << 20) }

    mutating func raw(_ p: UnsafeRawBufferPointer) {
        if buffer.count + p.count > (1 << 20) { flush() }
        if p.count >= (1 << 20) { writeAll(p); return }
        buffer.append(contentsOf: p)
    }

    mutating func writeAll(_ p: UnsafeRawBufferPointer) {
        guard let base = p.baseAddress else { return }
        hasher.update(bufferPointer: p)
        var done = 0
        while done < p.count, !failed {
            let n = write(fd, base + done, p.count - done)
            if n <= 0 { failed = true } else { done += n }
        }
    }

    mutating func flush() {
        let pending = buffer
        pending.withUnsafeBytes { writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    mutating func int(_ v: Int) { var x = Int64(v); withUnsafeBytes(of: &x) { raw($0) } }
    mutating func bytes(_ b: [UInt8]) { b.withUnsafeBytes { raw($0) } }
    mutating func array<T>(_ a: [T]) { a.withUnsafeBytes { raw($0) } }
    mutating func string(_ s: String) { let b = Array(s.utf8); int(b.count); bytes(b) }

    /// `a` as offsets from its least value, each in 1, 2, 4 or 8 bytes (the fewest that hold the
    /// largest): the least value, the width, then the offsets.
    mutating func narrow<T: FixedWidthInteger & SignedInteger>(_ a: [T]) {
        var low = T.max, high = T.min
        for v in a { if v < low { low = v }; if v > high { high = v } }
        if a.isEmpty { low = 0; high = 0 }
        let (span, overflow) = high.subtractingReportingOverflow(low)
        let width = overflow ? MemoryLayout<T>.size : span < 256 ? 1 : span < 65_536 ? 2 : span <= UInt32.max ? 4 : 8
        let size = min(width, MemoryLayout<T>.size)
        int(Int(low))
        int(size)
        switch size {
        case 1: array(a.map { UInt8(truncatingIfNeeded: $0 &- low) })
        case 2: array(a.map { UInt16(truncatingIfNeeded: $0 &- low) })
        case 4 where MemoryLayout<T>.size > 4: array(a.map { UInt32(truncatingIfNeeded: $0 &- low) })
        default: array(a)
        }
    }
}

/// Reads back what `BinaryOut` wrote, checking every length against what is left.
private struct BinaryIn {
    let bytes: [UInt8]
    var at = 0

    mutating func take(_ n: Int) -> [UInt8]? {
        guard n >= 0, at + n <= bytes.count else { return nil }
        defer { at += n }
        return Array(bytes[at..<(at + n)])
    }

    mutating func int() -> Int? {
        guard at + 8 <= bytes.count else { return nil }
        let v = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: Int64.self) }
        at += 8
        return Int(v)
    }

    mutating func string() -> String? {
        guard let n = int(), let b = take(n) else { return nil }
        return String(decoding: b, as: UTF8.self)
    }

    /// What `BinaryOut.narrow` wrote: `count` integers.
    mutating func narrow<T: FixedWidthInteger & SignedInteger>(_ count: Int) -> [T]? {
        guard let lowInt = int(), let size = int() else { return nil }
        let low = T(truncatingIfNeeded: lowInt)
        func widen<N: FixedWidthInteger & UnsignedInteger>(_ narrow: [N]) -> [T] {
            [T](unsafeUninitializedCapacity: narrow.count) { out, n in
                for i in 0..<narrow.count { out[i] = low &+ T(truncatingIfNeeded: narrow[i]) }
                n = narrow.count
            }
        }
        switch size {
        case 1: return (array(count) as [UInt8]?).map(widen)
        case 2: return (array(count) as [UInt16]?).map(widen)
        case 4 where MemoryLayout<T>.size > 4: return (array(count) as [UInt32]?).map(widen)
        case MemoryLayout<T>.size: return array(count)
        default: return nil
        }
    }

    mutating func array<T>(_ count: Int) -> [T]? {
        let size = count * MemoryLayout<T>.stride
        guard count >= 0, at + size <= bytes.count else { return nil }
        let from = at
        at += size
        return [T](unsafeUninitializedCapacity: count) { out, n in
            bytes.withUnsafeBytes { src in
                if size > 0, let dst = out.baseAddress, let base = src.baseAddress {
                    UnsafeMutableRawPointer(dst).copyMemory(from: base + from, byteCount: size)
                }
            }
            n = count
        }
    }
}
