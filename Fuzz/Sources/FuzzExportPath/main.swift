import Foundation
import FuzzDriver
import TallyCore

/// Export paths through the checker and the confinement (`ExportConfinement`): the input is
/// split at NUL bytes into an export path template, two text parameters, a path parameter's
/// command-line value and a column value for `{School}`. The playbook's folder holds a link to a
/// folder outside and the QA store.
///
/// Whatever the input: every destination the confinement lets through, once its parameters and
/// column value are in it, is inside the playbook's folder (or the allowed folder) by a walk of
/// its components written here independently, and through the file system's links; and it is
/// never the playbook or a file of the store. A violation traps: libFuzzer keeps the input.
let root = NSTemporaryDirectory() + "tally-fuzz-paths-\(getpid())"
let base = root + "/play", allowed = root + "/allowed", outside = root + "/home"
let ready: Void = {
    let fm = FileManager.default
    for folder in [base + "/out", allowed, outside, base + "/.tally"] {
        try? fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }
    _ = fm.createFile(atPath: base + "/p.playbook", contents: Data())
    _ = fm.createFile(atPath: base + "/.tally/tally.sqlite", contents: Data())
    _ = symlink(outside, base + "/elsewhere")
    _ = symlink(base + "/p.playbook", base + "/out/pb")
}()

/// `path` made absolute and its `.` and `..` resolved by a stack of components.
func walk(_ path: String) -> [Substring] {
    var stack: [Substring] = []
    for part in path.split(separator: "/") {
        if part == "." { continue }
        if part == ".." { _ = stack.popLast(); continue }
        stack.append(part)
    }
    return stack
}

func isInside(_ path: String, _ folder: String) -> Bool {
    let p = walk(path), f = walk(folder)
    return p.count >= f.count && Array(p.prefix(f.count)) == f
}

func require(_ condition: Bool, _ what: String) {
    if !condition {
        FileHandle.standardError.write(Data("export path fuzz: \(what)\n".utf8))
        abort()
    }
}

func quoted(_ text: String) -> String {
    text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: " ")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExportPath(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = ready
    let parts = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
        .split(separator: "\u{0}", maxSplits: 4, omittingEmptySubsequences: false).map(String.init)
    let field = { (i: Int) in i < parts.count ? parts[i] : "" }
    let template = field(0), a = field(1), b = field(2), folderParam = field(3), school = field(4)
    let source = """
        param a: text = "\(quoted(a))"
        param b: text = "\(quoted(b))"
        param dir: path = "out"
        load t from "in.csv"
        export t to "\(quoted(template))" as csv
        """
    guard let playbook = try? Parser.parse(source: source, file: "p.playbook") else { return 0 }
    let schema = Schema(columns: [.init(name: "School", type: .text), .init(name: "SSID", type: .text)])
    let overrides = folderParam.isEmpty ? [:] : ["dir": folderParam]
    let checker = Checker(playbook: playbook, overrides: overrides, baseDirectory: base, displayBase: base) { _ in schema }
    var confinement = ExportConfinement()
    confinement.allow(base, why: "the playbook's folder")
    confinement.allow(allowed, why: "--allow-export-to")
    confinement.protect(file: base + "/p.playbook", as: "the playbook")
    confinement.protect(family: base + "/.tally/tally.sqlite", as: "the QA store")
    checker.confinement = confinement
    guard case .success(let plan) = checker.check(), let final = checker.confinement else { return 0 }
    for request in plan.exports.values {
        let destination = request.path(for: school, request.path)
        guard final.refusal(destination) == nil else { continue }
        let roots = [base, allowed] + (folderParam.isEmpty ? [] : [folderParam.hasPrefix("/") ? folderParam : base + "/" + folderParam])
        require(roots.contains { isInside(destination, $0) }, "\(destination) is outside every root")
        let real = ExportConfinement.realPath(destination)
        require(roots.contains { isInside(real, ExportConfinement.realPath($0)) }, "\(destination) is really \(real), outside every root")
        require(walk(real) != walk(ExportConfinement.realPath(base + "/p.playbook")), "\(destination) is the playbook")
        let store = ExportConfinement.realPath(base + "/.tally/tally.sqlite")
        require(real != store && !real.hasPrefix(store + "-") && !real.hasPrefix(store + "."), "\(destination) is a file of the store")
    }
    return 0
}

runFuzzer { data, size in data.map { fuzzExportPath($0, size) } ?? 0 }
