import Crypto
import Foundation
import TallyModel

/// Exports are written to staging files first and moved into place only when the whole run
/// succeeded, so a run that stops with an error leaves earlier exports untouched and never
/// leaves a half-written file.
///
/// A staged file sits beside its destination (a hidden `.NAME.tally-partial-…` file, owner-only)
/// when the destination's folder exists, so committing is one rename: copying a 460 MB export
/// from a temporary folder took 1.2 s at 3M students. When the folder does not exist yet, the
/// file is staged in a private temporary folder and moved beside its destination at commit
/// (folders are created only by a run that succeeds).
///
/// A commit is all or nothing (`commit`): every destination is checked and every file moved
/// beside its destination before the first rename; a file replaced is kept under a backup name
/// until all are in place, so a rename that still fails puts back the ones already made. A
/// commit of several files writes a journal in each destination folder first, so a run killed
/// between two renames is completed by the next one (`recover`) — which trusts only journals
/// Tally wrote (`Journal`).
public final class ExportStaging: @unchecked Sendable {
    public struct Pending: Sendable {
        public var staged: String
        public var destination: String
        /// The destination as the playbook names it, and the export's statement, for messages.
        public var shown: String
        public var file: String? = nil
        public var line: Int? = nil
    }
    public internal(set) var pending: [Pending] = []
    /// Folders already searched for abandoned staged files (once per run: a worklist of
    /// thousands of files in one folder would otherwise list it once per file).
    private var searched: Set<String> = []
    let folder: String
    /// In every staged name: the process that owns it, so a run killed before it could clean up
    /// is recognised by the next one (its process is gone) and its files removed.
    let token = "\(getpid())-\(UUID().uuidString.prefix(8))"
    /// Who may vouch for a journal: with a QA store, its secret seals this run's journals and
    /// recovery acts only on journals sealed by it whose run the ledger has as interrupted.
    public var authority: JournalAuthority?
    /// Protected files (the store, the playbook, an input): recovery never moves one.
    public var confinement: ExportConfinement?
    /// Tests only: the rename of file N fails, as a full disk or a vanished folder would make it.
    var failRenameAt: Int? = nil
    /// One line for each journal recovery completed or left alone, for the run's notes.
    public internal(set) var notes: [String] = []

    public init() {
        folder = NSTemporaryDirectory() + "tally-export-\(getpid())-\(UUID().uuidString)"
    }

    /// Removes staged files of runs that were killed: any regular file `.NAME.tally-partial-PID-…`
    /// or `.NAME.tally-backup-PID-…` in a destination's folder whose process PID no longer runs.
    func removeAbandoned(in folder: String) {
        recover(in: folder)
        let dir = folder.isEmpty ? "." : folder
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        // A journal recovery left alone keeps the files it names (they are evidence, not litter).
        let kept = entries.filter { $0.hasPrefix(ExportStaging.journalPrefix) }
            .map { String($0.dropFirst(ExportStaging.journalPrefix.count).prefix { $0 != "." }) }
        for entry in entries where entry.hasPrefix(".") {
            guard let marker = entry.range(of: ".tally-partial-") ?? entry.range(of: ".tally-backup-"),
                let pid = Int32(entry[marker.upperBound...].prefix { $0 != "-" }), !ExportStaging.alive(pid),
                !kept.contains(where: { entry[marker.upperBound...].hasPrefix($0 + "-") })
            else { continue }
            let path = dir + "/" + entry
            if ExportStaging.isOwnRegularFile(path) { unlink(path) }
        }
    }

    /// Removes the temporary staging folders (`tally-export-PID-…`) of this user's runs that
    /// were killed.
    static func removeAbandonedTemporaryFolders() {
        let fm = FileManager.default
        let temporary = NSTemporaryDirectory()
        for entry in (try? fm.contentsOfDirectory(atPath: temporary)) ?? [] where entry.hasPrefix("tally-export-") {
            guard let pid = Int32(entry.dropFirst("tally-export-".count).prefix { $0 != "-" }), !alive(pid) else { continue }
            let path = temporary + (temporary.hasSuffix("/") ? "" : "/") + entry
            var status = stat()
            guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR, status.st_uid == geteuid() else { continue }
            try? fm.removeItem(atPath: path)
        }
    }

    /// Whether process `pid` runs (one of another user counts as running).
    static func alive(_ pid: Int32) -> Bool {
        pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
    }

