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

    /// The lineage of a step's output, given its input's.
    static func after(_ step: Step, input: ColumnLineage, inputNames: [String], output: [String],
                      tables: (String) -> ColumnLineage, columnNames: (String) -> [String]) -> ColumnLineage {
        var out: ColumnLineage = [:]
        switch step {
        case .filter, .sort, .take, .distinct:
            return input
        case .derive(let items):
            out = input
            for (name, expr) in items {
                out[name.text] = sources(of: expr, out, tables: tables).union([name.text])
            }
        case .select(let picks):
            for pick in picks {
                let name = pick.alias?.text ?? pick.source.text
                out[name] = of(pick.source.text, in: input).union([name])
            }
        case .drop(let names):
            out = input
            for n in names { out[n.text] = nil }
        case .rename(let pairs):
            out = input
            for pair in pairs {
                out[pair.to.text] = of(pair.from.text, in: input).union([pair.to.text])
                out[pair.from.text] = nil
            }
        case .join(let kind, let table, let keys, _):
            let right = tables(table.text)
            for name in inputNames { out[name] = of(name, in: input) }
            // The right side's columns, laid out as the join lays them out (`sinf_SSID`).
            let layout = JoinStep.layout(kind, left: inputNames, right: columnNames(table.text),
                                         rightTable: table.text, rightKeys: keys.map(\.right.text))
            for item in layout where item.fromRight {
                out[item.output] = of(item.source, in: right).union([item.output])
            }
            // A full join's keys hold the right's values on the rows only the right has.
            if kind == .full {
                for key in keys { out[key.left.text] = (out[key.left.text] ?? []).union(of(key.right.text, in: right)) }
            }
        case .aggregate(let items, let by):
            for key in by { out[key.text] = of(key.text, in: input) }
            for item in items {
                switch item.function.text.lowercased() {
                case "min", "max":
                    // The value of one row: as sensitive as its source.
                    out[item.name.text] = (item.argument.map { sources(of: $0, input, tables: tables) } ?? []).union([item.name.text])
                case "count", "count_distinct", "sum":
                    // A count of students: small ones are suppressed in reports.
                    out[item.name.text] = [item.name.text, ReportPrivacy.countMarker]
                default:
                    out[item.name.text] = [item.name.text]
                }
            }
        case .window(let items, _, _):
            for name in inputNames { out[name] = of(name, in: input) }
            for item in items {
                switch item.function.text.lowercased() {
                case "lag", "lead":
                    // Another row's value: as sensitive as its source.
                    out[item.name.text] = (item.argument.map { sources(of: $0, input, tables: tables) } ?? []).union([item.name.text])
                default:
                    out[item.name.text] = [item.name.text]
                }
            }
        case .pivot(let f, let argument, let by, let across, _):
            for key in by { out[key.text] = of(key.text, in: input) }
            let keys = Set(by.map(\.text))
            // Each new column is named after a value of `across`.
            let named = of(across.text, in: input).union([header])
            for name in output where !keys.contains(name) {
                switch f.text.lowercased() {
                case "min", "max": out[name] = (argument.map { sources(of: $0, input, tables: tables) } ?? []).union([name]).union(named)
                case "count", "count_distinct", "sum": out[name] = named.union([name, ReportPrivacy.countMarker])
                default: out[name] = named.union([name])
                }
            }
        case .unpivot(_, _, let into, let value):
            let made: Set<String> = [into.text, value.text]
            var turned: Set<String> = [value.text]
            for name in inputNames where !output.contains(name) { turned.formUnion(of(name, in: input)) }
            for name in output where !made.contains(name) { out[name] = of(name, in: input) }
            out[into.text] = [into.text]
            out[value.text] = turned
        case .union(let other):
            let right = tables(other.text)
            for name in output { out[name] = of(name, in: input).union(of(name, in: right)) }
        case .validate(let layout, _):
            for name in output {
                switch name {
                case "value": out[name] = [fieldValue]
                case "message": out[name] = [fieldText]
                // The record's SSID, school and local IDs: as sensitive as the input's.
                case "SSID", "LocalRecordID", "LocalStudentID": out[name] = of(name, in: input)
                case "SchoolOfAttendance": out[name] = of(CalpadsValidator.schoolField(type: layout.text) ?? name, in: input)
                default: out[name] = [name]
                }
            }
        case .diffSnapshot:
            out = input
            out["changes"] = [changes]
        case .locate, .annotate:
            // The input's columns, and new ones of file names, lines, rule IDs and notes.
            out = input
        }
        return out
    }
}
