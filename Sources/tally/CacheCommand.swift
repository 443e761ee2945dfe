import ArgumentParser
import Foundation
import TallyCore

/// `tally cache`: how much the cell cache holds, and `tally cache clear`.
struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Show the cell cache's size, or clear it.",
        discussion: "The cache keeps each cell's result and table under .tally/cache/ (owner-only) so a rerun recomputes only the cells whose statement, inputs or parameters changed.",
        subcommands: [CacheInfo.self, CacheClear.self],
        defaultSubcommand: CacheInfo.self
    )
}

/// The cache folder beside the store the options name.
func cacheFolder(_ store: StoreOptions) throws -> String {
    guard let path = store.path else { throw ValidationError("the cell cache lives beside the QA store; drop --no-store") }
    return CellCache.folder(forStore: path)
}

struct CacheInfo: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Entries and size of the cell cache.")
    @OptionGroup var store: StoreOptions

    func run() throws {
        let folder = try cacheFolder(store)
        let usage = CellCache.usage(folder: folder)
        print("\(folder): \(Format.plural(usage.entries, "cell")), \(Format.bytes(usage.bytes))")
    }
}

struct CacheClear: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "clear", abstract: "Remove every cached cell and table.")
    @OptionGroup var store: StoreOptions

    func run() throws {
        let folder = try cacheFolder(store)
        do {
            let freed = try CellCache.clear(folder: folder)
            print("cleared \(folder) (\(Format.bytes(freed)))")
        } catch {
            writeError("cannot clear \(folder): \(error)")
            throw ExitCode(2)
        }
    }
}
