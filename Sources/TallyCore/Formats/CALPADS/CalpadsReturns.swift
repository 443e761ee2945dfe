import Foundation
import TallyModel

/// Reads what CALPADS sends back after a submission: the submission error reports (0.1 for
/// SENR, SELA, SPRG, SWAV, SDIS, SCTE, STAS; 0.4 for CRSE, CRSC; 0.5 for SCSE, SCSC), the
/// Rejected Records Extract, and certification report extracts (1.1, 1.17, 8.1).
///
/// CALPADS publishes these shapes in prose, not as a specification, and the downloads differ a
/// little by report and year (title lines above the header, labels that differ from the screen).
/// So headers are matched by meaning, not spelling (`School`, `School Code` and `School of
/// Attendance` are all `SchoolOfAttendance`), and every uncertain variant is accepted:
/// docs/LANGUAGE.md, *What CALPADS sends back*, lists them.
public enum CalpadsReturns {
    /// Report 0.1's columns in their documented order; a file without a header is read in it.
    public static let errorReportColumns = [
        "StudentName", "SSID", "LocalStudentID", "LocalRecordID", "SchoolOfAttendance",
        "ErrorCode", "ErrorDescription", "FieldName", "FieldValue", "ErrorSeverity",
    ]
    /// The error fields the Rejected Records Extract adds after the layout's fields (once, or
    /// once per error of the record).
    public static let rejectedErrorColumns = ["ErrorCode", "ErrorSeverity", "ErrorDescription", "FieldName", "FieldValue"]
    /// The column every error table gets: the error code without a certification suffix, the ID
    /// Tally's rules use (`SENR0439F1` → `SENR0439`).
    public static let ruleColumn = "RuleID"
    /// The certification reports `as calpads report "NAME"` reads.
    public static let reportNames = ["1.1", "1.17", "8.1"]
    /// Lines searched for a header row (report downloads put titles and filters above it).
    static let headerSearchLines = 20

    /// Header labels by meaning: the key is the label in lower case with only letters and digits.
    static let synonyms: [String: String] = {
        var map: [String: String] = [:]
        let groups: [String: [String]] = [
            "StudentName": ["studentname", "name", "studentfullname", "studentlegalname"],
            "SSID": ["ssid", "statewidestudentid", "statewidestudentidentifier", "studentssid"],
            "LocalStudentID": ["localstudentid", "localid", "studentlocalid", "localstudentidentifier"],
            "LocalRecordID": ["localrecordid", "recordid", "localrecordidentifier"],
            "SchoolOfAttendance": ["schoolofattendance", "school", "schoolcode", "schoolid", "schoolofattendancecode"],
            "SchoolName": ["schoolname", "schoolofattendancename"],
            "ReportingLEA": ["reportinglea", "lea", "leacode", "reportingleacode"],
            "AcademicYearID": ["academicyear", "academicyearid", "year"],
            "ErrorCode": ["errorcode", "errorid", "errornumber", "error", "errorcodeid", "ruleid", "validationcode"],
            "ErrorDescription": ["errordescription", "errormessage", "description", "message", "errortext"],
            "FieldName": ["fieldname", "field", "fieldsvalidated", "element", "dataelement"],
            "FieldValue": ["fieldvalue", "value", "submittedvalue"],
            "ErrorSeverity": ["errorseverity", "severity", "errortype", "severitylevel"],
            "GradeLevelCode": ["gradelevelcode", "grade", "gradelevel", "gradecode"],
            "TotalEnrollment": [
                "totalenrollment", "censusdayenrollment", "enrollment", "totalcensusdayenrollment", "primaryenrollment",
                "totalprimaryenrollment", "enrolled",
            ],
            "FreeReducedMeal": [
                "freereducedmealprogram", "frpm", "freereducedmeal", "freereducedmealeligible", "frpmeligible",
                "freeandreducedmealprogram", "freereducedpricemeals", "frpmcount",
            ],
            "EnglishLearner": ["englishlearner", "englishlearnerel", "englishlearners", "el", "elcount", "englishlearnerscount"],
            "FosterYouth": ["foster", "fosteryouth", "fostercount"],
            "TribalFosterYouth": ["tribalfosteryouth", "tribalfoster", "tribalfosteryouthcount"],
            "Homeless": ["homeless", "homelesscount"],
            "Migrant": ["migrant", "migrantprogram", "migrantcount"],
            "DirectCertification": ["directcertification", "directcert", "directlycertified"],
            "UnduplicatedFRPM": [
                "unduplicatedfrpmeligiblecount", "totalunduplicatedeligiblefreereducedmealcounts",
                "unduplicatedeligiblefreereducedmealcounts", "unduplicatedfrpm",
            ],
            "UnduplicatedCount": [
                "unduplicatedfrpmelfosteryouth", "unduplicatedfrpmelfostercount", "unduplicatedfrpmelfoster",
                "calpadsunduplicatedpupilcountupc", "unduplicatedpupilcount", "upc", "unduplicatedcount",
                "totalunduplicatedfrpmelfostercount", "unduplicatedfrpmelfosteryouthcount",
            ],
            "SocioeconomicallyDisadvantaged": ["socioeconomicallydisadvantaged", "socioeconomicallydisadvantagedcount"],
        ]
        for (name, keys) in groups { for k in keys { map[k] = name } }
        return map
    }()

