import Foundation
import TallyModel

/// Resolves every name, column and type of a playbook and reports all errors in one pass.
public final class Checker {
    let playbook: Playbook
    let overrides: [String: String]
    let baseDirectory: String
    let displayBase: String
    let source: SchemaSource
    /// The QA store, when the run has one (needed by compare targets, save, snapshot, diff).
    let store: QAStore?
    var diagnostics: [Diagnostic] = []
    var tables: [String: Schema] = [:]
    var definedAt: [String: Int] = [:]
    /// Tables whose definition failed: later uses are not reported again.
    var poisoned: Set<String> = []
    var params: [String: Value] = [:]
    var paramTypes: [String: DataType] = [:]
    var paramOrder: [String] = []
    /// Parameters declared `path`: their values may name folders inside a path template.
    var pathParams: Set<String> = []
    var loads: [Int: LoadRequest] = [:]
    var exports: [Int: ExportRequest] = [:]
    var schemas: [Int: Schema] = [:]
    /// Statements that read a table with columns known only at run time (see `Schema.open`).
    var deferred: Set<Int> = []
    /// The index of the first `playbook "TITLE"` statement (any later one is an error).
    var titleIndex: Int? = nil

    var file: String { playbook.file }
    /// `--out DIR`: where relative export paths start (nil: the playbook's folder).
    public var exportBase: String? = nil
    /// Habits that run but may not mean what they say (`Lint`): shown, never a failure.
    public internal(set) var warnings: [Diagnostic] = []
    /// The line of the export to each path so far (two exports to one file are refused).
    var exportLines: [String: Int] = [:]
    /// A statement checked again at run time (after a pivot): its warnings were given already.
    var rechecking = false
    /// Where exports may go and what they may never replace (nil: anywhere, for library use).
    public var confinement: ExportConfinement? = nil

    /// - Parameters:
    ///   - overrides: `--param name=value` pairs.
    ///   - baseDirectory: the playbook's folder (relative paths start there).
    ///   - displayBase: the folder paths are shown relative to (the working folder).
    public init(
        playbook: Playbook, overrides: [String: String], baseDirectory: String, displayBase: String,
        store: QAStore? = nil, source: @escaping SchemaSource
    ) {
        self.store = store
        self.playbook = playbook
        self.overrides = overrides
        self.baseDirectory = baseDirectory
        self.displayBase = displayBase
        self.source = source
    }

    /// The plan, or every diagnostic found.
    public func check() -> Result<Plan, DiagnosticList> {
        checkParams()
        if diagnostics.isEmpty {
            titleIndex = playbook.statements.firstIndex {
                if case .playbook = $0.statement { return true }; return false
            }
            for (index, node) in playbook.statements.enumerated() {
                if Interpreter.reads(node).contains(where: { tables[$0]?.open != nil }) { deferred.insert(index) }
                // Past the errors that are shown, "did you mean" is not worked out: 100,000
                // unknown names, each compared with every table, would take hours.
                if diagnostics.count >= Diagnostic.limit {
                    Suggest.$quiet.withValue(true) { checkStatement(index, node) }
                } else {
                    checkStatement(index, node)
                }
            }
        }
        // (A table whose statement did not parse may hold the masked column: not judged then.)
        if diagnostics.isEmpty && poisoned.isEmpty { checkMaskNames() }
        if !diagnostics.isEmpty { return .failure(DiagnosticList(Diagnostic.capped(diagnostics))) }
        var plan = Plan(
            playbook: playbook, params: params, paramTypes: paramTypes, paramOrder: paramOrder,
            loads: loads, exports: exports, schemas: schemas, deferred: deferred)
        plan.warnings = warnings
        return .success(plan)
    }

    /// Masks given on the command line (`--mask`), checked with the playbook's `mask` statements.
    public var commandLineMasks: [String] = []

    /// A mask names a column exactly; one that names no column of any table masks nothing, and
    /// the report would still say it was masked — so a misspelt or miscased name is an error, as
    /// an unknown column is anywhere else. (A table whose columns only its run knows, an open
    /// pivot's, may still make the column: then a warning.)
    func checkMaskNames() {
        var known: Set<String> = []
        for schema in tables.values { known.formUnion(schema.columns.map(\.name)) }
        for schema in schemas.values { known.formUnion(schema.columns.map(\.name)) }
        let open = tables.values.contains { $0.open != nil } || schemas.values.contains { $0.open != nil }
        let candidates = known.sorted()
        func report(_ name: String, _ make: (String, String?) -> Diagnostic) {
            let help =
                Suggest.help(for: name, in: candidates) ?? "a mask names a column exactly as the tables have it (`tally check` lists them)"
            let message = "no table of this playbook has a column \"\(name)\" to mask"
            let d = make(message, help)
            if open {
                warnings.append(
                    Diagnostic(
                        .unknownColumn, .warning, d.message + " (a pivot's columns are known only when it runs)", file: d.file,
                        line: d.line, help: d.help))
            } else {
                diagnostics.append(d)
            }
        }
        for node in playbook.statements {
            guard case .mask(let names) = node.statement else { continue }
            for name in names where !known.contains(name.text) {
                report(name.text) { error(.unknownColumn, $0, name.span, help: $1) }
            }
        }
        for name in commandLineMasks where !name.isEmpty && !known.contains(name) {
            report(name) { Diagnostic(.unknownColumn, "--mask \(name): " + $0, file: file, help: $1) }
        }
    }

