import Foundation
import TallyCore
import TallyModel

/// The words of the language (docs/LANGUAGE.md): statements, pipeline steps, and the words used
/// inside them.
enum Vocabulary {
    static let statements = [
        "playbook", "param", "load", "assert", "compare", "save", "snapshot", "export", "show", "profile", "mask", "track",
    ]
    static let words = [
        "from", "to", "as", "with", "by", "on", "in", "is", "null", "not", "and", "or", "like", "between", "empty",
        "unique", "valid", "calpads", "year", "severity", "error", "warning", "message", "id", "columns", "where",
        "limit", "inner", "left", "anti", "semi", "expect", "desc", "asc", "header", "true", "false", "required",
        "path", "text", "integer", "decimal", "date", "boolean", "csv", "tsv", "xlsx", "delimited", "sheet",
        "tolerance", "expected", "previous", "run", "snapshot", "masked", "unmasked", "split", "trim", "upper",
        "values", "across", "into", "all", "except", "case", "when", "then", "else", "end",
    ]
    /// The aggregate functions (`aggregate`, `window`, table-level asserts).
    static let aggregates: [(String, String)] = [
        ("count", "count() — rows (count(x): rows where x is not null)"),
        ("count_distinct", "count_distinct(x) — distinct values of x, nulls left out"),
        ("sum", "sum(x)"), ("min", "min(x)"), ("max", "max(x)"), ("avg", "avg(x)"),
    ]
}

extension LanguageServer {
    /// Completion: file paths inside `load … from "`; after `| ` the steps; after `calpads ` the
    /// layouts; otherwise the columns of the table flowing into the step, parameters, tables,
    /// functions and keywords (and CALPADS layouts and rule IDs for a word in capitals).
    func completion(_ doc: Document, at position: Position) -> JSON {
        let prefix = doc.prefix(position)
        if let typed = LanguageServer.pathBeingWritten(prefix) { return JSON.from(files(doc, typed)) }
        let word = String(prefix.reversed().prefix { Document.isWord($0) }.reversed())
        let before = prefix.dropLast(word.count)
        let trimmed = before.trimmingCharacters(in: .whitespaces)
        let analysis = analysis(doc)
        var items: [CompletionItem] = []
        func add(_ label: String, _ kind: Int, _ detail: String?, _ rank: Int) {
            items.append(
                CompletionItem(
                    label: label, kind: kind, detail: detail, documentation: nil, insertText: nil,
                    sortText: "\(rank)\(label)"))
        }
        // `T.` : T's columns.
        if before.hasSuffix("."), let table = before.dropLast().reversed().split(whereSeparator: { !Document.isWord($0) }).first {
            let schema = analysis.tables[String(table.reversed())]
            for column in schema?.columns ?? [] { add(column.name, 5, column.type.rawValue, 0) }
            return JSON.from(items)
        }
        if trimmed.hasSuffix("|") || (trimmed.isEmpty && doc.line(position.line).trimmingCharacters(in: .whitespaces).hasPrefix("|")) {
            for step in StepRegistry.keywords { add(step, 14, "step", 0) }
            return JSON.from(items)
        }
        if trimmed.hasSuffix("calpads") {
            for layout in CalpadsLayouts.all { add(layout.type, 21, "CALPADS layout", 0) }
            for word in ["errors", "report"] { add(word, 14, nil, 1) }
            return LanguageServer.distinct(items)
        }
        let flowing = Analyzer.flowingTable(doc, at: position, store: store(doc), params: params, fallback: analysis.tables)
        for column in flowing?.schema.columns ?? [] {
            add(column.name, 5, "\(column.type.rawValue) column\(flowing?.name.map { " of \($0)" } ?? "")", 0)
        }
        if let playbook = playbook(doc) {
            for definition in Analyzer.definitions(playbook) {
                if definition.isParam, case .param(_, let type, _, _, let isPath) = definition.node.statement {
                    add(definition.name, 6, "parameter: \(isPath ? "path" : type.rawValue)", 1)
                } else if !definition.isParam {
                    let count = analysis.tables[definition.name]?.columns.count
                    add(definition.name, 22, "table" + (count.map { ", \($0) columns" } ?? ""), 2)
                }
            }
        }
        for (name, function) in FunctionRegistry.all.sorted(by: { $0.key < $1.key }) { add(name, 3, function.signature, 3) }
        for (name, signature) in Vocabulary.aggregates { add(name, 3, signature, 3) }
        let atStart = trimmed.isEmpty && doc.statementStart(position.line) == position.line
        for keyword in atStart ? Vocabulary.statements : Vocabulary.words + Vocabulary.statements { add(keyword, 14, nil, 4) }
        // CALPADS layouts and rule IDs: for a word in capitals (SENR, SENR0…) or inside text.
        let inText = prefix.filter { $0 == "\"" }.count % 2 == 1
        if inText || (word.count >= 2 && word == word.uppercased() && word.first?.isLetter == true) {
            for layout in CalpadsLayouts.all { add(layout.type, 21, "CALPADS layout", 5) }
            for rule in CalpadsRules.all where word.isEmpty || rule.id.hasPrefix(word.uppercased()) {
                add(rule.id, 21, rule.description, 6)
            }
        }
        return LanguageServer.distinct(items)
    }

    /// One item per label (a column and a table may share a name: the column, ranked first,
    /// stays; a layout of several years is one item).
    static func distinct(_ items: [CompletionItem]) -> JSON {
        var seen = Set<String>()
        return JSON.from(items.filter { seen.insert($0.label).inserted })
    }

    /// The path typed so far when the line is `load … from "…` with the quote still open.
    static func pathBeingWritten(_ prefix: String) -> String? {
        guard prefix.filter({ $0 == "\"" }).count % 2 == 1, let quote = prefix.lastIndex(of: "\"") else { return nil }
        let head = prefix[..<quote].trimmingCharacters(in: .whitespaces)
        guard head.hasSuffix(" from") || head.hasSuffix(" to"),
            head.trimmingCharacters(in: .whitespaces).hasPrefix("load") || head.hasPrefix("export")
        else { return nil }
        return String(prefix[prefix.index(after: quote)...])
    }

    /// The files and folders in the folder a path typed so far names (relative to the playbook).
    func files(_ doc: Document, _ typed: String) -> [CompletionItem] {
        let folderPart = typed.contains("/") ? String(typed[...(typed.lastIndex(of: "/") ?? typed.startIndex)]) : ""
        let base = (doc.path as NSString).deletingLastPathComponent
        let folder = folderPart.hasPrefix("/") ? folderPart : base + "/" + folderPart
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        let showHidden = typed.split(separator: "/").last?.hasPrefix(".") == true
        return names.sorted().filter { showHidden || !$0.hasPrefix(".") }.prefix(500).map { name in
            var isFolder: ObjCBool = false
            FileManager.default.fileExists(atPath: folder + "/" + name, isDirectory: &isFolder)
            return CompletionItem(
                label: name + (isFolder.boolValue ? "/" : ""), kind: isFolder.boolValue ? 19 : 17,
                detail: folderPart + name, documentation: nil, insertText: name + (isFolder.boolValue ? "/" : ""),
                sortText: (isFolder.boolValue ? "0" : "1") + name)
        }
    }
}
