import TallyModel

/// What the steps that close the loop with what CALPADS sends back share: `locate in TABLE`
/// (Locate.swift) and `annotate with FINDINGS` (Annotate.swift).
enum ReturnSteps {
    static let locateColumns: [Schema.Field] = [
        .init(name: "source_file", type: .text), .init(name: "source_line", type: .integer), .init(name: "located_by", type: .text),
    ]
    static let annotateColumns: [Schema.Field] = [
        .init(name: "predicted", type: .boolean), .init(name: "tally_finding", type: .text),
        .init(name: "tally_rule", type: .text), .init(name: "note", type: .text),
    ]

    /// A table plus columns (an existing column of the same name is replaced).
    static func appending(_ fields: [Schema.Field], to input: Schema) -> Schema {
        var schema = input
        let names = Set(fields.map(\.name))
        schema.columns.removeAll { names.contains($0.name) }
        schema.columns += fields
        return schema
    }

    /// Identifiers compare as written, except that leading zeros are ignored between two digit
    /// strings (a map read back as CSV may have typed a school code as a number).
    static func key(_ s: String) -> String {
        let t = s.trimmedSpaces()
        guard !t.isEmpty, t.allSatisfy({ $0.isASCII && $0.isNumber }) else { return t }
        let stripped = t.drop { $0 == "0" }
        return stripped.isEmpty ? "0" : String(stripped)
    }

    static func text(_ column: Column?, _ row: Int) -> String? {
        guard let column, !column.isNull(row) else { return nil }
        let v = column.value(row).display.trimmedSpaces()
        return v.isEmpty ? nil : v
    }
}
