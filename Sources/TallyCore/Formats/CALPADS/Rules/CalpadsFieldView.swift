import Foundation
import TallyModel

/// How the CALPADS rules read a table: prepared views of its columns (`Record` hands them out),
/// so a rule over a million records reads arrays, and judges a code once per distinct value.
extension CalpadsValidator {
    /// One column as the rules read it (see `Record`).
    final class FieldView {
        let column: Column
        /// Text columns: the codes, and each code's value (nil when empty).
        private let codes: [Int32]
        private let strings: [String?]
        /// Date columns: the day numbers.
        private let days: [Int32]
        private let validity: Bitmap?
        let isText: Bool
        /// Start years per code, made on first use (`Record.startYear`).
        private var years: [Int?]?

        init(_ column: Column) {
            self.column = column
            validity = column.validity
            switch column.data {
            case .text(let c, let dictionary):
                isText = true
                codes = c
                // Only the values the column holds (a dictionary may be shared with other columns).
                var used = [Bool](repeating: false, count: dictionary.count)
                if let validity = column.validity {
                    for (row, code) in c.enumerated() where validity[row] { used[Int(code)] = true }
                } else {
                    for code in c { used[Int(code)] = true }
                }
                // From the dictionary's bytes, taken once: its subscript takes a lock per value, and
                // an ID column has a value per record.
                let packed = dictionary.packed
                strings = packed.arena.withUnsafeBufferPointer { arena in
                    (0..<dictionary.count).map { code -> String? in
                        guard used[code], packed.lengths[code] > 0 else { return nil }
                        let start = packed.starts[code]
                        return String(
                            decoding: UnsafeBufferPointer(rebasing: arena[start..<start + Int(packed.lengths[code])]), as: UTF8.self)
                    }
                }
                days = []
            case .date(let d):
                isText = false; codes = []; strings = []; days = d
            default:
                isText = false; codes = []; strings = []; days = []
            }
        }

        @inline(__always) private func isNull(_ row: Int) -> Bool {
            guard let validity else { return false }
            return !validity[row]
        }

        func text(_ row: Int) -> String? {
            if isNull(row) { return nil }
            if isText { return strings[Int(codes[row])] }
            let s = column.value(row).display
            return s.isEmpty ? nil : s
        }

        var isTextOrDate: Bool { isText || !days.isEmpty }

        /// Whether the row has text (`text(row) != nil`), without making or retaining the `String`.
        func hasText(_ row: Int) -> Bool {
            if isNull(row) { return false }
            if isText { return strings[Int(codes[row])] != nil }
            return !days.isEmpty || text(row) != nil
        }

        func date(_ row: Int) -> Int32? {
            if isNull(row) || days.isEmpty { return nil }
            return days[row]
        }

        /// Rows (ascending) whose text `test` flags (returns true for), judged once per distinct
        /// value of a text column, so a million rows of a dozen codes cost a dozen tests.
        func rows(failing test: (String) -> Bool) -> [Int] {
            var out: [Int] = []
            guard isText else {
                for row in 0..<column.count { if let s = text(row), test(s) { out.append(row) } }
                return out
            }
            var verdict = [Bool](repeating: false, count: strings.count)
            var any = false
            for (code, s) in strings.enumerated() { if let s, test(s) { verdict[code] = true; any = true } }
            guard any else { return out }
            for row in 0..<codes.count where verdict[Int(codes[row])] && !isNull(row) { out.append(row) }
            return out
        }

        /// `judge` as a function of the row, worked out once per distinct value of a text column
        /// (a verdict per dictionary code); nil where the row has no text.
        func judged<T>(_ judge: (String) -> T) -> (Int) -> T? {
            guard isText else {
                var perRow: [T?] = []
                perRow.reserveCapacity(column.count)
                for row in 0..<column.count { perRow.append(text(row).map(judge)) }
                return { perRow[$0] }
            }
            let verdicts = strings.map { $0.map(judge) }
            let codes = codes, validity = validity
            return { row in
                if let validity, !validity[row] { return nil }
                return verdicts[Int(codes[row])]
            }
        }

        /// Rows (ascending) with no text: null, or the empty string.
        func blankRows() -> [Int] {
            var out: [Int] = []
            if isText {
                for row in 0..<codes.count where isNull(row) || strings[Int(codes[row])] == nil { out.append(row) }
            } else if !days.isEmpty {
                // A date's text is never empty: only nulls (not formatting a date per row).
                for row in 0..<days.count where isNull(row) { out.append(row) }
            } else {
                for row in 0..<column.count where text(row) == nil { out.append(row) }
            }
            return out
        }

