import Foundation
import TallyModel

/// A few rows of a table as text, for `show` cells and failing rows.
public struct Preview: Sendable, Codable, Equatable {
    public var columns: [String]
    public var types: [String]
    public var rows: [[String?]]
    /// The source `file:line` of each row (nil where a row has none).
    public var locations: [String?]
    public var totalRows: Int
    /// Each column's lineage (see `Lineage`): what masking follows. Nil in records made before
    /// lineage was kept; masking then goes by column name.
    public var lineage: [[String]]? = nil

    /// - Parameter first: columns to put first (a check's keys and the columns it tested).
    public init(
        _ table: Table, limit: Int, rows: [Int]? = nil, withLocations: Bool = false, first: [String] = [],
        lineage: ColumnLineage? = nil
    ) {
        let leading = first.filter { table.index(of: $0) != nil }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let order = leading.compactMap { table.index(of: $0) } + table.names.indices.filter { !leading.contains(table.names[$0]) }
        columns = order.map { table.names[$0] }
        types = order.map { table.columns[$0].type.rawValue }
        let picked = rows.map { Array($0.prefix(limit)) } ?? Array(0..<min(limit, table.rowCount))
        self.rows = picked.map { r in
            order.map { k in
                let c = table.columns[k]; return c.isNull(r) ? nil : c.value(r).display
            }
        }
        locations = withLocations ? picked.map { r in table.provenance.location(r).map { "\($0.file):\($0.line)" } } : []
        totalRows = rows?.count ?? table.rowCount
        self.lineage = lineage.map { Lineage.list(columns, $0) }
    }
}

/// The outcome of one `assert` or `compare`.
public struct CheckResult: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable { case assertion, comparison }
    public var id: String
    public var kind: Kind
    public var severity: Severity
    public var passed: Bool
    /// The predicate as written.
    public var predicate: String
    public var message: String?
    /// The values compared (scalar assertions), or why the check failed.
    public var detail: String?
    public var failingCount: Int
    /// The failing rows with their source file and line (up to `Interpreter.failingRowsKept`).
    public var failingRows: Preview?
    /// Where the failing rows are: counts by school (when the table has a school column).
    public var affected: Affected? = nil
    public var line: Int
    /// Keys of every failing row (file:line and key values), for the ledger and acknowledgements.
    public var failingKeys: [String] = []
    /// When a reviewed warning's failing rows are unchanged: the acknowledgement's reason.
    public var acknowledged: String? = nil

    public var failingSHA256: String { Fingerprint.sha256(failingKeys.joined(separator: "\n")) }
}

/// What a comparison's chart needs beyond its rows not ok: the true totals and the tolerance.
public struct ComparisonSummary: Sendable, Codable, Equatable {
    public var keys: Int
    public var ok: Int
    public var actualTotal: Double
    public var expectedTotal: Double
    public var tolerancePercent: Double?
    public var toleranceAbsolute: Double?

    /// The largest difference a row with this expected value may have.
    public func allowed(expected: Double?) -> Double {
        max(toleranceAbsolute ?? 0, (tolerancePercent ?? 0) / 100 * abs(expected ?? 0))
    }
}

/// Failing rows counted by the values of one column (the schools most affected), most first.
public struct Affected: Sendable, Codable, Equatable {
    public var column: String
    /// The column's lineage, so that masking follows it.
    public var lineage: [String]
    public var values: [String]
    public var counts: [Int]
    /// How many distinct values the failing rows have in all.
    public var distinct: Int
}

/// An input a run read.
public struct InputRecord: Sendable, Codable, Equatable {
    public var table: String
    public var path: String
    public var absolutePath: String = ""
    public var sha256: String = ""
    public var format: String
    public var bytes: Int
    public var rows: Int
    public var columns: Int
}

/// One compared column's values by key.
public struct SeriesValues: Sendable {
    public var name: String
    public var values: [(key: [String], value: Double?)]
}

/// A file a run wrote.
public struct ExportRecord: Sendable, Codable, Equatable {
    public var table: String
    public var path: String
    public var format: String
    public var rows: Int
    public var bytes: Int
    /// What the run's masking did to the file ("masked: SSID as tokens", "not masked (…): SSID
    /// written in clear"); nil when the run masks and suppresses nothing.
    public var privacy: String? = nil
}

