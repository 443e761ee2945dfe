import Foundation
import TallyModel

/// Cell keys, what each cell reads, and partial runs.
///
/// A cell's key is a SHA-256 over the Tally version, the statement's text, the values of the
/// parameters it names, `today()` when it calls it, the SHA-256 of the file a load reads, and the
/// keys of the tables it reads. Cells that read or write the QA store (compare, save, snapshot,
/// `diff snapshot`) have no key and always run; so does anything reading a table they make.
extension Interpreter {
    static let cacheFormat = "tally-cell-cache-2"

    /// The running program's size and modification time: a rebuilt or upgraded Tally (even with
    /// the same version number) never reuses results an older build computed.
    static let buildIdentity: String = {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments.first ?? ""
        guard let stamp = CellCache.stamp(executable) else { return "unknown build" }
        return "\(stamp.size) \(stamp.modified)"
    }()

    /// The tables a statement reads (a superset is harmless: a table read needlessly is only
    /// loaded from the cache needlessly). Every switch here lists every case, with no `default`, and
    /// every step kind must say its `tablesRead`: a statement, step or expression added later does
    /// not compile until it says what it reads
    /// (one that silently read nothing here would get stale cache hits).
    static func reads(_ node: StatementNode) -> [String] {
        let exprTables = StepRegistry.tables(in:)
        switch node.statement {
        case .assign(_, let source, let steps):
            var names = [source.text]
            for step in steps { names += step.step.tablesRead }
            return names
        case .assert(let predicate, _, _, _):
            switch predicate {
            case .isEmpty(let t, _): return [t.text]
            case .unique(let t, _): return [t.text]
            case .rows(let t, let e): return [t.text] + exprTables(e)
            case .scalar(let e): return exprTables(e)
            case .valid(let t, _, let with): return [t.text] + with.map(\.text)
            }
        case .compare(let table, _, let target, _, _, _, _):
            if case .column(let other, _) = target { return [table.text, other.text] }
            return [table.text]
        case .save(let t, _, _, _), .snapshot(let t, _, _, _), .export(let t, _, _, _, _), .profile(let t, _), .track(let t, _),
            .counts(let t, _), .chart(let t, _, _, _, _):
            return [t.text]
        case .show(let t, _, let filter, _, _):
            return [t.text] + (filter.map(exprTables) ?? [])
        // A load reads a file (its SHA-256 is in its key), the others nothing.
        case .playbook, .param, .load, .mask:
            return []
        }
    }

    /// The table a statement makes, if any.
    static func isPipeline(_ node: StatementNode) -> Bool {
        if case .assign = node.statement { return true }
        return false
    }

    /// (Every case listed: a statement added later that makes a table must say so, or the key of
    /// the table's earlier definition would stand for it.)
    static func defines(_ node: StatementNode) -> String? {
        switch node.statement {
        case .load(let name, _, _, _, _), .assign(let name, _, _): return name.text
        case .compare(_, _, _, _, _, _, let alias): return alias?.text
        case .playbook, .param, .assert, .save, .snapshot, .export, .show, .profile, .counts, .chart, .mask, .track: return nil
        }
    }

    /// The key of a load: its statement, the resolved path and the file's SHA-256 (from the
    /// cache's index of input files, which hashes the file again unless its stamp is unchanged).
    func loadKey(_ request: LoadRequest, node: StatementNode) -> (key: String, sha256: String)? {
        guard let cache, let sha = cache.inputSHA256(request.path) else { return nil }
        return (Interpreter.loadKey(request, node: node, sha256: sha), sha)
    }

    static func loadKey(_ request: LoadRequest, node: StatementNode, sha256: String) -> String {
        let parts = [cacheFormat, TallyVersion.string, buildIdentity, "load", node.text, request.path, request.format.name, sha256]
        return Fingerprint.sha256(parts.joined(separator: "\u{1}"))
    }

