import Foundation
import TallyModel

/// Options of one run, injected so tests are reproducible.
public struct RunOptions: Sendable {
    public var params: [String: String] = [:]
    /// Paths in messages are shown relative to this folder (default: the working folder).
    public var displayBase: String = FileManager.default.currentDirectoryPath
    public var clock: EvaluationClock = .system
    public var now: @Sendable () -> Date = { Date() }
    /// Called during long loads and exports: (what, bytes or rows done, total, rows).
    public var progress: (@Sendable (String, Int, Int, Int) -> Void)? = nil
    /// The QA store's path; nil runs without a store (no ledger, no stored comparisons).
    public var storePath: String? = nil
    /// Fingerprint inputs (SHA-256) even without a store: for reports, JSON and JUnit. With a
    /// store they are always fingerprinted (the ledger and `tally verify` need them).
    public var fingerprintInputs = true
    /// Keep the run's tables until the process exits instead of freeing them when the run ends.
    /// For the command line, which exits right after: freeing a 3M-student district's tables
    /// (millions of strings, one by one) took 0.35 s that the exit does at once.
    public var keepTablesUntilExit = false
    /// Free each table after the last statement that reads it (`tally run`, whose tables nobody
    /// looks at after the run; not `tally watch`, which shows them).
    public var freeTablesAfterLastUse = false
    /// The cell cache's folder (nil: no cache). Unchanged cells are taken from it.
    public var cacheFolder: String? = nil
    public var cacheLimitBytes: Int = CellCache.defaultLimit
    /// Keep the cache within its limit after the run (off for the runs of a matrix).
    public var evictCache = true
    /// Record the run in the ledger and make its saves and snapshots (off for `tally watch`,
    /// whose reruns are a preview: a snapshot per save would move every later diff's baseline).
    public var recordInLedger = true
    /// Move the exports into place when the run succeeds (off for `tally watch`: a rerun of a
    /// half-edited playbook is a preview, and must not replace a worklist a school is reading).
    public var writeExports = true
    /// A partial run: one cell and what it needs, every cell up to one, or from one on.
    public var only: String? = nil
    public var until: String? = nil
    public var from: String? = nil
    /// `--mask` and `--suppress-below`, and the secret that keys masking's tokens (nil: the QA
    /// store's, or a random one for this run). Exports for people (`ExportRequest.masked`) apply
    /// them with the playbook's own `mask` statements, so a file's tokens match the report's.
    public var masks: [String] = []
    public var suppressBelow: Int? = nil
    public var maskKey: String? = nil
    /// `--out DIR`: relative export paths start here instead of the playbook's folder.
    public var exportFolder: String? = nil
    /// `--allow-export-to PATH`: further folders (or files) exports may be written to.
    public var allowExportTo: [String] = []
    /// Files the run reads that no export may replace, beyond the playbook, store, cache and
    /// inputs the run knows itself (a template folder, a matrix file): path and what it is.
    public var protectedFiles: [ProtectedFile] = []
    public struct ProtectedFile: Sendable {
        public var path: String
        public var what: String
        public var isFolder: Bool
        public init(path: String, what: String, isFolder: Bool = false) {
            self.path = path
            self.what = what
            self.isFolder = isFolder
        }
    }
    public var isPartial: Bool { only != nil || until != nil || from != nil }
    public var partialDescription: String? {
        guard isPartial else { return nil }
        return [only.map { "--only \($0)" }, until.map { "--until \($0)" }, from.map { "--from \($0)" }].compactMap { $0 }.joined(
            separator: " ")
    }
    public init() {}
}

/// Parses, checks and runs a playbook. The library entry point of `tally run` and `tally check`.
public enum Runner {
    /// Reads and parses a playbook file; a missing file or syntax errors become diagnostics.
    public static func parse(path: String, displayBase: String) throws -> Playbook {
        try LargeStack.run { try parseOnThisThread(path: path, displayBase: displayBase) }
    }

