import Foundation

/// The stable code a diagnostic carries (`T0101`), so editors, tests and the docs can refer to a
/// kind of problem without matching its wording. This enum is the list: a code, once given, keeps
/// its meaning; a retired one is never reused. docs/DIAGNOSTICS.md is generated from it (a test
/// fails when the two differ) and `tally explain CODE` prints one entry.
///
/// Ranges: T01 names, T02 syntax, T03 types, T04 habits, T05 inputs, T06 exports and safety,
/// T07 the QA store, T08 running.
public enum DiagnosticCode: String, CaseIterable, Sendable, Codable {
    // T01 names
    case unknownColumn = "T0101"
    case unknownTable = "T0102"
    case unknownParameter = "T0103"
    case unknownFunction = "T0104"
    case unknownStatement = "T0105"
    case unknownLayout = "T0106"
    case unknownOption = "T0107"
    case unknownName = "T0108"
    case duplicateName = "T0109"
    case missingKeyColumn = "T0110"
    case parameterValue = "T0111"
    // T02 syntax
    case unexpectedToken = "T0201"
    case unclosed = "T0202"
    case unexpectedCharacter = "T0203"
    case tooDeep = "T0204"
    case badLiteral = "T0205"
    case notAPlaybook = "T0206"
    case emptyPlaybook = "T0207"
    case badArguments = "T0208"
    case badPattern = "T0209"
    // T03 types
    case mismatchedTypes = "T0301"
    case notNumeric = "T0302"
    case notBoolean = "T0303"
    case badOperand = "T0304"
    case aggregatePlace = "T0305"
    // T04 habits
    case nullComparison = "T0401"
    case singleQuotes = "T0402"
    case textComparedAsNumbers = "T0403"
    case textSortedAsNumbers = "T0404"
    case headerlessFile = "T0405"
    case sqlSpelling = "T0406"
    // T05 inputs
    case fileNotFound = "T0501"
    case fieldCount = "T0502"
    case badValue = "T0503"
    case encoding = "T0504"
    case recordType = "T0505"
    case unclosedQuote = "T0506"
    case notAFile = "T0507"
    case badWorkbook = "T0508"
    case emptyFile = "T0509"
    case columnsDiffer = "T0510"
    case delimiter = "T0511"
    case fileChanged = "T0512"
    // T06 exports and safety
    case overwritesInput = "T0601"
    case exportRefused = "T0602"
    case exportNotAFile = "T0603"
    case writeFailed = "T0604"
    case exportPath = "T0605"
    case exportOption = "T0606"
    // T07 the QA store
    case storeNeeded = "T0701"
    case storeUnreadable = "T0702"
    case storeVersion = "T0703"
    case notInLedger = "T0704"
    case storeNotEmpty = "T0705"
    // T08 running
    case expectBroken = "T0801"
    case notOneRowPerKey = "T0802"
    case `internal` = "T0803"
    case cacheProblem = "T0804"
    case reportFailed = "T0805"