        /// A dense id of the row's text (its dictionary code), nil when it has none; with
        /// `value(ofID:)`. Rules across a student's records group rows by it (`RowGroups`)
        /// instead of hashing a `String` per row.
        func id(_ row: Int) -> Int? {
            if isText {
                if isNull(row) { return nil }
                let code = Int(codes[row])
                return strings[code] == nil ? nil : code
            }
            return otherIDs.ids[row]
        }

        /// The row's value as 32 bits equal exactly when the texts are equal (a text column's code,
        /// a date's day number, another column's `id`); nil when it has no text.
        func atom(_ row: Int) -> UInt32? {
            if !isText, !days.isEmpty { return isNull(row) ? nil : UInt32(bitPattern: days[row]) }
            return id(row).map { UInt32(truncatingIfNeeded: $0) }
        }

        var idCount: Int { isText ? strings.count : otherIDs.values.count }

        func value(ofID id: Int) -> String? { isText ? strings[id] : otherIDs.values[id] }

        /// Ids of a column that is not text (an SSID read as a number, say): its texts numbered.
        /// (Made on first use under a lock, as `groups`: rule groups of one validate call run at once.)
        private var otherIDs: (ids: [Int?], values: [String]) {
            idsLock.lock(); defer { idsLock.unlock() }
            if let madeIDs { return madeIDs }
            var index: [String: Int] = [:], values: [String] = [], ids: [Int?] = []
            for row in 0..<column.count {
                guard let s = text(row) else { ids.append(nil); continue }
                if let i = index[s] { ids.append(i) } else { index[s] = values.count; ids.append(values.count); values.append(s) }
            }
            madeIDs = (ids, values)
            return (ids, values)
        }
        private var madeIDs: (ids: [Int?], values: [String])?
        private let idsLock = NSLock(), groupsLock = NSLock()

        /// The rows of each value of this column (`RowGroups`), made once.
        var groups: RowGroups {
            groupsLock.lock(); defer { groupsLock.unlock() }
            if let madeGroups { return madeGroups }
            let made = RowGroups(self)
            madeGroups = made
            return made
        }
        private var madeGroups: RowGroups?

        func startYear(_ row: Int) -> Int? {
            guard isText else { return text(row).flatMap(CalpadsLayouts.startYear) }
            if isNull(row) { return nil }
            if years == nil { years = strings.map { $0.flatMap(CalpadsLayouts.startYear) } }
            return years?[Int(codes[row])] ?? nil
        }
    }

    /// The views of one table's columns, by name, made on first use.
    final class Views {
        /// Names to column indexes, open addressing over 256 slots by length, first and last
        /// byte: the rules look a name up for every field they read (hundreds of millions of
        /// times on a large district), and hashing the whole `String` each time was a tenth of a
        /// validate.
        private var slotName: [String]
        private var slotColumn: [Int]
        private let columns: [Column]
        private var made: [FieldView?]
        /// Joins of this table with a partner's (`Join.shared`), by the partner's views and fields:
        /// SENR's rules join SINF on the SSID three times in one validate.
        var joins: [Pair<ObjectIdentifier, [String]>: Join] = [:]
        /// Each row's start year of its Academic Year ID (`Int32.min`: none), made once: most
        /// rules ask it of every row, and a name lookup per row per rule added up.
        lazy var startYears: [Int32] = {
            guard let view = self["AcademicYearID"], let n = columns.first?.count else { return [] }
            return (0..<n).map { row in view.startYear(row).map { Int32(clamping: $0) } ?? Int32.min }
        }()

        init(_ table: Table) {
            slotName = Array(repeating: "", count: 256)
            slotColumn = Array(repeating: -1, count: 256)
            columns = table.columns
            made = [FieldView?](repeating: nil, count: table.columns.count)
            // The last column of a name wins, as in `Record.columns`.
            if table.names.count >= 200 { // wider than any layout (the slots must not fill): a plain map
                wide = Dictionary(table.names.enumerated().map { ($1, $0) }, uniquingKeysWith: { _, last in last })
                return
            }
            for (i, name) in table.names.enumerated() {
                var s = Views.slot(name)
                while slotColumn[s] >= 0, slotName[s] != name { s = (s + 1) & 255 }
                slotName[s] = name; slotColumn[s] = i
            }
        }
        private var wide: [String: Int]? = nil