    static func parseOnThisThread(path: String, displayBase: String) throws -> Playbook {
        let display = Checker.display((absolute(path) as NSString).standardizingPath, relativeTo: displayBase)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DiagnosticList([Diagnostic(.fileNotFound, .error, "playbook not found", file: display)])
        }
        guard let source = String(data: data, encoding: .utf8) else {
            throw DiagnosticList([Diagnostic(.notAPlaybook, .error, "the playbook is not UTF-8 text", file: display)])
        }
        var playbook = try Parser.parse(source: source, file: display)
        playbook.sha256 = Fingerprint.sha256([UInt8](data))
        return playbook
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// Where this run's exports may go (`ExportConfinement`): the playbook's folder or `--out`,
    /// and the places the command line allows; never the playbook, the QA store and its files,
    /// the cache or a file the command line says the run reads.
    static func confinement(playbook path: String, options: RunOptions) -> ExportConfinement {
        var confinement = ExportConfinement()
        let base = (absolute(path) as NSString).deletingLastPathComponent
        if let out = options.exportFolder {
            confinement.allow(out, why: "--out \(out)")
        } else {
            confinement.allow(base, why: "the playbook's folder")
        }
        for place in options.allowExportTo { confinement.allow(place, why: "--allow-export-to \(place)") }
        confinement.protect(file: path, as: "the playbook")
        if let store = options.storePath, !QAStore.isPostgres(store) { confinement.protect(family: store, as: "the QA store") }
        // The cache, used or not by this run (--no-cache, tally check).
        if let cache = options.cacheFolder ?? options.storePath.map(CellCache.folder(forStore:)) {
            confinement.protect(folder: cache, as: "the cell cache")
        }
        for file in options.protectedFiles {
            if file.isFolder {
                confinement.protect(folder: file.path, as: file.what)
            } else {
                confinement.protect(file: file.path, as: file.what)
            }
        }
        return confinement
    }

    /// Checks without running: every error in one pass, and the schema of every input.
    public static func check(
        path: String, options: RunOptions
    ) -> (plan: Plan?, inputs: [(LoadRequest, Schema)], diagnostics: [Diagnostic], source: String?, file: String?) {
        LargeStack.run { checkOnThisThread(path: path, options: options) }
    }

    static func checkOnThisThread(
        path: String, options: RunOptions
    ) -> (plan: Plan?, inputs: [(LoadRequest, Schema)], diagnostics: [Diagnostic], source: String?, file: String?) {
        let playbook: Playbook
        do { playbook = try parseOnThisThread(path: path, displayBase: options.displayBase) } catch let list as DiagnosticList {
            let source = (try? String(contentsOfFile: path, encoding: .utf8)).map(Parser.normalizedLineEnds)
            let display = Checker.display((absolute(path) as NSString).standardizingPath, relativeTo: options.displayBase)
            let all = source.map { pastSyntaxErrors(list.diagnostics, source: $0, display: display, path: path, options: options) }
            return (nil, [], all ?? list.diagnostics, source, nil)
        } catch { return (nil, [], [Diagnostic(.error, "\(error)", file: path)], nil, nil) }
        let (plan, inputs, diagnostics, _) = checkParsed(playbook, path: path, options: options)
        return (plan, inputs, diagnostics, playbook.source, playbook.file)
    }

    /// What checking an editor's buffer found (`tally lsp`): the same parser and checker as
    /// `tally check`, and also, when errors stop the plan, each table's schema as the checker
    /// last saw it and the check-time warnings (an editor completes columns mid-edit).
    public struct BufferCheck: Sendable {
        public var playbook: Playbook?
        public var plan: Plan?
        public var diagnostics: [Diagnostic]
        public var warnings: [Diagnostic]
        /// Each table's schema after the last statement that made it (tables whose definition
        /// failed are left out).
        public var tables: [String: Schema]
    }

    /// Checks the text of a playbook that is at `path` (which need not hold that text: relative
    /// input paths start at its folder), as `check(path:options:)` checks the file.
    /// - Parameter schemas: when given, asked for each input's schema with the reader that
    ///   would give it (an editor keeps the schemas of files that did not change: reading a
    ///   CSV's first megabyte to type its columns on every keystroke is too slow).
    public static func check(
        source: String, path: String, options: RunOptions,
        schemas: ((LoadRequest, () throws -> Schema) throws -> Schema)? = nil
    ) -> BufferCheck {
        LargeStack.run {
            let display = Checker.display((absolute(path) as NSString).standardizingPath, relativeTo: options.displayBase)
            let playbook: Playbook
            do { playbook = try Parser.parse(source: source, file: display) } catch let list as DiagnosticList {
                let all = pastSyntaxErrors(
                    list.diagnostics, source: source, display: display, path: path, options: options, schemas: schemas)
                return BufferCheck(playbook: nil, plan: nil, diagnostics: all, warnings: [], tables: [:])
            } catch {
                return BufferCheck(
                    playbook: nil, plan: nil, diagnostics: [Diagnostic(.error, "\(error)", file: display)], warnings: [], tables: [:])
            }
            let (plan, _, diagnostics, checker) = checkParsed(playbook, path: path, options: options, schemas: schemas)
            return BufferCheck(
                playbook: playbook, plan: plan, diagnostics: diagnostics,
                warnings: plan?.warnings ?? checker?.warnings ?? [], tables: checker?.tables ?? [:])
        }
    }

