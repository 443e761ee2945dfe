import Foundation

#if canImport(Glibc)
import Glibc
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { Glibc.read(fd, buffer, count) }
#elseif canImport(Darwin)
import Darwin
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { Darwin.read(fd, buffer, count) }
#endif

/// The bytes of an input file, decoded to UTF-8 and checked, with errors that name the file.
public struct InputFile: Sendable {
    public let path: String
    /// How the file is named in messages (relative to the playbook when possible).
    public let displayName: String
    public let bytes: FileBytes
    public let size: Int
    /// The UTF-8 text once checked: a CALPADS load asks for it twice (to pick the layout, then to
    /// read the records), and checking 170 MB of UTF-8 twice was 3% of a 1M-student run.
    private let checkedUTF8 = CheckedText()

    package final class CheckedText: @unchecked Sendable {
        package let lock = NSLock()
        package var body: FileBytes?
    }

    /// Bytes already in memory, named `displayName` in messages (the fuzz targets in `Fuzz/`).
    public init(bytes: [UInt8], displayName: String) {
        self.init(path: displayName, displayName: displayName, bytes: FileBytes(bytes), size: bytes.count)
    }

    package init(path: String, displayName: String, bytes: [UInt8], size: Int) {
        self.init(path: path, displayName: displayName, bytes: FileBytes(bytes), size: size)
    }

    package init(path: String, displayName: String, bytes: FileBytes, size: Int) {
        self.path = path; self.displayName = displayName; self.bytes = bytes; self.size = size
    }

