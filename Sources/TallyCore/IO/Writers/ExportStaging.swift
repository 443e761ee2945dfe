import Foundation

/// Exports are written to staging files first and moved into place only when the whole run
/// succeeded, so a run that stops with an error leaves earlier exports untouched and never
/// leaves a half-written file.
///
/// A staged file sits beside its destination (a hidden `.NAME.tally-partial-…` file, owner-only)
/// when the destination's folder exists, so committing is one rename: copying a 460 MB export
/// from a temporary folder took 1.2 s at 3M students. When the folder does not exist yet, the
/// file is staged in a private temporary folder and copied at commit (folders are created only
/// by a run that succeeds).
public final class ExportStaging: @unchecked Sendable {
    public struct Pending: Sendable {
        public var staged: String
        public var destination: String
    }
    public private(set) var pending: [Pending] = []
    /// Folders already searched for abandoned staged files (once per run: a worklist of
    /// thousands of files in one folder would otherwise list it once per file).
    private var searched: Set<String> = []
    let folder: String
    /// In every staged name: the process that owns it, so a run killed before it could clean up
    /// is recognised by the next one (its process is gone) and its files removed.
    let token = "\(getpid())-\(UUID().uuidString.prefix(8))"

    public init() {
        folder = NSTemporaryDirectory() + "tally-export-\(getpid())-\(UUID().uuidString)"
    }

    /// Removes staged files of runs that were killed: any `.NAME.tally-partial-PID-…` in a
    /// destination's folder whose process PID no longer runs.
    static func removeAbandoned(in folder: String) {
        let fm = FileManager.default
        for entry in (try? fm.contentsOfDirectory(atPath: folder.isEmpty ? "." : folder)) ?? [] where entry.hasPrefix(".") {
            guard let marker = entry.range(of: ".tally-partial-"),
                  let pid = Int32(entry[marker.upperBound...].prefix { $0 != "-" }), !alive(pid) else { continue }
            try? fm.removeItem(atPath: (folder.isEmpty ? "" : folder + "/") + entry)
        }
    }

    /// Removes the temporary staging folders (`tally-export-PID-…`) of runs that were killed.
    static func removeAbandonedTemporaryFolders() {
        let fm = FileManager.default
        let temporary = NSTemporaryDirectory()
        for entry in (try? fm.contentsOfDirectory(atPath: temporary)) ?? [] where entry.hasPrefix("tally-export-") {
            guard let pid = Int32(entry.dropFirst("tally-export-".count).prefix { $0 != "-" }), !alive(pid) else { continue }
            try? fm.removeItem(atPath: temporary + (temporary.hasSuffix("/") ? "" : "/") + entry)
        }
    }

    /// Whether process `pid` runs (one of another user counts as running).
    static func alive(_ pid: Int32) -> Bool {
        pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
    }

    /// A fresh staging path for an export that will land at `destination`.
    public func stage(for destination: String) throws -> String {
        let fm = FileManager.default
        let parent = (destination as NSString).deletingLastPathComponent
        let name = (destination as NSString).lastPathComponent
        var isFolder: ObjCBool = false
        let staged: String
        if fm.fileExists(atPath: parent.isEmpty ? "." : parent, isDirectory: &isFolder), isFolder.boolValue,
           fm.isWritableFile(atPath: parent.isEmpty ? "." : parent) {
            if searched.insert(parent).inserted { ExportStaging.removeAbandoned(in: parent) }
            staged = (parent.isEmpty ? "" : parent + "/") + ".\(name).tally-partial-\(token)-\(pending.count)"
        } else {
            if !fm.fileExists(atPath: folder) { ExportStaging.removeAbandonedTemporaryFolders() }
            try fm.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            staged = folder + "/\(pending.count)-" + name
        }
        if let previous = pending.first(where: { $0.destination == destination }) { try? fm.removeItem(atPath: previous.staged) }
        pending.removeAll { $0.destination == destination }
        pending.append(Pending(staged: staged, destination: destination))
        return staged
    }

    /// Moves every staged file into place (creating folders), each by an atomic rename.
    public func commit() throws {
        let fm = FileManager.default
        for item in pending {
            let folder = (item.destination as NSString).deletingLastPathComponent
            if !folder.isEmpty { try fm.createDirectory(atPath: folder, withIntermediateDirectories: true) }
            if rename(item.staged, item.destination) == 0 { continue }
            // Another file system: copy next to the destination so the final step is a same-folder rename.
            let name = (item.destination as NSString).lastPathComponent
            let beside = (folder.isEmpty ? "" : folder + "/") + ".\(name).tally-partial-\(token)-copy"
            try? fm.removeItem(atPath: beside)
            try fm.copyItem(atPath: item.staged, toPath: beside)
            if rename(beside, item.destination) != 0 {
                try? fm.removeItem(atPath: beside)
                throw Diagnostic(.error, "cannot replace the file", file: item.destination)
            }
        }
        discard()
    }

    /// Drops every staged file.
    public func discard() {
        let fm = FileManager.default
        for item in pending where fm.fileExists(atPath: item.staged) { try? fm.removeItem(atPath: item.staged) }
        try? fm.removeItem(atPath: folder)
        pending = []
    }
}
