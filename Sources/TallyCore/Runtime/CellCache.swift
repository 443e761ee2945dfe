import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Each cell's result, and the table it made, kept under `.tally/cache/` by a key that covers
/// everything the result depends on (see `Interpreter.cellKey`): a rerun takes unchanged cells
/// from here and recomputes only the cells whose key changed.
///
/// Cached tables hold student data: the folder is owner-only (0700) and every file 0600. The
/// folder is kept under a size limit, the least recently used entries removed first.
public final class CellCache: @unchecked Sendable {
    public let folder: String
    public let limitBytes: Int
    /// Keys used or written by this run: never evicted by it.
    private var pinned: Set<String> = []
    private var inputIndex: [String: InputStamp]? = nil

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
    }

    struct FileStamp: Codable, Equatable {
        var path: String
        var size: Int64
        var modified: Int64
        var inode: UInt64
    }

    struct InputStamp: Codable {
        var stamp: FileStamp
        var sha256: String
    }

    public static let defaultLimit = 2 << 30

    public init(folder: String, limitBytes: Int = CellCache.defaultLimit) throws {
        self.folder = folder
        self.limitBytes = limitBytes
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: folder)
            // Cached tables are student data: keep them out of any repository the folder is in.
            let ignore = folder + "/.gitignore"
            if !FileManager.default.fileExists(atPath: ignore) {
                FileCreation.create(ignore, contents: Data("# Tally's cell cache: student data, never commit it.\n*\n".utf8),
                                    permissions: 0o600)
            }
        } catch {
            throw Diagnostic(.error, "cannot create the cell cache folder", file: folder, help: "run with --no-cache")
        }
    }

    /// The cache beside a QA store (`.tally/tally.sqlite` → `.tally/cache/`).
    public static func folder(forStore storePath: String) -> String {
        // A shared PostgreSQL store: the cache stays on this machine, in .tally/ here.
        if QAStore.isPostgres(storePath) { return FileManager.default.currentDirectoryPath + "/.tally/cache" }
        let parent = FileCreation.folder(of: storePath)
        return (parent.isEmpty ? "." : parent) + "/cache"
    }

    func path(_ key: String, _ ext: String) -> String { folder + "/" + key + "." + ext }

    /// A cached cell, when its entry (and its table, if it made one) is complete.
    func entry(_ key: String) -> Entry? {
        let file = path(key, "cell")
        guard let data = FileManager.default.contents(atPath: file),
              let entry = try? JSONDecoder().decode(Entry.self, from: data) else { return nil }
        if entry.table != nil, !FileManager.default.fileExists(atPath: path(key, "table")) { return nil }
        pinned.insert(key)
        touch(file)
        if entry.table != nil { touch(path(key, "table")) }
        return entry
    }

    func table(_ key: String) -> Table? { Table.readBinary(from: path(key, "table")) }

    /// Writes entries on another thread while the run goes on (a 1M-student district's tables
    /// are hundreds of MB: written in line, they made a first run half again as long).
    private let writer = DispatchQueue(label: "tally.cache.write")

    /// Keeps a cell's entry and table (written to temporary names, then renamed into place).
    func save(_ key: String, _ entry: Entry, table: Table?) {
        pinned.insert(key)
        writer.async { [self] in write(key, entry, table: table) }
    }

    /// Waits for every entry `save` queued.
    public func finish() { writer.sync {} }

    private func write(_ key: String, _ entry: Entry, table: Table?) {
        if let table {
            let temporary = path(key, "table.partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
            guard table.writeBinary(to: temporary), rename(temporary, path(key, "table")) == 0 else {
                unlink(temporary)
                return
            }
        }
        guard let data = try? JSONEncoder().encode(entry) else { return }
        let temporary = path(key, "cell.partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        guard FileCreation.create(temporary, contents: data, permissions: 0o600),
              rename(temporary, path(key, "cell")) == 0 else {
            unlink(temporary)
            return
        }
    }

    /// Removes the least recently used entries until the folder is within the limit.
    public func evict() {
        finish()
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: folder) else { return }
        var byKey: [String: (bytes: Int, used: Date)] = [:]
        var total = 0
        for name in names where name.hasSuffix(".cell") || name.hasSuffix(".table") {
            let key = String(name.prefix { $0 != "." })
            guard let attributes = try? fm.attributesOfItem(atPath: folder + "/" + name) else { continue }
            let bytes = (attributes[.size] as? NSNumber)?.intValue ?? 0
            let used = attributes[.modificationDate] as? Date ?? .distantPast
            total += bytes
            let previous = byKey[key]
            byKey[key] = ((previous?.bytes ?? 0) + bytes, max(previous?.used ?? .distantPast, used))
        }
        guard total > limitBytes else { return }
        for (key, info) in byKey.sorted(by: { $0.value.used < $1.value.used }) where !pinned.contains(key) {
            unlink(path(key, "cell"))
            unlink(path(key, "table"))
            total -= info.bytes
            if total <= limitBytes { break }
        }
    }

    /// Removes every entry; returns the number of bytes freed.
    @discardableResult
    public static func clear(folder: String) throws -> Int {
        let fm = FileManager.default
        guard fm.fileExists(atPath: folder) else { return 0 }
        let freed = usage(folder: folder).bytes
        for name in try fm.contentsOfDirectory(atPath: folder) where name != ".gitignore" { try fm.removeItem(atPath: folder + "/" + name) }
        return freed
    }

    /// Entries and bytes in a cache folder.
    public static func usage(folder: String) -> (entries: Int, bytes: Int) {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: folder) else { return (0, 0) }
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
        let modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        return FileStamp(path: path, size: Int64(info.st_size), modified: modified, inode: UInt64(info.st_ino))
    }

    /// The SHA-256 of an input file; re-hashed only when its size, modification time or inode
    /// changed since the last time this cache hashed it.
    func inputSHA256(_ path: String) -> String? {
        // A many-file load: its files' names and hashes (each file is small; not indexed).
        if Loader.isPattern(path) { return Fingerprint.sha256(file: path) }
        guard let stamp = CellCache.stamp(path) else { return nil }
        let indexPath = folder + "/inputs.json"
        if inputIndex == nil {
            inputIndex = FileManager.default.contents(atPath: indexPath).flatMap { try? JSONDecoder().decode([String: InputStamp].self, from: $0) } ?? [:]
        }
        if let known = inputIndex?[path], known.stamp == stamp { return known.sha256 }
        guard let sha = Fingerprint.sha256(file: path) else { return nil }
        inputIndex?[path] = InputStamp(stamp: stamp, sha256: sha)
        if let data = try? JSONEncoder().encode(inputIndex) {
            let temporary = indexPath + ".partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            if FileCreation.create(temporary, contents: data, permissions: 0o600) {
                rename(temporary, indexPath)
            }
        }
        return sha
    }
}