    /// Reads `path`. Fails with a diagnostic for a missing, unreadable or empty file.
    /// - Parameter allowEmpty: an empty file is an input (a Rejected Records Extract of an upload
    ///   CALPADS rejected nothing from), not an error.
    /// - Parameter ahead: the file's bytes as the cell cache already read (and hashed) them to
    ///   look up the load, used instead of reading the file again (see `ReadAhead`).
    public static func read(path: String, displayName: String, allowEmpty: Bool = false, ahead: ReadAhead? = nil) throws -> InputFile {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            let folder = (path as NSString).deletingLastPathComponent
            let siblings = (try? FileManager.default.contentsOfDirectory(atPath: folder.isEmpty ? "." : folder)) ?? []
            let base = (path as NSString).lastPathComponent
            let help = Suggest.closest(to: base, in: siblings).map { "did you mean \"\($0)\"?" }
            throw Diagnostic(.fileNotFound, .error, "file not found", file: displayName, help: help)
        }
        guard !isDirectory.boolValue else { throw Diagnostic(.notAFile, .error, "is a folder, not a file", file: displayName) }
        // A pipe or a device is refused before it is opened: reading one could wait forever.
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & S_IFMT != S_IFREG {
            throw Diagnostic(
                .notAFile, .error, "is not a regular file (a pipe, socket or device)", file: displayName, help: "load a file saved on disk")
        }
        guard let bytes = ahead.flatMap({ $0.path == path ? $0.bytes : nil }) ?? InputFile.readBytes(path) else {
            throw Diagnostic(.notAFile, .error, "cannot read the file (permissions?)", file: displayName)
        }
        guard !bytes.isEmpty || allowEmpty else {
            throw Diagnostic(
                .emptyFile, .error, "the file is empty", file: displayName, help: "check that the export from the SIS finished")
        }
        return InputFile(path: path, displayName: displayName, bytes: bytes, size: bytes.count)
    }

    /// Fails when another program wrote to the file while Tally read it (a mapped file shows
    /// the writes), so that a table, and the SHA-256 the ledger records, are never of a file
    /// that was half rewritten. Called once the table is made.
    public func requireUnchanged() throws {
        guard bytes.changed else { return }
        throw Diagnostic(
            .fileChanged, .error, "the file changed while Tally was reading it", file: displayName,
            help: "another program was writing it: wait until the export or copy has finished, then run again")
    }

    /// An input's bytes and their SHA-256, read by the cell cache to make a load's key before the
    /// load: on a cache miss the load parses these bytes and records this hash, so a first run
    /// with the cache reads and hashes each input once, not twice (docs/PERFORMANCE.md, "The cell
    /// cache"). The key, the ledger's SHA-256 and the table are all of the same bytes.
    public struct ReadAhead: Sendable {
        public let path: String
        public let bytes: FileBytes
        public let sha256: String
        package init(path: String, bytes: FileBytes, sha256: String) { self.path = path; self.bytes = bytes; self.sha256 = sha256 }
    }

    /// The file's bytes: mapped when it is large (see `FileBytes`), read otherwise.
    package static func readBytes(_ path: String) -> FileBytes? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        if let mapped = FileBytes.map(fd: fd, size: Int(info.st_size)) { return mapped }
        return readAll(path).map(FileBytes.init)
    }

    /// The file's bytes, read straight into one array (not into `Data` and then copied: a 1M
    /// SINF is 146 MB, and every copy is memory the kernel must fault in).
    package static func readAll(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        let size = Int(info.st_size)
        guard size > 0 else { return FileManager.default.contents(atPath: path).map { [UInt8]($0) } }
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            var done = 0
            while done < size, let base = buffer.baseAddress {
                let n = systemRead(fd, base + done, size - done)
                if n < 0 { failed = true; break }
                if n == 0 { break }
                done += n
            }
            count = done
        }
        return failed ? nil : bytes
    }

    /// The first `maxBytes` of a file, cut after its last complete line (for `tally check`, which
    /// learns a schema from a file's beginning); `complete` when that is the whole file.
    public static func readPrefix(
        path: String, displayName: String, maxBytes: Int, allowEmpty: Bool = false
    ) throws -> (input: InputFile, complete: Bool) {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        guard let size, size > maxBytes, let handle = FileHandle(forReadingAtPath: path) else {
            return (try read(path: path, displayName: displayName, allowEmpty: allowEmpty), true)
        }
        defer { try? handle.close() }
        var bytes = [UInt8]((try? handle.read(upToCount: maxBytes)) ?? Data())
        if let last = bytes.lastIndex(where: { $0 == 10 || $0 == 13 }) { bytes.removeSubrange((last + 1)...) }
        guard !bytes.isEmpty else { return (try read(path: path, displayName: displayName), true) }
        return (InputFile(path: path, displayName: displayName, bytes: FileBytes(bytes), size: size), false)
    }

    /// The text as UTF-8 bytes without BOM, after checking for binary content and decoding.
    /// - Parameter encoding: nil or "utf-8" (validated, never guessed), "cp1252"/"windows-1252",
    ///   "latin1"/"iso-8859-1".
    public func textBytes(encoding: String?) throws -> FileBytes {
        if bytes.count >= 4, bytes[0] == 0x50, bytes[1] == 0x4B, bytes[2] == 3, bytes[3] == 4 {
            throw Diagnostic(
                .badWorkbook, .error, "this is a ZIP file (an Excel workbook?), not delimited text", file: displayName,
                help: "load an Excel workbook with: as xlsx")
        }
        if let nul = bytes.prefix(1 << 20).firstIndex(of: 0) {
            throw Diagnostic(
                .notAPlaybook, .error, "this looks like a binary file, not text (a NUL byte)", file: displayName,
                line: TextDecoding.line(of: nul, in: bytes))
        }
        // A UTF-8 byte-order mark is stripped whatever the declared encoding: read as cp1252 it
        // would become "ï»¿" glued to the first column's name.
        let hasBOM = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
        switch encoding?.lowercased() {
        case "cp1252", "windows-1252", "win1252", "latin1", "latin-1", "iso-8859-1":
            var body = bytes.array
            if hasBOM {
                body.removeFirst(3)
                // The mark says UTF-8: if the rest is UTF-8 with accented letters, decoding it as
                // this encoding would garble every one of them ("José" → "JosÃ©").
                if body.contains(where: { $0 >= 0x80 }), TextDecoding.firstInvalidUTF8(body) == nil,
                    let first = body.firstIndex(where: { $0 >= 0x80 })
                {
                    throw Diagnostic(
                        .encoding, .error,
                        "the file starts with a UTF-8 byte-order mark and is valid UTF-8, but it is loaded with encoding \"\(encoding ?? "")\": its non-ASCII letters would be garbled",
                        file: displayName, line: TextDecoding.line(of: first + 3, in: bytes),
                        help: "remove encoding \"\(encoding ?? "")\": the file is UTF-8")
                }
            }
            let lower = encoding?.lowercased() ?? ""
            return FileBytes(
                lower.hasPrefix("latin") || lower.hasPrefix("iso") ? TextDecoding.latin1ToUTF8(body) : TextDecoding.cp1252ToUTF8(body))
        case nil, "utf-8", "utf8":
            checkedUTF8.lock.lock()
            defer { checkedUTF8.lock.unlock() }
            if let body = checkedUTF8.body { return body }
            let body = hasBOM ? bytes.dropping(first: 3) : bytes
            if let bad = TextDecoding.firstInvalidUTF8Parallel(body) {
                let line = TextDecoding.line(of: bad, in: body)
                if body[bad...].starts(with: [0xEF, 0xBB, 0xBF]) {
                    throw Diagnostic(
                        .encoding, .error,
                        "a byte-order mark (EF BB BF) in the middle of the file, at byte \(bad + 1 + (hasBOM ? 3 : 0)): two files joined into one?",
                        file: displayName, line: line,
                        help: "export the file again from the SIS, or remove the mark: it would be hidden inside a value")
                }
                let byte = String(body[bad], radix: 16, uppercase: true)
                throw Diagnostic(
                    .encoding, .error, "bytes that are not valid UTF-8 (0x\(byte) at byte \(bad + 1))", file: displayName,
                    line: line, help: "if the file comes from Windows or an older SIS, add: with encoding \"cp1252\"")
            }
            checkedUTF8.body = body
            return body
        case let other?:
            throw Diagnostic(
                .unknownOption, .error, "unknown encoding \"\(other)\"", file: displayName, help: "use \"utf-8\", \"cp1252\" or \"latin1\"")
        }
    }
}

