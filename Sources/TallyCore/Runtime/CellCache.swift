import Crypto
import Foundation
import TallyModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Each cell's result, and the table it made, kept in a folder beside the QA store by a key that
/// covers everything the result depends on (see `Interpreter.cellKey`): a rerun takes unchanged
/// cells from here and recomputes only the cells whose key changed.
///
/// Cached tables hold student data: the folder is owner-only (0700) and every file 0600. The
/// folder is kept under a size limit, the least recently used entries removed first.
///
/// Nothing here is trusted blindly: every entry carries the SHA-256 of its bytes (and of its
/// table), and one that does not match is deleted and its cell recomputed. The folder is marked
/// as Tally's (`TALLY-CACHE`); Tally never takes over a folder it did not make, and clearing
/// removes only the entry files it names.
public final class CellCache: @unchecked Sendable {
    public let folder: String
    public let limitBytes: Int
    /// Keys used or written by this run: never evicted by it.
    private var pinned: Set<String> = []
    private var inputIndex: [String: InputStamp]? = nil
    /// The SHA-256 of each restored entry's table (key → hash), checked when the table is read.
    private var tableSums: [String: String] = [:]

    /// What a cached cell restores.
    struct Entry: Codable {
        var cell: CellResult
        /// The table the cell made, if any (its bytes are in `KEY.table`).
        var table: String?
        var lineage: [String: [String]]?
        /// Values the cell quoted in free text, for masking.
        var sensitive: [SensitiveValue]
        /// An export's file as written, so an unchanged export is not written again.
        var exportFile: FileStamp?
        /// The SHA-256 of `KEY.table` as written (set by the writer).
        var tableSHA256: String? = nil
        /// The shelf files (`DictionaryShelf`) the table names (set by the writer).
        var dictionaries: [String]? = nil
    }

    /// What `stat` says about a file. `changed` (ctime) is set by the kernel on every write,
    /// rename, chmod or time change and cannot be set back by `touch`, `cp -p`, `rsync -a`, `tar`
    /// or `unzip`: a file rewritten with the same size and its modification time restored still
    /// has a new stamp.
    struct FileStamp: Codable, Equatable {
        var path: String
        var size: Int64
        var modified: Int64
        var changed: Int64
        var inode: UInt64
        var device: UInt64
    }

    struct InputStamp: Codable {
        var stamp: FileStamp
        var sha256: String
    }

    public static let defaultLimit = 2 << 30

    /// The file that says a folder is Tally's cache, and what it says.
    public static let markerName = "TALLY-CACHE"
    static let markerText = """
        Tally cell cache: each playbook cell's result and table, kept so a rerun recomputes only what changed.
        It holds student data (owner-only). Made by Tally; `tally cache clear` removes only the entry files Tally wrote here.

        """
    static let gitignoreText = "# Tally's cell cache: student data, never commit it.\n*\n"

    /// Opens (or makes) a cache folder. A folder Tally did not make is refused (see `refusal`).
    public init(folder: String, limitBytes: Int = CellCache.defaultLimit) throws {
        self.folder = folder
        self.limitBytes = limitBytes
        shelf = DictionaryShelf(folder: folder)
        if let refusal = CellCache.refusal(folder: folder) {
            throw Diagnostic(
                .cacheProblem, .error, "not used as the cell cache: it \(refusal)", file: folder,
                help: "move that folder away, or run with --no-cache")
        }
        // An earlier Tally's cache (no marker, nothing in it but Tally's files): its entries are
        // of a format this version never reads, and they hold student data; they go.
        let earlier = FileManager.default.fileExists(atPath: folder) && !CellCache.isMarked(folder)
        do {
            try FileManager.default.createDirectory(
                atPath: folder, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: folder)
            // A folder is Tally's once its marker is there.
            let marker = folder + "/" + CellCache.markerName
            if !FileManager.default.fileExists(atPath: marker),
                !FileCreation.create(marker, contents: Data(CellCache.markerText.utf8), permissions: 0o600)
            {
                throw Diagnostic(.cacheProblem, .error, "cannot write \(CellCache.markerName)", file: folder)
            }
            if earlier { for name in CellCache.entryFiles(folder) { unlink(folder + "/" + name) } }
            // Cached tables are student data: keep them out of any repository the folder is in.
            let ignore = folder + "/.gitignore"
            if !FileManager.default.fileExists(atPath: ignore) {
                FileCreation.create(ignore, contents: Data(CellCache.gitignoreText.utf8), permissions: 0o600)
            }
        } catch {
            throw Diagnostic(.cacheProblem, .error, "cannot create the cell cache folder", file: folder, help: "run with --no-cache")
        }
    }