    /// The syntax errors, and the errors the checker finds in the statements that did parse (on
    /// other lines; the tables the broken statements would have made are taken as unknown, so
    /// they cause no error of their own), in the order of the playbook.
    static func pastSyntaxErrors(
        _ syntax: [Diagnostic], source: String, display: String, path: String, options: RunOptions,
        schemas: ((LoadRequest, () throws -> Schema) throws -> Schema)? = nil
    ) -> [Diagnostic] {
        // Past the limit of errors shown, the rest would only be counted: not worth checking for.
        guard !syntax.contains(where: { $0.omitted > 0 }), let (partial, failed) = Parser.recover(source: source, file: display) else {
            return syntax
        }
        let (_, _, found, _) = checkParsed(partial, path: path, options: options, schemas: schemas, unknown: failed)
        let syntaxLines = Set(syntax.filter { $0.file == display }.map(\.line))
        let more = found.filter { !($0.file == display && syntaxLines.contains($0.line)) }
        let all = (syntax + more).enumerated().sorted {
            ($0.element.file == display ? 1 : 0, $0.element.line, $0.element.column, $0.offset)
                < ($1.element.file == display ? 1 : 0, $1.element.line, $1.element.column, $1.offset)
        }
        return Diagnostic.capped(all.map(\.element))
    }

    /// Checks a parsed playbook (the checker is returned for its tables; nil when the QA store
    /// could not be opened). `unknown`: tables whose statements did not parse.
    static func checkParsed(
        _ playbook: Playbook, path: String, options: RunOptions,
        schemas: ((LoadRequest, () throws -> Schema) throws -> Schema)? = nil, unknown: Set<String> = []
    ) -> (Plan?, [(LoadRequest, Schema)], [Diagnostic], Checker?) {
        var inputs: [(LoadRequest, Schema)] = []
        var store: QAStore? = nil
        if let storePath = options.storePath {
            do { store = try QAStore(path: storePath) } catch let d as Diagnostic {
                return (nil, [], [d], nil)
            } catch { return (nil, [], [Diagnostic(.error, "\(error)", file: QAStore.displayLocation(storePath))], nil) }
        }
        let checker = Checker(
            playbook: playbook, overrides: options.params,
            baseDirectory: (absolute(path) as NSString).deletingLastPathComponent,
            displayBase: options.displayBase, store: store
        ) { request in
            let schema = try schemas?(request, { try Loader.schema(request) }) ?? Loader.schema(request)
            inputs.append((request, schema))
            return schema
        }
        checker.exportBase = options.exportFolder.map(absolute)
        checker.confinement = confinement(playbook: path, options: options)
        checker.commandLineMasks = options.masks
        checker.poisoned = unknown
        switch checker.check() {
        case .success(let plan): return (plan, inputs, [], checker)
        case .failure(let list): return (nil, inputs, list.diagnostics, checker)
        }
    }

    /// Runs a playbook to its record. Never throws: every failure is in the record (exit 2).
    public static func run(path: String, options: RunOptions) -> RunRecord {
        LargeStack.run { runOnThisThread(path: path, options: options) }
    }

    /// Runs a playbook and hands back its tables too (nil when it stopped before running any
    /// statement): `tally watch` pages them after the run, and frees them when the next replaces them.
    public static func runKeepingTables(path: String, options: RunOptions) -> (record: RunRecord, tables: RunTables?) {
        var kept: Interpreter? = nil
        let record = LargeStack.run { runOnThisThread(path: path, options: options) { kept = $0 } }
        return (record, kept.map(RunTables.init))
    }

