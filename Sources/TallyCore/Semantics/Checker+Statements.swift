import Foundation
import TallyModel

extension Checker {
    func define(_ name: Name, _ schema: Schema, index: Int) {
        if let line = definedAt[name.text] {
            diagnostics.append(
                error(
                    .duplicateName, "table \"\(name.text)\" is already defined on line \(line)", name.span,
                    help: "give the new table another name"))
            return
        }
        definedAt[name.text] = name.span.line
        tables[name.text] = schema
        schemas[index] = schema
    }

    /// The schema of a table a statement reads, or nil after reporting why not.
    func lookup(_ name: Name) -> Schema? {
        if let schema = tables[name.text] { return schema }
        if poisoned.contains(name.text) { return nil }
        diagnostics.append(
            error(
                .unknownTable, "unknown table \"\(Diagnostic.shown(name.text))\"", name.span,
                help: Suggest.help(for: name.text, in: tables.keys.sorted(), noun: "tables")))
        return nil
    }

    func typer(_ table: (String, Schema)?) -> ExprTyper {
        ExprTyper(file: file, scope: TypeScope(table: table, params: paramTypes, tables: tables))
    }

    func record(_ body: () throws -> Void) {
        do { try body() } catch let d as Diagnostic { diagnostics.append(d) } catch let list as DiagnosticList {
            diagnostics.append(contentsOf: list.diagnostics)
        } catch { diagnostics.append(Diagnostic(.error, "\(error)", file: file)) }
    }

