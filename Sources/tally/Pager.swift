import Foundation
import TallyCore
import TallyModel

/// `show T all` in a terminal: the notebook goes through the user's pager ($PAGER, else
/// `less -FRX`: quits when it fits one screen, keeps colours, leaves the text on screen), as git
/// does. Output to a file or a pipe is printed as it is.
enum Pager {
    static func wanted(_ record: RunRecord) -> Bool {
        isTerminal(1) && record.cells.contains { $0.showAll == true && $0.status != .notRun }
    }

    /// Writes `text` through the pager; false when none could be started (then the caller prints).
    static func page(_ text: String) -> Bool {
        let configured = ProcessInfo.processInfo.environment["PAGER"]?.trimmingCharacters(in: .whitespaces) ?? ""
        // An empty PAGER or `cat` means "no pager".
        if configured == "cat" { return false }
        fflush(nil) // whatever stdio holds goes out before the pager writes
        let command = configured.isEmpty ? "less -FRX" : configured
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        var environment = ProcessInfo.processInfo.environment
        if environment["LESS"] == nil { environment["LESS"] = "FRX" }
        process.environment = environment
        let pipe = Pipe()
        process.standardInput = pipe
        do { try process.run() } catch { return false }
        // A pager quit early (q) closes the pipe: the rest is not needed.
        signal(SIGPIPE, SIG_IGN)
        try? pipe.fileHandleForWriting.write(contentsOf: Data(text.utf8))
        try? pipe.fileHandleForWriting.close()
        process.waitUntilExit()
        // A pager that could not start or failed (`PAGER=/nonexistent`: sh exits 127) showed
        // nothing: the caller prints the notebook instead. `less` quit early exits 0.
        return process.terminationStatus == 0
    }
}