    /// Whether `path` is a regular file (not a link, not a folder) owned by the user running Tally.
    static func isOwnRegularFile(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFREG && status.st_uid == geteuid()
    }

    /// The longest file name the file systems Tally writes to take, in bytes (NAME_MAX).
    static let nameLimit = 255

    /// A hidden name beside `name` for one of Tally's own files: `.NAME.tally-KIND-TOKEN-N`,
    /// with NAME cut (on a character boundary) so the whole stays within `nameLimit`.
    static func hiddenName(_ name: String, kind: String, token: String, index: Int) -> String {
        let suffix = ".tally-\(kind)-\(token)-\(index)"
        var kept = name
        while 1 + kept.utf8.count + suffix.utf8.count > nameLimit, !kept.isEmpty { kept.removeLast() }
        return "." + kept + suffix
    }

    /// Why `destination` cannot be a file name here (nil: it can): a name too long or empty.
    static func nameProblem(_ destination: String) -> String? {
        for part in destination.split(separator: "/", omittingEmptySubsequences: true) where part.utf8.count > nameLimit {
            return "the name \"\(part.prefix(40))…\" is \(part.utf8.count) bytes long; file and folder names are at most \(nameLimit)"
        }
        if destination.utf8.count >= Int(PATH_MAX) {
            return "the path is \(destination.utf8.count) bytes long; paths are at most \(Int(PATH_MAX) - 1)"
        }
        if destination.hasSuffix("/") || (destination as NSString).lastPathComponent.isEmpty { return "it names no file" }
        return nil
    }

    /// A fresh staging path for an export that will land at `destination`.
    public func stage(for destination: String, shown: String? = nil, file: String? = nil, line: Int? = nil) throws -> String {
        let fm = FileManager.default
        if let problem = ExportStaging.nameProblem(destination) {
            throw Diagnostic(.exportRefused, .error, problem, file: shown ?? destination)
        }
        let parent = (destination as NSString).deletingLastPathComponent
        let name = (destination as NSString).lastPathComponent
        var isFolder: ObjCBool = false
        let staged: String
        if fm.fileExists(atPath: parent.isEmpty ? "." : parent, isDirectory: &isFolder), isFolder.boolValue,
            fm.isWritableFile(atPath: parent.isEmpty ? "." : parent)
        {
            if searched.insert(parent).inserted { removeAbandoned(in: parent) }
            staged =
                (parent.isEmpty ? "" : parent + "/") + ExportStaging.hiddenName(name, kind: "partial", token: token, index: pending.count)
        } else {
            if !fm.fileExists(atPath: folder) { ExportStaging.removeAbandonedTemporaryFolders() }
            try fm.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            staged = folder + "/\(pending.count)"
        }
        if let previous = pending.first(where: { $0.destination == destination }) { try? fm.removeItem(atPath: previous.staged) }
        pending.removeAll { $0.destination == destination }
        pending.append(Pending(staged: staged, destination: destination, shown: shown ?? destination, file: file, line: line))
        return staged
    }

    /// Drops every staged file.
    public func discard() {
        let fm = FileManager.default
        for item in pending where fm.fileExists(atPath: item.staged) { try? fm.removeItem(atPath: item.staged) }
        try? fm.removeItem(atPath: folder)
        pending = []
    }
}

/// What vouches for a commit journal: the QA store's secret (journals are sealed with
/// HMAC-SHA256 under it) and the ledger (the journal's run must be there, interrupted).
public struct JournalAuthority: Sendable {
    let secret: [UInt8]
    /// The run the journals of this run name (set once the run is recorded in the ledger).
    public var runId: Int64?
    let isInterrupted: @Sendable (Int64) -> Bool

    public init(secret: String, runId: Int64? = nil, isInterrupted: @escaping @Sendable (Int64) -> Bool) {
        self.secret = Array(("tally-commit-journal\u{0}" + secret).utf8)
        self.runId = runId
        self.isInterrupted = isInterrupted
    }

    /// Vouched for by `store` (nil when it has no secret).
    public init?(store: QAStore, runId: Int64? = nil) {
        guard let secret = try? store.maskKey() else { return nil }
        self.init(secret: secret, runId: runId) { id in (try? store.run(id))?.summary.exitStatus == QAStore.interrupted }
    }

    public func seal(_ text: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: SymmetricKey(data: secret)).map { b in
            (b < 16 ? "0" : "") + String(b, radix: 16)
        }.joined()
    }
}
