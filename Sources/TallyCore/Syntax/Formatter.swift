import Foundation
import TallyModel

/// `tally fmt`: a playbook in the canonical layout, its comments and narrative kept.
///
/// - line ends are LF, no line ends in spaces, the file ends in one newline, no blank lines at
///   its start and never two in a row;
/// - outside strings and comments, runs of spaces become one; a comment after code is set off by
///   two spaces;
/// - a pipeline of more than one step puts each step on its own line, `  | step`; other
///   continuation lines (`message ...`, `severity ...`) are indented two spaces, while lines
///   inside an open parenthesis keep their own alignment.
///
/// Formatting an already formatted playbook changes nothing, and the statements parse the same.
public enum Formatter {
    public static func format(_ source: String) -> String {
        let text = Parser.normalizedLineEnds(source)
        var out: [String] = []
        var depth = 0 // open parentheses carried from earlier lines
        var inStatement = false
        var inStep = false // the last line was a `  | step` (its own continuations go under it)
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = String(raw)
            if out.isEmpty, line.first == "\u{FEFF}" { line.removeFirst() }
            line = trimTrailing(line)
            let stripped = line.drop { $0 == " " || $0 == "\t" }
            if stripped.isEmpty {
                if let last = out.last, !last.isEmpty { out.append("") }
                if depth == 0 { inStatement = false; inStep = false }
                continue
            }
            let indented = stripped.count < line.count
            if depth > 0 {
                // Inside a parenthesis: the author's alignment stays.
                out.append(line)
                depth = max(0, depth + parenDelta(line))
                continue
            }
            if !indented, stripped.hasPrefix("##") {
                out.append(line)
                inStatement = false
                inStep = false
                continue
            }
            if stripped.hasPrefix("#") {
                out.append((indented && inStatement ? "  " : "") + String(stripped))
                continue
            }
            let (code, comment) = splitComment(String(stripped))
            let tidy = collapseSpaces(code)
            if !indented, !tidy.hasPrefix("|") {
                // A statement's first line: a pipeline of several steps gets a line per step.
                let parts = topLevelPipes(tidy)
                if parts.count > 2 {
                    out.append(parts[0])
                    for (k, step) in parts.dropFirst().enumerated() {
                        out.append("  | " + step + (k == parts.count - 2 ? comment.map { "  " + $0 } ?? "" : ""))
                    }
                    inStep = true
                } else {
                    out.append(tidy + (comment.map { "  " + $0 } ?? ""))
                    inStep = false
                }
                inStatement = true
            } else {
                var continuation = tidy
                if continuation.hasPrefix("|") {
                    let parts = topLevelPipes(continuation)
                    if parts.count > 2, parts[0].isEmpty {
                        for (k, step) in parts.dropFirst().enumerated() {
                            out.append("  | " + step + (k == parts.count - 2 ? comment.map { "  " + $0 } ?? "" : ""))
                        }
                        depth = max(0, depth + parenDelta(line))
                        inStep = true
                        continue
                    }
                    continuation = "| " + String(continuation.dropFirst()).trimmingCharacters(in: .whitespaces)
                    out.append("  " + continuation + (comment.map { "  " + $0 } ?? ""))
                    inStep = true
                } else {
                    out.append((inStep ? "    " : "  ") + continuation + (comment.map { "  " + $0 } ?? ""))
                }
            }
            depth = max(0, depth + parenDelta(code))
        }
        while let last = out.last, last.isEmpty { out.removeLast() }
        return out.joined(separator: "\n") + "\n"
    }

    static func trimTrailing(_ s: String) -> String {
        var t = Substring(s)
        while let last = t.last, last == " " || last == "\t" { t.removeLast() }
        return String(t)
    }

    /// Calls `body` with each character and whether it belongs to a string or a `quoted` name
    /// (quotes included); stops when `body` returns false.
    static func scan(_ chars: [Character], _ body: (Int, Character, Bool) -> Bool) {
        var quote: Character? = nil
        var previous: Character = " "
        for (i, c) in chars.enumerated() {
            var quoted = quote != nil
            if let q = quote {
                if c == q, previous != "\\" { quote = nil }
            } else if c == "\"" || c == "`" {
                quote = c
                quoted = true
            }
            if !body(i, c, quoted) { return }
            previous = c
        }
    }

    /// Code and the `# comment` after it (outside strings).
    static func splitComment(_ line: String) -> (String, String?) {
        let chars = Array(line)
        var at: Int? = nil
        scan(chars) { i, c, quoted in
            if !quoted, c == "#" { at = i; return false }
            return true
        }
        guard let at else { return (line, nil) }
        return (trimTrailing(String(chars[..<at])), String(chars[at...]))
    }

    /// Runs of spaces outside strings become one space.
    static func collapseSpaces(_ code: String) -> String {
        var out = ""
        scan(Array(code)) { _, c, quoted in
            if !quoted, c == " " || c == "\t" {
                if out.last != " " { out.append(" ") }
            } else {
                out.append(c)
            }
            return true
        }
        return out.trimmingCharacters(in: .whitespaces)
    }

    /// The line split at `|` outside strings and parentheses (`||` is left alone), each part trimmed.
    static func topLevelPipes(_ code: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        let chars = Array(code)
        scan(chars) { i, c, quoted in
            if !quoted, c == "(" { depth += 1 }
            if !quoted, c == ")" { depth -= 1 }
            let previous: Character = i > 0 ? chars[i - 1] : " "
            if !quoted, c == "|", depth == 0, previous != "|", i + 1 >= chars.count || chars[i + 1] != "|" {
                parts.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            } else {
                current.append(c)
            }
            return true
        }
        parts.append(current.trimmingCharacters(in: .whitespaces))
        return parts
    }

    /// Opened minus closed parentheses outside strings and comments.
    static func parenDelta(_ line: String) -> Int {
        var delta = 0
        scan(Array(splitComment(line).0)) { _, c, quoted in
            if !quoted, c == "(" { delta += 1 }
            if !quoted, c == ")" { delta -= 1 }
            return true
        }
        return delta
    }
}