/// One notebook cell: a statement and what it did.
public struct CellResult: Sendable, Codable {
    public enum Kind: String, Sendable, Codable {
        case title, param, load, pipeline, assert, compare, export, show, profile, counts, chart, save, snapshot, track
    }
    /// `cached`: taken from the cell cache (nothing it depends on changed); `notRun`: left out
    /// of a partial run.
    public enum Status: String, Sendable, Codable { case ran, cached, notRun = "not run" }
    public var status: Status = .ran
    public var index: Int
    public var kind: Kind
    public var line: Int
    public var text: String
    public var narrative: [String]
    /// The table the cell created (load, pipeline, compare ... as NAME).
    public var table: String?
    public var rowsIn: Int?
    public var rowsOut: Int?
    public var steps: [StepResult] = []
    public var elapsed: Double = 0
    public var preview: Preview?
    public var check: CheckResult?
    /// A comparison's totals and tolerance, for its chart (compare cells).
    public var comparison: ComparisonSummary? = nil
    public var input: InputRecord?
    public var export: ExportRecord?
    public var schema: Schema?
    public var notes: [String] = []
    /// Fatal errors CALPADS returned that the cell loaded or tracked (an error report, rejected
    /// records): the verdict is then not "Ready to certify". Nil for other cells.
    public var calpadsFatal: Int? = nil
    /// What a `chart` cell draws from its preview (nil for other cells).
    public var chart: ChartSpec? = nil
    /// True for `show T all`: the preview holds every row (up to `Interpreter.showAllLimit`).
    public var showAll: Bool? = nil

    init(index: Int, node: StatementNode, kind: Kind) {
        self.index = index
        self.kind = kind
        self.line = node.line
        self.text = node.text
        self.narrative = node.narrative
    }
}

/// Everything a run learned; the terminal output, reports and the QA store all render it.
public struct RunRecord: Sendable {
    public var title: String
    public var playbookPath: String
    public var params: [(name: String, value: String)]
    public var started: Date
    public var finished: Date
    public var cells: [CellResult]
    /// Errors that stopped the run (exit 2), already rendered with source context.
    public var errors: [Diagnostic]
    public var playbookSource: String
    public var exitStatus: Int32
    public var playbookSHA256: String = ""
    /// How a partial run was asked for (`--only joined`), nil for a whole run. A partial run is
    /// never a baseline and cannot be labelled.
    public var partial: String? = nil
    public var runBy: String = QAStore.currentUser
    /// Values this run compared, by series (`counts.students`) and key: what `previous run` reads.
    public var series: [SeriesValues] = []
    /// The run's id in the QA store's ledger, once recorded.
    public var runId: Int64? = nil
    public var storePath: String? = nil
    /// Columns the playbook's `mask` statements ask reports to mask.
    public var masks: [String] = []
    /// The masks (with --mask) and suppression the run's outputs apply, kept in the ledger.
    public var privacy = RecordedPrivacy(masks: [], suppressBelow: nil)
    /// The `##` narrative written before `playbook` and `param`: the report's introduction.
    public var introduction: [String] = []
    /// This playbook's runs with the same parameters, up to this one (when the ledger has it).
    public var history: RunHistory? = nil
    /// Data values the run quoted in free text, with their lineage (for masking).
    public var sensitive: [SensitiveValue] = []
    /// Check-time warnings (`Lint`): habits that ran but may not mean what they say.
    public var checkWarnings: [Diagnostic] = []
    /// What the run did or left alone outside its cells (a killed run's exports completed, a
    /// commit journal it did not trust), a line each.
    public var notes: [String] = []

    public var checks: [CheckResult] { cells.compactMap(\.check) }
    public var inputs: [InputRecord] { cells.compactMap(\.input) }
    public var exports: [ExportRecord] { cells.compactMap(\.export) }
    public var checksPassed: Int { checks.filter(\.passed).count }
    /// Error-severity checks that failed (an acknowledged failure still counts: only warnings
    /// are meant to be acknowledged, and an error stays an error).
    public var checksFailed: Int { checks.filter { !$0.passed && $0.severity == .error }.count }
    public var warnings: Int { checks.filter { !$0.passed && $0.severity == .warning }.count }
    /// Checks (asserts and comparisons) a partial run left out.
    public var checksNotRun: Int { cells.filter { $0.status == .notRun && ($0.kind == .assert || $0.kind == .compare) }.count }
}
