import Foundation
import TallyCore
import TallyModel

#if canImport(Glibc)
import Glibc
#endif

/// The schemas of input files, kept while the file does not change (by its size, modification
/// and change times and inode), so a keystroke costs the checker, not re-reading every input's
/// header and first megabyte. Errors are never kept: a missing file is looked for again.
final class SchemaMemo: @unchecked Sendable {
    private var known: [String: (stamp: [Int64], schema: Schema)] = [:]
    private let lock = NSLock()

    static func stamp(_ path: String) -> [Int64]? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return [
            Int64(info.st_size), Int64(info.st_mtim.tv_sec), Int64(info.st_mtim.tv_nsec),
            Int64(info.st_ctim.tv_sec), Int64(info.st_ctim.tv_nsec), Int64(bitPattern: UInt64(info.st_ino)),
        ]
    }

    func schema(_ request: LoadRequest, _ read: () throws -> Schema) throws -> Schema {
        // A many-file load (a pattern) is read each time: its files can come and go.
        guard !Loader.isPattern(request.path), let before = SchemaMemo.stamp(request.path) else { return try read() }
        let key = "\(request.path)\u{1}\(request.format)\u{1}\(request.options)"
        lock.lock()
        let hit = known[key]
        lock.unlock()
        if let hit, hit.stamp == before { return hit.schema }
        let schema = try read()
        if SchemaMemo.stamp(request.path) == before {
            lock.lock()
            known[key] = (before, schema)
            lock.unlock()
        }
        return schema
    }
}
