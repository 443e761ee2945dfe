import ArgumentParser
import TallyCore
import TallyModel

struct LayoutsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "layouts",
        abstract: "List the CALPADS file layouts, or print one layout's fields."
    )

    @Argument(help: "A file type such as SENR.") var type: String?
    @Option(help: "Academic year, e.g. 2025-2026 (default: the newest layout).") var year: String?

    func run() throws {
        guard let type else {
            let rows = CalpadsLayouts.all.map {
                [$0.type, $0.yearsDescription, String($0.fields.count), $0.spec, CalpadsLayouts.sourceNotes[$0.type] ?? ""]
            }
            print(
                TextTable.render(
                    header: ["type", "academic years", "fields", "specification", "notes"], rows: rows, maxWidth: 160, indent: ""))
            return
        }
        var start: Int? = nil
        if let year {
            guard let y = CalpadsLayouts.startYear(year) else { throw ValidationError("--year takes an academic year such as 2025-2026") }
            start = y
        }
        let all = CalpadsLayouts.layouts(for: type)
        if let start, let year, let last = all.map(\.lastYear).max(), start > last {
            // A retired file: say when it ended and what replaced it, not "no layout".
            let note = CalpadsLayouts.sourceNotes[type.uppercased()].map { " Note: \($0)." } ?? ""
            throw ValidationError(
                "no \(type.uppercased()) layout for \(year): \(type.uppercased()) was last reported in \(last)-\(last + 1).\(note)")
        }
        guard let layout = CalpadsLayouts.layout(type, year: start) else {
            let help = Suggest.help(for: type.uppercased(), in: CalpadsLayouts.types, noun: "layouts") ?? ""
            throw ValidationError("no \(type) layout\(year.map { " for \($0)" } ?? ""). \(help)")
        }
        if let start, let year, start < layout.firstYear {
            // The loader reads earlier years with the first known layout; say so rather than
            // presenting it as that year's.
            print(
                "note: Tally has no \(layout.type) layout before \(layout.firstYear)-\(layout.firstYear + 1); "
                    + "files for \(year) are read with this one")
        }
        print("\(layout.type) — academic years \(layout.yearsDescription), \(layout.fields.count) fields")
        print("specification: \(layout.spec)")
        if !layout.sources.isEmpty { print("sources: \(layout.sources)") }
        if let note = CalpadsLayouts.sourceNotes[layout.type] { print("transcribed \(note)") }
        let rows = layout.fields.map { f in
            [f.number, f.name, f.isDate ? "date (CCYYMMDD)" : "text", f.maxLength > 0 ? String(f.maxLength) : "", f.required ? "yes" : ""]
        }
        print(TextTable.render(header: ["field", "name", "type", "max length", "required"], rows: rows, maxWidth: 60, indent: ""))
    }
}