        @inline(__always) static func slot(_ name: String) -> Int {
            let u = name.utf8
            return (u.count &* 131 &+ Int(u.first ?? 0) &* 7 &+ Int(u.last ?? 0)) & 255
        }

        /// Makes every column's view now, a column per core: afterwards looking a name up only reads,
        /// so the rule groups of one validate call can run at once (`CalpadsValidator.validate`).
        func makeAll() {
            var views = made
            let columns = columns
            views.withUnsafeMutableBufferPointer { slots in
                Parallel.forEach(columns.count) { k in if slots[k] == nil { slots[k] = FieldView(columns[k]) } }
            }
            made = views
        }

        subscript(_ name: String) -> FieldView? {
            var found = -1
            if let wide {
                found = wide[name] ?? -1
            } else {
                var s = Views.slot(name)
                while slotColumn[s] >= 0 {
                    if slotName[s] == name { found = slotColumn[s]; break }
                    s = (s + 1) & 255
                }
            }
            guard found >= 0 else { return nil }
            if let view = made[found] { return view }
            let view = FieldView(columns[found])
            made[found] = view
            return view
        }
    }

    /// The rows of each value of a column, for rules across one student's records: a counting
    /// sort of the rows by the value's dense id (no `String` hashed per row). Rows stay in
    /// ascending order within a value.
    final class RowGroups {
        private let view: FieldView
        private let start: [Int]
        private let rows: [Int]

        init(_ view: FieldView) {
            self.view = view
            let n = view.column.count
            var ids = [Int](repeating: -1, count: n)
            var count = [Int](repeating: 0, count: view.idCount + 1)
            for row in 0..<n { if let id = view.id(row) { ids[row] = id; count[id + 1] += 1 } }
            for i in 1..<count.count { count[i] += count[i - 1] }
            start = count
            var next = count, sorted = [Int](repeating: 0, count: count.last ?? 0)
            for row in 0..<n where ids[row] >= 0 { sorted[next[ids[row]]] = row; next[ids[row]] += 1 }
            rows = sorted
        }

        /// The rows with the same value as `row` (itself included); none when it has no value.
        func rows(sameAs row: Int) -> ArraySlice<Int> {
            guard let id = view.id(row) else { return [] }
            return rows[start[id]..<start[id + 1]]
        }

        /// The rows of each value held by more than one row.
        var repeatedRows: [ArraySlice<Int>] {
            (0..<(start.count - 1)).compactMap { id in start[id + 1] - start[id] > 1 ? rows[start[id]..<start[id + 1]] : nil }
        }

        /// Each value held by more than one row, with its rows.
        var repeated: [(value: String, rows: ArraySlice<Int>)] {
            var out: [(value: String, rows: ArraySlice<Int>)] = []
            for id in 0..<(start.count - 1) where start[id + 1] - start[id] > 1 {
                out.append((view.value(ofID: id) ?? "", rows[start[id]..<start[id + 1]]))
            }
            return out
        }
    }

    /// The keys (the fields' atoms; a missing field's is nil, equal on every row) of the rows
    /// inserted so far in one `Record.keyGroups` group, as `Set.insert` answers: a list compared
    /// row by row for a student's few records, a set of atoms when the group is large (every
    /// record under one placeholder SSID) so that a group of many stays linear.
    struct SeenKeys {
        private let views: [FieldView?], large: Bool
        private var rows: [Int] = [], keys = Set<[Int64]>()
        init(_ views: [FieldView?], rows: Int) { (self.views, large) = (views, rows > 32) }

        /// Whether the row's key is new (and it is now seen).
        mutating func insert(_ row: Int) -> Bool {
            if large { return keys.insert(views.map { $0?.atom(row).map { Int64($0) } ?? -1 }).inserted }
            if rows.contains(where: { q in views.allSatisfy { $0?.atom(q) == $0?.atom(row) } }) { return false }
            rows.append(row)
            return true
        }
    }

    /// A yes/no about a field's text worked out once per distinct value (a verdict per dictionary
    /// code), for the rules' row loops: `test[row]` is false where the row has no text or the
    /// table no such column. A `Set<String>` lookup per record hashed a `String` each time.
    struct Verdicts {
        private let judge: ((Int) -> Bool?)?
        init(_ view: FieldView?, _ test: (String) -> Bool) { judge = view?.judged(test) }
        subscript(_ row: Int) -> Bool { (judge?(row) ?? nil) ?? false }
    }