    func checkStatement(_ index: Int, _ node: StatementNode) {
        switch node.statement {
        case .playbook:
            if index != titleIndex {
                diagnostics.append(error(.duplicateName, "a playbook has one title", node.span))
            }
        case .param:
            break
        case .load(let name, let path, let pathSpan, let format, let options):
            var failed = true
            record {
                let resolved = try resolvePath(path, pathSpan)
                let fmt = try formatFor(format, path: resolved.path, span: pathSpan, verb: "read")
                if let masked = options.masked {
                    throw error(
                        .exportOption, "\(masked ? "masked" : "unmasked") applies to an export, not a load", pathSpan,
                        help: "mask columns in every output with a mask statement: mask SSID")
                }
                if options.raw {
                    throw error(.exportOption, "raw applies to a CSV, TSV or delimited export, not a load", pathSpan)
                }
                if options.map {
                    throw error(
                        .exportOption, "map applies to a CALPADS export (export T to \"SENR.txt\" as calpads SENR with map), not a load",
                        pathSpan,
                        help: "load a map a CALPADS export wrote as csv: load senr_map from \"out/SENR.txt.map\" as csv")
                }
                let request = LoadRequest(
                    table: name.text, path: resolved.path, displayPath: resolved.display,
                    format: fmt, options: options, span: pathSpan)
                loads[index] = request
                let schema = try source(request)
                for column in options.upper {
                    guard let type = schema.type(of: column.text) else {
                        throw error(
                            .unknownColumn, "the file has no column \"\(column.text)\" to upper-case", column.span,
                            help: Suggest.help(for: column.text, in: schema.columns.map(\.name)))
                    }
                    if type != .text {
                        throw error(.badOperand, "upper applies to text columns; \(column.text) is \(type.rawValue)", column.span)
                    }
                }
                define(name, schema, index: index)
                failed = false
            }
            if failed { poisoned.insert(name.text) }
        case .assign(let name, let sourceName, let steps):
            // The steps are checked in a function of their own, so that nothing holding a copy
            // of `tables` is alive when `define` changes it (a copy per statement made 50,000
            // statements take minutes).
            guard let schema = pipelineSchema(index, sourceName, steps) else { poisoned.insert(name.text); return }
            define(name, schema, index: index)
        case .assert(let predicate, _, _, _):
            checkPredicate(predicate)
        case .compare(let table, let column, let target, let by, _, _, let alias):
            guard let schema = lookup(table) else { return }
            record {
                let t = try StepCheckContext(file: file, tableName: table.text, params: paramTypes, tables: tables)
                    .requireColumn(column, in: schema)
                guard t.isNumeric else {
                    throw error(.notNumeric, "compare needs a number column; \(table.text).\(column.text) is \(t.rawValue)", column.span)
                }
                for key in by {
                    _ = try StepCheckContext(file: file, tableName: table.text, params: paramTypes, tables: tables).requireColumn(
                        key, in: schema)
                }
                switch target {
                case .column(let other, let otherColumn):
                    guard let otherSchema = tables[other.text] else {
                        throw error(
                            .unknownTable, "unknown table \"\(other.text)\"", other.span,
                            help: Suggest.help(for: other.text, in: tables.keys.sorted(), noun: "tables"))
                    }
                    let ctx = StepCheckContext(file: file, tableName: other.text, params: paramTypes, tables: tables)
                    let u = try ctx.requireColumn(otherColumn, in: otherSchema)
                    guard u.isNumeric else {
                        throw error(.notNumeric, "\(other.text).\(otherColumn.text) is \(u.rawValue), not a number", otherColumn.span)
                    }
                    for key in by {
                        let a = schema.type(of: key.text), b = try ctx.requireColumn(key, in: otherSchema)
                        if let a, !a.isComparable(with: b) {
                            throw error(
                                .mismatchedTypes,
                                "key \"\(key.text)\" is \(a.rawValue) in \(table.text) but \(b.rawValue) in \(other.text)", key.span)
                        }
                    }
                case .expected(let expectedName, let version):
                    guard let store else {
                        throw error(.storeNeeded, "compare with expected needs the QA store", node.span, help: "run without --no-store")
                    }
                    guard let set = try store.expected(name: expectedName, version: version) else {
                        let names = try store.expectedNames()
                        throw error(
                            .notInLedger, "no expected set \"\(expectedName)\"\(version.map { " version \($0)" } ?? "") in \(store.path)",
                            node.span,
                            help: Suggest.help(for: expectedName, in: names, noun: "expected sets")
                                ?? "import one: tally expected import FILE --name \(expectedName) --keys \(by.map(\.text).joined(separator: ",")) --value \(column.text)"
                        )
                    }
                    if set.info.keys.count != by.count {
                        throw error(
                            .notInLedger,
                            "expected set \"\(expectedName)\" is keyed by \(set.info.keys.joined(separator: ", ")); compare gives \(by.count) key\(by.count == 1 ? "" : "s")",
                            node.span, help: "compare by \(set.info.keys.count) columns, in the same order")
                    }
                case .previousRun:
                    guard store != nil else { throw error(.storeNeeded, "compare with previous run needs the QA store", node.span) }
                case .run(let label):
                    guard let store else { throw error(.storeNeeded, "compare with a labelled run needs the QA store", node.span) }
                    if try store.labelledRun(playbook: playbook.file, label: label) == nil {
                        throw error(
                            .notInLedger, "no run of \(playbook.file) is labelled \"\(label)\" in \(store.path)", node.span,
                            help: "label one with: tally runs label RUN_ID \(label)")
                    }
                }
                var valueType = DataType.decimal
                if case .column(let other, let otherColumn) = target, t == .integer,
                    tables[other.text]?.type(of: otherColumn.text) == .integer
                {
                    valueType = .integer
                }
                if let alias {
                    define(
                        alias, Checker.comparisonSchema(by.map(\.text), schema, keyTypesFrom: schema, valueType: valueType), index: index)
                }
            }
        case .save(let table, let column, _, let by):
            guard store != nil else { diagnostics.append(error(.storeNeeded, "save needs the QA store", node.span)); return }
            guard let schema = lookup(table) else { return }
            let ctx = StepCheckContext(file: file, tableName: table.text, params: paramTypes, tables: tables)
            record {
                let t = try ctx.requireColumn(column, in: schema)
                guard t.isNumeric else {
                    throw error(.notNumeric, "save needs a number column; \(table.text).\(column.text) is \(t.rawValue)", column.span)
                }
                for key in by { _ = try ctx.requireColumn(key, in: schema) }
            }
        case .track(let table, _):
            guard let schema = lookup(table) else { return }
            record {
                guard schema.contains("ErrorCode") || schema.contains(CalpadsReturns.ruleColumn) else {
                    throw error(
                        .missingKeyColumn,
                        "\(table.text) has no ErrorCode column: track a table loaded as calpads errors or calpads SENR rejected", table.span
                    )
                }
                guard schema.contains("LocalRecordID") || schema.contains("SSID") else {
                    throw error(.missingKeyColumn, "\(table.text) has no LocalRecordID or SSID column to tell its errors apart", table.span)
                }
            }
        case .snapshot(let table, let by, _, let scope):
            guard store != nil else { diagnostics.append(error(.storeNeeded, "snapshot needs the QA store", node.span)); return }
            if let bad = scopeError(scope) { diagnostics.append(bad); return }
            guard let schema = lookup(table) else { return }
            let ctx = StepCheckContext(file: file, tableName: table.text, params: paramTypes, tables: tables)
            record { for key in by { _ = try ctx.requireColumn(key, in: schema) } }
        case .export(let table, let path, let pathSpan, let format, let options):
            guard let schema = lookup(table) else { return }
            record {
                // `{COLUMN}` in the path: a file per value (a column, where no parameter has the name).
                var template = path, splitColumn: String? = nil
                for name in Checker.braced(path) where params[name] == nil && schema.type(of: name) != nil {
                    if let first = splitColumn, first != name {
                        throw error(
                            .exportPath, "an export splits by one column; this path uses {\(first)} and {\(name)}", pathSpan,
                            help: "derive one column from both first, e.g. derive folder = concat(\(first), \"-\", \(name))")
                    }
                    splitColumn = name
                    template = template.replacingOccurrences(of: "{\(name)}", with: ExportRequest.placeholder(name))
                }
                if let split = options.split {
                    guard schema.type(of: split.text) != nil else {
                        throw error(
                            .unknownColumn, "table \"\(table.text)\" has no column \"\(split.text)\" to split by", split.span,
                            help: Suggest.help(for: split.text, in: schema.names))
                    }
                    if let first = splitColumn {
                        throw error(
                            .exportPath, "this export is split by {\(first)} in its path and by \(split.text)", split.span,
                            help: "split by one column: leave out split by, or the braces")
                    }
                    // A folder per value, before the file name.
                    splitColumn = split.text
                    let folder = (template as NSString).deletingLastPathComponent
                    template =
                        (folder.isEmpty ? "" : folder + "/") + ExportRequest.placeholder(split.text) + "/"
                        + (template as NSString).lastPathComponent
                }
                let resolved = try resolvePath(template, pathSpan, base: exportBase)
                // An input of the run (as the run says it, now at check time too).
                if confinement != nil {
                    let real = ExportConfinement.realPath(ExportRequest.filled(resolved.path))
                    for input in loads.values.sorted(by: { $0.displayPath < $1.displayPath })
                    where !Loader.isPattern(input.path) && ExportConfinement.realPath(input.path) == real {
                        throw error(
                            .overwritesInput, "export to \(resolved.display) would overwrite \(input.displayPath), an input of this run",
                            pathSpan,
                            help: "export to another file; the run's inputs are never replaced")
                    }
                }
                // Confined before anything runs: `tally check` reports it too.
                if let confinement, let refusal = confinement.refusal(ExportRequest.filled(resolved.path)) {
                    throw error(.exportRefused, "cannot export to \(resolved.display): \(refusal.message)", pathSpan, help: refusal.help)
                }
                // (The path as written, {COLUMN} and all, for a message about its extension.)
                let written = resolved.path.split(separator: "\u{1}", omittingEmptySubsequences: false).enumerated()
                    .map { $0.offset % 2 == 1 ? "{\($0.element)}" : String($0.element) }.joined()
                let fmt = try formatFor(format, path: written, span: pathSpan, verb: "write")
                var sheetColumn: String? = nil
                if options.map, let confinement, let refusal = confinement.refusal(ExportRequest.filled(resolved.path) + ".map") {
                    throw error(
                        .exportRefused, "cannot export the record map \(resolved.display).map: \(refusal.message)", pathSpan,
                        help: refusal.help)
                }
                if options.map {
                    guard case .calpads = fmt else {
                        throw error(
                            .exportOption, "map applies to a CALPADS export: it links each record written to the row it came from", pathSpan
                        )
                    }
                    if splitColumn != nil { throw error(.exportOption, "map applies to one CALPADS file, not a file per value", pathSpan) }
                }
                switch fmt {
                case .csv, .tsv, .delimited: break
                case .xlsx(let sheet, _):
                    if options.raw {
                        throw error(
                            .exportOption, "a workbook's text is never run as a formula: raw applies to CSV, TSV and delimited exports",
                            pathSpan)
                    }
                    if let sheet, let name = Checker.braced(sheet).first {
                        guard schema.type(of: name) != nil else {
                            throw error(
                                .unknownColumn, "table \"\(table.text)\" has no column \"\(name)\" to make a sheet per value of", pathSpan,
                                help: Suggest.help(for: name, in: schema.names))
                        }
                        sheetColumn = name
                    }
                case .calpads(let type, let year, _):
                    if options.raw {
                        throw error(
                            .exportOption, "a CALPADS file is always written exactly as its layout says: raw does not apply", pathSpan)
                    }
                    if options.masked == true {
                        throw error(
                            .exportOption, "a CALPADS file is never masked: the state matches its records by SSID", pathSpan,
                            help: "export a masked copy as csv or xlsx for people to read")
                    }
                    guard let layout = CalpadsWriter.layout(for: nil, type: type, year: year) else {
                        throw error(
                            .unknownLayout, "no CALPADS layout \(type)\(year.map { " for \($0)" } ?? "")", pathSpan,
                            help: Suggest.help(for: type, in: CalpadsLayouts.types, noun: "layouts"))
                    }
                    if let schema = tables[table.text] {
                        let missing = CalpadsWriter.missingRequired(schema, layout)
                        if !missing.isEmpty {
                            throw error(
                                .exportOption,
                                "\(table.text) lacks required \(type) field\(missing.count == 1 ? "" : "s") "
                                    + missing.prefix(6).map { "\($0.number) \($0.name)" }.joined(separator: ", ")
                                    + (missing.count > 6 ? ", ..." : ""), table.span,
                                help: "a CALPADS file needs every required field; derive or select them first")
                        }
                    }
                case .calpadsErrors, .calpadsRejected, .calpadsReport:
                    throw error(
                        .exportOption, "\(fmt.name) is a file CALPADS sends back: Tally reads it but never writes it", pathSpan,
                        help: "export as csv, tsv or xlsx")
                default:
                    throw error(
                        .exportOption, "exporting as \(fmt.name) is not available in this version of Tally", pathSpan,
                        help: "export as csv, tsv or delimited \"^\"")
                }
                // Two exports to one file: only a workbook takes both (a sheet each); any other file
                // would silently keep only the last.
                if case .xlsx = fmt {
                } else if let earlier = exports.values.first(where: { request in
                    if case .xlsx = request.format { return false }
                    return request.path == resolved.path
                }),
                    let line = exportLines[earlier.path], line != pathSpan.line
                {
                    throw error(
                        .overwritesInput, "line \(line) exports to \(resolved.display) too: the second export would replace the first",
                        pathSpan,
                        help: "export each table to a file of its own (or both as sheets of one xlsx workbook)")
                }
                exportLines[resolved.path] = pathSpan.line
                exports[index] = ExportRequest(
                    table: table.text, path: resolved.path, displayPath: resolved.display,
                    format: fmt, options: options, splitColumn: splitColumn, sheetColumn: sheetColumn)
            }
        case .mask:
            break
        case .show(let table, let columns, let filter, let limit, _):
            if let limit, limit < 0 { diagnostics.append(error(.badLiteral, "limit must be 0 or more", node.span)) }
            guard let schema = lookup(table) else { return }
            let ctx = StepCheckContext(file: file, tableName: table.text, params: paramTypes, tables: tables)
            for column in columns { record { _ = try ctx.requireColumn(column, in: schema) } }
            if let filter {
                record {
                    let t = try typer((table.text, schema)).type(of: filter)
                    if let t, t != .boolean {
                        throw error(.notBoolean, "show ... where needs a true/false condition; this is \(t.rawValue)", filter.span)
                    }
                }
            }
        case .profile(let table, let columns):
            guard let schema = lookup(table) else { return }
            let ctx = StepCheckContext(file: file, tableName: table.text, params: paramTypes, tables: tables)
            for column in columns { record { _ = try ctx.requireColumn(column, in: schema) } }
        case .counts(let table, let by):
            guard let schema = lookup(table) else { return }
            let ctx = StepCheckContext(file: file, tableName: table.text, params: paramTypes, tables: tables)
            for column in by { record { _ = try ctx.requireColumn(column, in: schema) } }
        case .chart(let table, let kind, let y, let x, _):
            guard let schema = lookup(table) else { return }
            let ctx = StepCheckContext(file: file, tableName: table.text, params: paramTypes, tables: tables)
            record {
                let type = try ctx.requireColumn(y, in: schema)
                // A bar's length, a line's height and a histogram's bins need numbers.
                guard type == .integer || type == .decimal else {
                    let numbers = schema.columns.filter { $0.type == .integer || $0.type == .decimal }.map(\.name)
                    throw error(
                        .notNumeric, "chart \(kind.rawValue) needs a numeric column to draw; \(y.text) is \(type.rawValue)", y.span,
                        help: kind == .histogram
                            ? "to count the rows per value of a text column: counts \(table.text) by \(y.text)"
                            : numbers.isEmpty
                                ? "count first: \(table.text)_n = \(table.text) | aggregate n = count() by \(x?.text ?? "COLUMN")"
                                : "numeric columns of \(table.text): \(numbers.prefix(8).joined(separator: ", "))")
                }
            }
            if let x { record { _ = try ctx.requireColumn(x, in: schema) } }
        }
    }

