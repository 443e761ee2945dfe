import TallyModel

/// The answer a report opens with, in words a director reads: ready to certify or not, and why.
///
/// A *blocking problem* is a failed error-severity check (an assertion or a comparison), or
/// fatal errors CALPADS returned for the submission that the run loaded or tracked (an error
/// report, rejected records): records CALPADS refused are not certified, whatever the
/// playbook's own checks say. A *warning to review* is a failed warning no one has
/// acknowledged. Each is listed with its count, the schools with most failing rows and a link
/// to its cell.
struct Verdict {
    struct Item {
        var number: Int
        var line: Int
        var text: String
        var count: String
        var affected: String

        var context: [String: Any] {
            ["number": number, "line": line, "text": text, "count": count, "affected": affected, "hasAffected": !affected.isEmpty]
        }
    }

    var sentence: String
    var style: String
    var detail: String
    var blockers: [Item] = []
    var warnings: [Item] = []

    init(_ r: ReportRecord) {
        for cell in r.cells {
            guard let check = cell.check, !check.passed else { continue }
            let item = Verdict.item(cell, check)
            if check.severity == .error { blockers.append(item) } else if check.acknowledged == nil { warnings.append(item) }
        }
        // CALPADS' fatal errors come first: one problem, naming each table that holds them.
        let returned = r.cells.filter { ($0.calpadsFatal ?? 0) > 0 }
        if let first = returned.first {
            let count: String = returned.enumerated().map { k, cell -> String in
                let what: String = cell.kind == .track ? cell.statement.components(separatedBy: "\n").first ?? "track" : cell.table ?? "?"
                let n = cell.calpadsFatal ?? 0
                return (k == 0 ? Format.plural(n, "fatal error") : Format.count(n)) + " in \(what)"
            }.joined(separator: "; ")
            blockers.insert(
                Item(
                    number: first.number, line: first.line, text: "CALPADS returned fatal errors for this submission",
                    count: count, affected: ""), at: 0)
        }
        let reviewed = r.checks.filter { !$0.passed && $0.severity == .warning && $0.acknowledged != nil }.count
        let toReview = warnings.isEmpty ? "" : "\(Format.plural(warnings.count, "warning")) to review"
        if r.exitStatus == 2 {
            sentence = "Not ready to certify: the playbook could not be run to the end"
            style = "error"
            detail = "It stopped with an error (below); nothing was exported, and checks after it did not run."
        } else if !blockers.isEmpty {
            sentence =
                "Not ready to certify: \(Format.plural(blockers.count, "blocking problem"))" + (toReview.isEmpty ? "" : ", \(toReview)")
            style = "fail"
            detail =
                returned.isEmpty
                ? "Each blocking problem below must be fixed (or the expectation corrected) before the data is certified."
                : "CALPADS refused records of this submission: fix them and resubmit before certifying, whatever the playbook's own checks say."
                    + (blockers.count > 1 ? " Each other blocking problem below must be fixed (or the expectation corrected) too." : "")
        } else {
            sentence = "Ready to certify" + (toReview.isEmpty ? "" : ", with \(toReview)")
            style = toReview.isEmpty ? "ok" : "warn"
            detail =
                "Every error-severity check passed"
                + (toReview.isEmpty ? "." : "; the warnings below do not block certification but deserve a look.")
        }
        if reviewed > 0 { detail += " \(Format.plural(reviewed, "warning")) already reviewed and acknowledged." }
    }

    static func item(_ cell: ReportRecord.Cell, _ check: CheckResult) -> Item {
        let what = check.kind == .comparison ? "key" : "row"
        let count =
            check.kind == .comparison
            ? "\(Format.plural(check.failingCount, what)) outside the tolerance"
            : check.failingRows == nil ? (check.detail ?? "") : "\(Format.plural(check.failingCount, "failing \(what)"))"
        var affected = ""
        if let a = check.affected, !a.values.isEmpty {
            let parts = zip(a.values, a.counts).map { "\($0.0) (\($0.1 == 0 ? "*" : Format.count($0.1)))" }
            let more = a.distinct - a.values.count
            affected =
                (more > 0 ? "most in \(a.column) " : "by \(a.column): ") + parts.joined(separator: ", ")
                + (more > 0 ? ", and \(more) more" : "")
        }
        return Item(number: cell.number, line: cell.line, text: check.message ?? check.predicate, count: count, affected: affected)
    }
}
