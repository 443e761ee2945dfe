import Foundation

/// `diff snapshot "NAME"`: compares a table with the latest earlier snapshot of that name and
/// yields the rows `added`, `removed` and `changed`, with a `changes` column saying which
/// columns moved from what to what.
final class StoreServices: RunServices {
    let store: QAStore
    let file: String
    let scope: BaselineScope

    init(store: QAStore, file: String, scope: BaselineScope) {
        self.store = store
        self.file = file
        self.scope = scope
    }

    /// The snapshot to compare with: an explicit `as of` run or label, else the scope's baseline.
    func baseline(_ name: String, asOf: SnapshotBaseline?, span: SourceSpan) throws -> (Snapshot?, String) {
        func describe(_ s: Snapshot) -> String { "of run \(s.runId.map(String.init) ?? "?") (\(s.createdAt))" }
        switch asOf {
        case .run(let id):
            guard let s = try store.snapshot(name: name, run: id) else {
                throw Diagnostic("run \(id) took no snapshot \"\(name)\"", file: file, span: span,
                                 help: "tally runs lists the runs; a snapshot is kept only by a run that completed")
            }
            return (s, describe(s))
        case .label(let label):
            guard let id = try store.labelledRun(playbook: scope.playbook, label: label) else {
                throw Diagnostic("no run of this playbook is labelled \"\(label)\"", file: file, span: span,
                                 help: "label one with tally runs label RUN_ID \(label)")
            }
            guard let s = try store.snapshot(name: name, run: id) else {
                throw Diagnostic("run \(id) (labelled \"\(label)\") took no snapshot \"\(name)\"", file: file, span: span)
            }
            return (s, describe(s) + ", labelled \"\(label)\"")
        case nil:
            guard let s = try store.baselineSnapshot(name: name, scope: scope) else {
                return (nil, "— no baseline yet: no earlier snapshot in this scope (\(scope.description))")
            }
            return (s, describe(s))
        }
    }

    func diffSnapshot(_ table: Table, name: String, asOf: SnapshotBaseline?, span: SourceSpan) throws -> (Table, String) {
        var names = ["change"] + table.names + ["changes"]
        var builders = [ColumnBuilder(type: .text)] + table.columns.map { ColumnBuilder(type: $0.type) } + [ColumnBuilder(type: .text)]
        let (found, note) = try baseline(name, asOf: asOf, span: span)
        guard let snapshot = found else {
            names = ["change"] + table.names + ["changes"]
            return (Table(names: names, columns: builders.map { $0.build() }, provenance: .none(count: 0)), note)
        }
        let missingKeys = snapshot.keys.filter { table.index(of: $0) == nil }
        guard missingKeys.isEmpty else {
            throw Diagnostic("snapshot \"\(name)\" is keyed by \(snapshot.keys.joined(separator: ", ")), which this table lacks", file: file, span: span)
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
