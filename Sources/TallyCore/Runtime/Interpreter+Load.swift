import Foundation
import TallyModel

extension Interpreter {
    /// A `load`: the table the checker already read (`preloaded`), its lineage, and what the cell says of the input.
    func runLoad(_ index: Int, _ node: StatementNode, _ plan: Plan, name: Name) throws -> CellResult {
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
    }
}