    /// Count columns of certification reports: read as integers (`1,234` too).
    static let countColumns: Set<String> = [
        "TotalEnrollment", "FreeReducedMeal", "EnglishLearner", "FosterYouth", "TribalFosterYouth", "Homeless", "Migrant",
        "DirectCertification", "UnduplicatedFRPM", "UnduplicatedCount",
        "SocioeconomicallyDisadvantaged",
    ]

    static func key(_ label: String) -> String {
        String(
            label.lowercased().unicodeScalars.filter { ($0.value >= 97 && $0.value <= 122) || ($0.value >= 48 && $0.value <= 57) }.map(
                Character.init))
    }

    /// A label in Tally's column convention: a known meaning's name, else the words in
    /// UpperCamelCase (`Charter School (Y/N)` → `CharterSchoolYN`).
    public static func columnName(_ label: String) -> String {
        let trimmed = label.trimmedSpaces()
        if let known = synonyms[key(trimmed)] { return known }
        let words = trimmed.split { !($0.isLetter || $0.isNumber) }
        let name = words.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        return name.isEmpty ? trimmed : name
    }

    /// CALPADS writes a severity as one letter (`F`, `W`) in extracts and as a word in reports:
    /// both become Tally's own `fatal` / `warning`, so findings and returns compare.
    public static func severity(_ raw: String) -> String {
        let v = raw.trimmedSpaces()
        switch v.lowercased() {
        case "f", "fatal": return "fatal"
        case "w", "warning": return "warning"
        default: return v
        }
    }

    /// The error code without a certification window's suffix: `SENR0439F1` → `SENR0439`.
    public static func ruleID(_ code: String) -> String {
        let c = code.trimmedSpaces().uppercased()
        let b = Array(c.utf8)
        // Four letters, four digits, then F1/F2 (Fall 1, Fall 2) or E (End of Year) and a digit.
        if b.count >= 10, b.count <= 11, b[0..<4].allSatisfy({ $0 >= 65 && $0 <= 90 }), b[4..<8].allSatisfy({ $0 >= 48 && $0 <= 57 }),
            b[8] == UInt8(ascii: "F") || b[8] == UInt8(ascii: "E")
        {
            return String(c.prefix(8))
        }
        return c
    }

