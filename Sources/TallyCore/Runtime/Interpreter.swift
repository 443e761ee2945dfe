import Foundation
import TallyModel

/// Runs a checked plan statement by statement, one `CellResult` per statement.
public final class Interpreter {
    let playbook: Playbook
    let options: RunOptions
    var tables: [String: Table] = [:]
    /// Tables as the live notebook shows them, masked once per run (see `shownTable`).
    var shownTables: [String: (masks: Set<String>, key: String, table: Table)] = [:]
    var preloaded: [String: (table: Table, elapsed: Double, bytes: Int)] = [:]
    public private(set) var cells: [CellResult] = []
    /// The error that stopped the run, if any.
    public private(set) var failure: Diagnostic?
    public let staging = ExportStaging()
    var plan: Plan?
    let store: QAStore?
    let playbookSHA256: String
    /// The playbook's folder: relative paths start here, and exports under it stay under it.
    var baseDirectory = ""
    /// The real paths of the run's inputs and of the playbook's folder, found once for every
    /// export's `checkDestination` (a worklist writes thousands of files).
    var realPaths: (inputs: [(real: String, shown: String)], base: String)?
    /// Store writes (`save`, `snapshot`) made only when the run completes: given the run's id.
    var pendingWrites: [(Int64?) throws -> Void] = []
    /// Values compared by this run, for `previous run` in later runs.
    var series: [SeriesValues] = []
    var inputFingerprints: [String: (absolute: String, sha256: String)] = [:]
    public private(set) var masks: [String] = []
    /// The masks and suppression exports for people apply (nil: the run masks nothing).
    lazy var exportPrivacy: ReportPrivacy? = {
        var names = Set(options.masks)
        for node in playbook.statements { if case .mask(let list) = node.statement { names.formUnion(list.map(\.text)) } }
        names.remove("")
        guard !names.isEmpty || options.suppressBelow != nil else { return nil }
        let key =
            options.maskKey ?? ProcessInfo.processInfo.environment["TALLY_MASK_KEY"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (try? store?.maskKey()) ?? QAStore.randomSecret()
        return ReportPrivacy(masks: names, suppressBelow: options.suppressBelow, key: key)
    }()
    /// The sheets written so far to each workbook path (several exports to one workbook).
    var workbooks: [String: [XlsxWriter.Sheet]] = [:]
    /// Checks again the statements that read a pivot's columns (`Plan.deferred`).
    var checker: Checker?
    /// Each table's column lineage (see `Lineage`), so masking follows values through steps.
    var lineages: [String: ColumnLineage] = [:]
    /// Data values quoted in free text (details, errors), for masking.
    public private(set) var sensitive: [SensitiveValue] = []
    /// Where exports may go and what they never replace (nil: anywhere; set by `Runner`).
    var confinement: ExportConfinement?
    /// The cell cache (nil with --no-cache or without a store).
    var cache: CellCache?
    /// The key of the cell that made each table (absent: a table no key covers).
    var keyOf: [String: String] = [:]
    /// Tables taken from the cache whose bytes have not been read yet (table → key).
    var lazyTables: [String: String] = [:]
    /// Load cells found in the cache while checking (table → key, entry).
    var cachedLoads: [String: (key: String, entry: CellCache.Entry)] = [:]
    /// Each load cell's key (statement index → key), found while checking.
    var loadKeys: [Int: String] = [:]
    /// A cached table this run needed was damaged (its entry is deleted): run again.
    public internal(set) var cacheDamaged = false
    /// Export cells to record in the cache once their files are in place.
    var pendingExportEntries: [(key: String, entry: CellCache.Entry, staged: String, destination: String)] = []
    /// Statements a partial run runs (nil: all).
    var selection: Set<Int>? = nil
    /// Each assert's check before acknowledgements (what the cache keeps).
    var rawChecks: [Int: CheckResult] = [:]

    func lineage(_ table: String) -> ColumnLineage { lineages[table] ?? [:] }

    /// Notes that a value of `column` in `table` was written into free text.
    func quote(_ value: String, column: String, table: String) {
        remember(SensitiveValue(value: value, lineage: Lineage.of(column, in: lineage(table)).sorted()))
    }

    func remember(_ item: SensitiveValue) {
        if !item.value.isEmpty, !sensitive.contains(item) { sensitive.append(item) }
    }

    init(playbook: Playbook, options: RunOptions, store: QAStore?, playbookSHA256: String) {
        self.playbook = playbook
        self.options = options
        self.store = store
        self.playbookSHA256 = playbookSHA256
    }

    /// Parameter values as text, the key of "the same playbook and parameters".
    var paramStrings: [String: String] {
        guard let plan else { return [:] }
        return Dictionary(uniqueKeysWithValues: plan.paramOrder.map { ($0, plan.params[$0]?.display ?? "") })
    }

    var file: String { playbook.file }

    /// Loads an input during checking so its schema is exact; the load cell reuses the table.
    func preload(_ request: LoadRequest) throws -> Schema {
        let node = playbook.statements.first {
            if case .load(let name, _, _, _, _) = $0.statement { return name.text == request.table && $0.line == request.span.line };
            return false
        }
        let index = node.flatMap { n in playbook.statements.firstIndex { $0 == n } }
        // A load a partial run does not need: its schema only.
        if let selection, let index, !selection.contains(index) { return try Loader.schema(request) }
        let found = node.flatMap { node in index.flatMap { _ in loadKey(request, node: node) } }
        // The bytes hashed for that key, parsed below on a miss instead of reading the file again.
        let ahead = cache?.takeReadAhead(request.path)
        if let index, let (key, sha) = found,
            let entry = cache?.entry(key), let schema = entry.cell.schema
        {
            // Its table was made from a file with this SHA-256, and the file still is that file
            // (`CellCache.inputSHA256`).
            cachedLoads[request.table] = (key, entry)
            loadKeys[index] = key
            inputFingerprints[request.table] = (request.path, sha)
            return schema
        }
        let start = DispatchTime.now()
        var progress: ProgressHandler? = nil
        if let report = options.progress {
            let label = "load \(request.table)"
            progress = { done, total, rows in report(label, done, total, rows) }
        }
        // Read: the SHA-256 the ledger records, and the cell's key, are those of the bytes parsed
        // (the ones hashed for the lookup above when the cache read them, else read now).
        let loaded = try Loader.read(
            request, progress: progress, fingerprint: cache != nil || store != nil || options.fingerprintInputs,
            ahead: ahead)
        inputFingerprints[request.table] = (request.path, loaded.sha256)
        if cache != nil, let node, let index, !loaded.sha256.isEmpty {
            loadKeys[index] = Interpreter.loadKey(request, node: node, sha256: loaded.sha256)
        }
        preloaded[request.table] = (loaded.table, Interpreter.seconds(since: start), loaded.bytes)
        return loaded.table.schema
    }

    static func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }

    func execute(_ plan: Plan) {
        self.plan = plan
        // The last statement that reads or makes each table: after it the table is freed, so a
        // 1M-student run does not hold SENR's columns while it joins and exports (`reads` is a
        // superset, so a table is never freed before a statement that reads it). Only when the
        // caller says nobody looks at the tables after the run (`RunOptions`).
        var lastUse: [String: Int] = [:]
        for (index, node) in playbook.statements.enumerated() {
            for name in Interpreter.reads(node) { lastUse[name] = index }
            if let made = Interpreter.defines(node) { lastUse[made] = index }
        }
        var lastUsed = [Int: [String]]()
        if options.freeTablesAfterLastUse {
            for (name, index) in lastUse { lastUsed[index, default: []].append(name) }
        }
        for (index, node) in playbook.statements.enumerated() {
            defer { for name in lastUsed[index] ?? [] { tables[name] = nil } }
            let start = DispatchTime.now()
            do {
                if let selection, !selection.contains(index) {
                    cells.append(notRun(index, node))
                    continue
                }
                let key = cellKey(index, node, plan)
                if let key, let cell = try restore(key, index, node, plan) {
                    cells.append(cell)
                    continue
                }
                try materialize(for: node)
                if plan.deferred.contains(index), let checker, !Interpreter.isPipeline(node) {
                    try checker.recheck(index, node, tables: tables.mapValues(\.schema))
                }
                let quotedBefore = sensitive.count
                if var cell = try run(index, node, plan) {
                    if cell.kind != .load { cell.elapsed = Interpreter.seconds(since: start) }
                    cells.append(cell)
                    if let key { keep(key, cell, node, quoted: Array(sensitive[quotedBefore...])) }
                }
                if let made = Interpreter.defines(node) {
                    if let key, cells.last?.table == made { keyOf[made] = key } else { keyOf[made] = nil }
                    lazyTables[made] = nil
                }
            } catch let d as Diagnostic {
                failure = d
                // A quoted value is as sensitive as any column of that name in any table.
                for v in d.values {
                    var names = Set(v.lineage)
                    for name in v.lineage { for (_, l) in lineages { names.formUnion(l[name] ?? []) } }
                    remember(SensitiveValue(value: v.value, lineage: names.sorted()))
                }
                return
            } catch {
                failure = Diagnostic(.error, "\(error)", file: file, line: node.line)
                return
            }
        }
    }

    func stepContext(_ tableName: String, _ plan: Plan) -> StepRunContext {
        StepRunContext(
            file: file, tableName: tableName, params: plan.params, paramTypes: plan.paramTypes,
            tables: tables, clock: options.clock, services: store.map { StoreServices(store: $0, file: file, scopeFor: snapshotScope) })
    }

