import TallyModel

/// Turns a column's distinct raw values into a typed `Column`.
///
/// Parsing and inference look at each *distinct* value once, not at every row: a 1M-row
/// grade-level column is fifteen parses.
enum ValueParsing {
    /// Types are inferred from the first this many rows, so that `tally check` can learn a
    /// file's schema from its beginning; a later value that does not fit the inferred type is an
    /// error naming its line (declare the column's type to read it anyway).
    public static let inferenceRows = 10_000

    static func makeColumn(
        name: String, interner: ByteInterner, codes: [Int32], declared: DataType?,
        dateFormat: String?, missing: [String]?, infer: Bool,
        file: String, lines: [Int32], rejected: UnsafeMutablePointer<[RejectedValue]>? = nil
    ) throws -> Column {
        let distinct = interner.count
        var isNull = [Bool](repeating: false, count: distinct)
        let missingSet = missing.map { Set($0) }
        // The lengths taken once: `bytes(code)` is a call into TallyModel returning a slice (a
        // retain and a release of the arena) for each of a column's million distinct IDs.
        let lengths = interner.lengths
        for code in 0..<distinct {
            if let missingSet {
                isNull[code] = missingSet.contains(interner.string(Int32(code)))
            } else {
                isNull[code] = lengths[code] == 0
            }
        }
        var sampled = isNull
        if infer, declared == nil, codes.count > inferenceRows {
            // Only values seen in the first rows decide the type.
            var seen = [Bool](repeating: false, count: distinct)
            for code in codes.prefix(inferenceRows) { seen[Int(code)] = true }
            for code in 0..<distinct where !seen[code] { sampled[code] = true }
        }
        var type = declared ?? (infer ? inferType(interner, sampled) : .text)
        let inferred = declared == nil && infer && type != .text && codes.count > inferenceRows
        if declared == nil, type.isNumeric, looksLikeIdentifier(name) { type = .text }
        var validity: Bitmap? = nil
        if isNull.contains(true) {
            var bits = Bitmap(count: codes.count, filled: true)
            for (row, code) in codes.enumerated() where isNull[Int(code)] { bits[row] = false }
            validity = bits
        }
        func failure(_ code: Int, _ what: String, help: String? = nil) -> Diagnostic {
            let row = codes.firstIndex(of: Int32(code)) ?? 0
            let line = row < lines.count ? Int(lines[row]) : 0
            let value = interner.string(Int32(code))
            let inferredHelp =
                inferred
                ? "the type \(type.rawValue) was inferred from the first \(Format.count(inferenceRows)) rows; to read this column as text, declare it: with columns (\(name): text)"
                : nil
            return Diagnostic(
                .badValue, .error, "column \"\(name)\": \"\(value)\" is not \(what)", file: file, line: line,
                help: help ?? inferredHelp
                    ?? (declared == nil ? nil : "fix the value, or declare the column with another type in columns (...)")
            )
            .quoting([SensitiveValue(value: value, lineage: [name])])
        }
        switch type {
        case .text:
            // The interner's bytes become the dictionary: no String per distinct value.
            let dictionary = TextDictionary(interned: interner)
            return Column(data: .text(codes: codes, dictionary: dictionary), validity: validity)
        case .integer:
            var values = [Int64](repeating: 0, count: distinct)
            for code in 0..<distinct where !isNull[code] {
                guard let v = parseInteger(interner.bytes(Int32(code)), strict: declared == nil) else { throw failure(code, "an integer") }
                values[code] = v
            }
            return Column(data: .integer(codes.map { values[Int($0)] }), validity: validity)
        case .decimal:
            var values = [Double](repeating: 0, count: distinct)
            for code in 0..<distinct where !isNull[code] {
                guard let v = Double(interner.string(Int32(code)).trimmedSpaces()) else { throw failure(code, "a number") }
                values[code] = v
            }
            return Column(data: .decimal(codes.map { values[Int($0)] }), validity: validity)
        case .date:
            let pattern = dateFormat.flatMap { DateCodec.Pattern($0) } ?? .iso
            var values = [Int32](repeating: 0, count: distinct)
            var bad = Set<Int32>()
            for code in 0..<distinct where !isNull[code] {
                guard let v = pattern.parse(Array(interner.bytes(Int32(code)))) else {
                    guard rejected != nil else {
                        let text = interner.string(Int32(code))
                        let help = DateCodec.Pattern.detect(text).map {
                            "it looks like \"\($0)\": declare it with columns (\(name): date \"\($0)\"), or give every date column's format with dates \"\($0)\""
                        }
                        throw failure(code, "a date in the format \"\(pattern.text)\"", help: help)
                    }
                    bad.insert(Int32(code))
                    continue
                }
                values[code] = v
            }
            if let rejected, !bad.isEmpty {
                var bits = validity ?? Bitmap(count: codes.count, filled: true)
                for (row, code) in codes.enumerated() where bad.contains(code) {
                    bits[row] = false
                    rejected.pointee.append(
                        RejectedValue(
                            column: name, file: file, line: row < lines.count ? Int(lines[row]) : 0,
                            raw: interner.string(code)))
                }
                return Column(data: .date(codes.map { values[Int($0)] }), validity: bits)
            }
            return Column(data: .date(codes.map { values[Int($0)] }), validity: validity)
        case .boolean:
            var values = [Bool](repeating: false, count: distinct)
            for code in 0..<distinct where !isNull[code] {
                guard let v = parseBoolean(interner.string(Int32(code))) else { throw failure(code, "true or false") }
                values[code] = v
            }
            return Column(data: .boolean(codes.map { values[Int($0)] }), validity: validity)
        }
    }

