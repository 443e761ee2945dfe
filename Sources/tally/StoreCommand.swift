import ArgumentParser
import Foundation
import TallyCore
import TallyModel

/// `tally store info|migrate|copy`: the store itself.
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "The QA store itself: where it is, its schema, and moving its history to another store.",
        subcommands: [StoreInfoCommand.self, StoreMigrateCommand.self, StoreCopyCommand.self]
    )
}

struct StoreInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "Which store, its schema version and its rows per table.")
    @OptionGroup var store: StoreOptions

    func run() throws {
        let qa = try store.open(.inspect)
        try storeAction {
            print("\(qa.kind) store \(qa.path)")
            print("schema: " + (try qa.appliedMigrations().last ?? "none"))
            // Read as it is: an older store lacks tables this version counts.
            let pending = try qa.pendingMigrations()
            guard pending.isEmpty else {
                print(
                    "older than this Tally (\(pending.count) migration\(pending.count == 1 ? "" : "s") to apply): run tally store migrate")
                return
            }
            for (table, rows) in try qa.tableCounts() {
                print("  \(table.padding(toLength: 16, withPad: " ", startingAt: 0)) \(Format.count(rows))")
            }
        }
    }
}

struct StoreMigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Bring the store's schema up to this version of Tally (a store a newer Tally changed is refused).")
    @OptionGroup var store: StoreOptions

    func run() throws {
        // Opening a store applies the migrations it lacks, under a lock, once.
        let qa = try store.open()
        try storeAction {
            let applied = try qa.appliedMigrations()
            print("\(qa.kind) store \(qa.path): \(applied.count) migrations applied, up to date")
            for m in applied { print("  \(m)") }
        }
    }
}

struct StoreCopyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy every run, expected set, snapshot, acknowledgement, tracked error and report from one store into a new, empty one.",
        discussion:
            "tally store copy .tally/tally.sqlite postgres://tally@db.example/tally moves a laptop's history to the shared store (and back the other way). Ids are kept; the row count of every table is compared after the copy."
    )
    @Argument(help: "The store to copy from (a SQLite path or postgres:// URL).") var from: String
    @Argument(help: "The store to copy into: new or empty.") var to: String

    func run() throws {
        do {
            // The source is only read: it may be another user's, and a mistyped path makes nothing.
            let source = try QAStore(path: from, access: .readOnly)
            let target = try QAStore(path: to)
            let counts = try source.copy(to: target)
            print("copied \(source.kind) \(source.path) into \(target.kind) \(target.path); row counts match:")
            for (table, rows) in counts { print("  \(table.padding(toLength: 16, withPad: " ", startingAt: 0)) \(Format.count(rows))") }
        } catch let d as Diagnostic {
            writeError(d.description)
            throw ExitCode(2)
        }
    }
}
