import Foundation
import TallyModel

/// Committing a run's exports, all or nothing, and completing the commit of a run that was
/// killed half-way (see `ExportStaging`).
extension ExportStaging {
    /// A journal: `.tally-commit-TOKEN.journal` in each destination folder of a commit of several
    /// files, written (flushed, renamed into place) before the first rename. Its lines:
    ///
    ///     tally-commit 2
    ///     run 17                      (the ledger's id; - without a QA store)
    ///     STAGED<TAB>DESTINATION<TAB>BACKUP   (names in the journal's folder; BACKUP - if none)
    ///     end SEAL                    (HMAC-SHA256 of the lines above under the store's secret; - without one)
    static let journalPrefix = ".tally-commit-"
    static let journalHeader = "tally-commit 2"

    struct JournalEntry: Equatable {
        var staged: String
        var destination: String
        var backup: String?
    }

    /// Moves every staged file into place, all or nothing: each destination is checked (name
    /// length, folder, what is there now) and each file moved beside it before the first
    /// rename; a rename that still fails puts back the files already replaced. The error names
    /// the export as the playbook does and the reason in words.
    public func commit() throws {
        var created: [String] = []
        do {
            try prepare(created: &created)
        } catch {
            discard()
            for folder in created.reversed() { rmdir(folder) }
            throw error
        }
        // Several files: a journal in each folder first, so a kill between renames is completed.
        // A replaced file is kept until every file is in place (one file: its rename is atomic).
        let backups = pending.enumerated().map { i, item -> String? in
            var status = stat()
            guard pending.count > 1, lstat(item.destination, &status) == 0 else { return nil }
            return ExportStaging.folderOf(item.destination) + "/"
                + ExportStaging.hiddenName((item.destination as NSString).lastPathComponent, kind: "backup", token: token, index: i)
        }
        var journals: [String] = []
        if pending.count > 1 {
            do { journals = try writeJournals(backups: backups) } catch {
                for journal in journals { unlink(journal) }
                discard()
                for folder in created.reversed() { rmdir(folder) }
                throw error
            }
        }
        for (i, item) in pending.enumerated() {
            if let backup = backups[i] {
                // A hard link keeps the old file under a name of Tally's while the new one takes
                // its place in one rename; where links are not supported, it is moved aside.
                unlink(backup)
                if link(item.destination, backup) != 0, rename(item.destination, backup) != 0 {
                    let reason = ExportStaging.reason(errno)
                    rollBack(failedAt: i, backups: backups)
                    finishFailed(journals: journals, created: created)
                    throw failure(item, "cannot set the earlier file aside (\(reason))")
                }
            }
            if i == failRenameAt || rename(item.staged, item.destination) != 0 {
                let reason = i == failRenameAt ? "a rename failed (a fault injected by a test)" : ExportStaging.reason(errno)
                rollBack(failedAt: i, backups: backups)
                finishFailed(journals: journals, created: created)
                throw failure(item, reason)
            }
        }
        for backup in backups.compactMap({ $0 }) { unlink(backup) }
        for journal in journals { unlink(journal) }
        try? FileManager.default.removeItem(atPath: folder)
        pending = []
    }

