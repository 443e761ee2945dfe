import ArgumentParser
import TallyCore

struct LayoutsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "layouts",
        abstract: "List the CALPADS file layouts, or print one layout's fields."
    )

    @Argument(help: "A file type such as SENR.") var type: String?
    @Option(help: "Academic year, e.g. 2025-2026 (default: the newest layout).") var year: String?

    func run() throws {
        guard let type else {
            let rows = CalpadsLayouts.all.map { [$0.type, $0.yearsDescription, String($0.fields.count), $0.spec, CalpadsLayouts.sourceNotes[$0.type] ?? ""] }
            print(TextTable.render(header: ["type", "academic years", "fields", "specification", "notes"], rows: rows, maxWidth: 160, indent: ""))
            return
        }
        var start: Int? = nil
        if let year {
            guard let y = CalpadsLayouts.startYear(year) else { throw ValidationError("--year takes an academic year such as 2025-2026") }
            start = y
        }
        guard let layout = CalpadsLayouts.layout(type, year: start) else {
            let help = Suggest.help(for: type.uppercased(), in: CalpadsLayouts.types, noun: "layouts") ?? ""
            throw ValidationError("no \(type) layout\(year.map { " for \($0)" } ?? ""). \(help)")
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
