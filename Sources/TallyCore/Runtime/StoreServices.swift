import Foundation
import TallyModel

/// `diff snapshot "NAME"`: compares a table with the snapshot of that name its baseline run took
/// and yields the rows `added`, `removed` and `changed`, with a `changes` column saying which
/// columns moved from what to what.
final class StoreServices: RunServices {
    let store: QAStore
    let file: String
    /// The scope of a diff of a snapshot, given the parameters its `scope (…)` names (nil: none).
    let scopeFor: (_ snapshot: String, _ named: [Name]?) -> BaselineScope

    init(store: QAStore, file: String, scopeFor: @escaping (_ snapshot: String, _ named: [Name]?) -> BaselineScope) {
        self.store = store
        self.file = file
        self.scopeFor = scopeFor
    }

    /// The snapshot to compare with: an explicit `as of` run or label, else the scope's baseline;
    /// and a note naming it, its run and the scope.
    func baseline(_ name: String, asOf: SnapshotBaseline?, scope named: [Name]?, span: SourceSpan) throws -> (Snapshot?, String) {
        func describe(_ s: Snapshot) -> String {
            "of run \(s.runId.map(String.init) ?? "?") (\(s.createdAt.prefix(16).replacingOccurrences(of: "T", with: " ")))"
        }
        let scope = scopeFor(name, named)
        switch asOf {
        case .run(let id):
            guard let s = try store.snapshot(name: name, run: id) else {
                throw Diagnostic(
                    .notInLedger, "run \(id) took no snapshot \"\(name)\"", file: file, span: span,
                    help: "tally runs lists the runs; a snapshot is kept only by a run that completed")
            }
            return (s, describe(s))
        case .label(let label):
            guard let id = try store.labelledRun(playbook: scope.playbook, label: label) else {
                throw Diagnostic(
                    .notInLedger, "no run of this playbook is labelled \"\(label)\"", file: file, span: span,
                    help: "label one with tally runs label RUN_ID \(label)")
            }
            guard let s = try store.snapshot(name: name, run: id) else {
                throw Diagnostic(.notInLedger, "run \(id) (labelled \"\(label)\") took no snapshot \"\(name)\"", file: file, span: span)
            }
            return (s, describe(s) + ", labelled \"\(label)\"")
        case nil:
            guard let s = try store.baselineSnapshot(name: name, scope: scope) else {
                return (nil, "— no baseline yet: no earlier snapshot in this scope (\(scope.description))")
            }
            return (s, describe(s) + ", scope: \(scope.description)")
        }
    }

    func diffSnapshot(_ table: Table, name: String, asOf: SnapshotBaseline?, scope: [Name]?, span: SourceSpan) throws -> (Table, String) {
        var names = ["change"] + table.names + ["changes"]
        var builders = [ColumnBuilder(type: .text)] + table.columns.map { ColumnBuilder(type: $0.type) } + [ColumnBuilder(type: .text)]
        let (found, note) = try baseline(name, asOf: asOf, scope: scope, span: span)
        guard let snapshot = found else {
            names = ["change"] + table.names + ["changes"]
            return (Table(names: names, columns: builders.map { $0.build() }, provenance: .none(count: 0)), note)
        }
        let missingKeys = snapshot.keys.filter { table.index(of: $0) == nil }
        guard missingKeys.isEmpty else {
            throw Diagnostic(
                .notInLedger, "snapshot \"\(name)\" is keyed by \(snapshot.keys.joined(separator: ", ")), which this table lacks",
                file: file, span: span)
        }
        try Interpreter.requireUnique(table, by: snapshot.keys, what: "diff snapshot \"\(name)\"", file: file, span: span)
        let keyColumns = snapshot.keys.compactMap { table.column($0) }
        var seen = Set<String>()
        var provenanceRows: [Int32] = []
        for row in 0..<table.rowCount {
            let key = QAStore.joinKey(keyColumns.map { $0.isNull(row) ? "" : $0.value(row).display })
            seen.insert(key)
            let current: [String?] = table.columns.map { $0.isNull(row) ? nil : $0.value(row).display }
            var change: String
            var changes: [String] = []
            if let before = snapshot.rows[key] {
                for (k, column) in table.names.enumerated() {
                    guard let j = snapshot.columns.firstIndex(of: column), j < before.count else { continue }
                    if before[j] != current[k] { changes.append("\(column): \(before[j] ?? "null") → \(current[k] ?? "null")") }
                }
                if changes.isEmpty { continue }
                change = "changed"
            } else {
                change = "added"
            }
            builders[0].append(.text(change))
            for (k, column) in table.columns.enumerated() { builders[k + 1].append(column.value(row)) }
            builders[builders.count - 1].append(changes.isEmpty ? .null : .text(changes.joined(separator: "; ")))
            provenanceRows.append(Int32(row))
        }
        var removed = 0
        for key in snapshot.rows.keys.sorted() where !seen.contains(key) {
            guard let before = snapshot.rows[key] else { continue }
            builders[0].append(.text("removed"))
            for (k, column) in table.names.enumerated() {
                let j = snapshot.columns.firstIndex(of: column)
                let text = j.flatMap { $0 < before.count ? before[$0] : nil }
                builders[k + 1].append(text.map { Value.parse($0, as: table.columns[k].type) } ?? .null)
            }
            builders[builders.count - 1].append(.null)
            removed += 1
        }
        var provenance = table.provenance.gather(provenanceRows)
        provenance = provenance.appending(.none(count: removed))
        return (Table(names: names, columns: builders.map { $0.build() }, provenance: provenance), note)
    }
}