    /// Conservative inference: numbers only without leading zeros, dates only ISO, so IDs
    /// such as `0123456` stay text.
    static func inferType(_ interner: ByteInterner, _ isNull: [Bool]) -> DataType {
        var allInteger = true, allNumber = true, allDate = true, allBoolean = true, any = false
        for code in 0..<interner.count where !isNull[code] {
            any = true
            let bytes = interner.bytes(Int32(code))
            if allInteger || allNumber {
                let shape = numberShape(bytes)
                if shape != 1 { allInteger = false }
                if shape == 0 { allNumber = false }
            }
            if allDate { allDate = bytes.count == 10 && DateCodec.Pattern.iso.parse(Array(bytes)) != nil }
            if allBoolean {
                let s = String(decoding: bytes, as: UTF8.self).lowercased()
                allBoolean = s == "true" || s == "false"
            }
            if !allInteger, !allNumber, !allDate, !allBoolean { return .text }
        }
        guard any else { return .text }
        if allInteger { return .integer }
        if allNumber { return .decimal }
        if allDate { return .date }
        if allBoolean { return .boolean }
        return .text
    }

    /// Identifier columns stay text even when every value is a plain number: a name ending in
    /// ID, Code, Number or No (`SSID`, `LocalStudentID`, `SchoolCode`, `student_id`).
    static func looksLikeIdentifier(_ name: String) -> Bool {
        let words = name.split { !$0.isLetter && !$0.isNumber }.flatMap { splitCamel(String($0)) }
        guard let last = words.last?.lowercased() else { return false }
        return ["id", "ids", "ssid", "code", "codes", "number", "no", "num", "cds", "nces"].contains(last)
    }

    /// `LocalStudentID` → Local, Student, ID; `schoolCode` → school, Code.
    static func splitCamel(_ word: String) -> [String] {
        var parts: [String] = []
        var current = ""
        let chars = Array(word)
        for (i, c) in chars.enumerated() {
            let startsWord =
                c.isUppercase && !current.isEmpty && (!(chars[i - 1].isUppercase) || (i + 1 < chars.count && chars[i + 1].isLowercase))
            if startsWord { parts.append(current); current = "" }
            current.append(c)
        }
        if !current.isEmpty { parts.append(current) }
        return parts
    }

    /// 1 for a plain integer (no leading zero, at most 9 digits: longer ones are identifiers), 2 for a plain decimal, 0 otherwise.
    static func numberShape(_ b: ArraySlice<UInt8>) -> Int {
        var i = b.startIndex
        if i < b.endIndex, b[i] == 45 { i += 1 }
        let digitsStart = i
        while i < b.endIndex, b[i] >= 48, b[i] <= 57 { i += 1 }
        let intDigits = i - digitsStart
        guard intDigits > 0 else { return 0 }
        if intDigits > 1, b[digitsStart] == 48 { return 0 }
        if i == b.endIndex { return intDigits <= 9 ? 1 : 0 }
        guard b[i] == 46 else { return 0 }
        i += 1
        let fractionStart = i
        while i < b.endIndex, b[i] >= 48, b[i] <= 57 { i += 1 }
        return (i == b.endIndex && i > fractionStart) ? 2 : 0
    }

    static func parseInteger(_ b: ArraySlice<UInt8>, strict: Bool) -> Int64? {
        var s = b
        if !strict {
            while let f = s.first, f == 32 { s = s.dropFirst() }
            while let l = s.last, l == 32 { s = s.dropLast() }
            if s.first == 43 { s = s.dropFirst() }
        }
        var negative = false
        if s.first == 45 { negative = true; s = s.dropFirst() }
        guard !s.isEmpty, s.count <= 18 else { return nil }
        var v: Int64 = 0
        for c in s {
            guard c >= 48, c <= 57 else { return nil }
            v = v * 10 + Int64(c - 48)
        }
        return negative ? -v : v
    }

    static func parseBoolean(_ s: String) -> Bool? {
        switch s.trimmedSpaces().lowercased() {
        case "true", "t", "yes", "y", "1": return true
        case "false", "f", "no", "n", "0": return false
        default: return nil
        }
    }
}