    /// The key of any other cell, or nil when it must always run.
    func cellKey(_ index: Int, _ node: StatementNode, _ plan: Plan) -> String? {
        guard cache != nil else { return nil }
        var parts = [Interpreter.cacheFormat, TallyVersion.string, Interpreter.buildIdentity, node.statement.keyword, node.text]
        switch node.statement {
        case .load:
            // The key found while checking, from the SHA-256 of the bytes this run read (or of
            // the file its cached table was made from): never hashed again here, where the file
            // could have changed since.
            return loadKeys[index]
        case .assign(_, _, let steps):
            if steps.contains(where: { !$0.step.cacheable }) { return nil }
        case .assert, .show, .profile, .counts, .chart:
            break
        case .export:
            guard let request = plan.exports[index] else { return nil }
            // A workbook several exports write is rewritten whole by each: never cached.
            if case .xlsx = request.format, plan.exports.values.filter({ $0.path == request.path }).count > 1 { return nil }
            // Its map is a second file the cache does not watch: always written.
            if request.options.map { return nil }
            parts.append(request.path)
            if let privacy = exportPrivacy {
                parts.append(
                    "privacy \(request.masked) \(privacy.masks.sorted()) \(privacy.suppressBelow ?? 0) \(Fingerprint.sha256(privacy.key))")
            }
        // The QA store is no part of a key: these always run (declarations make no cell).
        case .compare, .save, .snapshot, .track, .playbook, .param, .mask:
            return nil
        }
        for name in plan.paramOrder where Interpreter.mentions(node.text, name) {
            parts.append("param \(name)=\(plan.params[name]?.display ?? "")")
        }
        if node.text.contains("today") { parts.append("today \(options.clock.today)") }
        for table in Set(Interpreter.reads(node)).sorted() where tables[table] != nil || lazyTables[table] != nil || keyOf[table] != nil {
            guard let key = keyOf[table] else { return nil }
            parts.append("table \(table)=\(key)")
        }
        return Fingerprint.sha256(parts.joined(separator: "\u{1}"))
    }

    /// Whether `text` names `word` as a whole word (or inside `{word}`).
    static func mentions(_ text: String, _ word: String) -> Bool {
        var search = text[...]
        while let range = search.range(of: word) {
            let before = range.lowerBound == text.startIndex ? nil : text[text.index(before: range.lowerBound)]
            let after = range.upperBound == text.endIndex ? nil : text[range.upperBound]
            func isWord(_ c: Character?) -> Bool { c.map { $0.isLetter || $0.isNumber || $0 == "_" } ?? false }
            if !isWord(before), !isWord(after) { return true }
            search = text[range.upperBound...]
        }
        return false
    }

    /// Loads from the cache every table this statement reads that is only cached so far.
    func materialize(for node: StatementNode) throws {
        guard let cache else { return }
        for name in Set(Interpreter.reads(node)) {
            guard let key = lazyTables[name] else { continue }
            guard let table = cache.table(key) else {
                // Damaged or gone: its entry is deleted, and the Runner runs the playbook again
                // (nothing this run did has landed yet), recomputing the cell that made it.
                cacheDamaged = true
                throw Diagnostic(
                    .cacheProblem, "the cached table \"\(name)\" could not be read", file: file, line: node.line,
                    help: "run again with --no-cache, or clear the cache: tally cache clear")
            }
            tables[name] = table
            lazyTables[name] = nil
        }
    }

    // MARK: Partial runs

    /// The statement a `--only`/`--until`/`--from` argument names: a table it defines (its last
    /// definition) or a line number within it.
    static func cellIndex(_ name: String, in playbook: Playbook) throws -> Int {
        let statements = playbook.statements
        if let line = Int(name) {
            for (i, node) in statements.enumerated().reversed() where node.line <= line { return i }
            throw Diagnostic(.notInLedger, .error, "no cell at line \(line)", file: playbook.file)
        }
        if let i = statements.lastIndex(where: { defines($0) == name }) { return i }
        let names = statements.compactMap(defines)
        // A table whose name holds the one asked for (`missing` for `missing_demographics`).
        let containing = names.filter { $0.lowercased().contains(name.lowercased()) }
        let help =
            Suggest.closest(to: name, in: names).map { "did you mean \"\($0)\"?" }
            ?? (containing.count == 1 ? "did you mean \"\(containing[0])\"?" : nil)
            ?? ((Suggest.help(for: name, in: names, noun: "tables").map { $0 + "; " } ?? "")
                + "a cell is named by the table it makes or by its line number")
        throw Diagnostic(.notInLedger, .error, "no cell makes a table \"\(name)\"", file: playbook.file, help: help)
    }

