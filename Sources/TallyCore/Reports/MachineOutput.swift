import Foundation
import TallyModel

/// `--json` and `--junit`: the run for schedulers and CI.
public enum MachineOutput {
    struct Summary: Encodable {
        var title: String
        var playbook: String
        var playbookSHA256: String
        var runId: Int64?
        var started: String
        var finished: String
        var exitStatus: Int
        var checksPassed: Int
        var checksFailed: Int
        var warnings: Int
        /// How a partial run was asked for (absent for a whole run) and the checks it left out.
        var partial: String?
        var checksNotRun: Int
        var parameters: [String: String]
        var inputs: [InputRecord]
        var exports: [ExportRecord]
        var errors: [String]
        /// The code of each of `errors`, in order (null for one without).
        var errorCodes: [String?]
        var checks: [Check]
        var comparisons: [Comparison]
    }
    struct Check: Encodable {
        var id: String
        var kind: CheckResult.Kind
        var severity: Severity
        var passed: Bool
        var acknowledged: String?
        var line: Int
        var check: String
        var message: String?
        var detail: String?
        var failingCount: Int
    }
    struct Comparison: Encodable {
        var id: String
        var line: Int
        var columns: [String]
        var rowsNotOk: [[String?]]
    }

    /// The run as JSON: summary, checks, and the comparisons' rows that are not ok.
    public static func json(_ r: ReportRecord) -> String {
        let checks = r.cells.compactMap { cell in
            cell.check.map { c in
                Check(
                    id: c.id, kind: c.kind, severity: c.severity, passed: c.passed, acknowledged: c.acknowledged, line: c.line,
                    check: c.predicate, message: c.message, detail: c.detail, failingCount: c.failingCount)
            }
        }
        let comparisons = r.cells.compactMap { cell -> Comparison? in
            guard cell.kind == .compare, let check = cell.check, let preview = cell.preview else { return nil }
            return Comparison(id: check.id, line: cell.line, columns: preview.columns, rowsNotOk: preview.rows)
        }
        let summary = Summary(
            title: r.title, playbook: r.playbookPath, playbookSHA256: r.playbookSHA256, runId: r.runId,
            started: r.started, finished: r.finished, exitStatus: r.exitStatus, checksPassed: r.checksPassed,
            checksFailed: r.checksFailed, warnings: r.warnings, partial: r.partial, checksNotRun: r.checksNotRun,
            parameters: Dictionary(r.params.compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil }, uniquingKeysWith: { a, _ in a }),
            inputs: r.inputs, exports: r.exports, errors: r.errors,
            errorCodes: r.errorCodes ?? r.errors.map { _ in nil }, checks: checks, comparisons: comparisons)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return (try? encoder.encode(summary)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// JUnit XML: one test case per check; error-severity failures are failures, warnings pass
    /// with their outcome in system-out; a run that stopped is one error.
    public static func junit(_ r: ReportRecord) -> String {
        // The same escaping as the workbooks (a control character becomes a space there too).
        func x(_ s: String) -> String { XlsxWriter.xml(s) }
        let checks = r.checks
        let errors = r.errors.isEmpty ? 0 : 1
        // A partial run: the checks it left out are skipped test cases, and it says how it was run.
        let skipped = r.cells.filter { $0.notRun == true && ($0.kind == .assert || $0.kind == .compare) }
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml +=
            "<testsuites name=\"tally\" tests=\"\(checks.count + errors + skipped.count)\" failures=\"\(r.checksFailed)\" errors=\"\(errors)\">\n"
        xml +=
            "  <testsuite name=\"\(x(r.title))\" tests=\"\(checks.count + errors + skipped.count)\" failures=\"\(r.checksFailed)\" errors=\"\(errors)\" skipped=\"\(skipped.count)\" timestamp=\"\(x(r.started))\">\n"
        xml +=
            "    <properties><property name=\"playbook\" value=\"\(x(r.playbookPath))\"/><property name=\"playbook_sha256\" value=\"\(r.playbookSHA256)\"/>"
            + (r.partial.map { "<property name=\"partial\" value=\"\(x($0))\"/>" } ?? "") + "</properties>\n"
        for check in checks {
            xml += "    <testcase classname=\"\(x(r.playbookPath))\" name=\"\(x(check.id)): \(x(check.predicate))\">"
            if !check.passed, check.severity == .error {
                xml +=
                    "<failure message=\"\(x(check.message ?? check.predicate))\" type=\"\(check.kind.rawValue)\">\(x(check.detail ?? ""))</failure>"
            } else if !check.passed {
                xml +=
                    "<system-out>\(x("warning" + (check.acknowledged.map { " (acknowledged: \($0))" } ?? "") + ": " + (check.message ?? check.predicate) + " — " + (check.detail ?? "")))</system-out>"
            }
            xml += "</testcase>\n"
        }
        for cell in skipped {
            xml +=
                "    <testcase classname=\"\(x(r.playbookPath))\" name=\"line \(cell.line): \(x(cell.statement))\"><skipped message=\"not run: \(x(r.partial ?? ""))\"/></testcase>\n"
        }
        if errors > 0 {
            xml +=
                "    <testcase classname=\"\(x(r.playbookPath))\" name=\"run\"><error message=\"the playbook could not be run\">\(x(r.errors.joined(separator: "\n\n")))</error></testcase>\n"
        }
        xml += "  </testsuite>\n</testsuites>\n"
        return xml
    }
}