    /// The schema a pipeline makes, or nil after reporting why not.
    func pipelineSchema(_ index: Int, _ sourceName: Name, _ steps: [StepNode]) -> Schema? {
        guard var schema = lookup(sourceName) else { return nil }
        // A step that reads a table whose statement failed (a load that found no file, a line with
        // a syntax error) is not judged: the first error is that statement's.
        if steps.contains(where: { $0.step.tablesRead.contains(where: poisoned.contains) }) { return nil }
        let ctx = StepCheckContext(file: file, tableName: sourceName.text, params: paramTypes, tables: tables)
        for step in steps {
            // A step reading columns a pivot will make is checked again when it runs.
            if schema.open != nil { deferred.insert(index) }
            if let diff = step.step as? DiffSnapshotStep {
                let snapshot = diff.name, scope = diff.scope
                guard let store else {
                    diagnostics.append(error(.storeNeeded, "diff snapshot needs the QA store", step.span, help: "run without --no-store"))
                    return nil
                }
                if let bad = scopeError(scope) { diagnostics.append(bad); return nil }
                if (try? store.latestSnapshot(name: snapshot)) == nil, let names = try? store.snapshotNames(), !names.isEmpty,
                    let near = Suggest.closest(to: snapshot, in: names), near != snapshot
                {
                    diagnostics.append(
                        error(.notInLedger, "no snapshot named \"\(snapshot)\" yet", step.span, help: "did you mean \"\(near)\"?"))
                    return nil
                }
            }
            do {
                if !rechecking { warnings += step.step.lint(schema, file: file) }
                schema = try StepRegistry.schema(step, schema, ctx)
            } catch let d as Diagnostic {
                diagnostics.append(d)
                return nil
            } catch {
                return nil
            }
        }
        return schema
    }