    /// Checks every destination and moves each file staged in the temporary folder beside its
    /// destination (creating folders, owner-only), so the renames that follow cannot fail for a
    /// name, a folder or a full disk.
    func prepare(created: inout [String]) throws {
        let fm = FileManager.default
        for i in pending.indices {
            let item = pending[i]
            if let problem = ExportStaging.nameProblem(item.destination) { throw failure(item, problem) }
            let parent = ExportStaging.folderOf(item.destination)
            // The folders to make, outermost first; every existing one must be a folder.
            var missing: [String] = []
            var probe = parent
            var status = stat()
            while lstat(probe, &status) != 0 {
                missing.insert(probe, at: 0)
                probe = (probe as NSString).deletingLastPathComponent
                if probe.isEmpty { probe = "." }
            }
            if status.st_mode & S_IFMT == S_IFLNK {
                var target = stat()
                guard stat(probe, &target) == 0, target.st_mode & S_IFMT == S_IFDIR else {
                    throw failure(item, "\(Checker.display(probe, relativeTo: FileManager.default.currentDirectoryPath)) is not a folder")
                }
            } else if status.st_mode & S_IFMT != S_IFDIR {
                throw failure(item, "\((probe as NSString).lastPathComponent) in its path is a file, not a folder")
            }
            for folder in missing {
                if mkdir(folder, 0o700) != 0 { throw failure(item, "cannot create its folder (\(ExportStaging.reason(errno)))") }
                created.append(folder)
            }
            if lstat(item.destination, &status) == 0, status.st_mode & S_IFMT != S_IFREG {
                throw failure(item, status.st_mode & S_IFMT == S_IFDIR ? "it is a folder" : "it is not a regular file (a link or a device)")
            }
            guard ExportStaging.folderOf(item.staged) != parent else { continue }
            let beside =
                parent + "/"
                + ExportStaging.hiddenName(
                    (item.destination as NSString).lastPathComponent,
                    kind: "partial", token: token, index: i)
            if rename(item.staged, beside) != 0 {
                // Another file system: a copy beside the destination (the disk may be full).
                unlink(beside)
                do { try fm.copyItem(atPath: item.staged, toPath: beside) } catch {
                    unlink(beside)
                    throw failure(item, ExportStaging.reason(of: error))
                }
                unlink(item.staged)
            }
            pending[i].staged = beside
        }
    }

    /// Undoes a commit that failed at file `failed`: the earlier file of each destination
    /// already replaced (and of `failed`, if it was set aside) is put back; a new file where
    /// there was none is removed. A linked backup is renamed over the new file in one step.
    func rollBack(failedAt failed: Int, backups: [String?]) {
        var status = stat()
        for j in stride(from: failed, through: 0, by: -1) {
            let destination = pending[j].destination
            if let backup = backups[j], lstat(backup, &status) == 0 {
                var current = stat()
                if lstat(destination, &current) == 0, current.st_ino == status.st_ino, current.st_dev == status.st_dev {
                    // Still the same file (its rename had not happened): rename does nothing to
                    // two links of one file, so the backup's name is removed instead.
                    unlink(backup)
                } else {
                    rename(backup, destination)
                }
            } else if j < failed {
                unlink(destination)
            }
        }
    }

    func finishFailed(journals: [String], created: [String]) {
        for journal in journals { unlink(journal) }
        discard()
        for folder in created.reversed() { rmdir(folder) }
    }

    func failure(_ item: Pending, _ reason: String) -> Diagnostic {
        Diagnostic(
            .writeFailed, .error, "cannot write \(item.shown): \(reason); no export was replaced", file: item.file ?? item.shown,
            line: item.line ?? 0,
            help: "the earlier exports are as they were; fix the name or folder and run again")
    }

