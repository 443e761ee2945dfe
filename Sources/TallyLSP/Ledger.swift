import Foundation
import TallyCore
import TallyModel

/// What the last run of a playbook produced, cell by cell, from the QA store's ledger (where
/// `tally run` records each cell's rows, time and whether the cell cache supplied it): the
/// inlay hints and the row counts on hover. Counts only: no value of any row is ever read.
struct LastRun {
    struct Cell {
        var rowsOut: Int?
        var elapsed: Double
        var cached: Bool
        var failing: Int?
        var passed: Bool?
    }
    /// By the statement's text as it was run (an edited statement has no hint until run again).
    var cells: [String: Cell]
    var suppressBelow: Int?

    /// The QA store `tally run` would use from `root`: $TALLY_STORE, else `.tally/tally.sqlite`
    /// in the root or the playbook's folder or above it. Nil when there is none yet.
    static func storePath(root: String?, playbook: String) -> String? {
        if let env = ProcessInfo.processInfo.environment["TALLY_STORE"], !env.isEmpty { return env }
        // Nearest the playbook first, then the workspace root.
        var folders: [String] = []
        var folder = (playbook as NSString).deletingLastPathComponent
        while folder.count > 1 {
            folders.append(folder)
            folder = (folder as NSString).deletingLastPathComponent
        }
        if let root, !folders.contains(root) { folders.append(root) }
        let existing = folders.map { $0 + "/.tally/tally.sqlite" }.filter { FileManager.default.fileExists(atPath: $0) }
        if existing.count < 2 { return existing.first }
        // A stray store further up (a /tmp/.tally) must not hide the one that has this playbook's runs.
        return existing.first { hasRun(store: $0, playbook: playbook) } ?? existing.first
    }

    /// Whether the store's ledger has a run of the playbook at `path` (read-only, runs only).
    static func hasRun(store storePath: String, playbook path: String) -> Bool {
        guard let store = try? QAStore(path: storePath, access: .readOnly),
            let runs = try? store.runs(limit: 200)
        else { return false }
        return runs.contains { isRun(of: path, recorded: $0.playbook, store: storePath) }
    }

    /// Whether a run's recorded playbook path is the playbook at `path`: a relative one is from
    /// the run's working folder, the one holding `.tally/`.
    static func isRun(of path: String, recorded: String, store storePath: String) -> Bool {
        let base = ((storePath as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
        let absolute = recorded.hasPrefix("/") ? recorded : base + "/" + recorded
        return (absolute as NSString).standardizingPath == (path as NSString).standardizingPath
    }

    /// The newest run of the playbook at `path` (a partial one too: `run to here`).
    static func load(store storePath: String, playbook path: String) -> LastRun? {
        guard let store = try? QAStore(path: storePath, access: .readOnly), let runs = try? store.runs(limit: 200) else { return nil }
        // The newest run; a cell a partial run left out is taken from the run before it that ran it.
        let mine = runs.filter { isRun(of: path, recorded: $0.playbook, store: storePath) }.prefix(10)
        guard let summary = mine.first else { return nil }
        var cells: [String: Cell] = [:]
        for run in mine {
            guard let detail = try? store.run(run.id) else { continue }
            for cell in detail.cells where cell.status != .notRun && cells[cell.statement] == nil {
                let check = detail.checks.first { $0.line == cell.line }
                cells[cell.statement] = Cell(
                    rowsOut: cell.rowsOut, elapsed: cell.elapsed, cached: cell.status == .cached,
                    failing: check.map(\.failingCount), passed: check.map(\.passed))
            }
            if run.partial == nil { break }
        }
        let privacy = try? store.privacy(run: summary.id)
        return LastRun(cells: cells, suppressBelow: privacy?.suppressBelow)
    }

    /// A count as reports show it: below the run's suppression threshold, only "fewer than N".
    func shown(_ n: Int) -> String {
        if let below = suppressBelow, n > 0, n < below { return "fewer than \(below)" }
        return Format.count(n)
    }

    /// The hint for a cell: `→ 4,718 rows · 12 ms`, `→ 4,718 rows · cached`, `✓ passed`, `✗ 25 failing`.
    func hint(_ cell: Cell) -> String? {
        if let passed = cell.passed {
            return passed ? "✓ passed" : "✗ \(cell.failing.map(shown) ?? "") failing"
        }
        guard let rows = cell.rowsOut else { return cell.cached ? "cached" : nil }
        let when = cell.cached ? "cached" : "\(Int((cell.elapsed * 1000).rounded())) ms"
        return "→ \(shown(rows)) \(rows == 1 ? "row" : "rows") · \(when)"
    }
}
