import ArgumentParser
import TallyCore
import TallyModel

/// `--store PATH` / `--no-store`, shared by the commands that use the QA store.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .customLong("store"),
        help:
            "The QA store: a SQLite file (a path, sqlite:PATH or file:PATH), or a shared PostgreSQL database as postgres://user@host:5432/db (password from the URL, PGPASSWORD or ~/.pgpass; never shown). Default: $TALLY_STORE, else .tally/tally.sqlite here."
    )
    var storePath: String?
    @Flag(name: .customLong("no-store"), help: "Run without the QA store: no ledger entry, no stored comparisons.")
    var noStore = false

    /// The store path to use, or nil with --no-store.
    var path: String? { noStore ? nil : QAStore.defaultPath(explicit: storePath) }

    /// Opens the store; a command that only reads it passes `.readOnly` (or `.inspect`), so it
    /// never creates, migrates or writes the store (another user's store, a mistyped path).
    func open(_ access: QAStore.Access = .readWrite) throws -> QAStore {
        guard let path else { throw ValidationError("this command needs the QA store; drop --no-store") }
        do { return try QAStore(path: path, access: access) } catch let d as Diagnostic {
            writeError(d.render(source: nil))
            throw ExitCode(2)
        }
    }
}

/// Runs a store operation; a diagnostic becomes a message and exit 2.
func storeAction<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let d as Diagnostic {
        writeError(d.render(source: nil))
        throw ExitCode(2)
    }
}
