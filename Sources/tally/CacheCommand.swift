import ArgumentParser
import Foundation
import TallyCore
import TallyModel

/// `tally cache`: how much the cell cache holds, and `tally cache clear`.
struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Show the cell cache's size, or clear it.",
        discussion:
            "The cache keeps each cell's result and table beside the QA store (.tally/cache/ for the default store, x.sqlite.cache/ beside --store x.sqlite; owner-only, marked by a TALLY-CACHE file) so a rerun recomputes only the cells whose statement, inputs or parameters changed.",
        subcommands: [CacheInfo.self, CacheClear.self],
        defaultSubcommand: CacheInfo.self
    )
}

/// The cache folder beside the store the options name.
func cacheFolder(_ store: StoreOptions) throws -> String {
    guard let path = store.path else { throw ValidationError("the cell cache lives beside the QA store; drop --no-store") }
    return CellCache.folder(forStore: path)
}

/// The cache folder a run uses beside `storePath`, or nil — with a one-line note — when a folder
/// Tally did not make is already there: it is never taken over, and the run goes without cache.
func runCacheFolder(storePath: String) -> String? {
    let folder = CellCache.folder(forStore: storePath)
    if let refusal = CellCache.refusal(folder: folder) {
        writeError("note: \(folder) \(refusal): the cell cache is off for this run (Tally never takes over a folder it did not make)")
        return nil
    }
    return folder
}

struct CacheInfo: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Entries and size of the cell cache.")
    @OptionGroup var store: StoreOptions

    func run() throws {
        let folder = try cacheFolder(store)
        if let refusal = CellCache.refusal(folder: folder) { return print("\(folder) \(refusal): no cell cache") }
        let usage = CellCache.usage(folder: folder)
        print("\(folder): \(Format.plural(usage.entries, "cell")), \(Format.bytes(usage.bytes))")
    }
}

struct CacheClear: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "clear", abstract: "Remove every cached cell and table.")
    @OptionGroup var store: StoreOptions

    func run() throws {
        let folder = try cacheFolder(store)
        // A folder Tally did not make: nothing in it is removed, and there is no cache to clear.
        if let refusal = CellCache.refusal(folder: folder) {
            print("nothing cleared: \(folder) \(refusal); nothing in it was removed")
            return
        }
        do {
            let freed = try CellCache.clear(folder: folder)
            print("cleared \(folder) (\(Format.bytes(freed)))")
        } catch let d as Diagnostic {
            writeError(d.render(source: nil))
            throw ExitCode(2)
        } catch {
            writeError("cannot clear \(folder): \(error)")
            throw ExitCode(2)
        }
    }
}
