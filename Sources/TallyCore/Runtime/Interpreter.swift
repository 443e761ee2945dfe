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
            guard let request = plan.loads[index], let loaded = preloaded[name.text] else {
                throw Diagnostic(.internal, "internal: input \"\(name.text)\" was not loaded", file: file, line: node.line)
            }
            tables[name.text] = loaded.table
            lineages[name.text] = Lineage.ofLoad(request.format, columns: loaded.table.names)
            var cell = CellResult(index: index, node: node, kind: .load)
            cell.table = name.text
            cell.rowsOut = loaded.table.rowCount
            cell.elapsed = loaded.elapsed
            cell.schema = loaded.table.schema
            // What CALPADS returned for the submission: its fatal errors weigh on the verdict.
            switch request.format {
            case .calpadsErrors, .calpadsRejected: cell.calpadsFatal = Interpreter.fatalCount(loaded.table)
            default: break
            }
            if !loaded.table.rejected.isEmpty {
                let n = loaded.table.rejected.count
                cell.notes.append(
                    "\(Format.plural(n, "value")) that \(n == 1 ? "is not a date" : "are not dates") read as null (validate reports them as FRMT0002)"
                )
            }
            cell.input = InputRecord(
                table: name.text, path: request.displayPath, absolutePath: request.path,
                sha256: inputFingerprints[name.text]?.sha256 ?? "", format: request.format.name,
                bytes: loaded.bytes, rows: loaded.table.rowCount, columns: loaded.table.columnCount)
            return cell
        case .assign(let name, let source, let steps):
            guard var table = tables[source.text] else {
                throw Diagnostic(.unknownTable, "unknown table \"\(source.text)\"", file: file, span: source.span)
            }
            var cell = CellResult(index: index, node: node, kind: .pipeline)
            cell.table = name.text
            cell.rowsIn = table.rowCount
            let ctx = stepContext(source.text, plan)
            var columnLineage = lineage(source.text)
            let checkContext =
                plan.deferred.contains(index)
                ? StepCheckContext(file: file, tableName: source.text, params: plan.paramTypes, tables: tables.mapValues(\.schema)) : nil
            for step in steps {
                // Columns a pivot made are known now: check the step as tally check checks any other.
                if let checkContext { _ = try StepRegistry.schema(step, table.schema, checkContext) }
                let (output, result) = try StepRegistry.run(step, table, ctx)
                columnLineage = Lineage.after(
                    step.step, input: columnLineage, inputNames: table.names, output: output.names,
                    tables: { self.lineage($0) }, columnNames: { self.tables[$0]?.names ?? [] })
                cell.steps.append(result)
                table = output
            }
            lineages[name.text] = columnLineage
            cell.rowsOut = table.rowCount
            cell.schema = table.schema
            // Aggregates are charted in reports.
            if steps.last?.step is AggregateStep { cell.preview = Preview(table, limit: 1_000, lineage: columnLineage) }
            tables[name.text] = table
            return cell
        case .assert(let predicate, let severity, let message, let id):
            var cell = CellResult(index: index, node: node, kind: .assert)
            let raw = try runAssert(predicate, severity: severity, message: message, id: id, node: node, plan: plan)
            rawChecks[index] = raw
            cell.check = try acknowledge(raw)
            return cell
        case .compare(let table, let column, let target, let by, let tolerance, let severity, let alias):
            var cell = CellResult(index: index, node: node, kind: .compare)
            let (check, comparison) = try runCompare(
                table: table, column: column, target: target, by: by,
                tolerance: tolerance, severity: severity, alias: alias, node: node)
            cell.check = try acknowledge(check)
            var comparisonLineage: ColumnLineage = [:]
            for key in by { comparisonLineage[key.text] = Lineage.of(key.text, in: lineage(table.text)) }
            cell.preview = Preview(comparison, limit: Interpreter.failingRowsKept, rows: nonOkRows(comparison), lineage: comparisonLineage)
            let status = comparison.column("status"), actual = comparison.column("actual"), expected = comparison.column("expected")
            cell.comparison = ComparisonSummary(
                keys: comparison.rowCount, ok: (0..<comparison.rowCount).filter { status?.value($0) == .text("ok") }.count,
                actualTotal: (0..<comparison.rowCount).reduce(0) { $0 + (actual?.value($1).doubleValue ?? 0) },
                expectedTotal: (0..<comparison.rowCount).reduce(0) { $0 + (expected?.value($1).doubleValue ?? 0) },
                tolerancePercent: tolerance?.percent, toleranceAbsolute: tolerance?.absolute)
            cell.rowsOut = comparison.rowCount
            if let alias { tables[alias.text] = comparison; lineages[alias.text] = comparisonLineage; cell.table = alias.text }
            return cell
        case .save(let table, let column, let expected, let by):
            guard let store, let data = tables[table.text], let values = data.column(column.text) else {
                throw Diagnostic(.storeNeeded, "save needs the QA store", file: file, line: node.line)
            }
            let keyColumns = by.compactMap { data.column($0.text) }
            // Rows with the same key are added, as compare adds the actual side.
            var rows: [(key: [String], value: Double)] = []
            var position: [String: Int] = [:]
            var summed = 0
            for row in 0..<data.rowCount {
                guard let v = values.value(row).doubleValue else { continue }
                let key = keyColumns.map { $0.isNull(row) ? "" : $0.value(row).display }
                if let at = position[QAStore.joinKey(key)] {
                    rows[at].value += v; summed += 1
                } else {
                    position[QAStore.joinKey(key)] = rows.count
                    rows.append((key, v))
                }
            }
            let source = playbook.file, sha = playbookSHA256, user = QAStore.currentUser, now = options.now()
            pendingWrites.append { _ in
                try store.importExpected(
                    name: expected, keys: by.map(\.text), valueName: column.text, rows: rows,
                    sourcePath: source, sourceSHA256: sha, createdBy: user, at: now)
            }
            var cell = CellResult(index: index, node: node, kind: .save)
            cell.rowsIn = data.rowCount
            cell.notes = [
                "\(Format.plural(rows.count, "value")) saved as a new version of expected \"\(expected)\" when the run completes"
                    + (summed > 0 ? " (\(Format.plural(summed, "row")) added to another row with the same key)" : "")
            ]
            return cell
        case .track(let table, let series):
            return try runTrack(table, series: series, node: node, index: index)
        case .snapshot(let table, let by, let name, _):
            guard let store, let data = tables[table.text] else {
                throw Diagnostic(.storeNeeded, "snapshot needs the QA store", file: file, line: node.line)
            }
            let keys = by.map(\.text), now = options.now()
            // A key that is not unique would make every later diff count the wrong rows as changed.
            try Interpreter.requireUnique(
                data, by: keys, what: "snapshot \"\(name)\"", file: file,
                span: by.first.map { $0.span.through(by.last?.span ?? $0.span) } ?? node.span)
            pendingWrites.append { runId in _ = try store.saveSnapshot(name: name, table: data, keys: keys, runId: runId, at: now) }
            var cell = CellResult(index: index, node: node, kind: .snapshot)
            cell.rowsIn = data.rowCount
            cell.notes = ["\(Format.plural(data.rowCount, "row")) kept as snapshot \"\(name)\" when the run completes"]
            return cell
        case .export(let table, _, _, _, _):
            guard let request = plan.exports[index], let unmasked = tables[table.text] else {
                throw Diagnostic(.unknownTable, "unknown table \"\(table.text)\"", file: file, span: table.span)
            }
            var cell = CellResult(index: index, node: node, kind: .export)
            cell.rowsIn = unmasked.rowCount
            let (data, privacyNote, numbers) = maskedForExport(unmasked, request, table: table.text)
            // One file, or one per value of the column named in the path (a worklist per school).
            let groups: [(value: String?, rows: [Int])]
            if let split = request.splitColumn, let column = data.column(split) {
                groups = Interpreter.rowsByValue(column, count: data.rowCount).map { ($0.value, $0.rows) }
            } else {
                groups = [(nil, [])]
            }
            // Two values that make one file name ("a/b" and "a_b", "" and "(missing)") would leave
            // only the last value's rows in it: stop, naming both (masked like their column).
            if let split = request.splitColumn {
                var made: [String: String] = [:]
                for group in groups {
                    guard let value = group.value else { continue }
                    let destination = request.path(for: value, request.path)
                    if let other = made[destination] {
                        quote(other, column: split, table: table.text)
                        quote(value, column: split, table: table.text)
                        throw Diagnostic(
                            .exportPath, .error,
                            "\(split) values \"\(other)\" and \"\(value)\" both make the file \(request.path(for: value, request.displayPath)): one would replace the other",
                            file: file, line: node.line, help: "derive a column whose values make distinct names, and split by it")
                    }
                    made[destination] = value
                }
            }
            var bytes = 0
            var format = request.format.name
            var written: [String] = []
            for group in groups {
                let destination = group.value.map { request.path(for: $0, request.path) } ?? request.path
                let part = group.value == nil ? data : data.gather(group.rows.map { Int32($0) })
                let shown = group.value.map { request.path(for: $0, request.displayPath) } ?? request.displayPath
                try checkDestination(destination, shown: shown, plan: plan, node: node)
                let staged: String
                do { staged = try staging.stage(for: destination, shown: shown, file: file, line: node.line) } catch {
                    throw Diagnostic(
                        .writeFailed, .error, "cannot write \(shown): \((error as? Diagnostic)?.message ?? error.localizedDescription)",
                        file: file, line: node.line)
                }
                let earlier = workbooks[destination]?.count ?? 0
                let size: Int, writtenFormat: String
                do {
                    (size, writtenFormat) = try writeExport(
                        part, request, to: staged, destination: destination, table: table.text,
                        numbers: numbers, node: node)
                } catch var d as Diagnostic where d.file == staged {
                    // Name the export as the playbook does, not its staging file.
                    d.message =
                        d.message.contains("the file")
                        ? d.message.replacingOccurrences(of: "the file", with: shown) : "\(shown): \(d.message)"
                    d.file = file
                    d.line = node.line
                    throw d
                } catch let d as Diagnostic {
                    throw d
                } catch {
                    // A write the file system refused (a full disk, a quota, a file-size limit).
                    throw Diagnostic(
                        .writeFailed, .error, "cannot write \(shown): \(error.localizedDescription)", file: file, line: node.line)
                }
                if request.options.map, case .calpads(let type, let year, _) = request.format,
                    let layout = CalpadsWriter.layout(for: part, type: type, year: year)
                {
                    let mapPath = destination + ".map", mapShown = shown + ".map"
                    try checkDestination(mapPath, shown: mapShown, plan: plan, node: node)
                    do {
                        let stagedMap = try staging.stage(for: mapPath, shown: mapShown, file: file, line: node.line)
                        _ = try DelimitedWriter.write(
                            CalpadsWriter.recordMap(part, layout: layout), to: stagedMap, options: DelimitedWriteOptions())
                    } catch let d as Diagnostic {
                        throw Diagnostic(.writeFailed, .error, "cannot write \(mapShown): \(d.message)", file: file, line: node.line)
                    } catch {
                        throw Diagnostic(
                            .writeFailed, .error, "cannot write \(mapShown): \(error.localizedDescription)", file: file, line: node.line)
                    }
                    cell.notes.append(
                        "record map \(mapShown): each record's Local Record ID, SSID and school with the file and line it came from")
                }
                if earlier > 0, group.value == nil {
                    cell.notes.append("added to the workbook after \(Format.plural(earlier, "sheet")) from earlier exports")
                }
                bytes += size
                format = writtenFormat
                written.append(group.value.map { request.path(for: $0, request.displayPath) } ?? request.displayPath)
            }
            let shownPath =
                request.splitColumn.map { request.displayPath.replacingOccurrences(of: ExportRequest.placeholder($0), with: "{\($0)}") }
                ?? request.displayPath
            cell.export = ExportRecord(
                table: table.text, path: shownPath, format: format, rows: data.rowCount, bytes: bytes,
                privacy: privacyNote)
            if let privacyNote { cell.notes.append(privacyNote) }
            if !options.writeExports { cell.notes.append("preview: not written (tally run writes it)") }
            if let out = options.exportFolder {
                cell.notes.append(
                    "written under --out \(Checker.display(Runner.absolute(out), relativeTo: options.displayBase)), not the playbook's folder"
                )
            }
            if let split = request.splitColumn {
                cell.notes.append(
                    "\(Format.plural(written.count, "file")), one per \(split): " + written.prefix(3).joined(separator: ", ")
                        + (written.count > 3 ? ", …" : ""))
            }
            if let sheets = request.sheetColumn {
                let count = data.column(sheets).map { Interpreter.rowsByValue($0, count: data.rowCount).count } ?? 0
                cell.notes.append("\(Format.plural(count, "sheet")) per workbook, one per \(sheets)")
            }
            return cell
        case .counts(let table, let by):
            return try runCounts(index, node, table: table, by: by)
        case .chart(let table, let kind, let y, let x, let bins):
            return try runChart(index, node, table: table, kind: kind, y: y, x: x, bins: bins)
        case .show(let table, let columns, let filter, let limit, let all):
            guard var data = tables[table.text] else {
                throw Diagnostic(.unknownTable, "unknown table \"\(table.text)\"", file: file, span: table.span)
            }
            var cell = CellResult(index: index, node: node, kind: .show)
            cell.rowsIn = data.rowCount
            if let filter {
                let (kept, result) = try StepRegistry.run(
                    StepNode(step: FilterStep(expr: filter), span: filter.span), data, stepContext(table.text, plan))
                data = kept
                cell.steps.append(result)
            }
            if !columns.isEmpty { data = data.projecting(columns.map { ($0.text, $0.text) }) }
            cell.preview = Preview(data, limit: all ? Interpreter.showAllLimit : limit ?? 10, lineage: lineage(table.text))
            if all { cell.showAll = true }
            return cell
        case .profile(let table, let columns):
            guard let data = tables[table.text] else {
                throw Diagnostic(.unknownTable, "unknown table \"\(table.text)\"", file: file, span: table.span)
            }
            var cell = CellResult(index: index, node: node, kind: .profile)
            cell.rowsIn = data.rowCount
            let names = columns.isEmpty ? data.names : columns.map(\.text)
            let profile = TableProfile(data, columns: names)
            // The value columns hold values of every profiled column: masked if any of them is.
            var valueLineage = Set<String>()
            for name in names { valueLineage.formUnion(Lineage.of(name, in: lineage(table.text))) }
            var profileLineage: ColumnLineage = [:]
            for name in TableProfile.valueColumns { profileLineage[name] = valueLineage }
            cell.preview = Preview(profile.table, limit: names.count, lineage: profileLineage)
            for lookalike in profile.lookalikes {
                for (value, _) in lookalike.values { quote(value, column: lookalike.column, table: table.text) }
                cell.notes.append(
                    "\(lookalike.column): "
                        + lookalike.values.map { "\"\($0.value)\" (\(Format.plural($0.count, "row")))" }.joined(separator: ", ")
                        + " differ only by case or spaces")
            }
            return cell
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