    /// The statements a partial run runs: the asked-for ones and every cell they need.
    public static func selection(_ playbook: Playbook, only: String?, until: String?, from: String?) throws -> Set<Int>? {
        guard only != nil || until != nil || from != nil else { return nil }
        let statements = playbook.statements
        var wanted = Set<Int>()
        if let only { wanted.insert(try cellIndex(only, in: playbook)) }
        if let until { wanted.formUnion(0...(try cellIndex(until, in: playbook))) }
        if let from { wanted.formUnion((try cellIndex(from, in: playbook))..<statements.count) }
        if only != nil, until == nil, from == nil { /* exactly that cell */  }
        // Every cell a wanted cell needs: the last definition before it of each table it reads.
        var queue = Array(wanted)
        while let i = queue.popLast() {
            for table in reads(statements[i]) {
                if let d = statements[..<i].lastIndex(where: { defines($0) == table }), !wanted.contains(d) {
                    wanted.insert(d)
                    queue.append(d)
                }
            }
        }
        // Declarations always take effect.
        for (i, node) in statements.enumerated() {
            switch node.statement {
            case .playbook, .param, .mask: wanted.insert(i)
            default: break
            }
        }
        return wanted
    }
}

extension Interpreter {
    /// A cell left out of a partial run.
    func notRun(_ index: Int, _ node: StatementNode) -> CellResult {
        var cell = CellResult(index: index, node: node, kind: Interpreter.kind(of: node.statement))
        cell.status = .notRun
        cell.table = Interpreter.defines(node)
        return cell
    }

    static func kind(of statement: Statement) -> CellResult.Kind {
        switch statement {
        case .playbook: return .title
        case .param, .mask: return .param
        case .load: return .load
        case .assign: return .pipeline
        case .assert: return .assert
        case .compare: return .compare
        case .save: return .save
        case .snapshot: return .snapshot
        case .track: return .track
        case .export: return .export
        case .show: return .show
        case .profile: return .profile
        case .counts: return .counts
        case .chart: return .chart
        }
    }

    /// The cached result of a cell, if the cache has one that still holds.
    func restore(_ key: String, _ index: Int, _ node: StatementNode, _ plan: Plan) throws -> CellResult? {
        guard let cache else { return nil }
        let entry: CellCache.Entry
        if case .load(let name, _, _, _, _) = node.statement {
            guard let found = cachedLoads[name.text], found.key == key else { return nil }
            entry = found.entry
        } else {
            guard let found = cache.entry(key) else { return nil }
            entry = found
        }
        // An export is cached only while its file is the one this cell wrote.
        if case .export = node.statement {
            guard let written = entry.exportFile, CellCache.stamp(written.path) == written else { return nil }
        }
        var cell = entry.cell
        cell.status = .cached
        cell.index = index
        cell.line = node.line
        cell.narrative = node.narrative
        if let check = cell.check { cell.check = try acknowledge(check) }
        if let made = entry.table {
            tables[made] = nil
            lazyTables[made] = key
            keyOf[made] = key
            lineages[made] = (entry.lineage ?? [:]).mapValues(Set.init)
        }
        for value in entry.sensitive { remember(value) }
        return cell
    }

    /// Keeps a cell that ran in the cache (exports once their files are in place).
    func keep(_ key: String, _ cell: CellResult, _ node: StatementNode, quoted: [SensitiveValue]) {
        guard let cache else { return }
        var stored = cell
        stored.status = .ran
        // The check as computed: acknowledgements are looked up again on every run.
        if stored.check != nil { stored.check = rawChecks[cell.index] ?? stored.check }
        let made = Interpreter.defines(node).flatMap { name in cell.table == name ? name : nil }
        let entry = CellCache.Entry(
            cell: stored, table: made, lineage: made.map { lineage($0).mapValues { $0.sorted() } },
            sensitive: quoted, exportFile: nil)
        if case .export = node.statement {
            if let staged = staging.pending.last, let export = cell.export, !export.path.isEmpty {
                pendingExportEntries.append((key, entry, staged.staged, staged.destination))
            }
            return
        }
        cache.save(key, entry, table: made.flatMap { tables[$0] })
    }

    /// After exports were committed: records them in the cache with their files' stamps.
    func keepExports() {
        guard let cache else { return }
        for item in pendingExportEntries {
            guard var stamp = CellCache.stamp(item.destination) else { continue }
            stamp.path = item.destination
            var entry = item.entry
            entry.exportFile = stamp
            cache.save(item.key, entry, table: nil)
        }
        pendingExportEntries = []
    }
}
