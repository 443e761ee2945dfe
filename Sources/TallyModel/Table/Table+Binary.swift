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
    package static let binaryMagic = Array("TALLY-TABLE-4\n".utf8)

    /// Writes the table to `path` (created owner-only): the SHA-256 of the bytes written and the
    /// shelf files of the dictionaries it names, or nil if it could not be written.
    /// - Parameter shelf: where dictionaries of `DictionaryShelf.minimumValues` or more values
    ///   are written once for every table holding them (nil: every table holds its own).
    package func writeBinary(to path: String, shelf: DictionaryShelf?) -> (sha256: String, dictionaries: [String])? {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out = BinaryOut(fd: fd)
        var shelved: [String] = []
        out.bytes(Table.binaryMagic)
        out.int(rowCount)
        out.int(columnCount)
        out.int(provenance.files.count)
        for file in provenance.files { out.string(file) }
        out.narrow(provenance.fileIndex.map { Int32($0) })
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
                let few = packed.count > 1024 && packed.count > codes.count * 2
                // A large dictionary on the shelf (or, unless the column holds only a few of its
                // values, put there): its file's name and its size (a count of -1 says so).
                if let shelf, packed.count >= DictionaryShelf.minimumValues,
                    let name = shelf.name(of: dictionary, count: packed.count) ?? (few ? nil : shelf.put(dictionary)?.name)
                {
                    out.narrow(codes)
                    out.int(-1)
                    out.string(name)
                    out.int(packed.count)
                    if !shelved.contains(name) { shelved.append(name) }
                } else if few {
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
        return out.failed ? nil : (Table.hex(out.hasher.finalize()), shelved)
    }

    /// `writeBinary(to:shelf:)` with every dictionary inside the table: its SHA-256.
    package func writeBinary(to path: String) -> String? { writeBinary(to: path, shelf: nil)?.sha256 }

    package static func hex(_ digest: SHA256.Digest) -> String { digest.map { String(format: "%02x", $0) }.joined() }

    /// Reads a table written by `writeBinary`; nil for a missing, short or foreign file, or one
    /// whose bytes do not have the SHA-256 `writeBinary` gave (a flipped byte in a text code
    /// would otherwise index past its dictionary).
    package static func readBinary(from path: String, sha256: String, shelf: DictionaryShelf? = nil) -> Table? {
        guard let bytes = InputFile.readAll(path), hex(SHA256.hash(data: bytes)) == sha256 else { return nil }
        var input = BinaryIn(bytes: bytes)
        guard input.take(binaryMagic.count) == binaryMagic,
            let rows = input.int(), let width = input.int(), let fileCount = input.int()
        else { return nil }
        var files: [String] = []
        for _ in 0..<max(0, fileCount) { guard let f = input.string() else { return nil }; files.append(f) }
        guard let fileIndexes: [Int32] = input.narrow(rows), fileIndexes.allSatisfy({ (0..<max(1, fileCount)).contains(Int($0)) }),
            let line: [Int32] = input.narrow(rows),
            let rejectedCount = input.int()
        else { return nil }
        var rejected: [RejectedValue] = []
        for _ in 0..<max(0, rejectedCount) {
            guard let c = input.string(), let f = input.string(), let l = input.int(), let raw = input.string() else { return nil }
            rejected.append(RejectedValue(column: c, file: f, line: l, raw: raw))
        }
        var names: [String] = [], columns: [Column] = []
        for _ in 0..<max(0, width) {
            guard let name = input.string(), let typeIndex = input.int(), typeIndex >= 0, typeIndex < DataType.allCases.count,
                let hasValidity = input.int()
            else { return nil }
            var validity: Bitmap? = nil
            if hasValidity == 1 {
                guard let words: [UInt64] = input.array((rows + 63) >> 6) else { return nil }
                validity = Bitmap(words: words, count: rows)
            }
            let data: ColumnData
            switch DataType.allCases[typeIndex] {
            case .text:
                guard let codes: [Int32] = input.narrow(rows), let count = input.int() else { return nil }
                if count == -1 {
                    // On the shelf: read once for every table naming it, checked against its name.
                    guard let shelf, let name = input.string(), let size = input.int(),
                        let dictionary = shelf.dictionary(named: name, count: size),
                        codes.allSatisfy({ $0 >= 0 && Int($0) < size })
                    else { return nil }
                    data = .text(codes: codes, dictionary: dictionary)
                    break
                }
                guard count >= 0, let lengths: [Int32] = input.narrow(count) else { return nil }
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
        let fileIndex = fileIndexes.map { UInt16(truncatingIfNeeded: $0) }
        var table = Table(names: names, columns: columns, provenance: Provenance(files: files, fileIndex: fileIndex, line: line))
        table.rejected = rejected
        return table
    }
}

/// Buffered writes to a file descriptor.
package struct BinaryOut {
    package let fd: Int32
    package var buffer: [UInt8] = []
    package var failed = false
    /// Every byte written, for the checksum the cache keeps with the table.
    package var hasher = SHA256()

    package init(fd: Int32) { self.fd = fd; buffer.reserveCapacity(1 << 20) }

    package mutating func raw(_ p: UnsafeRawBufferPointer) {
        if buffer.count + p.count > (1 << 20) { flush() }
        if p.count >= (1 << 20) { writeAll(p); return }
        buffer.append(contentsOf: p)
    }

    package mutating func writeAll(_ p: UnsafeRawBufferPointer) {
        guard let base = p.baseAddress else { return }
        hasher.update(bufferPointer: p)
        var done = 0
        while done < p.count, !failed {
            let n = write(fd, base + done, p.count - done)
            if n <= 0 { failed = true } else { done += n }
        }
    }

    package mutating func flush() {
        let pending = buffer
        pending.withUnsafeBytes { writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    package mutating func int(_ v: Int) { var x = Int64(v); withUnsafeBytes(of: &x) { raw($0) } }
    package mutating func bytes(_ b: [UInt8]) { b.withUnsafeBytes { raw($0) } }
    package mutating func array<T>(_ a: [T]) { a.withUnsafeBytes { raw($0) } }
    package mutating func string(_ s: String) { let b = Array(s.utf8); int(b.count); bytes(b) }

    /// `a` in as few bytes a value as it needs: the values, each value less its row number, or
    /// each value less the one before it (whichever spans least), as offsets from their least in
    /// 0, 1, 2, 4 or 8 bytes. Then the least, the width plus 16 × the form, and the offsets.
    ///
    /// The two other forms are for a district's columns: a mostly distinct ID's codes are nearly
    /// its row numbers and a load's source lines are its row numbers plus one (0 bytes a row
    /// rather than 4), a filtered table's rise by small steps, and a column with one value (an
    /// empty one: half of a CALPADS file's) is its least value alone.
    package mutating func narrow<T: FixedWidthInteger & SignedInteger>(_ a: [T]) {
        let (low, high) = a.withUnsafeBufferPointer { p -> ([T], [T]) in
            var l0 = T.max, h0 = T.min, l1 = T.max, h1 = T.min, l2 = T.max, h2 = T.min
            var previous: T = 0
            for i in 0..<p.count {
                let v = p[i], r = v &- T(truncatingIfNeeded: i), d = v &- previous
                previous = v
                l0 = Swift.min(l0, v); h0 = Swift.max(h0, v)
                l1 = Swift.min(l1, r); h1 = Swift.max(h1, r)
                l2 = Swift.min(l2, d); h2 = Swift.max(h2, d)
            }
            return ([l0, l1, l2], [h0, h1, h2])
        }
        let size = MemoryLayout<T>.size
        func width(_ form: Int) -> Int {
            if a.isEmpty { return 0 }
            let (span, overflow) = high[form].subtractingReportingOverflow(low[form])
            return min(size, overflow ? size : span == 0 ? 0 : span < 256 ? 1 : span < 65_536 ? 2 : span <= UInt32.max ? 4 : 8)
        }
        var form = 0
        for f in 1...2 where width(f) < width(form) { form = f }
        let bytes = width(form), least = a.isEmpty ? 0 : low[form]
        int(Int(least))
        int(bytes + 16 * form)
        @inline(__always) func value(_ p: UnsafeBufferPointer<T>, _ i: Int) -> T {
            form == 0 ? p[i] : form == 1 ? p[i] &- T(truncatingIfNeeded: i) : p[i] &- (i == 0 ? 0 : p[i - 1])
        }
        func offsets<N: FixedWidthInteger & UnsignedInteger>(_: N.Type) {
            let out = a.withUnsafeBufferPointer { p in
                [N](unsafeUninitializedCapacity: p.count) { o, n in
                    for i in 0..<p.count { o[i] = N(truncatingIfNeeded: value(p, i) &- least) }
                    n = p.count
                }
            }
            array(out)
        }
        switch bytes {
        case 0: break
        case 1: offsets(UInt8.self)
        case 2: offsets(UInt16.self)
        case 4 where size > 4: offsets(UInt32.self)
        default:
            // Full width: the form's values themselves.
            if form == 0 {
                array(a)
            } else {
                array(
                    a.withUnsafeBufferPointer { p in
                        [T](unsafeUninitializedCapacity: p.count) { o, n in
                            for i in 0..<p.count { o[i] = value(p, i) }
                            n = p.count
                        }
                    })
            }
        }
    }
}

/// Reads back what `BinaryOut` wrote, checking every length against what is left.
package struct BinaryIn {
    package let bytes: [UInt8]
    package var at = 0

    package var atEnd: Bool { at == bytes.count }

    package mutating func take(_ n: Int) -> [UInt8]? {
        guard n >= 0, at + n <= bytes.count else { return nil }
        defer { at += n }
        return Array(bytes[at..<(at + n)])
    }

    package mutating func int() -> Int? {
        guard at + 8 <= bytes.count else { return nil }
        let v = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: Int64.self) }
        at += 8
        return Int(v)
    }

    package mutating func string() -> String? {
        guard let n = int(), let b = take(n) else { return nil }
        return String(decoding: b, as: UTF8.self)
    }

    /// What `BinaryOut.narrow` wrote: `count` integers.
    package mutating func narrow<T: FixedWidthInteger & SignedInteger>(_ count: Int) -> [T]? {
        guard let lowInt = int(), let code = int(), count >= 0 else { return nil }
        let low = T(truncatingIfNeeded: lowInt), form = code >> 4, size = code & 15
        guard (0...2).contains(form) else { return nil }
        func widen<N: FixedWidthInteger & UnsignedInteger>(_ narrow: [N]) -> [T] {
            [T](unsafeUninitializedCapacity: narrow.count) { out, n in
                for i in 0..<narrow.count { out[i] = low &+ T(truncatingIfNeeded: narrow[i]) }
                n = narrow.count
            }
        }
        var values: [T]
        switch size {
        case 0: values = [T](repeating: low, count: count)
        case 1: guard let v = (array(count) as [UInt8]?).map(widen) else { return nil }; values = v
        case 2: guard let v = (array(count) as [UInt16]?).map(widen) else { return nil }; values = v
        case 4 where MemoryLayout<T>.size > 4: guard let v = (array(count) as [UInt32]?).map(widen) else { return nil }; values = v
        case MemoryLayout<T>.size: guard let v: [T] = array(count) else { return nil }; values = v
        default: return nil
        }
        // Back from the form they were written in.
        values.withUnsafeMutableBufferPointer { v in
            if form == 1 { for i in 0..<v.count { v[i] = v[i] &+ T(truncatingIfNeeded: i) } }
            if form == 2 { for i in 1..<max(1, v.count) { v[i] = v[i] &+ v[i - 1] } }
        }
        return values
    }

    package mutating func array<T>(_ count: Int) -> [T]? {
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