    /// The cache beside a QA store: `.tally/cache/` for the default `.tally/tally.sqlite`, else
    /// `x.sqlite.cache/` beside `x.sqlite` (never a plain `cache/`, which may be the user's).
    public static func folder(forStore storePath: String) -> String {
        // A shared PostgreSQL store: the cache stays on this machine, in .tally/ here.
        if QAStore.isPostgres(storePath) { return FileManager.default.currentDirectoryPath + "/.tally/cache" }
        // (Not Foundation's deletingLastPathComponent: it traps on a one-character relative path.)
        let parent = FileCreation.folder(of: storePath)
        if (storePath as NSString).lastPathComponent == "tally.sqlite", (parent as NSString).lastPathComponent == ".tally" {
            return parent + "/cache"
        }
        return storePath + ".cache"
    }

    // MARK: Whose folder

    /// Why a folder cannot be the cache, worded to follow its name (nil: it can). It can when it
    /// does not exist yet, is empty, has Tally's marker, or is a cache an earlier Tally made
    /// (before the marker: its `.gitignore` is Tally's and every other file is named as Tally
    /// names entries). Any other folder is someone's: never used, never emptied.
    public static func refusal(folder: String) -> String? {
        var info = stat()
        guard stat(folder, &info) == 0 else {
            return errno == ENOENT ? nil : "cannot be read (\(String(cString: strerror(errno))))"
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { return "is not a folder" }
        if isMarked(folder) { return nil }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return "cannot be read" }
        if names.isEmpty { return nil }
        let earlierTally = names.allSatisfy { name in
            name == ".gitignore"
                ? FileManager.default.contents(atPath: folder + "/" + name) == Data(gitignoreText.utf8)
                : isEntryName(name) && isRegularFile(folder + "/" + name)
        }
        if earlierTally, names.contains(".gitignore") { return nil }
        return "is not a folder Tally made (it has no \(markerName) file)"
    }

    /// Whether the folder carries Tally's marker (a regular file that says what it is).
    static func isMarked(_ folder: String) -> Bool {
        let marker = folder + "/" + markerName
        guard isRegularFile(marker), let data = FileManager.default.contents(atPath: marker) else { return false }
        return String(decoding: data.prefix(200), as: UTF8.self).hasPrefix("Tally cell cache:")
    }