    /// Title, what causes it, and an example fix: the entry `tally explain` prints and
    /// docs/DIAGNOSTICS.md lists.
    public var entry: (title: String, cause: String, fix: String) {
        switch self {
        case .unknownColumn:
            return (
                "unknown column",
                "An expression or step names a column the table does not have (often a misspelling, or a column dropped or renamed earlier in the pipeline).",
                "`filter Shool == \"01\"` → `filter School == \"01\"`; `tally check` lists each input's columns."
            )
        case .unknownTable:
            return (
                "unknown table", "A statement names a table no earlier `load` or pipeline made.",
                "load the file first: `load enr from \"enr.csv\"`, then `s = enr | take 10`."
            )
        case .unknownParameter:
            return (
                "unknown parameter",
                "A `{name}` in a path, a `--param`, or a `scope` names a parameter the playbook's header does not declare.",
                "declare it: `param year: text`, or correct the name."
            )
        case .unknownFunction:
            return (
                "unknown function", "A call names a function, aggregate or window function Tally does not have.",
                "`lenght(Name)` → `len(Name)`; docs/LANGUAGE.md lists the functions."
            )
        case .unknownStatement:
            return (
                "unknown statement or step", "A line starts with a word that is not a statement, or a pipeline step is not a step keyword.",
                "`s = enr | where Grade == \"05\"` → `s = enr | filter Grade == \"05\"`."
            )
        case .unknownLayout:
            return (
                "unknown layout or rule", "A CALPADS file type, year or layout name has no layout in this version of Tally.",
                "`tally layouts` lists the layouts; write e.g. `load senr from \"SENR.txt\" as calpads SENR`."
            )
        case .unknownOption:
            return (
                "unknown option", "A format, encoding, type or chart kind is not one Tally knows.",
                "`as tsvx` → `as tsv`; `with columns (d: datetime)` → `with columns (d: date)`."
            )
        case .unknownName:
            return (
                "unknown name", "A bare word in an expression is neither a column, a parameter nor a literal.",
                "quote text: `Status == \"A\"`, not `Status == A`."
            )
        case .duplicateName:
            return (
                "name given twice", "Two parameters, columns, titles or scope entries would have the same name.",
                "rename one: `derive Total2 = ...`, or drop the second declaration."
            )
        case .missingKeyColumn:
            return (
                "missing key column",
                "A step that finds records (locate, annotate, track, a CALPADS map) needs an identifying column (SSID, SEID, LocalRecordID, ErrorCode) the table lacks.",
                "keep the column through the pipeline: `select SSID, ...`."
            )
        case .parameterValue:
            return (
                "bad parameter value",
                "A parameter is missing, has a value of the wrong type, or a text value that may not be used in a path.",
                "`--param year=2024-25`; a path parameter may not contain `/` or `..`."
            )
        case .unexpectedToken:
            return (
                "unexpected token", "The parser expected one thing and found another: a missing keyword, comma or operand.",
                "write what the message names: `s = enr | take` → `s = enr | take 10`."
            )
        case .unclosed:
            return (
                "unclosed paren, quote or brace", "A `(`, `\"`, `` ` ``, `{` or `case` is opened and never closed.",
                "`filter (A == 1` → `filter (A == 1)`."
            )
        case .unexpectedCharacter:
            return (
                "unexpected character", "A character that has no meaning in a playbook (outside text).",
                "remove it, or put it in double quotes as text."
            )
        case .tooDeep:
            return (
                "expression too deep", "An expression is nested or long past what the parser accepts.",
                "split it: derive a helper column, then filter on it."
            )
        case .badLiteral:
            return (
                "bad literal", "A number is too large, or a count, limit, bin count or percentage is out of range or in the wrong place.",
                "`show t limit -1` → `show t limit 10`; `bins 500` → `bins 100`."
            )
        case .notAPlaybook:
            return (
                "not a playbook", "The file is a data file, binary, or not UTF-8 text.",
                "run the playbook that loads this file: `tally run fall1.playbook`."
            )
        case .emptyPlaybook:
            return ("empty playbook", "The playbook has no statements.", "add a statement, e.g. `load enr from \"enr.csv\"`.")
        case .badArguments:
            return (
                "wrong arguments", "A function or step got the wrong number or kind of arguments.",
                "`substr(Name)` → `substr(Name, 1, 3)`; `sum()` → `sum(Amount)`."
            )
        case .badPattern:
            return (
                "bad pattern", "A regular expression or like pattern does not compile or is not text.",
                "close the bracket: `matches(Name, \"[A-Z]+\")`."
            )
        case .mismatchedTypes:
            return (
                "mismatched types", "Two values of different types are compared, joined or stacked (text with a number, a date with text).",
                "convert one side: `number(Grade) >= 9`, or declare the column's type: `with columns (Grade: integer)`."
            )
        case .notNumeric:
            return (
                "not numeric", "An aggregate, comparison, chart or save needs numbers and got text, a date or a boolean.",
                "`sum(Grade)` on a text column → `sum(number(Grade))`."
            )
        case .notBoolean:
            return (
                "not true/false", "A filter, assertion or logical operator needs a true/false condition.",
                "`filter Active` on a text column → `filter Active == \"Y\"`."
            )
        case .badOperand:
            return (
                "operator does not apply",
                "An operator or function does not apply to this type (negating text, upper on a number, like on a number, a format on a non-date).",
                "`Grade like \"0%\"` on an integer column → compare the number: `Grade < 10`."
            )
        case .aggregatePlace:
            return (
                "aggregate out of place", "A whole-table aggregate or a whole column is used where one value per row is needed.",
                "`filter Amount > sum(Amount)` → aggregate first, then compare in an assert."
            )
        case .nullComparison:
            return (
                "comparison with null", "`== null` or `in (null)` is never true: a comparison with null is unknown.",
                "`Exit == null` → `Exit is null`."
            )
        case .singleQuotes:
            return (
                "single quotes", "Text, patterns and units are written in double quotes; single quotes are SQL's.",
                "`Status == 'A'` → `Status == \"A\"`."
            )
        case .textComparedAsNumbers:
            return (
                "text compared as numbers",
                "A text column (codes, grades) compared with <, >, between, min or max orders alphabetically: \"9\" > \"10\", \"KN\" > \"05\".",
                "`Grade > \"05\"` → `grade_order(Grade) > 5`, or `number(Score) > 10`."
            )
        case .textSortedAsNumbers:
            return (
                "grade codes sorted", "Sorting a text column of codes orders it alphabetically (01 … 12, then KN, TK).",
                "`sort Grade` → `derive g = grade_order(Grade) | sort g`."
            )
        case .headerlessFile:
            return (
                "header-less CSV", "The first row looks like data, not column names.",
                "add a header row, or say there is none: `with header false` and name the columns with `columns (...)`."
            )
        case .sqlSpelling:
            return (
                "SQL spelling",
                "A habit from SQL or other languages that a playbook writes differently: `=` for `==`, `count(*)`, `select *`, `&&`, `sort by`.",
                "`filter A = 1` → `filter A == 1`; `count(*)` → `count()`."
            )
        case .fileNotFound:
            return (
                "file not found", "An input file, pattern or playbook does not exist (paths are relative to the playbook's folder).",
                "check the path: `load enr from \"data/enr.csv\"`."
            )
        case .fieldCount:
            return (
                "wrong field count", "A row or record has more or fewer fields than the header or layout.",
                "fix the row (an unquoted delimiter inside a value is the usual cause)."
            )
        case .badValue:
            return (
                "bad value", "A value does not read as the column's type (not a date in the format, not a number).",
                "fix the value, or declare the column as text: `with columns (BirthDate: text)`."
            )
        case .encoding:
            return (
                "encoding", "The file's bytes are not valid in its encoding, or it has a byte-order mark where it should not.",
                "`with encoding \"cp1252\"`, or save the file as UTF-8."
            )
        case .recordType:
            return (
                "CALPADS record type",
                "A CALPADS file's records are of another type than the layout loaded, or the file is not a CALPADS file.",
                "`load senr from \"SENR.txt\" as calpads SENR` for a SENR file."
            )
        case .unclosedQuote:
            return (
                "unclosed quote in data", "A quoted field in a delimited file is never closed, or has text after its closing quote.",
                "close the quote in the file, or double a quote inside a value: `\"say \"\"hi\"\"\"`."
            )
        case .notAFile:
            return (
                "not a regular file", "An input is a folder, pipe or device, or cannot be read.", "name a file, and check its permissions."
            )
        case .badWorkbook:
            return (
                "bad workbook", "An .xlsx file is damaged, not a workbook, or lacks the sheet named.",
                "open and re-save it in Excel, or name an existing sheet: `as xlsx sheet \"Data\"`."
            )
        case .emptyFile:
            return (
                "empty file", "The file is empty or has no header row Tally can find.",
                "check it is the right file; an export with no rows still has a header."
            )
        case .columnsDiffer:
            return (
                "columns differ", "Files loaded together by a pattern have different columns.",
                "load them separately and `union` after `select`ing the same columns."
            )
        case .delimiter:
            return (
                "delimiter", "The delimiter is not one ASCII character, or the file is separated by another one than declared.",
                "`as delimited \"|\"`, or `as tsv`."
            )
        case .fileChanged:
            return (
                "file changed while read", "Another program changed or replaced an input while Tally was reading it.",
                "wait until the export or copy has finished, then run again."
            )
        case .overwritesInput:
            return (
                "export over an input", "An export would replace a file the playbook reads, or one another export of the run writes.",
                "export to another name: `export t to \"out/t.csv\"`."
            )
        case .exportRefused:
            return (
                "export outside the folder",
                "An export path leaves the export folder, goes over the QA store or cache, or is otherwise refused.",
                "export under the playbook's folder, or allow a place with `--allow-export-to PATH`."
            )
        case .exportNotAFile:
            return (
                "export path not a file", "An export path names a folder or a symbolic link.",
                "`export t to \"out/\"` → `export t to \"out/t.csv\"`."
            )
        case .writeFailed:
            return (
                "cannot write", "Writing a file failed (disk full, permissions, a folder missing).",
                "free space or fix permissions, then run again; no export was replaced."
            )
        case .exportPath:
            return (
                "export path parameters", "An export path's `{column}` split or parameters make an unsafe or ambiguous set of files.",
                "split by one column, once: `export t to \"out/{School}.csv\"` or `export t to \"out/t.csv\" split by School`."
            )
        case .exportOption:
            return (
                "export option out of place",
                "An option does not apply where it is written (masked, raw or map on a load; raw or masking on a CALPADS file; a CALPADS field too long; a format Tally only reads).",
                "drop `masked` for a CALPADS file; use `raw` only on CSV/TSV exports."
            )
        case .storeNeeded:
            return (
                "needs the QA store",
                "A statement reads or writes the QA store (compare with a previous run, save, snapshot) and no store is in use.",
                "run without `--no-store`, or name one with `--store`."
            )
        case .storeUnreadable:
            return (
                "QA store cannot be used", "The QA store cannot be opened, read or written, or the file or database is not a Tally store.",
                "check `--store` names the right file or URL and that it is readable."
            )
        case .storeVersion:
            return (
                "QA store version", "The QA store was made by an older or newer version of Tally.",
                "an older store: `tally store migrate`; a newer one: use the newer Tally."
            )
        case .notInLedger:
            return (
                "not in the ledger", "A run, label, snapshot, check or expected set named is not in the QA store.",
                "`tally runs list` shows the runs; `tally expected list` the expected sets."
            )
        case .storeNotEmpty: return ("store not empty", "A store copy's target already has rows.", "copy into a new, empty store.")
        case .expectBroken:
            return (
                "expect broken", "A join's `expect one-to-one` (or many-to-one …) does not hold for the data: a key repeats.",
                "find the repeats (`counts t by SSID`), remove them (`| distinct by SSID`), or state the real relation."
            )
        case .notOneRowPerKey:
            return (
                "not one row per key",
                "A statement that needs one row per key found a key twice: a snapshot or `diff snapshot` by its key, a chart along its X (one bar or point each), an expected file by its key columns (tally expected import).",
                "aggregate first: `aggregate n = count() by School`."
            )
        case .internal:
            return (
                "internal error", "Tally found a state it does not expect; please report it with the playbook.",
                "report it; rerunning with `--no-cache` may avoid it."
            )
        case .cacheProblem:
            return (
                "cell cache", "The cell cache folder or a cached table cannot be used.", "`tally cache clear`, or run with `--no-cache`."
            )
        case .reportFailed:
            return ("report failed", "The report could not be rendered or written.", "check the report folder exists and is writable.")
        }
    }