    /// A field as CALPADS names it in a report (`Grade Level Code`, `1.24 - Grade Level Code`,
    /// `1.24`) as the column name Tally's layouts give it (`GradeLevelCode`), so that masking and
    /// joins see the same name; a field no layout has keeps its words in UpperCamelCase.
    public static func fieldColumn(_ field: String) -> String {
        let t = field.trimmedSpaces()
        guard !t.isEmpty else { return t }
        var number = "", label = t
        if let first = t.first, first.isNumber {
            let parts = t.split(separator: "-", maxSplits: 1).map { String($0).trimmedSpaces() }
            number = parts[0].split(separator: " ").first.map { String($0) } ?? ""
            label = parts.count > 1 ? parts[1] : ""
        }
        if !number.isEmpty, let f = fieldsByNumber[number] { return f }
        if !label.isEmpty, let f = fieldsByLabel[key(label)] { return f }
        if !label.isEmpty, let f = fieldByShortLabel(label) { return f }
        return label.isEmpty ? t : columnName(label)
    }

    /// The one field whose layout label has the words of a shorter label in order: CALPADS'
    /// screens and reports say `Enrollment Start Date` for the layout's Enrollment School Start
    /// Date (`EnrollmentSchoolStartDate`, the column `load` and `validate` give). Nil when no
    /// field or more than one fits, or the label is a single word (`Date` fits too many).
    static func fieldByShortLabel(_ label: String) -> String? {
        let words = labelWords(label)
        guard words.count >= 2 else { return nil }
        var found: String? = nil
        for (fieldWords, name) in labelsWords where fieldWords.count > words.count {
            var i = 0
            for w in fieldWords where i < words.count && w == words[i] { i += 1 }
            guard i == words.count else { continue }
            if let found, found != name { return nil }
            found = name
        }
        return found
    }