/// Byte-level text decoding: hand-written because it runs over every byte of every input.
public enum TextDecoding {
    /// `firstInvalidUTF8` on all cores for large buffers: each part starts and ends at an ASCII
    /// byte, so no character is split between parts; the earliest invalid byte is reported.
    public static func firstInvalidUTF8Parallel(_ b: FileBytes) -> Int? {
        let parts = Swift.min(ProcessInfo.processInfo.activeProcessorCount, b.count / (8 << 20))
        guard parts > 1 else { return b.withUnsafeBufferPointer { firstInvalidUTF8($0) } }
        var bounds = [0]
        for c in 1..<parts {
            var i = b.count * c / parts
            while i < b.count, b[i] >= 0x80 { i += 1 }
            if i > bounds[bounds.count - 1], i < b.count { bounds.append(i) }
        }
        bounds.append(b.count)
        var found = [Int?](repeating: nil, count: bounds.count - 1)
        b.withUnsafeBufferPointer { p in
            found.withUnsafeMutableBufferPointer { buffer in
                let out = buffer
                Parallel.forEach(bounds.count - 1) { c in
                    out[c] = firstInvalidUTF8(UnsafeBufferPointer(rebasing: p[bounds[c]..<bounds[c + 1]])).map { $0 + bounds[c] }
                }
            }
        }
        return found.compactMap { $0 }.first
    }

    /// Offset of the first byte that breaks UTF-8, or nil when the buffer is valid.
    public static func firstInvalidUTF8(_ b: [UInt8]) -> Int? {
        b.withUnsafeBufferPointer { firstInvalidUTF8($0) }
    }

    static func firstInvalidUTF8(_ p: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = 0
        let n = p.count
        return
            ({ () -> Int? in
                while i < n {
                    let c = p[i]
                    if c < 0x80 { i += 1; continue }
                    var need = 0
                    var minimum: UInt32 = 0
                    var scalar: UInt32 = 0
                    if c & 0xE0 == 0xC0 {
                        need = 1; scalar = UInt32(c & 0x1F); minimum = 0x80
                    } else if c & 0xF0 == 0xE0 {
                        need = 2; scalar = UInt32(c & 0x0F); minimum = 0x800
                    } else if c & 0xF8 == 0xF0 {
                        need = 3; scalar = UInt32(c & 0x07); minimum = 0x10000
                    } else {
                        return i
                    }
                    guard i + need < n else { return i }
                    for k in 1...need {
                        let d = p[i + k]
                        guard d & 0xC0 == 0x80 else { return i }
                        scalar = scalar << 6 | UInt32(d & 0x3F)
                    }
                    // U+FEFF past the start is a byte-order mark in the middle: two files joined into
                    // one. Kept, it would sit invisibly in a value ("\u{FEFF}1234567890" joins nothing).
                    if scalar < minimum || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) || scalar == 0xFEFF { return i }
                    i += need + 1
                }
                return nil
            })()
    }

    /// 1-based line number of byte `offset`.
    public static func line<Bytes: RandomAccessCollection<UInt8>>(of offset: Int, in b: Bytes) -> Int where Bytes.Index == Int {
        var line = 1
        for i in 0..<min(offset, b.count) where b[i] == 10 { line += 1 }
        return line
    }

    static let cp1252High: [UInt32] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
        0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
    ]

    public static func cp1252ToUTF8(_ b: [UInt8]) -> [UInt8] {
        transcode(b) { c in (0x80...0x9F).contains(c) ? cp1252High[Int(c) - 0x80] : UInt32(c) }
    }

    public static func latin1ToUTF8(_ b: [UInt8]) -> [UInt8] { transcode(b) { UInt32($0) } }

    static func transcode(_ b: [UInt8], _ map: (UInt8) -> UInt32) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(b.count + b.count / 16)
        for c in b {
            if c < 0x80 { out.append(c); continue }
            let s = map(c)
            if s < 0x800 {
                out.append(UInt8(0xC0 | (s >> 6))); out.append(UInt8(0x80 | (s & 0x3F)))
            } else {
                out.append(UInt8(0xE0 | (s >> 12))); out.append(UInt8(0x80 | ((s >> 6) & 0x3F))); out.append(UInt8(0x80 | (s & 0x3F)))
            }
        }
        return out
    }
}