    static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
    }

    /// Whether `name` is one of the files the cache writes: `KEY.cell` and `KEY.table` (KEY: 64
    /// hex digits), their temporaries `KEY.cell.partial-PID-N`, the shelf's dictionaries
    /// `SHA256.dict` (and their temporaries `dict.partial-PID-N`), and the input index
    /// `inputs.json` (and its temporaries). The marker and `.gitignore` are not entries.
    static func isEntryName(_ name: String) -> Bool {
        if name == "inputs.json" || name.hasPrefix("inputs.json.partial-") { return true }
        // A shelf file being written: `dict.partial-PID-N`, digits only.
        if name.hasPrefix("dict.partial-") {
            let parts = name.dropFirst("dict.partial-".count).split(separator: "-", omittingEmptySubsequences: false)
            return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
        }
        if DictionaryShelf.isName(name) { return true }
        let utf8 = Array(name.utf8)
        guard utf8.count > 64, utf8[64] == UInt8(ascii: "."),
            utf8[..<64].allSatisfy({ (48...57).contains($0) || (97...102).contains($0) })
        else { return false }
        let rest = String(decoding: utf8[65...], as: UTF8.self)
        return rest == "cell" || rest == "table" || rest.hasPrefix("cell.partial-") || rest.hasPrefix("table.partial-")
    }

    /// The entry files in a Tally cache folder (none in a folder Tally did not make).
    static func entryFiles(_ folder: String) -> [String] {
        guard refusal(folder: folder) == nil,
            let names = try? FileManager.default.contentsOfDirectory(atPath: folder)
        else { return [] }
        return names.filter { isEntryName($0) && isRegularFile(folder + "/" + $0) }
    }

    // MARK: Sealed files

    /// A file's bytes after a first line with the SHA-256 of the key and the bytes, so a
    /// damaged, truncated or misplaced file is known as such.
    static func seal(_ payload: Data, key: String) -> Data {
        Data("tally-cache sha256 \(checksum(payload, key: key))\n".utf8) + payload
    }

    /// The bytes of a sealed file, or nil when its checksum does not hold.
    static func unseal(_ data: Data, key: String) -> Data? {
        guard let newline = data.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let header = String(decoding: data[data.startIndex..<newline], as: UTF8.self)
        let payload = Data(data[(newline + 1)...])
        guard header == "tally-cache sha256 \(checksum(payload, key: key))" else { return nil }
        return payload
    }

    static func checksum(_ payload: Data, key: String) -> String {
        var hasher = SHA256()
        hasher.update(data: Data((key + "\n").utf8))
        hasher.update(data: payload)
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    func path(_ key: String, _ ext: String) -> String { folder + "/" + key + "." + ext }

    /// A cached cell, when its entry (and its table, if it made one) is complete. An entry whose
    /// checksum does not hold, or that does not decode, is deleted: its cell is recomputed.
    func entry(_ key: String) -> Entry? {
        let file = path(key, "cell")
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        guard let payload = CellCache.unseal(data, key: key), let entry = try? JSONDecoder().decode(Entry.self, from: payload),
            entry.table == nil || (entry.tableSHA256 != nil && FileManager.default.fileExists(atPath: path(key, "table"))),
            (entry.dictionaries ?? []).allSatisfy({
                DictionaryShelf.isName($0) && FileManager.default.fileExists(atPath: folder + "/" + $0)
            })
        else {
            drop(key)
            return nil
        }
        if let sum = entry.tableSHA256 { tableSums[key] = sum }
        pinned.insert(key)
        touch(file)
        if entry.table != nil { touch(path(key, "table")) }
        return entry
    }

    /// A restored entry's table, or nil (and the entry deleted) when its bytes are not the ones
    /// written.
    func table(_ key: String) -> Table? {
        guard let sum = tableSums[key], let table = Table.readBinary(from: path(key, "table"), sha256: sum, shelf: shelf) else {
            drop(key)
            return nil
        }
        return table
    }

    /// Deletes an entry found damaged.
    func drop(_ key: String) {
        unlink(path(key, "cell"))
        unlink(path(key, "table"))
        tableSums[key] = nil
    }

    /// Writes entries on another thread while the run goes on (a 1M-student district's tables
    /// are hundreds of MB: written in line, they made a first run half again as long).
    private let writer = DispatchQueue(label: "tally.cache.write")
    /// Large dictionaries, written once for all the tables that hold them.
    let shelf: DictionaryShelf

    /// Keeps a cell's entry and table (written to temporary names, then renamed into place).
    func save(_ key: String, _ entry: Entry, table: Table?) {
        pinned.insert(key)
        writer.async { [self] in write(key, entry, table: table) }
    }

    /// Waits for every entry `save` queued.
    public func finish() { writer.sync {} }

    private func write(_ key: String, _ entry: Entry, table: Table?) {
        var entry = entry
        if let table {
            let temporary = path(key, "table.partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
            guard let written = table.writeBinary(to: temporary, shelf: shelf), rename(temporary, path(key, "table")) == 0 else {
                unlink(temporary)
                return
            }
            entry.tableSHA256 = written.sha256
            entry.dictionaries = written.dictionaries.isEmpty ? nil : written.dictionaries
        }
        guard let data = try? JSONEncoder().encode(entry) else { return }
        let temporary = path(key, "cell.partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        guard FileCreation.create(temporary, contents: CellCache.seal(data, key: key), permissions: 0o600),
            rename(temporary, path(key, "cell")) == 0
        else {
            unlink(temporary)
            return
        }
    }

    /// Removes the least recently used entries until the folder is within the limit.
    public func evict() {
        finish()
        let fm = FileManager.default
        var byKey: [String: (bytes: Int, used: Date)] = [:]
        var total = 0
        for name in CellCache.entryFiles(folder) where name.hasSuffix(".cell") || name.hasSuffix(".table") {
            let key = String(name.prefix { $0 != "." })
            guard let attributes = try? fm.attributesOfItem(atPath: folder + "/" + name) else { continue }
            let bytes = (attributes[.size] as? NSNumber)?.intValue ?? 0
            let used = attributes[.modificationDate] as? Date ?? .distantPast
            total += bytes
            let previous = byKey[key]
            byKey[key] = ((previous?.bytes ?? 0) + bytes, max(previous?.used ?? .distantPast, used))
        }
        var shelved: [String: Int] = [:]
        for name in CellCache.entryFiles(folder) where DictionaryShelf.isName(name) {
            let bytes = ((try? fm.attributesOfItem(atPath: folder + "/" + name))?[.size] as? NSNumber)?.intValue ?? 0
            shelved[name] = bytes
            total += bytes
        }
        guard total > limitBytes else { return }
        for (key, info) in byKey.sorted(by: { $0.value.used < $1.value.used }) where !pinned.contains(key) {
            unlink(path(key, "cell"))
            unlink(path(key, "table"))
            byKey[key] = nil
            total -= info.bytes
            if total <= limitBytes { break }
        }
        // Then the dictionaries no entry left names (an entry that cannot be read names none).
        var named = Set<String>()
        for key in byKey.keys {
            guard let data = FileManager.default.contents(atPath: path(key, "cell")), let payload = CellCache.unseal(data, key: key),
                let entry = try? JSONDecoder().decode(Entry.self, from: payload)
            else { continue }
            named.formUnion(entry.dictionaries ?? [])
        }
        for name in shelved.keys where !named.contains(name) { unlink(folder + "/" + name) }
    }

    /// Removes every entry file Tally wrote (nothing else: not a file someone put in the folder,
    /// not the marker); returns the number of bytes freed. A folder Tally did not make is left
    /// alone: the error says so.
    @discardableResult
    public static func clear(folder: String) throws -> Int {
        guard FileManager.default.fileExists(atPath: folder) else { return 0 }
        if let refusal = refusal(folder: folder) {
            throw Diagnostic(.cacheProblem, .error, "not a cell cache: it \(refusal)", file: folder)
        }
        let freed = usage(folder: folder).bytes
        for name in entryFiles(folder) {
            guard unlink(folder + "/" + name) == 0 || errno == ENOENT else {
                throw Diagnostic(.writeFailed, .error, "cannot remove \(name): \(String(cString: strerror(errno)))", file: folder)
            }
        }
        return freed
    }

    /// Entries and bytes in a cache folder (its entry files only).
    public static func usage(folder: String) -> (entries: Int, bytes: Int) {
        let fm = FileManager.default
        let names = entryFiles(folder)
        var bytes = 0
        for name in names {
            bytes += ((try? fm.attributesOfItem(atPath: folder + "/" + name))?[.size] as? NSNumber)?.intValue ?? 0
        }
        return (names.filter { $0.hasSuffix(".cell") }.count, bytes)
    }

    private func touch(_ file: String) { utimes(file, nil) }

    // MARK: Input fingerprints

    static func stamp(_ path: String) -> FileStamp? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        func nanoseconds(_ t: timespec) -> Int64 { Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec) }
        return FileStamp(
            path: path, size: Int64(info.st_size), modified: nanoseconds(info.st_mtim), changed: nanoseconds(info.st_ctim),
            inode: UInt64(info.st_ino), device: UInt64(info.st_dev))
    }

    /// Whether a file's change time can be trusted to move whenever its bytes do: on the local
    /// file systems Linux keeps it for. On a network share (SMB, NFS), FAT/exFAT/NTFS, FUSE or
    /// WSL's Windows drives the file is hashed on every run. (The file system is the one
    /// /proc/self/mountinfo gives the deepest mount holding the file.)
    static func keepsChangeTimes(_ path: String) -> Bool {
        guard let resolved = realpath(path, nil) else { return false }
        let file = String(cString: resolved)
        free(resolved)
        guard let data = FileManager.default.contents(atPath: "/proc/self/mountinfo") else { return false }
        var best: (depth: Int, type: String) = (-1, "")
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            // ID PARENT MAJOR:MINOR ROOT MOUNT-POINT OPTIONS [OPTIONAL...] - TYPE SOURCE OPTIONS
            let fields = line.split(separator: " ")
            guard fields.count > 5, let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count else { continue }
            let point = fields[4].replacingOccurrences(of: "\\040", with: " ")
            guard point == "/" || file == point || file.hasPrefix(point + "/") else { continue }
            let depth = point == "/" ? 0 : point.split(separator: "/").count
            if depth >= best.depth { best = (depth, String(fields[dash + 1])) }
        }
        return ["ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "tmpfs", "overlay", "f2fs"].contains(best.type)
    }

    /// The last input `inputSHA256` read to hash it, kept for its load (`takeReadAhead`).
    private var readAhead: InputFile.ReadAhead?

    /// The bytes `inputSHA256` read from `path`, handed over once (nil when it did not read it);
    /// anything else it kept is dropped.
    func takeReadAhead(_ path: String) -> InputFile.ReadAhead? {
        defer { readAhead = nil }
        return readAhead?.path == path ? readAhead : nil
    }

    /// The SHA-256 of an input file. It is taken from the index only when the file's stamp —
    /// size, modification and change times to the nanosecond, inode and device — is exactly the
    /// one it had when it was hashed; otherwise the file is read and hashed again.
    func inputSHA256(_ path: String) -> String? {
        // A many-file load: its files' names and hashes (each file is small; not indexed).
        if Loader.isPattern(path) { return Fingerprint.sha256(file: path) }
        guard let before = CellCache.stamp(path) else { return nil }
        let indexPath = folder + "/inputs.json"
        if inputIndex == nil {
            inputIndex =
                FileManager.default.contents(atPath: indexPath)
                .flatMap { CellCache.unseal($0, key: "inputs") }
                .flatMap { try? JSONDecoder().decode([String: InputStamp].self, from: $0) } ?? [:]
        }
        let trusted = CellCache.keepsChangeTimes(path)
        if trusted, let known = inputIndex?[path], known.stamp == before { return known.sha256 }
        // Hashed from bytes kept for the load that follows a miss (`InputFile.ReadAhead`).
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, let bytes = InputFile.readBytes(path) else {
            return Fingerprint.sha256(file: path)
        }
        let sha = Fingerprint.sha256(bytes)
        readAhead = InputFile.ReadAhead(path: path, bytes: bytes, sha256: sha)
        // Remembered only for a file that held still while it was hashed and last changed more
        // than two seconds ago: a rewrite within the same tick of the clock that stamps change
        // times could otherwise keep every field of the stamp.
        let now = Int64(Date().timeIntervalSince1970 * 1e9)
        guard trusted, CellCache.stamp(path) == before, before.changed < now - 2_000_000_000 else {
            inputIndex?[path] = nil
            return sha
        }
        inputIndex?[path] = InputStamp(stamp: before, sha256: sha)
        if let data = try? JSONEncoder().encode(inputIndex) {
            let temporary = indexPath + ".partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            if FileCreation.create(temporary, contents: CellCache.seal(data, key: "inputs"), permissions: 0o600) {
                rename(temporary, indexPath)
            }
        }
        return sha
    }
}