    /// Checks a statement again against the tables as they are, once the pivots it depends on
    /// have made their columns: the same errors, at the same places, as `tally check` gives
    /// for any other column.
    func recheck(_ index: Int, _ node: StatementNode, tables actual: [String: Schema]) throws {
        rechecking = true
        defer { rechecking = false }
        diagnostics = []
        tables = actual
        definedAt = [:]
        poisoned = []
        checkStatement(index, node)
        if let first = diagnostics.first { throw first }
    }

    /// Every diagnostic made here names its code (see DiagnosticCode): there is no form without.
    func error(_ code: DiagnosticCode, _ message: String, _ span: SourceSpan, help: String? = nil) -> Diagnostic {
        Diagnostic(code, message, file: file, span: span, help: help)
    }

    /// Parameters first: an unknown or missing parameter stops everything before any input is read.
    func checkParams() {
        var declared: [String: SourceSpan] = [:]
        for node in playbook.statements {
            guard case .param(let name, let type, let defaultValue, let required, let isPath) = node.statement else { continue }
            if isPath { pathParams.insert(name.text) }
            if declared[name.text] != nil {
                diagnostics.append(error(.duplicateName, "parameter \"\(name.text)\" is declared twice", name.span)); continue
            }
            declared[name.text] = name.span
            paramTypes[name.text] = type
            paramOrder.append(name.text)
            if let raw = overrides[name.text] {
                // A folder named on the command line is one the person running Tally chose:
                // exports may go there (a default in the playbook is no such choice).
                if isPath, !raw.isEmpty {
                    let folder = raw.hasPrefix("/") ? raw : (displayBase as NSString).appendingPathComponent(raw)
                    confinement?.allow(folder, why: "--param \(name.text)")
                }
                if isPath, !raw.hasPrefix("/"), !raw.isEmpty {
                    // A path given on the command line is relative to where the command runs
                    // (a default in the playbook, to the playbook's folder).
                    params[name.text] = .text(((displayBase as NSString).appendingPathComponent(raw) as NSString).standardizingPath)
                } else if let value = Checker.parseParam(raw, type) {
                    params[name.text] = value
                } else {
                    diagnostics.append(
                        Diagnostic(
                            .parameterValue, .error, "--param \(name.text)=\(raw): not a valid \(type.rawValue)", file: file,
                            line: name.span.line, column: name.span.column, length: name.span.length,
                            help: type == .date ? "write dates as YYYY-MM-DD" : nil))
                }
            } else if required {
                diagnostics.append(
                    Diagnostic(
                        .parameterValue, .error, "parameter \"\(name.text)\" is required", file: file, line: name.span.line,
                        column: name.span.column, length: name.span.length,
                        help: "pass it on the command line: --param \(name.text)=VALUE"))
            } else if let defaultValue {
                if let t = defaultValue.type, !t.isComparable(with: type) {
                    diagnostics.append(
                        error(.parameterValue, "the default of \"\(name.text)\" is \(t.rawValue), not \(type.rawValue)", name.span))
                } else if type == .decimal, case .integer(let v) = defaultValue {
                    params[name.text] = .decimal(Double(v))
                } else {
                    params[name.text] = defaultValue
                }
            }
        }
        for key in overrides.keys.sorted() where declared[key] == nil {
            diagnostics.append(
                Diagnostic(
                    .unknownParameter, .error, "unknown parameter \"\(key)\" (given with --param)", file: file,
                    help: Suggest.help(for: key, in: declared.keys.sorted(), noun: "parameters")
                        ?? "this playbook declares no parameters"))
        }
    }

    public static func parseParam(_ raw: String, _ type: DataType) -> Value? {
        switch type {
        case .text: return .text(raw)
        case .integer: return Int64(raw).map { .integer($0) }
        case .decimal: return Double(raw).map { .decimal($0) }
        case .date:
            let text = raw.hasPrefix("@") ? String(raw.dropFirst()) : raw
            return (DateCodec.Pattern.iso.parse(text) ?? DateCodec.Pattern.compact.parse(text)).map { .date($0) }
        case .boolean: return ValueParsing.parseBoolean(raw).map { .boolean($0) }
        }
    }

