import ArgumentParser
import Foundation
import TallyCore
import TallyModel

struct ExpectedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "expected",
        abstract: "Manage expected counts in the QA store.",
        subcommands: [Import.self, List.self, Show.self]
    )

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import expected counts from a CSV, xlsx or CALPADS report file as a new version of a named set.",
            discussion: """
                Example: tally expected import census.csv --name fall1/census --keys SchoolOfAttendance,GradeLevelCode --value students

                A CALPADS report extract is known by its title line (its columns are named as `load ... as calpads report` names them): \
                tally expected import Report_1.17.csv --name fall1/upc --keys SchoolOfAttendance,GradeLevelCode --value TotalEnrollment
                """
        )
        @Argument(help: "A file with a header row: CSV, TSV, xlsx, or a CALPADS report extract.") var file: String
        @Option(help: "The expected set's name, e.g. fall1/census.") var name: String
        @Option(help: "Key columns, comma-separated, in the order compare gives them.") var keys: String
        @Option(help: "The column holding the expected value.") var value: String
        @Option(help: "The sheet to read, for an xlsx file.") var sheet: String?
        @Option(
            help: ArgumentHelp(
                "How to read the file, as after `as` in a load: 'calpads report \"1.17\"', 'xlsx sheet \"Counts\"', 'delimited \"^\"' (default: by extension; a CALPADS report by its title line).",
                valueName: "format")) var format: String?
        @Flag(help: "Add the values of rows with the same key (default: a repeated key is an error).") var sum = false
        @OptionGroup var store: StoreOptions

        func run() throws {
            let keyNames = keys.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !keyNames.isEmpty else { throw ValidationError("--keys needs at least one column") }
            let qa = try store.open()
            let path = (file as NSString).standardizingPath
            let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
            try storeAction {
                let loaded = try ExpectedImport.load(
                    file: absolute, displayName: file, keys: keyNames, value: value, sheet: sheet, sum: sum, format: format)
                let rows = loaded.rows, sha = loaded.sha256
                let version = try qa.importExpected(
                    name: name, keys: keyNames, valueName: value, rows: rows, sourcePath: file,
                    sourceSHA256: sha, createdBy: QAStore.currentUser, at: Date())
                print(
                    "expected \"\(name)\" version \(version): \(Format.plural(rows.count, "value")) by \(keyNames.joined(separator: ", ")) from \(file) (sha256 \(sha.prefix(12))…) in \(qa.path)"
                )
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List expected sets (latest version of each).")
        @OptionGroup var store: StoreOptions

        func run() throws {
            let qa = try store.open(.readOnly)
            let sets = try storeAction { try qa.expectedSets() }
            guard !sets.isEmpty else { print("no expected sets in \(qa.path)"); return }
            let rows = sets.map {
                [
                    $0.info.name, String($0.info.version), String($0.versions), $0.info.keys.joined(separator: ", "),
                    $0.info.valueName, String($0.info.rowCount), $0.info.createdAt, $0.info.createdBy, $0.info.sourcePath,
                ]
            }
            print(
                TextTable.render(
                    header: ["name", "latest", "versions", "keys", "value", "rows", "imported", "by", "source"],
                    rows: rows, maxWidth: 40, indent: ""))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an expected set's values.")
        @Argument(help: "The set's name.") var name: String
        @Option(help: "A version (default: the latest).") var version: Int?
        @OptionGroup var store: StoreOptions

        func run() throws {
            let qa = try store.open(.readOnly)
            guard let set = try storeAction({ try qa.expected(name: name, version: version) }) else {
                let names = (try? qa.expectedNames()) ?? []
                writeError(
                    "no expected set \"\(name)\"\(version.map { " version \($0)" } ?? "") in \(qa.path)"
                        + (Suggest.help(for: name, in: names, noun: "sets").map { "\nhelp: \($0)" } ?? ""))
                throw ExitCode(2)
            }
            let info = set.info
            print(
                "\(info.name) version \(info.version): imported \(info.createdAt) by \(info.createdBy) from \(info.sourcePath) (sha256 \(info.sourceSHA256))"
            )
            let rows = set.values.map { $0.key + [Value.formatDecimal($0.value).replacingOccurrences(of: ".0", with: "")] }
            print(TextTable.render(header: info.keys + [info.valueName], rows: rows, indent: ""))
        }
    }
}
