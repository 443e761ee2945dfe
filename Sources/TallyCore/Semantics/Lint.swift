import TallyModel

/// Habits that run but can silently change a result: warnings at check time, never errors.
///
/// Codes and IDs are text, and text orders alphabetically: `GradeLevelCode > "05"` holds for
/// "KN" and "TK", and `max(GradeLevelCode)` is "TK". Comparing a text column with `<`, `>`,
/// `between` or taking its `min`/`max`/`sort` is allowed (dates written as text in ISO order,
/// names) but said, with the functions that compare on purpose.
enum Lint {
    static func warning(_ code: DiagnosticCode, _ message: String, _ file: String, _ span: SourceSpan, help: String) -> Diagnostic {
        Diagnostic(code, .warning, message, file: file, line: span.line, column: span.column, length: span.length, help: help)
    }

    /// What to write instead for a column of codes or numbers kept as text.
    static func help(_ column: String) -> String {
        column.lowercased().contains("grade")
            ? "to order grades, compare grade_order(\(column)) (TK -1, KN 0, 01 1 … 12 12)"
            : "to compare as numbers, use number(\(column)) or integer(\(column)); to compare as text, this is right"
    }

    /// Ordering comparisons of a text column with text in an expression over `schema`.
    static func expression(_ expr: Expr, _ schema: Schema, _ file: String, into warnings: inout [Diagnostic]) {
        func textColumn(_ e: Expr) -> String? {
            if case .name(let n) = e.kind, schema.type(of: n) == .text { return n }
            return nil
        }
        func isText(_ e: Expr) -> Bool { if case .literal(.text) = e.kind { return true }; return false }
        switch expr.kind {
        case .binary(let op, let l, let r):
            if ["<", "<=", ">", ">="].contains(op), let column = textColumn(l) ?? textColumn(r), isText(l) || isText(r) {
                warnings.append(
                    warning(
                        .textComparedAsNumbers, "\(column) is text: \(op) compares it alphabetically (\"KN\" > \"05\", \"9\" > \"10\")",
                        file,
                        expr.span, help: help(column)))
            }
            expression(l, schema, file, into: &warnings)
            expression(r, schema, file, into: &warnings)
        case .between(let v, let low, let high, _):
            if let column = textColumn(v), isText(low) || isText(high) {
                warnings.append(
                    warning(
                        .textComparedAsNumbers,
                        "\(column) is text: between compares it alphabetically (\"KN\" is between \"01\" and \"12\")", file,
                        expr.span, help: help(column)))
            }
            for e in [v, low, high] { expression(e, schema, file, into: &warnings) }
        case .unary(_, let e), .isNull(let e, _): expression(e, schema, file, into: &warnings)
        case .inList(let e, let items, _): for x in [e] + items { expression(x, schema, file, into: &warnings) }
        case .like(let a, let b, _): for x in [a, b] { expression(x, schema, file, into: &warnings) }
        case .call(_, let args): for x in args { expression(x, schema, file, into: &warnings) }
        case .literal, .name, .qualified: break
        }
    }

    /// A text column whose name says it holds grades (01 … 12, KN, TK): ordered as text, KN and
    /// TK come after 12. (Each step's own habits are its kind's `lint`.)
    static func isGradeText(_ name: Name, _ schema: Schema) -> Bool {
        schema.type(of: name.text) == .text && name.text.lowercased().contains("grade")
    }

    /// `min`/`max` of grades as text (aggregate and window items).
    static func gradeExtremes(_ items: [(name: Name, function: Name, argument: Expr?)], _ schema: Schema, _ file: String) -> [Diagnostic] {
        var warnings: [Diagnostic] = []
        for item in items where ["min", "max"].contains(item.function.text) {
            guard let argument = item.argument, case .name(let column) = argument.kind, schema.type(of: column) == .text,
                column.lowercased().contains("grade")
            else { continue }
            warnings.append(
                warning(
                    .textComparedAsNumbers,
                    "\(column) is text: \(item.function.text) takes the alphabetically \(item.function.text == "max" ? "last" : "first") (max is TK, not 12)",
                    file, argument.span, help: "\(item.function.text)(grade_order(\(column))) gives the grade's place"))
        }
        return warnings
    }
}