    /// The academic years a rule applies in (`active`), looked up once before a row loop instead
    /// of by its ID per record.
    struct RuleYears {
        let first: Int, last: Int
        init(_ id: String) {
            // As `active`: the rule by its ID, else by base ID or alias, else every year.
            if let years = CalpadsValidator.ruleYears[id] {
                (first, last) = (years.first, years.last)
            } else if let rule = CalpadsRules.rule(id) {
                (first, last) = (rule.firstYear, rule.lastYear)
            } else {
                (first, last) = (Int.min, Int.max)
            }
        }
        @inline(__always) func contains(_ year: Int) -> Bool { first <= year && year <= last }
    }

    /// A cross-file lookup as a join on dense ids: rows of this file (`own`) and of the other
    /// (`other`) whose `fields` hold equal texts get one id below `count`; -1 where a field has no
    /// text. Text columns are numbered by `KeyEncoder` (dictionary codes mapped in bulk), instead of
    /// hashing a `String` (or a pair of them) per record on each side.
    struct Join {
        let own: [Int32], other: [Int32], count: Int

        /// The join of `r` and `o` on `fields`, made once per pair of `Record`s (their views are
        /// shared by every rule of one validate call).
        static func shared(_ r: Record, _ o: Record, on fields: [String]) -> Join {
            let key = Pair(ObjectIdentifier(o.views), fields)
            if let join = r.views.joins[key] { return join }
            let join = Join(r, o, on: fields)
            r.views.joins[key] = join
            return join
        }

        init(_ r: Record, _ o: Record, on fields: [String]) {
            let views = fields.map { r.view($0) }, otherViews = fields.map { o.view($0) }
            let n = r.table.rowCount, m = o.table.rowCount
            guard !fields.isEmpty, views.allSatisfy({ $0 != nil }), otherViews.allSatisfy({ $0 != nil }) else {
                (own, other, count) = ([Int32](repeating: -1, count: n), [Int32](repeating: -1, count: m), 0)
                return
            }
            let sides = [views.compactMap { $0 }, otherViews.compactMap { $0 }]
            var ids: [[Int32]]
            if sides.joined().allSatisfy({ if case .text = $0.column.data { return true } else { return false } }) {
                let encoded = KeyEncoder.encode(sides.map { $0.map(\.column) })
                (ids, count) = (encoded.ids, encoded.distinct)
            } else {
                // A column that is not text (an SSID read as a number): its texts, hashed.
                var index: [[String]: Int32] = [:]
                ids = sides.map { side in
                    (0..<(side.first?.column.count ?? 0)).map { row -> Int32 in
                        let key = side.compactMap { $0.text(row) }
                        guard key.count == side.count else { return -1 }
                        if let id = index[key] { return id }
                        index[key] = Int32(index.count); return Int32(index.count - 1)
                    }
                }
                count = index.count
            }
            // An empty text is no value (`FieldView.text`): it joins nothing.
            for (side, views) in sides.enumerated() {
                for row in 0..<ids[side].count where ids[side][row] >= 0 && views.contains(where: { $0.id(row) == nil }) {
                    ids[side][row] = -1
                }
            }
            (own, other) = (ids[0], ids[1])
        }
    }

    /// The rows of each id (a counting sort, rows ascending within an id) for the rows `keep`
    /// accepts: the other file's records of a key, without a dictionary of arrays.
    struct IDGroups {
        private let start: [Int], rows: [Int]
        init(_ ids: [Int32], count: Int, keep: (Int) -> Bool = { _ in true }) {
            var start = [Int](repeating: 0, count: count + 1)
            var kept = [Bool](repeating: false, count: ids.count)
            for row in 0..<ids.count where ids[row] >= 0 && keep(row) { kept[row] = true; start[Int(ids[row]) + 1] += 1 }
            for i in 0..<count { start[i + 1] += start[i] }
            var next = start, rows = [Int](repeating: 0, count: start[count])
            for row in 0..<ids.count where kept[row] { let id = Int(ids[row]); rows[next[id]] = row; next[id] += 1 }
            self.start = start; self.rows = rows
        }
        /// The kept rows of `id`; none for -1.
        subscript(_ id: Int32) -> ArraySlice<Int> { id < 0 ? [] : rows[start[Int(id)]..<start[Int(id) + 1]] }
    }

    /// Two values as one key (an SSID and a school), hashed as they are: joining them into a new
    /// `String` allocated one per record.
    struct Pair<A: Hashable, B: Hashable>: Hashable {
        let a: A, b: B
        init(_ a: A, _ b: B) { self.a = a; self.b = b }
    }
}
