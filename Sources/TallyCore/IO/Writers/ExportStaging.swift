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
        recover(in: folder)
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

    /// The journal a commit of several files writes first: `.tally-commit-PID-….journal` in the
    /// first destination's folder, a line per file, `staged<TAB>destination`, absolute paths.
    static let journalPrefix = ".tally-commit-"

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// Completes the commit of a run killed between two of its renames: every file its journal
    /// lists that is still staged is moved into place, so the exports are all from that run (it
    /// had finished; the ledger has it), never a mix of two runs. Then the journal goes.
    public static func recover(in folder: String) {
        let fm = FileManager.default
        let dir = folder.isEmpty ? "." : folder
        for entry in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] where entry.hasPrefix(journalPrefix) {
            guard let pid = Int32(entry.dropFirst(journalPrefix.count).prefix { $0 != "-" }), !alive(pid) else { continue }
            let journal = dir + "/" + entry
            // A journal still being written when the kill came: no file was moved yet.
            if entry.hasSuffix(".journal.partial") {
                try? fm.removeItem(atPath: journal)
                continue
            }
            guard entry.hasSuffix(".journal") else { continue }
            // A journal cut short by the kill names nothing yet moved: nothing to complete.
            if let text = try? String(contentsOfFile: journal, encoding: .utf8), text.hasSuffix("\nend\n") {
                for line in text.split(separator: "\n") where line != "end" {
                    let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
                    guard parts.count == 2, fm.fileExists(atPath: parts[0]) else { continue }
                    try? place(Pending(staged: parts[0], destination: parts[1]), token: "recover-\(pid)")
                }
            }
            try? fm.removeItem(atPath: journal)
        }
    }

    /// Moves one staged file into place (creating its folder) by an atomic rename, or by a copy
    /// beside it and a rename when the staged file is on another file system.
    static func place(_ item: Pending, token: String) throws {
        let fm = FileManager.default
        let folder = (item.destination as NSString).deletingLastPathComponent
        // Folders a run makes hold student records: their owner's only (0700), like the files.
        if !folder.isEmpty { try fm.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) }
        if rename(item.staged, item.destination) == 0 { return }
        let name = (item.destination as NSString).lastPathComponent
        let beside = (folder.isEmpty ? "" : folder + "/") + ".\(name).tally-partial-\(token)-copy"
        try? fm.removeItem(atPath: beside)
        try fm.copyItem(atPath: item.staged, toPath: beside)
        if rename(beside, item.destination) != 0 {
            try? fm.removeItem(atPath: beside)
            throw Diagnostic(.error, "cannot replace the file", file: item.destination)
        }
    }

    /// Moves every staged file into place (creating folders), each by an atomic rename. With
    /// several files, a journal written first lets the next run finish the moves if this one is
    /// killed between two of them (`recover`).
    public func commit() throws {
        let fm = FileManager.default
        var journal: String? = nil
        if pending.count > 1, let first = pending.first {
            let folder = (first.destination as NSString).deletingLastPathComponent
            if !folder.isEmpty { try fm.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) }
            let path = (folder.isEmpty ? "" : folder + "/") + ExportStaging.journalPrefix + token + ".journal"
            let lines = pending.map { ExportStaging.absolute($0.staged) + "\t" + ExportStaging.absolute($0.destination) }
            // Complete or absent: written beside, flushed, then renamed into place.
            let text = lines.joined(separator: "\n") + "\nend\n"
            let partial = path + ".partial"
            guard FileCreation.create(partial, contents: Data(text.utf8), permissions: 0o600, sync: true) else {
                throw Diagnostic(.error, "cannot write the export journal", file: path)
            }
            guard rename(partial, path) == 0 else { throw Diagnostic(.error, "cannot write the export journal", file: path) }
            journal = path
        }
        for item in pending {
            try ExportStaging.place(item, token: token)
        }
        if let journal { try? fm.removeItem(atPath: journal) }
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
