import Foundation
import TallyModel

extension Interpreter {
    /// A pipeline `T = S | step | …`: each step in turn through `StepRegistry`, the lineage of its columns carried along.
    func runPipeline(_ index: Int, _ node: StatementNode, _ plan: Plan, name: Name, source: Name, steps: [StepNode]) throws -> CellResult {
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
    }
}
