import Foundation
import TallyModel

/// Where a run's exports may land, so a playbook from someone else cannot write outside its own
/// folder, or over the files that make the run (the QA store, the cache, the playbook, a
/// template, an input).
///
/// A destination is checked after its parameters and column values are substituted: the path
/// is made absolute and `.`/`..` are resolved by their letters, then by the file system (a link
/// in the path), and it must be inside one of the roots both ways. The roots are the playbook's
/// folder (or `--out DIR`), every `--allow-export-to PATH`, and the value of each `path`
/// parameter set on the command line: a place the person running Tally named, never one the
/// playbook names for itself.
public struct ExportConfinement: Sendable {
    public struct Root: Sendable, Equatable {
        /// The root as named, absolute, resolved by its letters.
        public var lexical: String
        /// The root with its links resolved.
        public var real: String
        /// How a message names it ("the playbook's folder", "--allow-export-to ~/lists").
        public var why: String
    }
    public private(set) var roots: [Root] = []
    /// Real paths no export may replace, with what each is ("the QA store").
    public private(set) var files: [String: String] = [:]
    /// Real paths of folders no export may write into, with what each is.
    public private(set) var folders: [(path: String, what: String)] = []
    /// Real paths of files whose name is a prefix of others it owns (a store `x.sqlite` owns
    /// `x.sqlite-wal`, `x.sqlite-shm`, `x.sqlite.lock`, `x.sqlite.cache/`).
    public private(set) var families: [(path: String, what: String)] = []

    public init() {}

    public mutating func allow(_ folder: String, why: String) {
        let lexical = Checker.lexical(ExportConfinement.absolute(folder))
        let root = Root(lexical: lexical, real: ExportConfinement.realPath(lexical), why: why)
        if !roots.contains(root) { roots.append(root) }
    }

    /// A file no export may replace.
    public mutating func protect(file path: String, as what: String) {
        files[ExportConfinement.realPath(ExportConfinement.absolute(path))] = what
    }

    /// A folder no export may write into.
    public mutating func protect(folder path: String, as what: String) {
        folders.append((ExportConfinement.realPath(ExportConfinement.absolute(path)), what))
    }

    /// A file and every file named after it (`NAME-…`, `NAME.…`).
    public mutating func protect(family path: String, as what: String) {
        families.append((ExportConfinement.realPath(ExportConfinement.absolute(path)), what))
    }

    /// Why `destination` may not be written (nil: it may). `shown` names it as the playbook does.
    public func refusal(_ destination: String) -> (message: String, help: String)? {
        let lexical = Checker.lexical(ExportConfinement.absolute(destination))
        guard let real = ExportConfinement.resolved(lexical) else {
            return ("a symbolic link in its path leads nowhere", "remove the link, or export to another path")
        }
        if !roots.isEmpty {
            guard let root = roots.first(where: { ExportConfinement.inside(lexical, $0.lexical) }) else {
                return (
                    "it is outside \(roots[0].why)" + (roots.count > 1 ? " and every folder allowed on the command line" : ""),
                    "export under the playbook's folder, or let this run write there: tally run … --allow-export-to FOLDER"
                )
            }
            guard ExportConfinement.inside(real, root.real) else {
                return (
                    "it leads outside \(root.why) through a symbolic link (it is really \(real))",
                    "replace the link with a folder, or export to another path"
                )
            }
        }
        if let what = protection(real) { return ("it is \(what), which an export never replaces or writes into", "export to another file") }
        return nil
    }

    /// What protected file `path` is ("the QA store", "inside the cell cache"), nil if none.
    public func protection(_ path: String) -> String? {
        let real = ExportConfinement.realPath(path)
        if let what = files[real] { return what }
        for family in families where real == family.path || real.hasPrefix(family.path + "-") || real.hasPrefix(family.path + ".") {
            return real == family.path ? family.what : "a file of \(family.what)"
        }
        for folder in folders where ExportConfinement.inside(real, folder.path) { return "inside \(folder.what)" }
        return nil
    }

    /// Whether `path` is `folder` or below it (both absolute and resolved).
    static func inside(_ path: String, _ folder: String) -> Bool {
        folder == "/" || path == folder || path.hasPrefix(folder + "/")
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// `path` with every symbolic link in its existing part resolved (the rest appended as is,
    /// resolved by its letters); the path by its letters when a link in it leads nowhere.
    public static func realPath(_ path: String) -> String {
        resolved(path) ?? Checker.lexical(absolute(path))
    }

    /// Like `realPath`, but nil when an entry in the path is a link that leads nowhere (a file
    /// created through it would land wherever the link's target is made).
    static func resolved(_ path: String) -> String? {
        var existing = Checker.lexical(absolute(path))
        var rest: [String] = []
        var status = stat()
        while existing != "/", lstat(existing, &status) != 0 {
            rest.insert((existing as NSString).lastPathComponent, at: 0)
            existing = (existing as NSString).deletingLastPathComponent
        }
        guard let real = realpath(existing, nil) else { return nil }
        defer { free(real) }
        return Checker.lexical(([String(cString: real)] + rest).joined(separator: "/"))
    }
}