    /// `keep` is given the run's interpreter once the run is over.
    static func runOnThisThread(path: String, options: RunOptions, keep: ((Interpreter) -> Void)? = nil) -> RunRecord {
        let started = options.now()
        var record = RunRecord(
            title: (path as NSString).lastPathComponent, playbookPath: path, params: [],
            started: started, finished: started, cells: [], errors: [], playbookSource: "", exitStatus: 2)
        record.privacy = RecordedPrivacy(masks: Array(Set(options.masks)).sorted(), suppressBelow: options.suppressBelow)
        let playbook: Playbook
        do {
            playbook = try parseOnThisThread(path: path, displayBase: options.displayBase)
        } catch let list as DiagnosticList {
            record.playbookPath = Checker.display((absolute(path) as NSString).standardizingPath, relativeTo: options.displayBase)
            record.playbookSource = (try? String(contentsOfFile: path, encoding: .utf8)).map(Parser.normalizedLineEnds) ?? ""
            record.errors = pastSyntaxErrors(
                list.diagnostics, source: record.playbookSource, display: record.playbookPath, path: path, options: options)
            record.playbookSHA256 = Fingerprint.sha256(file: path) ?? Fingerprint.sha256(record.playbookSource)
            record.finished = options.now()
            // A playbook that does not parse is still a run the ledger keeps.
            if options.recordInLedger, let storePath = options.storePath, let store = try? QAStore(path: storePath) {
                record.runId = try? store.record(record)
                record.storePath = store.path
            }
            return record
        } catch {
            record.errors = [Diagnostic(.error, "\(error)", file: path)]
            return record
        }
        record.playbookPath = playbook.file
        record.playbookSource = playbook.source
        for node in playbook.statements {
            switch node.statement {
            case .playbook, .param: record.introduction += node.narrative
            default: break
            }
        }
        record.title = playbook.title ?? record.title
        record.playbookSHA256 = playbook.sha256
        // With the playbook's own `mask` statements, what every output masks (kept in the ledger).
        for node in playbook.statements {
            if case .mask(let names) = node.statement {
                record.privacy.masks = Array(Set(record.privacy.masks + names.map(\.text))).sorted()
            }
        }
        var store: QAStore? = nil
        if let storePath = options.storePath {
            do { store = try QAStore(path: storePath) } catch let d as Diagnostic {
                record.errors = [d]
                record.finished = options.now()
                return record
            } catch {
                record.errors = [Diagnostic(.error, "\(error)", file: QAStore.displayLocation(storePath))]
                return record
            }
            record.storePath = store?.path
        }
        record.partial = options.partialDescription
        let selection: Set<Int>?
        var cache: CellCache? = nil
        do {
            selection = try Interpreter.selection(playbook, only: options.only, until: options.until, from: options.from)
            if let folder = options.cacheFolder { cache = try CellCache(folder: folder, limitBytes: options.cacheLimitBytes) }
        } catch let d as Diagnostic {
            record.errors = [d]
            record.finished = options.now()
            return record
        } catch {
            record.errors = [Diagnostic(.error, "\(error)", file: playbook.file)]
            return record
        }
        // A cached table found damaged when a cell needed it has had its entry deleted: the run
        // starts again and recomputes that cell (nothing it did has landed yet — saves, snapshots
        // and exports wait for the end). After two such restarts, the last runs without the cache.
        var interpreter = Interpreter(playbook: playbook, options: options, store: store, playbookSHA256: record.playbookSHA256)
        for attempt in 1...3 {
            if attempt > 1 {
                interpreter.staging.discard()
                interpreter = Interpreter(playbook: playbook, options: options, store: store, playbookSHA256: record.playbookSHA256)
            }
            interpreter.baseDirectory = (absolute(path) as NSString).deletingLastPathComponent
            interpreter.selection = selection
            interpreter.cache = attempt < 3 ? cache : nil
            run(interpreter, playbook: playbook, path: path, options: options, store: store, into: &record)
            if !interpreter.cacheDamaged { break }
        }
        for error in record.errors { record.sensitive += error.values.filter { !record.sensitive.contains($0) } }
        record.finished = options.now()
        // The ledger records every run, failed or not; saves, snapshots and exports land only
        // when the run completed. A completed run is recorded as interrupted until they have all
        // landed: killed in between, the ledger says so instead of claiming a finished run.
        if let store, options.recordInLedger {
            do {
                record.runId = try store.record(record, exitStatus: record.exitStatus == 2 ? nil : Int32(QAStore.interrupted))
                interpreter.staging.authority?.runId = record.runId
                if record.exitStatus != 2 {
                    for write in interpreter.pendingWrites { try write(record.runId) }
                }
            } catch let d as Diagnostic {
                record.errors.append(d)
                record.exitStatus = 2
            } catch {
                record.errors.append(Diagnostic(.error, "\(error)", file: store.path))
                record.exitStatus = 2
            }
        }
        if record.exitStatus == 2 || !options.writeExports {
            interpreter.staging.discard()
            // Recorded as interrupted, then a save or snapshot failed: the ledger says it stopped.
            if let store, let id = record.runId { try? store.markFailed(id, errors: record.errors) }
        } else {
            do {
                try interpreter.staging.commit()
            } catch let d as Diagnostic {
                record.errors.append(d)
                record.exitStatus = 2
            } catch {
                record.errors.append(Diagnostic(.writeFailed, .error, "could not write the exports: \(error)", file: playbook.file))
                record.exitStatus = 2
            }
            if record.exitStatus == 2, let store, let id = record.runId { try? store.markFailed(id, errors: record.errors) }
            if record.exitStatus != 2, let store, let id = record.runId {
                do { try store.finish(id, exitStatus: record.exitStatus) } catch let d as Diagnostic {
                    record.errors.append(d)
                    record.exitStatus = 2
                } catch {
                    record.errors.append(Diagnostic(.error, "\(error)", file: store.path))
                    record.exitStatus = 2
                }
            }
            if record.exitStatus != 2 { interpreter.keepExports() }
        }
        record.notes = interpreter.staging.notes
        if options.evictCache { cache?.evict() } else { cache?.finish() }
        if let store, let id = record.runId, record.partial == nil {
            record.history = try? store.history(
                playbook: record.playbookPath,
                params: Dictionary(uniqueKeysWithValues: record.params.map { ($0.name, $0.value) }), upTo: id)
        }
        if let store, let id = record.runId {
            do { try store.saveReport(ReportRecord(record), run: id) } catch let d as Diagnostic { record.errors.append(d) } catch {}
        }
        // Never released: the process's exit frees the memory at once (see `keepTablesUntilExit`).
        if options.keepTablesUntilExit { _ = Unmanaged.passRetained(interpreter) }
        keep?(interpreter)
        return record
    }

