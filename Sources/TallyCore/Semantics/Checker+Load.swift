import Foundation
import TallyModel

extension Checker {
    /// A `load`: the path (inside the places allowed), the format, the options, and the schema it gives.
    func checkLoad(
        _ index: Int, _ node: StatementNode, name: Name, path: String, pathSpan: SourceSpan, format: FormatSpec?, options: IOOptions
    ) {
        var failed = true
        record {
            let resolved = try resolvePath(path, pathSpan)
            let fmt = try formatFor(format, path: resolved.path, span: pathSpan, verb: "read")
            if let masked = options.masked {
                throw error(
                    .exportOption, "\(masked ? "masked" : "unmasked") applies to an export, not a load", pathSpan,
                    help: "mask columns in every output with a mask statement: mask SSID")
            }
            if options.raw {
                throw error(.exportOption, "raw applies to a CSV, TSV or delimited export, not a load", pathSpan)
            }
            if options.map {
                throw error(
                    .exportOption, "map applies to a CALPADS export (export T to \"SENR.txt\" as calpads SENR with map), not a load",
                    pathSpan,
                    help: "load a map a CALPADS export wrote as csv: load senr_map from \"out/SENR.txt.map\" as csv")
            }
            let request = LoadRequest(
                table: name.text, path: resolved.path, displayPath: resolved.display,
                format: fmt, options: options, span: pathSpan)
            loads[index] = request
            let schema = try source(request)
            for column in options.upper {
                guard let type = schema.type(of: column.text) else {
                    throw error(
                        .unknownColumn, "the file has no column \"\(column.text)\" to upper-case", column.span,
                        help: Suggest.help(for: column.text, in: schema.columns.map(\.name)))
                }
                if type != .text {
                    throw error(.badOperand, "upper applies to text columns; \(column.text) is \(type.rawValue)", column.span)
                }
            }
            define(name, schema, index: index)
            failed = false
        }
        if failed { poisoned.insert(name.text) }
    }
}