    /// A key that must be unique (a snapshot's, a diff's): an error naming up to five duplicated keys.
    static func requireUnique(_ table: Table, by keys: [String], what: String, file: String, span: SourceSpan) throws {
        let columns = keys.compactMap { table.column($0) }
        let (grouping, counts) = Table.groupCounts(columns, rowCount: table.rowCount)
        let duplicated = counts.indices.filter { counts[$0] > 1 }
        guard !duplicated.isEmpty else { return }
        var quoted: [SensitiveValue] = []
        let examples = duplicated.prefix(5).map { g -> String in
            let row = Int(grouping.representatives[g])
            return keys.enumerated().map { k, name in
                let value = columns[k].value(row).display
                quoted.append(SensitiveValue(value: value, lineage: [name]))
                return "\(name) \(value.isEmpty ? "null" : value)"
            }.joined(separator: ", ") + " (\(counts[g]) rows)"
        }
        throw Diagnostic(
            .notOneRowPerKey,
            "\(what) needs one row per \(keys.joined(separator: ", ")), but \(Format.plural(duplicated.count, "key")) \(duplicated.count == 1 ? "has" : "have") more than one: "
                + examples.joined(separator: "; "),
            file: file, span: span,
            help:
                "key it by columns that identify a row (e.g. \(keys.joined(separator: ", ")), SchoolOfAttendance), or keep one row per key first (| distinct by \(keys.joined(separator: ", ")))"
        )
        .quoting(quoted)
    }

    /// Runs one statement: each kind's cell is made in its own file (Interpreter+Load, +Pipeline,
    /// +Assert, +Compare, +Save, +Track, +Export, +Cells); this only dispatches.
    func run(_ index: Int, _ node: StatementNode, _ plan: Plan) throws -> CellResult? {
        switch node.statement {
        case .playbook:
            return nil
        case .mask(let names):
            masks += names.map(\.text)
            return nil
        case .param(let name, _, _, _, _):
            var cell = CellResult(index: index, node: node, kind: .param)
            cell.notes = ["\(name.text) = \(plan.params[name.text]?.display ?? "null")"]
            return cell
        case .load(let name, _, _, _, _):
            return try runLoad(index, node, plan, name: name)
        case .assign(let name, let source, let steps):
            return try runPipeline(index, node, plan, name: name, source: source, steps: steps)
        case .assert(let predicate, let severity, let message, let id):
            var cell = CellResult(index: index, node: node, kind: .assert)
            let raw = try runAssert(predicate, severity: severity, message: message, id: id, node: node, plan: plan)
            rawChecks[index] = raw
            cell.check = try acknowledge(raw)
            return cell
        case .compare(let table, let column, let target, let by, let tolerance, let severity, let alias):
            return try compareCell(
                index, node, table: table, column: column, target: target, by: by, tolerance: tolerance, severity: severity, alias: alias)
        case .save(let table, let column, let expected, let by):
            return try runSave(index, node, table: table, column: column, expected: expected, by: by)
        case .track(let table, let series):
            return try runTrack(table, series: series, node: node, index: index)
        case .snapshot(let table, let by, let name, _):
            return try runSnapshot(index, node, table: table, by: by, name: name)
        case .export(let table, _, _, _, _):
            return try runExport(index, node, plan, table: table)
        case .counts(let table, let by):
            return try runCounts(index, node, table: table, by: by)
        case .chart(let table, let kind, let y, let x, let bins):
            return try runChart(index, node, table: table, kind: kind, y: y, x: x, bins: bins)
        case .show(let table, let columns, let filter, let limit, let all):
            return try runShow(index, node, plan, table: table, columns: columns, filter: filter, limit: limit, all: all)
        case .profile(let table, let columns):
            return try runProfile(index, node, table: table, columns: columns)
        }
    }

    /// Marks a failed check acknowledged when a reviewer acknowledged these same failing rows.
    func acknowledge(_ check: CheckResult) throws -> CheckResult {
        guard !check.passed, let store else { return check }
        var result = check
        if let reason = try store.acknowledgement(playbook: playbook.file, check: check.id, failingSHA256: check.failingSHA256) {
            result.acknowledged = reason
        } else if try store.wasAcknowledged(playbook: playbook.file, check: check.id) {
            result.detail = (result.detail.map { $0 + "; " } ?? "") + "new: the failing rows changed since this check was acknowledged"
        }
        return result
    }

    func nonOkRows(_ comparison: Table) -> [Int] {
        guard let status = comparison.column("status") else { return [] }
        let priority = Dictionary(uniqueKeysWithValues: Comparison.failing.enumerated().map { ($1, $0) })
        return (0..<comparison.rowCount).filter { priority[status.value($0).display] != nil }
            .sorted { (priority[status.value($0).display] ?? 3, $0) < (priority[status.value($1).display] ?? 3, $1) }
    }

    /// The source text of a span on one line of the playbook.
    func text(of span: SourceSpan) -> String {
        let lines = playbook.source.split(separator: "\n", omittingEmptySubsequences: false)
        guard span.line >= 1, span.line <= lines.count else { return "" }
        let chars = Array(lines[span.line - 1])
        let from = max(0, span.column - 1), to = min(chars.count, from + span.length)
        return from < to ? String(chars[from..<to]) : ""
    }
}
