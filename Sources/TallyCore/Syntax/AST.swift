import TallyModel

/// An expression node with its span.
public struct Expr: Sendable, Equatable {
    public indirect enum Kind: Sendable, Equatable {
        case literal(Value)
        case name(String) // a column, or a parameter
        case qualified(table: String, column: String) // T.c, in table-level aggregates
        case unary(String, Expr) // "-", "not"
        case binary(String, Expr, Expr) // == != < <= > >= + - * / and or
        case inList(Expr, [Expr], negated: Bool)
        case between(Expr, Expr, Expr, negated: Bool)
        case isNull(Expr, negated: Bool)
        case like(Expr, Expr, negated: Bool)
        case call(String, [Expr])
    }
    public var kind: Kind
    public var span: SourceSpan
    /// Levels from this node to its deepest leaf (1 for a leaf): the parser keeps it at most
    /// `Parser.maxHeight`, so that checking, evaluating and freeing an expression, which recurse,
    /// never exhaust the stack (`a + b + … ` 11,000 times once did).
    public private(set) var height: Int
    public init(_ kind: Kind, _ span: SourceSpan) {
        self.kind = kind; self.span = span
        var deepest = 0
        switch kind {
        case .literal, .name, .qualified: break
        case .unary(_, let e), .isNull(let e, _): deepest = e.height
        case .binary(_, let a, let b), .like(let a, let b, _): deepest = max(a.height, b.height)
        case .between(let a, let b, let c, _): deepest = max(a.height, b.height, c.height)
        case .inList(let a, let items, _): deepest = max(a.height, items.map(\.height).max() ?? 0)
        case .call(_, let args): deepest = args.map(\.height).max() ?? 0
        }
        height = deepest + 1
    }
}

extension Expr {
    /// The direct subexpressions, in source order.
    public var children: [Expr] {
        switch kind {
        case .literal, .name, .qualified: return []
        case .unary(_, let e), .isNull(let e, _): return [e]
        case .binary(_, let a, let b), .like(let a, let b, _): return [a, b]
        case .between(let a, let b, let c, _): return [a, b, c]
        case .inList(let a, let items, _): return [a] + items
        case .call(_, let args): return args
        }
    }
}

/// The file formats `load` and `export` understand.
public enum FormatSpec: Sendable, Equatable {
    case csv
    case tsv
    case delimited(String)
    case calpads(layout: String, year: String?, extract: Bool)
    /// `as calpads errors`: a submission error report (0.1, 0.4, 0.5) — read only.
    case calpadsErrors
    /// `as calpads SENR rejected`: a Rejected Records Extract — read only.
    case calpadsRejected(layout: String, year: String?)
    /// `as calpads report "1.17"`: a certification report extract — read only.
    case calpadsReport(String)
    case xlsx(sheet: String?, headerRow: Int?)
    case sqlite(file: String, table: String)

    public var name: String {
        switch self {
        case .csv: return "csv"
        case .tsv: return "tsv"
        case .delimited: return "delimited"
        case .calpads: return "calpads"
        case .calpadsErrors: return "calpads errors"
        case .calpadsRejected: return "calpads rejected"
        case .calpadsReport: return "calpads report"
        case .xlsx: return "xlsx"
        case .sqlite: return "sqlite"
        }
    }
}

/// A declared column in `columns (...)`.
public struct ColumnDeclaration: Sendable, Equatable {
    public var name: Name
    public var type: DataType
    public var dateFormat: String?
    public init(name: Name, type: DataType, dateFormat: String?) { self.name = name; self.type = type; self.dateFormat = dateFormat }
}

/// Options after `with` on `load` and `export`.
public struct IOOptions: Sendable, Equatable {
    public var header: Bool = true
    /// `header true` or `header false` was written (a header row that looks like data is then trusted).
    public var headerGiven = false
    public var encoding: String? = nil
    public var missing: [String]? = nil
    public var columns: [ColumnDeclaration] = []
    public var delimiter: String? = nil
    public var dateFormat: String? = nil
    /// `with trim`: spaces around every text value are removed as the file is loaded.
    public var trim = false
    /// `with upper COL, ...`: these text columns are upper-cased as the file is loaded.
    public var upper: [Name] = []
    /// `with masked` / `with unmasked` on an export: apply the run's masks and suppression to
    /// the file, or write it in clear (nil: the default for its kind, see `ExportRequest.masked`).
    public var masked: Bool? = nil
    /// `with raw` on a CSV/TSV/delimited export: text that starts like a formula is written as it
    /// is, not after a `'` (see `DelimitedWriteOptions.neutralizeFormulas`).
    public var raw = false
    /// `with map` on a CALPADS export: also write `FILE.map`, each record's Local Record ID,
    /// SSID and school with the file and line of the row it was written from.
    public var map = false
    /// `split by COLUMN` on an export: a folder per value of the column, as `{COLUMN}/` before
    /// the file name would make.
    public var split: Name? = nil
    public init() {}
}