    static func comparisonSchema(_ keys: [String], _ schema: Schema, keyTypesFrom: Schema, valueType: DataType = .decimal) -> Schema {
        var fields = keys.map { Schema.Field(name: $0, type: keyTypesFrom.type(of: $0) ?? .text) }
        fields += [
            .init(name: "actual", type: valueType), .init(name: "expected", type: valueType),
            .init(name: "difference", type: valueType), .init(name: "percent", type: .decimal),
            .init(name: "status", type: .text),
        ]
        return Schema(columns: fields)
    }

    func checkPredicate(_ predicate: Predicate) {
        switch predicate {
        case .isEmpty(let table, _):
            _ = lookup(table)
        case .unique(let table, let by):
            guard let schema = lookup(table) else { return }
            let ctx = StepCheckContext(file: file, tableName: table.text, params: paramTypes, tables: tables)
            for key in by { record { _ = try ctx.requireColumn(key, in: schema) } }
        case .rows(let table, let expr):
            guard let schema = lookup(table) else { return }
            if !rechecking { Lint.expression(expr, schema, file, into: &warnings) }
            record {
                let t = try typer((table.text, schema)).type(of: expr)
                if let t, t != .boolean {
                    throw error(.notBoolean, "an assertion needs a true/false condition; this is \(t.rawValue)", expr.span)
                }
            }
        case .valid(let table, let layout, let with):
            guard let schema = lookup(table) else { return }
            let ctx = StepCheckContext(file: file, tableName: table.text, params: paramTypes, tables: tables)
            record { _ = try ValidateStep(layout: layout, with: with).schema(schema, ctx) }
        case .scalar(let expr):
            if referencesPoisoned(expr) { return }
            record {
                let t = try typer(nil).type(of: expr)
                if let t, t != .boolean {
                    throw error(
                        .notBoolean, "an assertion needs a true/false condition; this is \(t.rawValue)", expr.span,
                        help: "compare it, e.g. count(T) > 0")
                }
            }
        }
    }

    func referencesPoisoned(_ expr: Expr) -> Bool {
        switch expr.kind {
        case .name(let n): return poisoned.contains(n)
        case .qualified(let t, _): return poisoned.contains(t)
        case .unary(_, let e), .isNull(let e, _): return referencesPoisoned(e)
        case .binary(_, let a, let b), .like(let a, let b, _): return referencesPoisoned(a) || referencesPoisoned(b)
        case .between(let a, let b, let c, _): return referencesPoisoned(a) || referencesPoisoned(b) || referencesPoisoned(c)
        case .inList(let a, let items, _): return referencesPoisoned(a) || items.contains { referencesPoisoned($0) }
        case .call(_, let args): return args.contains { referencesPoisoned($0) }
        case .literal: return false
        }
    }
}
