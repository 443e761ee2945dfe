import TallyData
import TallyModel

/// One field of a CALPADS file layout.
public struct CalpadsField: Sendable, Equatable {
    /// The field number in the File Specifications, e.g. `1.24`.
    public var number: String
    /// The column name: the label in UpperCamelCase (`Grade Level Code` → `GradeLevelCode`).
    public var name: String
    public var label: String
    public var maxLength: Int
    public var required: Bool
    /// A CCYYMMDD date field.
    public var isDate: Bool
}

/// The fields of one CALPADS file type for a span of academic years.
public struct CalpadsLayout: Sendable, Equatable {
    public var type: String
    /// First and last academic year this layout applies to, by starting calendar year
    /// (2023 = 2023-2024; 9999 = still current).
    public var firstYear: Int
    public var lastYear: Int
    public var fields: [CalpadsField]
    /// The specification version these years follow, e.g. `CFS v15.1 (2023-24 rollover)`.
    public var spec: String = ""
    /// Where the layout's changes since the 2020 facts come from (Flash, URL), from
    /// scripts/calpads_layout_changes.tsv.
    public var sources: String = ""

    public var yearsDescription: String {
        "\(firstYear)-\(firstYear + 1)" + (lastYear >= 9999 ? " onward" : " to \(lastYear)-\(lastYear + 1)")
    }

    public func index(of name: String) -> Int? { fields.firstIndex { $0.name == name } }
}

/// The registry of CALPADS layouts, keyed by file type and academic year.
public enum CalpadsLayouts {
    public static let all: [CalpadsLayout] = {
        var layouts: [CalpadsLayout] = []
        for line in CalpadsLayoutData.tsv.split(separator: "\n") {
            let cells = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard cells.count == 9, let first = Int(cells[1]), let last = Int(cells[2]) else { continue }
            let field = CalpadsField(
                number: cells[3], name: cells[4], label: cells[5], maxLength: Int(cells[6]) ?? 0,
                required: cells[7] == "Y", isDate: cells[8] == "Y")
            if let i = layouts.lastIndex(where: { $0.type == cells[0] && $0.firstYear == first }) {
                layouts[i].fields.append(field)
            } else {
                layouts.append(CalpadsLayout(type: cells[0], firstYear: first, lastYear: last, fields: [field]))
            }
        }
        for line in CalpadsLayoutData.specs.split(separator: "\n") {
            let cells = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard cells.count == 5, let first = Int(cells[1]),
                let i = layouts.firstIndex(where: { $0.type == cells[0] && $0.firstYear == first })
            else { continue }
            layouts[i].spec = cells[3]
            layouts[i].sources = cells[4]
        }
        return layouts
    }()

    /// Where a layout's facts are thinner than the File Specifications' (by type): shown by
    /// `tally layouts`.
    public static let sourceNotes: [String: String] = [
        "SPED":
            "from the ODS extract's column list (2020): no field lengths, numbered by position as 14.NN; SPED was retired in 2023-24 (SWDS, PLAN, MEET, SERV replaced it)",
        "SSRV": "from the ODS extract's column list (2020): no field lengths, numbered by position as 15.NN; SSRV was retired in 2023-24",
        "SWDS":
            "from CALPADS error documentation (field numbers 22.NN) and a SEDS vendor's article: 22.07, 22.08 and 22.10 are inferred, not confirmed, and some lengths are unknown (unchecked); PLAN, MEET and SERV, SPED's other successors, are not yet transcribed",
        "SDIS":
            "legacy discipline file, replaced by SINC, SIRS and SOFF in 2019-20: field numbers unknown (numbered by position, #1 ...), years uncertain",
    ]

    /// The file types, in registry order.
    public static var types: [String] {
        var seen: [String] = []
        for l in all where !seen.contains(l.type) { seen.append(l.type) }
        return seen
    }

    public static func layouts(for type: String) -> [CalpadsLayout] {
        all.filter { $0.type == type.uppercased() }
    }

    /// The layout for a type in an academic year (`2024-2025` or `2024-25`); the newest when nil.
    public static func layout(_ type: String, year: Int?) -> CalpadsLayout? {
        let candidates = layouts(for: type)
        guard let year else { return candidates.max { $0.firstYear < $1.firstYear } }
        return candidates.first { $0.firstYear <= year && year <= $0.lastYear }
            ?? (year < (candidates.map(\.firstYear).min() ?? 0) ? candidates.min { $0.firstYear < $1.firstYear } : nil)
    }

    /// The starting year of an academic year written `CCYY-CCYY` (or `CCYY-YY`), if well formed.
    public static func startYear(_ academicYear: String) -> Int? {
        let parts = academicYear.split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, let a = Int(parts[0]), let b = Int(parts[1]) else { return nil }
        if parts[1].count == 4, b == a + 1 { return a }
        if parts[1].count == 2, b == (a + 1) % 100 { return a }
        return nil
    }
}