/// `diff snapshot "NAME" as of RUN_ID` / `as of "LABEL"`: an explicit baseline.
public enum SnapshotBaseline: Sendable, Equatable {
    case run(Int64)
    case label(String)
}

/// A pipeline step and where it was written. What the step is and does is its kind's
/// (`StepKind`, one file per kind in Steps/).
public struct StepNode: Sendable, Equatable {
    public var step: any StepKind
    public var span: SourceSpan

    public init(step: any StepKind, span: SourceSpan) { self.step = step; self.span = span }

    /// Two steps are the same when they read the same (their kinds hold only syntax).
    public static func == (a: StepNode, b: StepNode) -> Bool {
        a.span == b.span && String(describing: a.step) == String(describing: b.step)
    }
}

/// The four predicate forms of `assert`.
public enum Predicate: Sendable, Equatable {
    case isEmpty(Name, negated: Bool)
    case unique(Name, by: [Name])
    case rows(Name, Expr)
    case scalar(Expr)
    /// `T is valid calpads SENR [with sinf]`: fails on fatal CALPADS findings.
    case valid(Name, layout: Name, with: [Name])
}

/// What `compare` compares against.
public enum CompareTarget: Sendable, Equatable {
    case expected(String, version: Int?)
    case previousRun
    case run(String)
    case column(table: Name, column: Name)
}

/// A tolerance: `2%`, `3`, or `2% or 3` (either suffices).
public struct Tolerance: Sendable, Equatable {
    public var percent: Double?
    public var absolute: Double?
    public init(percent: Double? = nil, absolute: Double? = nil) { self.percent = percent; self.absolute = absolute }
}

/// The charts `chart T KIND ...` draws.
public enum ChartKind: String, Sendable, Equatable, Codable, CaseIterable { case bar, line, histogram }

/// A parsed statement.
public enum Statement: Sendable, Equatable {
    case playbook(String)
    case param(name: Name, type: DataType, defaultValue: Value?, required: Bool, isPath: Bool)
    case load(name: Name, path: String, pathSpan: SourceSpan, format: FormatSpec?, options: IOOptions)
    case assign(name: Name, source: Name, steps: [StepNode])
    case assert(Predicate, severity: Diagnostic.Severity, message: String?, id: String?)
    case compare(
        table: Name, column: Name, target: CompareTarget, by: [Name], tolerance: Tolerance?,
        severity: Diagnostic.Severity, name: Name?)
    case save(table: Name, column: Name, expected: String, by: [Name])
    /// `snapshot T by KEYS as "NAME" [scope (P, ...)]`: scope is the one its diffs use by default.
    case snapshot(table: Name, by: [Name], name: String, scope: [Name]?)
    case export(table: Name, path: String, pathSpan: SourceSpan, format: FormatSpec?, options: IOOptions)
    /// `show T [columns A, B] [where EXPR] [limit N | all]`.
    case show(Name, columns: [Name], filter: Expr?, limit: Int?, all: Bool)
    /// `counts T by COL [, COL]`: how many rows have each value, with shares, largest first.
    case counts(Name, by: [Name])
    /// `chart T bar|line Y by X` or `chart T histogram Y [bins N]`.
    case chart(Name, kind: ChartKind, y: Name, x: Name?, bins: Int?)
    /// `profile T [columns A, B]`: each column's type, nulls, distinct values, most common values,
    /// range, and values that differ only by case or surrounding spaces.
    case profile(Name, columns: [Name])
    /// `mask SSID, StudentLegalFirstName`: columns reports show only as tokens.
    case mask([Name])
    /// `track T [as "NAME"]`: keep T's CALPADS errors in the QA store, to follow each until it is
    /// resolved; NAME (default T's name, may hold `{param}`) names the series of submissions.
    case track(Name, series: String?)

    public var keyword: String {
        switch self {
        case .playbook: return "playbook"
        case .param: return "param"
        case .load: return "load"
        case .assign: return "pipeline"
        case .assert: return "assert"
        case .compare: return "compare"
        case .save: return "save"
        case .snapshot: return "snapshot"
        case .export: return "export"
        case .show: return "show"
        case .profile: return "profile"
        case .counts: return "counts"
        case .chart: return "chart"
        case .mask: return "mask"
        case .track: return "track"
        }
    }
}

/// A statement with its narrative (`##` lines above it), its source text and where it starts.
public struct StatementNode: Sendable, Equatable {
    public var statement: Statement
    public var narrative: [String]
    public var text: String
    public var line: Int
    public var span: SourceSpan
}

/// A parsed playbook.
public struct Playbook: Sendable, Equatable {
    public var file: String
    public var source: String
    public var statements: [StatementNode]
    /// Narrative after the last statement.
    public var trailingNarrative: [String]
    /// SHA-256 of the file's bytes as read (before line ends are normalised), set by `Runner.parse`.
    public var sha256: String = ""

    public var title: String? {
        for node in statements { if case .playbook(let t) = node.statement { return t } }
        return nil
    }
}
