import Foundation
import TallyModel

/// Everything a report shows about a run, as plain Codable data. The QA store keeps it with the
/// ledger entry, so `tally report RUN_ID` re-renders a past run exactly as it was.
public struct ReportRecord: Codable, Sendable, Equatable {
    public struct Step: Codable, Sendable, Equatable {
        public var keyword: String
        public var rowsIn: Int
        public var rowsOut: Int
        public var detail: String
    }
    public struct Cell: Codable, Sendable, Equatable {
        public var number: Int
        public var kind: CellResult.Kind
        public var line: Int
        public var statement: String
        public var narrative: [String]
        public var table: String?
        public var rowsIn: Int?
        public var rowsOut: Int?
        public var elapsed: Double
        public var steps: [Step]
        public var preview: Preview?
        public var check: CheckResult?
        public var input: InputRecord?
        public var export: ExportRecord?
        public var notes: [String]
        /// True for a cell a partial run left out (nil otherwise, and in older records).
        public var notRun: Bool? = nil
        /// A comparison's totals and tolerance (nil in records made before they were kept).
        public var comparison: ComparisonSummary? = nil
        /// Fatal errors CALPADS returned that the cell loaded or tracked (nil in older records).
        public var calpadsFatal: Int? = nil
        /// What a `chart` cell draws (nil for other cells and in older records).
        public var chart: ChartSpec? = nil
        /// True for `show T all` (nil otherwise and in older records).
        public var showAll: Bool? = nil
    }
    public var title: String
    public var playbookPath: String
    public var playbookSHA256: String
    public var toolVersion: String
    public var runBy: String
    public var started: String
    public var finished: String
    public var params: [[String]]
    public var exitStatus: Int
    public var runId: Int64?
    public var errors: [String]
    /// The code of each error in `errors` (`T0101`; null for one without), for `--json`
    /// (nil in records made before codes).
    public var errorCodes: [String?]? = nil
    public var masks: [String]
    public var cells: [Cell]
    /// Data values the run quoted in free text, with their lineage (nil once masking applied it,
    /// and in records made before it was kept).
    public var sensitive: [SensitiveValue]? = nil
    /// The `##` narrative before `playbook` and `param` (nil in records made before it was kept).
    public var introduction: [String]? = nil
    /// The last runs of this playbook with these parameters (nil without a ledger).
    public var history: RunHistory? = nil
    /// How a partial run was asked for (`--only counts`); nil for a whole run and older records.
    public var partial: String? = nil

    public var checks: [CheckResult] { cells.compactMap(\.check) }

    /// Every column name a mask could apply to in this record: the columns its previews show and
    /// the loaded columns they come from, and those of the values quoted in its text.
    public var maskableColumns: Set<String> {
        var names = Set<String>()
        for preview in cells.flatMap({ [$0.preview, $0.check?.failingRows].compactMap { $0 } }) {
            names.formUnion(preview.columns)
            for lineage in preview.lineage ?? [] { names.formUnion(lineage.filter { !$0.hasPrefix("@") }) }
        }
        for value in sensitive ?? [] { names.formUnion(value.lineage) }
        return names
    }
    public var inputs: [InputRecord] { cells.compactMap(\.input) }
    public var exports: [ExportRecord] { cells.compactMap(\.export) }

    public init(_ run: RunRecord) {
        title = run.title
        playbookPath = run.playbookPath
        playbookSHA256 = run.playbookSHA256
        toolVersion = TallyVersion.string
        runBy = run.runBy
        started = QAStore.timestamp(run.started)
        finished = QAStore.timestamp(run.finished)
        params = run.params.map { [$0.name, $0.value] }
        exitStatus = Int(run.exitStatus)
        runId = run.runId
        errors = run.errors.map { $0.render(source: $0.file == run.playbookPath ? run.playbookSource : nil) }
        errorCodes = run.errors.map { $0.code?.rawValue }
        masks = run.masks
        sensitive = run.sensitive
        introduction = run.introduction
        history = run.history
        partial = run.partial
        var number = 0
        cells = run.cells.filter { $0.kind != .param }.map { cell in
            number += 1
            return Cell(
                number: number, kind: cell.kind, line: cell.line, statement: cell.text, narrative: cell.narrative,
                table: cell.table, rowsIn: cell.rowsIn, rowsOut: cell.rowsOut, elapsed: cell.elapsed,
                steps: cell.steps.map { step in
                    Step(keyword: step.keyword, rowsIn: step.rowsIn, rowsOut: step.rowsOut, detail: TerminalReport.stepDetail(step))
                },
                preview: cell.preview.map { ReportRecord.reportRows($0, showAll: cell.showAll) }, check: cell.check, input: cell.input,
                export: cell.export, notes: cell.notes,
                notRun: cell.status == .notRun ? true : nil, comparison: cell.comparison, calpadsFatal: cell.calpadsFatal,
                chart: cell.chart, showAll: cell.showAll)
        }
    }

    /// Rows of `show T all` a report keeps: a report (and the ledger that keeps it) is read in a
    /// browser, and past this many rows an export is the way to read a table.
    public static let showAllReportRows = 10_000

    static func reportRows(_ p: Preview, showAll: Bool?) -> Preview {
        guard showAll == true, p.rows.count > showAllReportRows else { return p }
        var q = p
        q.rows = Array(p.rows.prefix(showAllReportRows))
        q.locations = Array(p.locations.prefix(showAllReportRows))
        return q
    }

    public var checksPassed: Int { checks.filter(\.passed).count }
    public var checksFailed: Int { checks.filter { !$0.passed && $0.severity == .error }.count }
    public var warnings: Int { checks.filter { !$0.passed && $0.severity == .warning }.count }
    /// Checks (asserts and comparisons) a partial run left out.
    public var checksNotRun: Int { cells.filter { $0.notRun == true && ($0.kind == .assert || $0.kind == .compare) }.count }
    public var comparisonsOutside: Int { checks.filter { $0.kind == .comparison && !$0.passed }.count }
}
