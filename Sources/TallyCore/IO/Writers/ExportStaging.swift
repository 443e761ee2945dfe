import Foundation

/// Exports are written to staging files first and moved into place only when the whole run
/// succeeded, so a run that stops with an error leaves earlier exports untouched and never
/// leaves a half-written file.
public final class ExportStaging: @unchecked Sendable {
    public struct Pending: Sendable {
        public var staged: String
        public var destination: String
    }
    public private(set) var pending: [Pending] = []
    let folder: String

    public init() {
        folder = NSTemporaryDirectory() + "tally-export-\(UUID().uuidString)"
    }

    /// A fresh staging path for an export that will land at `destination`.
    public func stage(for destination: String) throws -> String {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let staged = folder + "/\(pending.count)-" + (destination as NSString).lastPathComponent
        pending.removeAll { $0.destination == destination }
        pending.append(Pending(staged: staged, destination: destination))
        return staged
    }

    /// Moves every staged file into place (creating folders), each by an atomic rename.
    public func commit() throws {
        let fm = FileManager.default
        for item in pending {
            let folder = (item.destination as NSString).deletingLastPathComponent
            if !folder.isEmpty { try fm.createDirectory(atPath: folder, withIntermediateDirectories: true) }
            // Copy next to the destination first so the final step is a same-folder rename.
            let beside = item.destination + ".tally-partial"
            try? fm.removeItem(atPath: beside)
            try fm.copyItem(atPath: item.staged, toPath: beside)
            if rename(beside, item.destination) != 0 {
                try? fm.removeItem(atPath: beside)
                throw Diagnostic(.error, "cannot replace the file", file: item.destination)
            }
        }
        discard()
    }

    /// Drops every staged file.
    public func discard() {
        try? FileManager.default.removeItem(atPath: folder)
        pending = []
    }
}
