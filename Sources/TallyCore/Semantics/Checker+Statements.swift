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

    /// Checks one statement: each kind's rule is in its own file (Checker+Load, +Compare, +Save,
    /// +Export, +Cells; pipelines in `pipelineSchema`, each step in its kind's file); this only dispatches.
    func checkStatement(_ index: Int, _ node: StatementNode) {
        switch node.statement {
        case .playbook:
            if index != titleIndex {
                diagnostics.append(error(.duplicateName, "a playbook has one title", node.span))
            }
        case .param:
            break
        case .load(let name, let path, let pathSpan, let format, let options):
            checkLoad(index, node, name: name, path: path, pathSpan: pathSpan, format: format, options: options)
        case .assign(let name, let sourceName, let steps):
            // The steps are checked in a function of their own, so that nothing holding a copy
            // of `tables` is alive when `define` changes it (a copy per statement made 50,000
            // statements take minutes).
            guard let schema = pipelineSchema(index, sourceName, steps) else { poisoned.insert(name.text); return }
            define(name, schema, index: index)
        case .assert(let predicate, _, _, _):
            checkPredicate(predicate)
        case .compare(let table, let column, let target, let by, _, _, let alias):
            checkCompare(index, node, table: table, column: column, target: target, by: by, alias: alias)
        case .save(let table, let column, _, let by):
            checkSave(node, table: table, column: column, by: by)
        case .track(let table, _):
            checkTrack(node, table: table)
        case .snapshot(let table, let by, _, let scope):
            checkSnapshot(node, table: table, by: by, scope: scope)
        case .export(let table, let path, let pathSpan, let format, let options):
            checkExport(index, node, table: table, path: path, pathSpan: pathSpan, format: format, options: options)
        case .mask:
            break
        case .show(let table, let columns, let filter, let limit, _):
            checkShow(index, node, table: table, columns: columns, filter: filter, limit: limit)
        case .profile(let table, let columns):
            guard let schema = lookup(table) else { return }
            let ctx = StepCheckContext(file: file, tableName: table.text, params: paramTypes, tables: tables)
            for column in columns { record { _ = try ctx.requireColumn(column, in: schema) } }
        case .counts(let table, let by):
            guard let schema = lookup(table) else { return }
            let ctx = StepCheckContext(file: file, tableName: table.text, params: paramTypes, tables: tables)
            for column in by { record { _ = try ctx.requireColumn(column, in: schema) } }
        case .chart(let table, let kind, let y, let x, _):
            checkChart(node, table: table, kind: kind, y: y, x: x)
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