    /// The names written in braces in a path template, in order.
    static func braced(_ template: String) -> [String] {
        var names: [String] = []
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            names.append(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names
    }

    /// Substitutes `{param}` in a path and resolves it against the playbook's folder.
    func resolvePath(_ template: String, _ span: SourceSpan, base: String? = nil) throws -> (path: String, display: String) {
        var out = ""
        // The path with each text parameter as a plain letter: `..` or `.` that text made.
        var letters = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            letters += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else {
                // Point at the { itself: one column for the opening quote, then its offset.
                let offset = template[..<open].count
                let at = SourceSpan(line: span.line, column: span.column + 1 + offset, length: 1)
                throw error(
                    .unclosed, "this { in the path is never closed", at, help: "a parameter is written {name}, e.g. \"data/{lea}/SENR.txt\""
                )
            }
            let name = String(rest[rest.index(after: open)..<close])
            guard let value = params[name] else {
                throw error(
                    .unknownParameter, "the path uses {\(name)}, which is not a parameter", span,
                    help: Suggest.help(for: name, in: paramOrder, noun: "parameters"))
            }
            let piece = value.display
            if !pathParams.contains(name), piece.contains("/") || piece.contains("..") {
                throw error(
                    .parameterValue, "parameter \"\(name)\" (\"\(piece)\") is text, and text may not contain / or .. inside a path", span,
                    help: "to let it name a folder, declare it as a path: param \(name): path = \"data/2025\"")
            }
            out += piece
            letters += pathParams.contains(name) ? piece : "x"
            rest = rest[rest.index(after: close)...]
        }
        out += rest
        letters += rest
        // Two text parameters side by side ("{a}{b}" with "." and ".") may not make `..` or `.`
        // that neither may make alone.
        func dots(_ path: String) -> Int { path.split(separator: "/").filter { $0 == ".." || $0 == "." }.count }
        if dots(out) != dots(letters) {
            throw error(
                .exportPath, "the parameters in this path together make \".\" or \"..\" (\(out)), which text parameters may not", span,
                help: "declare a parameter that names a folder as a path: param out: path = \"out\"")
        }
        let path = out.hasPrefix("/") ? out : ((base ?? baseDirectory) as NSString).appendingPathComponent(out)
        let standardized = Checker.lexical(path)
        return (standardized, Checker.display(standardized, relativeTo: displayBase))
    }

    /// `path` with `.`, `..` and repeated `/` removed, by its text alone: unlike Foundation's
    /// `standardizingPath` it does not resolve symbolic links, so an export to a link is seen as
    /// one (and refused) instead of silently becoming an export to the link's target.
    public static func lexical(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." { parts.removeLast(); continue }
            if part == "..", path.hasPrefix("/") { continue }
            parts.append(part)
        }
        let joined = parts.joined(separator: "/")
        return path.hasPrefix("/") ? "/" + joined : (joined.isEmpty ? "." : joined)
    }

    /// `path` relative to `base` when it is inside it.
    /// `path` as messages and reports show it: relative to `base` (with `..` when they share a
    /// folder), else from the home folder as `~/…`, so a saved report never names the user's
    /// home folder.
    public static func display(_ path: String, relativeTo base: String) -> String {
        let b = (base as NSString).standardizingPath
        if path.hasPrefix(b + "/") { return String(path.dropFirst(b.count + 1)) }
        guard path.hasPrefix("/") else { return path }
        let from = b.split(separator: "/"), to = path.split(separator: "/")
        var shared = 0
        while shared < from.count, shared < to.count, from[shared] == to[shared] { shared += 1 }
        if shared >= 2 || (shared == 1 && from.count <= 3) {
            return (Array(repeating: "..", count: from.count - shared) + to[shared...].map(String.init)).joined(separator: "/")
        }
        let home = (NSHomeDirectory() as NSString).standardizingPath
        if home.count > 1, path.hasPrefix(home + "/") { return "~/" + path.dropFirst(home.count + 1) }
        return path
    }

    func formatFor(_ explicit: FormatSpec?, path: String, span: SourceSpan, verb: String) throws -> FormatSpec {
        if let explicit { return explicit }
        switch (path as NSString).pathExtension.lowercased() {
        case "csv": return .csv
        // A record map written by `export ... as calpads TYPE with map` is CSV.
        case "map": return .csv
        case "tsv", "tab": return .tsv
        case "xlsx": return .xlsx(sheet: nil, headerRow: nil)
        default:
            throw error(
                .unknownOption, "say how to \(verb) \"\((path as NSString).lastPathComponent)\"", span,
                help: "add a format: as csv, as tsv, as delimited \"^\", as calpads SENR")
        }
    }
}