    static func labelWords(_ label: String) -> [String] {
        label.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    static let labelsWords: [([String], String)] = {
        var seen = Set<String>()
        var out: [([String], String)] = []
        for layout in CalpadsLayouts.all {
            for f in layout.fields where seen.insert(f.label + "\u{1F}" + f.name).inserted { out.append((labelWords(f.label), f.name)) }
        }
        return out
    }()

    static let fieldsByNumber: [String: String] = {
        var map: [String: String] = [:]
        for layout in CalpadsLayouts.all { for f in layout.fields where map[f.number] == nil { map[f.number] = f.name } }
        return map
    }()

    static let fieldsByLabel: [String: String] = {
        var map: [String: String] = [:]
        for layout in CalpadsLayouts.all { for f in layout.fields where map[key(f.label)] == nil { map[key(f.label)] = f.name } }
        return map
    }()

    // MARK: error reports

    /// Reads a submission error report (0.1, 0.4 or 0.5) as CSV: one row per error, columns
    /// named as Tally names them, plus `RuleID`. Title lines above the header are skipped; a file
    /// without a header is read in report 0.1's column order.
    public static func readErrors(_ input: InputFile, encoding: String?) throws -> Table {
        // Error reports and extracts are read field by field from an array (they are small).
        let text = try input.textBytes(encoding: encoding).array
        let file = input.displayName
        let lines = firstLines(text, count: headerSearchLines)
        let headerAt = lines.firstIndex { line in line.cells.contains { columnName($0) == "ErrorCode" } }
        var table: Table
        if let headerAt {
            table = try readCSV(text, from: lines[headerAt].offset, skippedLines: headerAt, header: true, file: file, input: input)
            table = renamed(table, file: file, line: headerAt + 1)
        } else {
            guard let first = lines.first(where: { !$0.cells.allSatisfy { $0.trimmedSpaces().isEmpty } }) else {
                throw Diagnostic(
                    .emptyFile, .error, "this CALPADS error report has no rows", file: file,
                    help: "download the report as CSV from CALPADS (Reports → Submission → 0.1)")
            }
            guard first.cells.count == errorReportColumns.count else {
                throw Diagnostic(
                    .emptyFile, .error,
                    "no header row with an Error Code column in the first \(headerSearchLines) lines, and the first row has \(first.cells.count) fields, not the \(errorReportColumns.count) of report 0.1",
                    file: file, line: lines.firstIndex { $0.offset == first.offset }.map { $0 + 1 } ?? 1,
                    help:
                        "a 0.1 report has: Student Name, SSID, Local Student ID, Local Record ID, School of Attendance, Error Code, Error Description, Field Name, Field Value, Error Severity"
                )
            }
            table = try readCSV(text, from: 0, skippedLines: 0, header: false, file: file, input: input)
            guard table.columnCount == errorReportColumns.count else {
                throw Diagnostic(
                    .headerlessFile, .error,
                    "a 0.1 report without a header has \(errorReportColumns.count) fields per row; this file has \(table.columnCount)",
                    file: file, line: 1)
            }
            table = Table(names: errorReportColumns, columns: table.columns, provenance: table.provenance)
        }
        guard table.column("ErrorCode") != nil else {
            throw Diagnostic(.missingKeyColumn, .error, "this error report has no Error Code column", file: file, line: (headerAt ?? 0) + 1)
        }
        return withErrorColumns(table)
    }

    /// Every text column trimmed, `FieldName` as Tally's column name, and `RuleID` added.
    static func withErrorColumns(_ table: Table) -> Table {
        var out = table
        for (k, name) in table.names.enumerated() {
            guard case .text(let codes, let dictionary) = table.columns[k].data else { continue }
            let fresh = TextDictionary()
            let remap = dictionary.values.map { v in
                fresh.intern(name == "FieldName" ? fieldColumn(v) : name == "ErrorSeverity" ? severity(v) : v.trimmedSpaces())
            }
            out.setColumn(
                name,
                Column(
                    data: .text(codes: codes.map { Int($0) < remap.count ? remap[Int($0)] : 0 }, dictionary: fresh),
                    validity: table.columns[k].validity))
        }
        if let code = out.column("ErrorCode") {
            var builder = ColumnBuilder(type: .text, capacity: out.rowCount)
            for row in 0..<out.rowCount { builder.append(code.isNull(row) ? .null : .text(ruleID(code.value(row).display))) }
            out.setColumn(ruleColumn, builder.build())
        }
        return out
    }

    // MARK: rejected records

    /// Reads a Rejected Records Extract: the layout's fields (record type `SENR-E`, transaction
    /// type blank) followed by the five error fields — once, or once per error in one record —
    /// one row per error. A record repeated once per error is read as it is.
    public static func readRejected(_ input: InputFile, type: String, year: String?, encoding: String?) throws -> (Table, CalpadsLayout) {
        // Error reports and extracts are read field by field from an array (they are small).
        let text = try input.textBytes(encoding: encoding).array
        let file = input.displayName
        let layout = try CalpadsReader.pickLayout(text, type: type, year: year, file: file)
        let n = layout.fields.count
        let errorCount = rejectedErrorColumns.count
        var builders = layout.fields.map { ColumnBuilder(type: $0.isDate ? .date : .text) }
        var errorBuilders = rejectedErrorColumns.map { _ in ColumnBuilder(type: .text) }
        var lines: [Int32] = []
        var rejected: [RejectedValue] = []
        var lineNumber = 0
        var start = 0
        let allowed: Set<String> = [layout.type + "-E", layout.type]
        while start <= text.count {
            var end = start
            while end < text.count, text[end] != 10 { end += 1 }
            lineNumber += 1
            var stop = end
            if stop > start, text[stop - 1] == 13 { stop -= 1 }
            defer { start = end + 1 }
            if stop == start { if end >= text.count { break } else { continue } }
            let fields = text[start..<stop].split(separator: UInt8(ascii: "^"), omittingEmptySubsequences: false)
                .map { String(decoding: $0, as: UTF8.self) }
            let recordType = fields[0].trimmedSpaces()
            guard allowed.contains(recordType) else {
                throw Diagnostic(
                    .recordType, .error, "record type \"\(recordType)\" in a \(layout.type) rejected-records extract", file: file,
                    line: lineNumber,
                    help: "rejected records start with \(layout.type)-E; is this the right file?"
                )
                .quoting([SensitiveValue(value: recordType, lineage: ["RecordTypeCode"])])
            }
            // Trailing empty fields beyond the last error are padding.
            var count = fields.count
            while count > n + errorCount, (count - n) % errorCount != 0, fields[count - 1].isEmpty { count -= 1 }
            guard count >= n + errorCount, (count - n) % errorCount == 0 else {
                throw Diagnostic(
                    .fieldCount, .error,
                    "this record has \(fields.count) fields; a \(layout.type) rejected record has the \(n) fields of the \(layout.yearsDescription) layout and then \(errorCount) error fields (Error Code, Error Severity, Error Description, Field Name, Field Value), once per error",
                    file: file, line: lineNumber, help: "is this a Rejected Records Extract of \(layout.type) files?")
            }
            var groups = (count - n) / errorCount
            // Several errors in one record: a row each, skipping empty groups after the first.
            var emitted = 0
            for g in 0..<groups {
                let base = n + g * errorCount
                let errorFields = Array(fields[base..<(base + errorCount)])
                if g > 0, errorFields.allSatisfy({ $0.trimmedSpaces().isEmpty }) { continue }
                for (k, field) in layout.fields.enumerated() {
                    let raw = fields[k]
                    if field.isDate {
                        if raw.isEmpty {
                            builders[k].append(.null)
                        } else if let d = DateCodec.Pattern.compact.parse(raw) {
                            builders[k].append(.date(d))
                        } else {
                            builders[k].append(.null)
                            if emitted == 0 { rejected.append(RejectedValue(column: field.name, file: file, line: lineNumber, raw: raw)) }
                        }
                    } else {
                        builders[k].append(raw.isEmpty ? .null : .text(raw))
                    }
                }
                for (k, v) in errorFields.enumerated() {
                    let value = k == 3 ? fieldColumn(v) : k == 1 ? severity(v) : v.trimmedSpaces()
                    // An extract's severity is one letter; anything else would be carried as a
                    // third kind that is neither fatal nor a warning, so a fatal could pass unseen.
                    if k == 1, !value.isEmpty, value != "fatal", value != "warning" {
                        throw Diagnostic(
                            .unknownOption, .error, "error severity \"\(v)\" in a rejected record: CALPADS writes F (fatal) or W (warning)",
                            file: file, line: lineNumber,
                            help:
                                "is this a rejected-records extract of this file type? its error fields are Error Code, Error Severity, Error Description, Field Name, Field Value"
                        )
                    }
                    errorBuilders[k].append(value.isEmpty ? .null : .text(value))
                }
                lines.append(Int32(lineNumber))
                emitted += 1
            }
            groups = emitted
        }
        var names = layout.fields.map(\.name) + rejectedErrorColumns
        var columns = builders.map { $0.build() } + errorBuilders.map { $0.build() }
        // The rule ID, as the error report has it.
        let codes = columns[n]
        var rule = ColumnBuilder(type: .text, capacity: lines.count)
        for row in 0..<lines.count { rule.append(codes.isNull(row) ? .null : .text(ruleID(codes.value(row).display))) }
        names.append(ruleColumn)
        columns.append(rule.build())
        var table = Table(names: names, columns: columns, provenance: Provenance(file: file, lines: lines))
        table.rejected = rejected
        return (table, layout)
    }

    /// The columns of a rejected-records extract (for `tally check`).
    public static func rejectedSchema(_ layout: CalpadsLayout) -> Schema {
        Schema(
            columns: layout.fields.map { Schema.Field(name: $0.name, type: $0.isDate ? .date : .text) }
                + rejectedErrorColumns.map { Schema.Field(name: $0, type: .text) } + [Schema.Field(name: ruleColumn, type: .text)])
    }

    // MARK: certification reports

    /// The columns a report must have, by report name.
    static func requiredColumns(_ report: String) -> [String] {
        switch report {
        case "8.1": return ["SSID"]
        default: return ["SchoolOfAttendance", "TotalEnrollment"]
        }
    }

    /// A report's name as written (`1.17`, `Report 1.17`, `1.17 - FRPM/EL/Foster - Count`) as one
    /// of `reportNames`, or nil.
    public static func reportName(_ written: String) -> String? {
        var t = written.trimmedSpaces().lowercased()
        if t.hasPrefix("report") { t = String(t.dropFirst(6)).trimmedSpaces() }
        let number = String(t.prefix { $0.isNumber || $0 == "." })
        return reportNames.contains(number) ? number : nil
    }

    /// The report a certification report extract is, from its title line (`1.17 - FRPM/English
    /// Learner/Foster Youth - Count`, `Report 1.1`): its first non-blank line, one filled cell
    /// naming a report with words. Nil for any other file.
    public static func reportTitle(_ text: [UInt8]) -> String? {
        guard let first = firstLines(text, count: 5).first(where: { $0.cells.contains { !$0.trimmedSpaces().isEmpty } }) else { return nil }
        let filled = first.cells.map { $0.trimmedSpaces() }.filter { !$0.isEmpty }
        guard filled.count == 1, filled[0].contains(where: \.isLetter) else { return nil }
        return reportName(filled[0])
    }

    /// Reads a certification report extract as CSV: title lines above the header skipped,
    /// columns named by meaning, counts as integers, codes as text, and the report's total rows
    /// (a school or grade of `Total`) left out.
    public static func readReport(_ input: InputFile, report: String, encoding: String?) throws -> Table {
        let file = input.displayName
        guard let name = reportName(report) else {
            throw Diagnostic(
                .unknownLayout, .error,
                "Tally reads certification reports \(reportNames.map { "\"\($0)\"" }.joined(separator: ", ")), not \"\(report)\"",
                file: file,
                help: "1.1 Primary Enrollment, 1.17 LCFF Unduplicated Pupil Count, 8.1 Student Profile")
        }
        // Error reports and extracts are read field by field from an array (they are small).
        let text = try input.textBytes(encoding: encoding).array
        let required = requiredColumns(name)
        let lines = firstLines(text, count: headerSearchLines)
        guard let headerAt = lines.firstIndex(where: { cells in required.allSatisfy { r in cells.cells.contains { columnName($0) == r } } })
        else {
            throw Diagnostic(
                .emptyFile, .error,
                "no header row with \(required.joined(separator: " and ")) columns in the first \(headerSearchLines) lines of this report \(name) extract",
                file: file, line: 1,
                help: name == "8.1"
                    ? "the report's header needs an SSID column"
                    : "the report's header needs a school column (School, School Code) and a count (Total Enrollment, Census Day Enrollment)"
            )
        }
        var table = try readCSV(text, from: lines[headerAt].offset, skippedLines: headerAt, header: true, file: file, input: input)
        table = renamed(table, file: file, line: headerAt + 1)
        // Totals are the report's sums, not rows of it.
        let keyColumns = ["SchoolOfAttendance", "GradeLevelCode"].compactMap { table.column($0) }
        let keep = (0..<table.rowCount).filter { row in
            !keyColumns.contains { c in !c.isNull(row) && c.value(row).display.trimmedSpaces().lowercased().hasPrefix("total") }
        }
        if keep.count < table.rowCount { table = table.gather(keep.map { Int32($0) }) }
        var out = table
        for (k, column) in table.names.enumerated() {
            guard case .text(let codes, let dictionary) = table.columns[k].data else { continue }
            if countColumns.contains(column) {
                var builder = ColumnBuilder(type: .integer, capacity: table.rowCount)
                for row in 0..<table.rowCount {
                    let raw =
                        table.columns[k].isNull(row) ? "" : dictionary[codes[row]].trimmedSpaces().replacingOccurrences(of: ",", with: "")
                    if raw.isEmpty || raw == "*" { builder.append(.null); continue }
                    guard let v = Int64(raw) else {
                        throw Diagnostic(
                            .badValue, .error, "\(column) holds \"\(raw)\", not a count", file: file, line: Int(table.provenance.line[row]))
                    }
                    builder.append(.integer(v))
                }
                out.setColumn(column, builder.build())
            } else {
                let fresh = TextDictionary()
                let remap = dictionary.values.map { fresh.intern(normalizedCode(column, $0.trimmedSpaces())) }
                out.setColumn(
                    column,
                    Column(
                        data: .text(codes: codes.map { Int($0) < remap.count ? remap[Int($0)] : 0 }, dictionary: fresh),
                        validity: table.columns[k].validity))
            }
        }
        return out
    }

    /// Codes as the layouts write them: a grade `KN - Kindergarten` is `KN`, `1` is `01`; a
    /// school's code inside a label (`Lincoln Elementary (0112345)`) is the code.
    static func normalizedCode(_ column: String, _ value: String) -> String {
        switch column {
        case "GradeLevelCode":
            let code = value.split(separator: " ").first.map(String.init) ?? value
            if code.count == 1, code.first?.isNumber == true { return "0" + code }
            return code.uppercased()
        case "SchoolOfAttendance":
            if let open = value.lastIndex(of: "("), value.hasSuffix(")") {
                let inside = value[value.index(after: open)..<value.index(before: value.endIndex)]
                if inside.count == 7, inside.allSatisfy(\.isNumber) { return String(inside) }
            }
            let digits = value.split(separator: " ").first.map(String.init) ?? value
            if digits.count == 7, digits.allSatisfy(\.isNumber) { return digits }
            return value
        default:
            return value
        }
    }

    // MARK: helpers

    /// The first lines of a CSV text (quote-aware within a line), with each line's byte offset.
    static func firstLines(_ text: [UInt8], count: Int) -> [(offset: Int, cells: [String])] {
        var out: [(Int, [String])] = []
        var start = 0
        if text.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
        while start < text.count, out.count < count {
            var end = start
            var quoted = false
            while end < text.count, quoted || text[end] != 10 {
                if text[end] == 34 { quoted.toggle() }
                end += 1
            }
            var stop = end
            if stop > start, text[stop - 1] == 13 { stop -= 1 }
            out.append((start, splitCSV(text[start..<stop])))
            start = end + 1
        }
        return out
    }

    static func splitCSV(_ line: ArraySlice<UInt8>) -> [String] {
        var cells: [String] = []
        var current: [UInt8] = []
        var quoted = false
        var i = line.startIndex
        while i < line.endIndex {
            let b = line[i]
            if quoted {
                if b == 34 {
                    if i + 1 < line.endIndex, line[i + 1] == 34 { current.append(34); i += 1 } else { quoted = false }
                } else {
                    current.append(b)
                }
            } else if b == 34 {
                quoted = true
            } else if b == UInt8(ascii: ",") {
                cells.append(String(decoding: current, as: UTF8.self)); current = []
            } else {
                current.append(b)
            }
            i += 1
        }
        cells.append(String(decoding: current, as: UTF8.self))
        return cells
    }

    /// The CSV from a byte offset on, every column text, lines counted in the whole file.
    static func readCSV(_ text: [UInt8], from offset: Int, skippedLines: Int, header: Bool, file: String, input: InputFile) throws -> Table
    {
        var options = DelimitedOptions()
        options.header = header
        options.headerGiven = true
        options.inferTypes = false
        let body = InputFile(bytes: offset == 0 ? text : Array(text[offset...]), displayName: file)
        var table = try DelimitedReader.read(body, options: options)
        if skippedLines > 0 {
            var provenance = table.provenance
            provenance.line = provenance.line.map { $0 + Int32(skippedLines) }
            table.provenance = provenance
        }
        return table
    }

    /// Columns renamed by meaning; two headers with one meaning are an error naming the line.
    static func renamed(_ table: Table, file: String, line: Int) -> Table {
        var seen: [String: Int] = [:]
        let names = table.names.map { label -> String in
            let name = columnName(label)
            if let n = seen[name] { seen[name] = n + 1; return "\(name)_\(n + 1)" }
            seen[name] = 1
            return name
        }
        return Table(names: names, columns: table.columns, provenance: table.provenance)
    }
}