extension Formatter {
    /// What the statements of a playbook mean, without where they stand: equal for a playbook and
    /// its formatted text (checked before `tally fmt` writes anything).
    public static func meaning(_ source: String, file: String) throws -> String {
        let playbook = try Parser.parse(source: source, file: file)
        let described = playbook.statements.map { String(describing: $0.statement) }.joined(separator: "\n")
        return described.replacingOccurrences(of: #"SourceSpan\([^)]*\)"#, with: "_", options: .regularExpression)
    }

    /// A new playbook: a narrative header, parameters, and a commented example of each statement.
    public static func scaffold(title: String) -> String {
        """
        ## \(title)
        ## What this playbook checks, for whom, and before which deadline. Lines that start with
        ## two hashes are narrative: they appear above the next cell in the notebook and reports.

        playbook "\(title)"

        param census_day: date = @2024-10-02
        param data: path = "data"

        ## Inputs. CALPADS files take their column names and types from the layout.
        # load senr from "{data}/SENR.txt" as calpads SENR
        # load sinf from "{data}/SINF.txt" as calpads SINF
        # load sis from "{data}/sis_enrollment.csv"

        ## A pipeline: one step per line.
        # enrolled = senr
        #   | filter EnrollmentStatusCode == "10" and EnrollmentSchoolStartDate <= census_day
        #   | join left sinf on SSID

        ## Checks: every check runs; severity warning does not fail the run.
        # assert enrolled unique by SSID
        #   message "one open primary enrollment per student"
        # assert enrolled: GradeLevelCode in ("KN", "01", "02", "03", "04", "05")
        #   severity warning

        ## Counts, compared with what the district expects (tally expected import ...).
        # counts = enrolled | aggregate students = count() by SchoolOfAttendance, GradeLevelCode
        # compare counts.students with expected "fall1/census" by SchoolOfAttendance, GradeLevelCode within 2% or 3

        ## Looking at a table while you work.
        # profile sis
        # show enrolled columns SSID, GradeLevelCode where GradeLevelCode == "KN" limit 20

        ## Outputs, written only when the whole run succeeds.
        # export counts to "out/census_counts.csv"

        """
    }
}
