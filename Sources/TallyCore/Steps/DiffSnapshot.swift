import TallyModel

/// `diff snapshot "NAME" [as of RUN_ID | as of "LABEL"] [scope (P, ...)]`: the rows added,
/// removed and changed since the table was last snapshot under NAME (the QA store).
public struct DiffSnapshotStep: StepKind {
    public static let keyword = "diff"
    public static let usage =
        #"diff snapshot "NAME" [as of RUN_ID | as of "LABEL"] [scope (P, ...)] — rows added, removed and changed since the snapshot"#
    /// The snapshot's name.
    public var name: String
    var asOf: SnapshotBaseline?
    /// The parameters a baseline must share (nil: the default scope, see `BaselineScope`).
    public var scope: [Name]?

    public static func parse(_ p: inout Parser) throws -> Self {
        try p.expectKeyword("snapshot")
        let snapshot = try p.string("the snapshot's name in quotes").0
        var baseline: SnapshotBaseline? = nil
        if p.acceptKeyword("as") {
            try p.expectKeyword("of")
            if case .integer(let id) = p.current.kind {
                _ = p.advance(); baseline = .run(id)
            } else {
                baseline = .label(try p.string("a run id or a run label in quotes, e.g. as of \"certified\"").0)
            }
        }
        return Self(name: snapshot, asOf: baseline, scope: try p.scopeClause())
    }

    public var tablesRead: [String] { [] }
    /// It reads the QA store, which no cell key covers.
    public var cacheable: Bool { false }

    public func lineage(_ ctx: LineageContext) -> ColumnLineage {
        var out = ctx.input
        out["changes"] = [Lineage.changes]
        return out
    }

    public func schema(_ input: Schema, _ ctx: StepCheckContext) throws -> Schema {
        var schema = input
        schema.columns.insert(Schema.Field(name: "change", type: .text), at: 0)
        schema.columns.append(Schema.Field(name: "changes", type: .text))
        return schema
    }

    public func run(_ input: Table, _ ctx: StepRunContext) throws -> (Table, StepResult) {
        let span = ctx.span
        guard let services = ctx.services else {
            throw Diagnostic(.storeNeeded, "diff snapshot needs the QA store", file: ctx.file, span: span)
        }
        let (output, baseline) = try services.diffSnapshot(input, name: name, asOf: asOf, scope: scope, span: span)
        var result = StepResult(keyword: "diff", rowsIn: input.rowCount, rowsOut: output.rowCount)
        var counts: [String: Int] = [:]
        if let change = output.column("change") {
            for row in 0..<output.rowCount { counts[change.value(row).display, default: 0] += 1 }
        }
        result.notes = [
            "\(counts["added"] ?? 0) added, \(counts["removed"] ?? 0) removed, \(counts["changed"] ?? 0) changed since snapshot \"\(name)\" \(baseline)"
        ]
        return (output, result)
    }
}