    /// The folder of `path` ("." for a bare name).
    static func folderOf(_ path: String) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }

    /// An error number in words ("No space left on device").
    static func reason(_ code: Int32) -> String {
        String(cString: strerror(code)).lowercased()
    }

    /// An error of Foundation's in words: its POSIX reason when it has one, never "Error Domain=…".
    static func reason(of error: Error) -> String {
        if let d = error as? Diagnostic { return d.message }
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return reason(Int32(underlying.code))
        }
        if ns.domain == NSPOSIXErrorDomain { return reason(Int32(ns.code)) }
        switch ns.code {
        case NSFileWriteOutOfSpaceError: return "the disk is full"
        case NSFileWriteNoPermissionError, NSFileReadNoPermissionError: return "permission denied"
        case NSFileWriteFileExistsError: return "a file is in the way"
        case NSFileWriteInvalidFileNameError: return "the name is not valid here"
        case NSFileNoSuchFileError, NSFileReadNoSuchFileError: return "a folder in its path does not exist"
        default: return "the file system refused it"
        }
    }

    /// Writes the journal of each destination folder (flushed, then renamed into place).
    func writeJournals(backups: [String?]) throws -> [String] {
        var byFolder: [String: [JournalEntry]] = [:]
        var order: [String] = []
        for (i, item) in pending.enumerated() {
            let folder = ExportStaging.folderOf(item.destination)
            if byFolder[folder] == nil { order.append(folder) }
            byFolder[folder, default: []].append(
                JournalEntry(
                    staged: (item.staged as NSString).lastPathComponent,
                    destination: (item.destination as NSString).lastPathComponent,
                    backup: backups[i].map { ($0 as NSString).lastPathComponent }))
        }
        var written: [String] = []
        for folder in order {
            let path = folder + "/" + ExportStaging.journalPrefix + token + ".journal"
            let text = ExportStaging.journalText(byFolder[folder] ?? [], runId: authority?.runId, authority: authority)
            let partial = path + ".partial"
            guard FileCreation.create(partial, contents: Data(text.utf8), permissions: 0o600, sync: true), rename(partial, path) == 0 else {
                unlink(partial)
                throw Diagnostic(
                    .writeFailed, .error,
                    "cannot write the export journal in \(Checker.display(folder, relativeTo: FileManager.default.currentDirectoryPath)); no export was replaced",
                    file: folder)
            }
            written.append(path)
        }
        return written
    }

    static func journalText(_ entries: [JournalEntry], runId: Int64?, authority: JournalAuthority?) -> String {
        var body = journalHeader + "\n" + "run " + (runId.map(String.init) ?? "-") + "\n"
        for entry in entries { body += entry.staged + "\t" + entry.destination + "\t" + (entry.backup ?? "-") + "\n" }
        return body + "end " + (authority.map { $0.seal(body) } ?? "-") + "\n"
    }

    /// Reads a journal named with `token`; nil and the reason when it is not one Tally wrote.
    static func parseJournal(_ text: String, token: String) -> (entries: [JournalEntry], runId: Int64?, body: String, seal: String)? {
        guard text.hasSuffix("\n") else { return nil }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 4, lines[0] == journalHeader, lines[1].hasPrefix("run "), let last = lines.last, last.hasPrefix("end ") else {
            return nil
        }
        let run = lines[1].dropFirst(4)
        let runId: Int64? = run == "-" ? nil : Int64(run)
        guard run == "-" || runId != nil else { return nil }
        var entries: [JournalEntry] = []
        for line in lines[2..<(lines.count - 1)] {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3, isOwnName(fields[0], kind: "partial", token: token), isPlainName(fields[1]),
                fields[2] == "-" || isOwnName(fields[2], kind: "backup", token: token)
            else { return nil }
            entries.append(JournalEntry(staged: fields[0], destination: fields[1], backup: fields[2] == "-" ? nil : fields[2]))
        }
        guard Set(entries.map(\.destination)).count == entries.count else { return nil }
        let body = lines.dropLast().joined(separator: "\n") + "\n"
        return (entries, runId, body, String(last.dropFirst(4)))
    }

    /// A name of Tally's own for `token`: `.NAME.tally-KIND-TOKEN-N`, in the same folder.
    static func isOwnName(_ name: String, kind: String, token: String) -> Bool {
        guard name.hasPrefix("."), !name.contains("/"), name.utf8.count <= nameLimit,
            let marker = name.range(of: ".tally-\(kind)-\(token)-", options: .backwards)
        else { return false }
        let index = name[marker.upperBound...]
        return !index.isEmpty && index.allSatisfy(\.isASCII) && index.allSatisfy(\.isNumber)
    }

    /// A file name in the folder itself: no `/`, not `.` or `..`, and none of Tally's own names.
    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\u{0}") && name.utf8.count <= nameLimit
            && !name.hasPrefix(journalPrefix) && !name.contains(".tally-partial-") && !name.contains(".tally-backup-")
    }

    /// Completes the commits of killed runs in `folder` (see `recover(in:authority:confinement:)`),
    /// keeping its lines for the run's notes.
    public func recover(in folder: String) {
        for note in ExportStaging.recover(in: folder, authority: authority, confinement: confinement) where !notes.contains(note) {
            notes.append(note)
        }
    }

    /// Completes the commit of a run killed between two of its renames: the files its journal
    /// lists that are still staged are moved into place, so the exports are all from that run,
    /// never a mix of two runs; then the files it set aside and the journal go.
    ///
    /// A journal is acted on only when Tally wrote it: its process is gone; it and every file it
    /// names are regular files of the user running Tally in the journal's own folder, named as
    /// Tally names them with the journal's token; no destination is a protected file; and —
    /// with a QA store — it is sealed with the store's secret and names a run the ledger has as
    /// interrupted. Anything else is left in place and reported in one line each.
    @discardableResult
    public static func recover(in folder: String, authority: JournalAuthority? = nil, confinement: ExportConfinement? = nil) -> [String] {
        let dir = folder.isEmpty ? "." : folder
        let shown = Checker.display(ExportConfinement.absolute(dir), relativeTo: FileManager.default.currentDirectoryPath)
        let shownFolder = shown.isEmpty ? "." : shown
        var notes: [String] = []
        for entry in ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted() where entry.hasPrefix(journalPrefix) {
            let path = dir + "/" + entry
            let token = String(entry.dropFirst(journalPrefix.count).prefix { $0 != "." })
            guard let pid = Int32(token.prefix { $0 != "-" }), !alive(pid) else { continue }
            func ignore(_ why: String) {
                notes.append(
                    "left \(shownFolder)/\(entry) alone: \(why); remove it if no run of yours was killed while writing exports there")
            }
            var status = stat()
            guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG, status.st_uid == geteuid() else {
                ignore("not a file of yours"); continue
            }
            // Killed while the journal itself was written: no file had moved yet.
            if entry == journalPrefix + token + ".journal.partial" { unlink(path); continue }
            guard entry == journalPrefix + token + ".journal" else { ignore("not a name Tally gives its journals"); continue }
            guard status.st_size <= 1 << 20, let text = try? String(contentsOfFile: path, encoding: .utf8),
                let journal = parseJournal(text, token: token)
            else {
                ignore("not a journal this version of Tally wrote"); continue
            }
            if let authority {
                guard journal.seal == authority.seal(journal.body) else { ignore("not sealed by this QA store"); continue }
                guard let id = journal.runId, authority.isInterrupted(id) else {
                    ignore("its run is not an interrupted run in this QA store's ledger"); continue
                }
            } else if journal.seal != "-" {
                ignore("written by a run with a QA store; run with that store to complete it"); continue
            }
            var problem: String? = nil
            for item in journal.entries {
                let staged = dir + "/" + item.staged, destination = dir + "/" + item.destination
                if lstat(staged, &status) == 0, !isOwnRegularFile(staged) { problem = "\(item.staged) is not a file of yours" }
                if lstat(destination, &status) == 0, !isOwnRegularFile(destination) {
                    problem = "\(item.destination) is not a file of yours"
                }
                if let backup = item.backup, lstat(dir + "/" + backup, &status) == 0, !isOwnRegularFile(dir + "/" + backup) {
                    problem = "\(backup) is not a file of yours"
                }
                if let confinement, let refusal = confinement.protection(destination) { problem = "\(item.destination) is \(refusal)" }
            }
            if let problem { ignore(problem); continue }
            var moved = 0
            for item in journal.entries where lstat(dir + "/" + item.staged, &status) == 0 {
                if rename(dir + "/" + item.staged, dir + "/" + item.destination) == 0 { moved += 1 }
            }
            for backup in journal.entries.compactMap(\.backup) { unlink(dir + "/" + backup) }
            unlink(path)
            if moved > 0 {
                notes.append(
                    "completed the exports of a run killed while moving them into place: \(moved) of \(journal.entries.count) files in \(shownFolder)"
                )
            }
        }
        return notes
    }
}
