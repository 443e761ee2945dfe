import TallyModel

/// The other files a cross-file rule reads: `validate calpads SENR with sinf, sprg, sela`.
///
/// Each `with` table is identified as a CALPADS file type — by its Record Type Code when it has
/// one, else by the layout whose fields its columns hold — so the order of the list does not
/// matter. A single table Tally cannot identify (a SIS export with an `SSID` column, say) stands
/// for the file the type has always been validated with (SENR with SINF, SPRG with SENR, …), as
/// before the list form existed.
public struct CalpadsPartners {
    public private(set) var byType: [String: Table] = [:]

    public init() {}

    /// The table standing for file `type` (`"SINF"`), if one was given.
    public subscript(_ type: String) -> Table? { byType[type] }

    /// File types that share a layout (enrollment and completion records of course sections).
    static let twins = ["SCSE": "SCSC", "SCSC": "SCSE", "CRSE": "CRSC", "CRSC": "CRSE"]

    /// The file a type was validated with before `with` took a list.
    public static let defaultPartner: [String: String] = [
        "SENR": "SINF", "SPRG": "SENR", "SELA": "SENR", "STAS": "SENR", "SASS": "SDEM", "SCSE": "CRSE", "SCSC": "CRSE",
    ]

    /// The files rules of `type` read, from the rules' `with` column (`sinf`, `sprg,sela`), upper case.
    public static func uses(_ type: String) -> [String] {
        var out: [String] = []
        for rule in CalpadsRules.all where rule.types.contains(type) || rule.types == ["*"] {
            for name in rule.with.split(separator: ",") {
                let t = name.trimmingCharacters(in: .whitespaces).uppercased()
                if !t.isEmpty, !out.contains(t) { out.append(t) }
            }
        }
        // The file the type has always been validated with first, then the others alphabetically.
        let first = defaultPartner[type]
        return (first.map { [$0] } ?? []) + out.filter { $0 != first }.sorted()
    }

    /// The CALPADS file type a set of columns is: the type with the most fields among those whose
    /// every field (in some year's layout) is a column. Nil when no layout fits.
    public static func type(ofColumns names: [String]) -> String? {
        let have = Set(names)
        var best: (type: String, count: Int)?
        for layout in CalpadsLayouts.all where layout.fields.allSatisfy({ have.contains($0.name) }) {
            if layout.fields.count > best?.count ?? 0 { best = (layout.type, layout.fields.count) }
        }
        return best?.type
    }

    /// The type of a loaded table: its first Record Type Code if it names a layout, else its columns'.
    public static func type(of table: Table) -> String? {
        if let c = table.column("RecordTypeCode") {
            for row in 0..<table.rowCount where !c.isNull(row) {
                let code = c.value(row).display.uppercased()
                if !CalpadsLayouts.layouts(for: code).isEmpty { return code }
                break
            }
        }
        return type(ofColumns: table.names)
    }

    /// Why a `with` list cannot be used: which of its tables, what is wrong, what to do.
    public struct Problem: Error {
        public var index: Int
        public var message: String
        public var help: String
    }

    /// Sorts the `with` tables of `validate calpads TYPE` by file type. `names` are the tables'
    /// names in the playbook, for messages. Fails on two tables of one type, a type the rules of
    /// `type` do not read, or (with more than one table) a table whose type is unknown.
    public static func sort(
        _ tables: [(name: String, table: Table?, columns: [String])],
        for type: String
    ) -> Result<CalpadsPartners, Problem> {
        var partners = CalpadsPartners()
        let used = uses(type)
        var given: [String: String] = [:]
        for (index, (name, table, columns)) in tables.enumerated() {
            var partnerType = table.flatMap { Self.type(of: $0) } ?? Self.type(ofColumns: columns)
            if partnerType == nil || partnerType == type, tables.count == 1 { partnerType = defaultPartner[type] }
            // CRSC shares CRSE's layout: a course completion file stands for the courses too.
            if partnerType == "CRSC", !used.contains("CRSC") { partnerType = "CRSE" }
            // Checking a playbook there are only columns, which cannot tell SCSE from SCSC or CRSE
            // from CRSC (one layout each pair): the table is the twin the rules read, if not yet given.
            if table == nil, let t = partnerType, let twin = twins[t], !used.contains(t) || given[t] != nil, used.contains(twin),
                given[twin] == nil
            {
                partnerType = twin
            }
            guard let t = partnerType else {
                return .failure(
                    Problem(
                        index: index, message: "validate calpads \(type): cannot tell which CALPADS file \(name) is",
                        help: "load it as calpads TYPE (its columns must be a layout's), or give it alone after with"))
            }
            guard used.contains(t) else {
                let list = used.map { $0.lowercased() }.joined(separator: ", ")
                return .failure(
                    Problem(
                        index: index, message: "\(name) is a \(t) file, which no rule of validate calpads \(type) reads",
                        help: used.isEmpty
                            ? "\(type) has no cross-file rules; drop with"
                            : "its cross-file rules read \(list) (tally rules \(type))"))
            }
            if let other = given[t] {
                return .failure(
                    Problem(
                        index: index, message: "validate calpads \(type) with two \(t) files: \(other) and \(name)",
                        help: "give each file once"))
            }
            given[t] = name
            if let table { partners.byType[t] = table }
        }
        return .success(partners)
    }

    /// `sort` for the run: a problem is an error naming the playbook file.
    public static func sort(_ tables: [(name: String, table: Table)], for type: String, file: String) throws -> CalpadsPartners {
        switch sort(tables.map { ($0.name, $0.table, $0.table.names) }, for: type) {
        case .success(let p): return p
        case .failure(let p): throw Diagnostic(.recordType, .error, p.message, file: file, help: p.help)
        }
    }
}
