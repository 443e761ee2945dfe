import Foundation
import FuzzDriver
import TallyCore

/// A commit journal through recovery (`ExportStaging.recover`), as a folder from someone else
/// could ship it. The input is the journal's text, `@` standing for its token (a process that
/// is not running); the first byte picks whether the run has a QA store (its journals must be
/// sealed) and whether the text is sealed with that store's secret. The folder holds exports,
/// staged files and backups named with the token, a link to a file outside, and the playbook.
///
/// Whatever the text, after recovery: nothing outside the folder changed; the playbook is as
/// it was; every file in the folder either was there with the same bytes, or has the bytes of
/// a staged file of Tally's naming that is gone now; and without a valid seal (with a store)
/// nothing in the folder changed but the notes. A violation traps: libFuzzer keeps the input.
let root = NSTemporaryDirectory() + "tally-fuzz-journal-\(getpid())"
let folder = root + "/play/out", outside = root + "/home"
let token: String = {
    // A process id no process has (the highest the system gives is never reached here).
    var pid =
        Int32(
            (try? String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8)).flatMap {
                Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
            } ?? 32768) - 1
    while kill(pid, 0) == 0 || errno == EPERM { pid -= 1 }
    return "\(pid)-f00d"
}()
let authority = JournalAuthority(secret: String(repeating: "ab", count: 32)) { id in id == 7 }

func files(_ path: String) -> [String: Data] {
    var out: [String: Data] = [:]
    for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
        var status = stat()
        guard lstat(path + "/" + name, &status) == 0 else { continue }
        if status.st_mode & S_IFMT == S_IFLNK {
            out[name] = Data(("link:" + ((try? FileManager.default.destinationOfSymbolicLink(atPath: path + "/" + name)) ?? "")).utf8)
        } else if status.st_mode & S_IFMT == S_IFREG {
            out[name] = FileManager.default.contents(atPath: path + "/" + name) ?? Data()
        }
    }
    return out
}

func require(_ condition: Bool, _ what: String) {
    if !condition {
        FileHandle.standardError.write(Data("journal fuzz: \(what)\n".utf8))
        abort()
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJournal(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let withStore = bytes[0] & 1 != 0, sealed = bytes[0] & 2 != 0
    var text = String(decoding: bytes.dropFirst(), as: UTF8.self).replacingOccurrences(of: "@", with: token)
    let fm = FileManager.default
    try? fm.removeItem(atPath: root)
    try? fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try? fm.createDirectory(atPath: outside, withIntermediateDirectories: true)
    let write = { (path: String, text: String) in _ = fm.createFile(atPath: path, contents: Data(text.utf8)) }
    write(outside + "/.bashrc", "precious\n")
    write(root + "/play/p.playbook", "load t from \"in.csv\"\n")
    write(folder + "/a.csv", "old a\n")
    write(folder + "/b.csv", "old b\n")
    write(folder + "/.a.csv.tally-partial-\(token)-0", "new a\n")
    write(folder + "/.b.csv.tally-partial-\(token)-1", "new b\n")
    write(folder + "/.c.csv.tally-partial-\(token)-2", "new c\n")
    _ = link(folder + "/a.csv", folder + "/.a.csv.tally-backup-\(token)-0")
    _ = symlink(outside + "/.bashrc", folder + "/link.csv")
    _ = symlink("../p.playbook", folder + "/playbook-link")
    if sealed, let end = text.range(of: "end -\n", options: .backwards) {
        text = String(text[..<end.lowerBound]) + "end " + authority.seal(String(text[..<end.lowerBound])) + "\n"
    }
    write(folder + "/.tally-commit-\(token).journal", text)
    let outsideBefore = files(outside), before = files(folder)
    let playbookBefore = fm.contents(atPath: root + "/play/p.playbook")
    var confinement = ExportConfinement()
    confinement.allow(root + "/play", why: "the playbook's folder")
    confinement.protect(file: root + "/play/p.playbook", as: "the playbook")
    _ = ExportStaging.recover(in: folder, authority: withStore ? authority : nil, confinement: confinement)
    require(files(outside) == outsideBefore, "a file outside the folder changed")
    require(fm.contents(atPath: root + "/play/p.playbook") == playbookBefore, "the playbook changed")
    let after = files(folder)
    if withStore && !sealed {
        require(
            after.filter { !$0.key.hasPrefix(".tally-commit-") } == before.filter { !$0.key.hasPrefix(".tally-commit-") },
            "an unsealed journal moved a file")
    }
    let stagedBefore = Set(before.filter { $0.key.contains(".tally-partial-") }.values)
    for (name, bytes) in after where !name.hasPrefix(".tally-commit-") {
        if before[name] == bytes { continue }
        require(stagedBefore.contains(bytes) && !name.contains("/"), "\(name) has bytes no staged file had")
    }
    for (name, _) in before where after[name] == nil {
        require(
            name.contains(".tally-partial-\(token)-") || name.contains(".tally-backup-\(token)-") || name.hasPrefix(".tally-commit-"),
            "\(name) was removed")
    }
    return 0
}

runFuzzer { data, size in data.map { fuzzJournal($0, size) } ?? 0 }