    /// Checks the playbook and runs it with `interpreter`, into `record` (one attempt).
    static func run(
        _ interpreter: Interpreter, playbook: Playbook, path: String, options: RunOptions, store: QAStore?,
        into record: inout RunRecord
    ) {
        record.errors = []
        record.exitStatus = 2
        let checker = Checker(
            playbook: playbook, overrides: options.params,
            baseDirectory: (absolute(path) as NSString).deletingLastPathComponent,
            displayBase: options.displayBase, store: store
        ) { request in
            try interpreter.preload(request)
        }
        checker.exportBase = options.exportFolder.map(absolute)
        checker.confinement = confinement(playbook: path, options: options)
        checker.commandLineMasks = options.masks
        if let store { interpreter.staging.authority = JournalAuthority(store: store) }
        switch checker.check() {
        case .failure(let list):
            record.errors = list.diagnostics
            record.params = options.params.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        case .success(let plan):
            record.params = plan.paramOrder.map { ($0, plan.params[$0]?.display ?? "") }
            record.checkWarnings = plan.warnings
            interpreter.confinement = checker.confinement
            // Recovery of a commit journal never moves a file onto an input of this run either.
            var protected = checker.confinement
            for input in plan.loads.values where !Loader.isPattern(input.path) {
                protected?.protect(file: input.path, as: "an input of this run")
            }
            interpreter.staging.confinement = protected
            // A run killed while moving its exports into place is completed before anything
            // reads or writes them again (ExportStaging.recover).
            for folder in Set(plan.exports.values.map { ($0.path as NSString).deletingLastPathComponent }).sorted() {
                interpreter.staging.recover(in: folder)
            }
            interpreter.checker = checker
            interpreter.execute(plan)
            record.cells = interpreter.cells
            record.series = interpreter.series
            // Every `mask` statement of the playbook, also one after a statement that stopped the
            // run: the error may quote a value of that column.
            record.masks = interpreter.masks
            for node in playbook.statements {
                guard case .mask(let names) = node.statement else { continue }
                for name in names where !record.masks.contains(name.text) { record.masks.append(name.text) }
            }
            record.sensitive = interpreter.sensitive
            if let error = interpreter.failure {
                record.errors = [error]
            } else {
                record.exitStatus = record.checksFailed > 0 ? 1 : 0
            }
        }
    }
}