    public var title: String { entry.title }

    /// The code from its text, any case (`t0101`).
    public init?(code: String) { self.init(rawValue: code.uppercased()) }

    /// docs/DIAGNOSTICS.md: every code, generated from this enum (DiagnosticCodeTests checks it).
    public static var markdown: String {
        var out = "# Diagnostic codes\n\n"
        out += "Every error and warning `tally check` and `tally run` give carries a stable code (a rare internal\n"
        out += "one, such as a system error passed on, may not), shown at the end of its help line\n"
        out += "(`help: … [T0101]`), as `code` in `tally check --json`, in `errorCodes` of `tally run --json`, and\n"
        out += "as the code of the editor's diagnostic. A code keeps its meaning; a retired one is never reused.\n"
        out += "`tally explain T0101` prints one entry. This file is generated from\n"
        out +=
            "`Sources/TallyModel/Diagnostics/DiagnosticCode.swift` (`UPDATE_DIAGNOSTICS_DOC=1 swift test --filter DiagnosticCodeTests`).\n"
        let ranges = [
            ("T01", "Names"), ("T02", "Syntax"), ("T03", "Types"), ("T04", "Habits"), ("T05", "Inputs"),
            ("T06", "Exports and safety"), ("T07", "The QA store"), ("T08", "Running"),
        ]
        for (prefix, heading) in ranges {
            out += "\n## \(prefix)xx \(heading)\n"
            for code in allCases where code.rawValue.hasPrefix(prefix) {
                let e = code.entry
                out += "\n### \(code.rawValue) \(e.title)\n\n\(e.cause)\n\nFix: \(e.fix)\n"
            }
        }
        return out
    }
}
