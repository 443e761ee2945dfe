/// Dates are stored as days since 1970-01-01 (`Int32`). This converts to and from calendar
/// dates and parses the layouts analysts meet: `YYYYMMDD`, `MM/DD/YYYY`, `YYYY-MM-DD`, `M/D/YYYY`.
public enum DateCodec {
    /// Days since 1970-01-01 of a proleptic Gregorian date, or nil when the date does not exist.
    public static func days(year: Int, month: Int, day: Int) -> Int32? {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1,
            day <= daysInMonth(year: year, month: month)
        else { return nil }
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return Int32(era * 146097 + doe - 719468)
    }

    public static func civil(_ days: Int32) -> (year: Int, month: Int, day: Int) {
        let z = Int(days) + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    public static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// `YYYY-MM-DD`.
    public static func iso(_ days: Int32) -> String {
        let (y, m, d) = civil(days)
        return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2)
    }

    /// Writes a date in a format such as `YYYYMMDD` or `MM/DD/YYYY`.
    public static func format(_ days: Int32, _ pattern: String) -> String {
        let (y, m, d) = civil(days)
        var out = ""
        var rest = Substring(pattern)
        while !rest.isEmpty {
            if rest.hasPrefix("YYYY") || rest.hasPrefix("CCYY") {
                out += pad(y, 4); rest = rest.dropFirst(4)
            } else if rest.hasPrefix("MM") {
                out += pad(m, 2); rest = rest.dropFirst(2)
            } else if rest.hasPrefix("DD") {
                out += pad(d, 2); rest = rest.dropFirst(2)
            } else if rest.hasPrefix("M") {
                out += String(m); rest = rest.dropFirst()
            } else if rest.hasPrefix("D") {
                out += String(d); rest = rest.dropFirst()
            } else {
                out.append(rest.removeFirst())
            }
        }
        return out
    }

    private static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// A compiled date pattern. `YYYY`/`CCYY` four digits, `MM`/`DD` two digits, `M`/`D` one or
    /// two digits, any other character must match itself.
    public struct Pattern: Sendable, Equatable {
        package enum Piece: Sendable, Equatable { case year, month2, day2, month, day, literal(UInt8) }
        package let pieces: [Piece]
        public let text: String

        public init?(_ text: String) {
            var pieces: [Piece] = []
            var rest = Substring(text)
            var sawYear = false, sawMonth = false, sawDay = false
            while let c = rest.first {
                if rest.hasPrefix("YYYY") || rest.hasPrefix("CCYY") {
                    pieces.append(.year); sawYear = true; rest = rest.dropFirst(4)
                } else if rest.hasPrefix("MM") {
                    pieces.append(.month2); sawMonth = true; rest = rest.dropFirst(2)
                } else if rest.hasPrefix("DD") {
                    pieces.append(.day2); sawDay = true; rest = rest.dropFirst(2)
                } else if c == "M" {
                    pieces.append(.month); sawMonth = true; rest = rest.dropFirst()
                } else if c == "D" {
                    pieces.append(.day); sawDay = true; rest = rest.dropFirst()
                } else if let a = c.asciiValue, !c.isLetter {
                    pieces.append(.literal(a)); rest = rest.dropFirst()
                } else {
                    return nil
                }
            }
            guard sawYear, sawMonth, sawDay else { return nil }
            self.pieces = pieces
            self.text = text
        }

        /// Formats tried when a date does not parse, to suggest the one it is written in
        /// (US month-first before day-first).
        package static let familiar = [
            "YYYY-MM-DD", "MM/DD/YYYY", "M/D/YYYY", "YYYYMMDD", "MM-DD-YYYY", "YYYY/MM/DD", "DD/MM/YYYY", "D/M/YYYY",
        ]

        /// The first familiar format that reads `text` as a real date.
        public static func detect(_ text: String) -> String? {
            let bytes = Array(text.utf8)
            return familiar.first { Pattern($0)?.parse(bytes) != nil }
        }

        public static let iso = Pattern("YYYY-MM-DD")!
        public static let compact = Pattern("YYYYMMDD")!

        /// Parses ASCII bytes; nil when they do not match or the date does not exist.
        public func parse<C: Collection>(_ bytes: C) -> Int32? where C.Element == UInt8, C.Index == Int {
            var i = bytes.startIndex
            let end = bytes.endIndex
            var y = 0, m = 0, d = 0
            @inline(__always) func digits(_ minCount: Int, _ maxCount: Int) -> Int? {
                var v = 0, n = 0
                while n < maxCount, i < end, bytes[i] >= 48, bytes[i] <= 57 {
                    v = v * 10 + Int(bytes[i] - 48); i += 1; n += 1
                }
                return n >= minCount ? v : nil
            }
            for piece in pieces {
                switch piece {
                case .year: guard let v = digits(4, 4) else { return nil }; y = v
                case .month2: guard let v = digits(2, 2) else { return nil }; m = v
                case .day2: guard let v = digits(2, 2) else { return nil }; d = v
                case .month: guard let v = digits(1, 2) else { return nil }; m = v
                case .day: guard let v = digits(1, 2) else { return nil }; d = v
                case .literal(let c): guard i < end, bytes[i] == c else { return nil }; i += 1
                }
            }
            guard i == end else { return nil }
            return DateCodec.days(year: y, month: m, day: d)
        }

        public func parse(_ text: String) -> Int32? { parse(Array(text.utf8)) }
    }
}
