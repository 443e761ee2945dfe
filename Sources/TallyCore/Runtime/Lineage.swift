import TallyModel

/// Which loaded columns each column's values come from, so that masking follows the values and
/// not the column's current name: `select SSID as StudentID`, `derive name = concat(LastName,
/// ", ", FirstName)`, an aggregate keyed by SSID and a joined `sinf_SSID` all stay masked when
/// `SSID` (or `LastName`) is.
///
/// Lineage is worked out from the statements (schema level, never per row): a column's lineage is
/// the set of names it had or was computed from. A column with no entry has its own name as its
/// lineage. Three markers describe columns whose sensitivity varies by row:
/// - `@field`: the value belongs to the column named in the same row's `field` (`validate`
///   findings' `value`),
/// - `@field-text`: free text that may quote that value (`validate` findings' `message`),
/// - `@changes`: `Column: before → after; ...` text (`diff snapshot`'s `changes`).
/// - `@header`: the column's *name* is a value of the columns in its lineage (a `pivot`
///   column): when they are masked, the name is tokenised as well as the values.
public typealias ColumnLineage = [String: Set<String>]

public enum Lineage {
    public static let fieldValue = "@field"
    public static let fieldText = "@field-text"
    public static let changes = "@changes"
    public static let header = "@header"

    /// A loaded table's lineage. What CALPADS sends back names students in its own words: a
    /// report's `StudentName` is as sensitive as the legal names, its `FieldValue` is a value of
    /// the field in `FieldName`, and its `ErrorDescription` may quote that value.
    public static func ofLoad(_ format: FormatSpec, columns: [String]) -> ColumnLineage {
        switch format {
        case .calpadsErrors, .calpadsRejected, .calpadsReport:
            var out: ColumnLineage = [:]
            let names = ["StudentLegalFirstName", "StudentLegalLastName", "StudentLegalMiddleName"]
            for column in columns {
                switch column {
                case "StudentName": out[column] = Set([column] + names)
                case "FieldValue": out[column] = [column, fieldValue]
                case "ErrorDescription": out[column] = [column, fieldText]
                default: break
                }
            }
            return out
        default:
            return [:]
        }
    }

    public static func of(_ column: String, in lineage: ColumnLineage) -> Set<String> {
        lineage[column] ?? [column]
    }

    /// The lineage of every column of a table, in its column order (for previews).
    public static func list(_ names: [String], _ lineage: ColumnLineage) -> [[String]] {
        names.map { of($0, in: lineage).sorted() }
    }

    /// Columns an expression reads (unqualified names and `T.c`), resolved to their lineage.
    static func sources(of expr: Expr, _ lineage: ColumnLineage, tables: (String) -> ColumnLineage) -> Set<String> {
        switch expr.kind {
        case .name(let n): return of(n, in: lineage)
        case .qualified(let t, let c): return of(c, in: tables(t))
        default: return expr.children.reduce(into: Set<String>()) { $0.formUnion(sources(of: $1, lineage, tables: tables)) }
        }
    }

    /// The lineage of a step's output, given its input's (each step kind says its own).
    static func after(
        _ step: any StepKind, input: ColumnLineage, inputNames: [String], output: [String],
        tables: @escaping (String) -> ColumnLineage, columnNames: @escaping (String) -> [String]
    ) -> ColumnLineage {
        step.lineage(LineageContext(input: input, inputNames: inputNames, output: output, tables: tables, columnNames: columnNames))
    }
}
