import Foundation
import TallyModel

/// Creates files in place, with the permissions asked for.
///
/// Foundation's `FileManager.createFile(atPath:contents:)` writes atomically: a hidden
/// `.dat.nosync…` temporary beside the file, then a rename. A run killed between the two leaves
/// that temporary in the user's folder under a name nothing of Tally's recognises (the kill test
/// found two in an export folder). Where Tally needs a file whole or absent it stages and renames
/// under its own names (`ExportStaging`, `replace`), which the next run can find and remove.
public enum FileCreation {
    /// Creates (or empties) `path` and writes `contents`; with `sync`, flushed to disk before it
    /// returns. False when the file cannot be created or written.
    @discardableResult
    public static func create(_ path: String, contents: Data = Data(), permissions: mode_t = 0o644, sync: Bool = false) -> Bool {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, permissions)
        guard descriptor >= 0 else { return false }
        var ok = contents.withUnsafeBytes { buffer -> Bool in
            guard let base = buffer.baseAddress else { return true }
            var offset = 0
            while offset < buffer.count {
                let n = write(descriptor, base + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
        if ok, sync, fsync(descriptor) != 0 { ok = false }
        if close(descriptor) != 0 { ok = false }
        if !ok { unlink(path) }
        return ok
    }

    /// The folder part of a path: "" for a bare name, "/" for a file at the root. Used instead of
    /// `NSString.deletingLastPathComponent`, which crashes (Foundation, Swift 6.3 on Linux) on a
    /// one-character relative path such as "s" or "a/" read from the command line.
    public static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Replaces `path` whole: the contents go to `.NAME.tally-partial-PID-…` beside it, which is
    /// then renamed over it, so a reader sees the old file or the new one, never half of one.
    /// A temporary left by a killed process is removed by the next run that stages in the folder
    /// (`ExportStaging.removeAbandoned`).
    public static func replace(_ path: String, contents: Data, permissions: mode_t = 0o644) -> Bool {
        let folder = FileCreation.folder(of: path)
        let name = (path as NSString).lastPathComponent
        let temporary = (folder.isEmpty ? "" : folder + "/") + ".\(name).tally-partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard create(temporary, contents: contents, permissions: permissions) else { return false }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            return false
        }
        return true
    }
}