extension Value {
    /// A value read back from its display text (snapshots and stored keys).
    public static func parse(_ text: String, as type: DataType) -> Value {
        switch type {
        case .text: return .text(text)
        case .integer: return Int64(text).map { .integer($0) } ?? .null
        case .decimal: return Double(text).map { .decimal($0) } ?? .null
        case .date: return DateCodec.Pattern.iso.parse(text).map { .date($0) } ?? .null
        case .boolean: return ValueParsing.parseBoolean(text).map { .boolean($0) } ?? .null
        }
    }
}

/// The scope of a run's baselines (`previous run`, `diff snapshot`): see `BaselineScope`.
extension Interpreter {
    /// The parameters that say *which* data a run is about: its scope by default. Left out are
    /// those that say where today's file is — `path` parameters, and parameters used nowhere but
    /// in the file name of `load … from` paths (`"extracts/SENR_{stamp}.txt"`) — and date
    /// parameters, which order runs instead. A parameter naming a folder of a load path
    /// (`"data/{lea}/SENR.txt"`: a folder per district or year), or used anywhere else (an
    /// expression, an export path, a series name, a message), says which data and stays in.
    static func defaultScope(_ playbook: Playbook) -> (scope: [String], dates: Set<String>) {
        var declared: [(name: String, type: DataType, isPath: Bool)] = []
        for node in playbook.statements {
            if case .param(let name, let type, _, _, let isPath) = node.statement { declared.append((name.text, type, isPath)) }
        }
        // Where each name is used: in a load path's file name, in a load path's folders, elsewhere.
        var inFileName = Set<String>(), elsewhere = Set<String>()
        for node in playbook.statements {
            if case .param = node.statement { continue }
            var loadPath: String? = nil
            if case .load(_, let path, _, _, _) = node.statement {
                loadPath = path
                let folders = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
                elsewhere.formUnion(Checker.braced(folders))
                inFileName.formUnion(Checker.braced(String(path.split(separator: "/", omittingEmptySubsequences: false).last ?? "")))
            }
            var lexer = Lexer(file: playbook.file)
            for token in lexer.tokenize(node.text) {
                switch token.kind {
                case .identifier(let word), .quotedIdentifier(let word): elsewhere.insert(word)
                case .string(let text) where text != loadPath: elsewhere.formUnion(Checker.braced(text))
                default: break
                }
            }
        }
        var scope: [String] = [], dates = Set<String>()
        for p in declared {
            if p.type == .date { dates.insert(p.name); continue }
            if p.isPath || (inFileName.contains(p.name) && !elsewhere.contains(p.name)) { continue }
            scope.append(p.name)
        }
        return (scope, dates)
    }

    /// Which earlier runs this run may compare with: the playbook's default scope, or the
    /// parameters a `scope (…)` names.
    func baselineScope(named: [Name]? = nil) -> BaselineScope {
        let (scope, dates) = Interpreter.defaultScope(playbook)
        return BaselineScope(
            playbook: playbook.file, params: paramStrings, dateParams: dates,
            inputs: inputFingerprints.map { "\($0.key)=\($0.value.sha256)" },
            scope: named.map { $0.map(\.text) } ?? scope, named: named != nil)
    }

    /// A diff's scope: its own `scope (…)`, else that of the playbook's `snapshot … as "NAME"`.
    func snapshotScope(_ snapshot: String, named: [Name]?) -> BaselineScope {
        if let named { return baselineScope(named: named) }
        for node in playbook.statements {
            if case .snapshot(_, _, let name, let scope?) = node.statement, name == snapshot { return baselineScope(named: scope) }
        }
        return baselineScope()
    }
}

extension Checker {
    /// `scope (…)` names parameters of this playbook, each once.
    func scopeError(_ names: [Name]?) -> Diagnostic? {
        var seen = Set<String>()
        for name in names ?? [] {
            guard paramTypes[name.text] != nil else {
                let known = paramOrder.isEmpty ? "this playbook has no parameters" : "its parameters: " + paramOrder.joined(separator: ", ")
                return error(
                    .unknownParameter, "scope names \(name.text), which is not a parameter of this playbook", name.span,
                    help: "scope (…) lists the parameters a baseline run must share (\(known))")
            }
            guard seen.insert(name.text).inserted else { return error(.duplicateName, "scope names \(name.text) twice", name.span) }
        }
        return nil
    }
}
