extension Column {
    /// The rows at `indices`, in that order; an index of -1 yields null (unmatched join rows).
    public func gather(_ indices: [Int32]) -> Column {
        let n = indices.count
        var validityOut: Bitmap? = nil
        let hasMissing = indices.contains(-1)
        if validity != nil || hasMissing {
            var bits = Bitmap(count: n, filled: true)
            for (k, i) in indices.enumerated() where i < 0 || isNull(Int(i)) { bits[k] = false }
            validityOut = bits
        }
        // A tight loop of independent loads through pointers (no bounds or capacity check per
        // row), so that the cache misses of a random gather (a join's right side) overlap.
        @inline(__always) func pick<T>(_ source: [T], _ zero: T) -> [T] {
            [T](unsafeUninitializedCapacity: n) { out, count in
                source.withUnsafeBufferPointer { s in
                    indices.withUnsafeBufferPointer { ix in
                        guard let base = out.baseAddress else { return }
                        if hasMissing {
                            for k in 0..<n { let i = ix[k]; (base + k).initialize(to: i < 0 ? zero : s[Int(i)]) }
                        } else {
                            for k in 0..<n { (base + k).initialize(to: s[Int(ix[k])]) }
                        }
                    }
                }
                count = n
            }
        }
        switch data {
        case .text(let codes, let dictionary):
            return Column(data: .text(codes: pick(codes, 0), dictionary: dictionary), validity: validityOut)
        case .integer(let v): return Column(data: .integer(pick(v, 0)), validity: validityOut)
        case .decimal(let v): return Column(data: .decimal(pick(v, 0)), validity: validityOut)
        case .date(let v): return Column(data: .date(pick(v, 0)), validity: validityOut)
        case .boolean(let v): return Column(data: .boolean(pick(v, false)), validity: validityOut)
        }
    }

    /// This column followed by `other` (same type; text dictionaries are merged).
    public func appending(_ other: Column) -> Column {
        var bits: Bitmap? = nil
        if validity != nil || other.validity != nil {
            var b = Bitmap(count: count + other.count, filled: true)
            for i in 0..<count where isNull(i) { b[i] = false }
            for i in 0..<other.count where other.isNull(i) { b[count + i] = false }
            bits = b
        }
        switch (data, other.data) {
        case let (.text(a, da), .text(b, db)):
            if da === db { return Column(data: .text(codes: a + b, dictionary: da), validity: bits) }
            let remap = db.values.map { da.intern($0) }
            // A null row's code is 0 even in an empty dictionary (an all-null column): keep it 0.
            return Column(data: .text(codes: a + b.map { Int($0) < remap.count ? remap[Int($0)] : 0 }, dictionary: da), validity: bits)
        case let (.integer(a), .integer(b)): return Column(data: .integer(a + b), validity: bits)
        case let (.decimal(a), .decimal(b)): return Column(data: .decimal(a + b), validity: bits)
        case let (.integer(a), .decimal(b)): return Column(data: .decimal(a.map(Double.init) + b), validity: bits)
        case let (.decimal(a), .integer(b)): return Column(data: .decimal(a + b.map(Double.init)), validity: bits)
        case let (.date(a), .date(b)): return Column(data: .date(a + b), validity: bits)
        case let (.boolean(a), .boolean(b)): return Column(data: .boolean(a + b), validity: bits)
        default:
            var builder = ColumnBuilder(type: .text, capacity: count + other.count)
            for i in 0..<count { builder.append(value(i)) }
            for i in 0..<other.count { builder.append(other.value(i)) }
            return builder.build()
        }
    }
}

extension Column {
    /// Row `r` from `a` where `picks[r]`, else from `b` (a `case`'s choice, a full join's keys);
    /// nil when the two types cannot meet. Text from two dictionaries goes into a new one.
    public static func choose(_ picks: [Bool], _ a: Column, _ b: Column) -> Column? {
        let rows = picks.count
        guard a.count == rows, b.count == rows else { return nil }
        var type = a.type
        if a.type != b.type {
            if a.nullCount == a.count {
                type = b.type
            } else if b.nullCount == b.count {
                type = a.type
            } else if a.type.isNumeric, b.type.isNumeric {
                type = .decimal
            } else {
                return nil
            }
        }
        guard let a = a.converted(to: type), let b = b.converted(to: type) else { return nil }
        var validity = Bitmap(count: rows, filled: true)
        for r in 0..<rows where picks[r] ? a.isNull(r) : b.isNull(r) { validity[r] = false }
        func pick<T>(_ x: [T], _ y: [T]) -> [T] {
            [T](unsafeUninitializedCapacity: rows) { out, n in
                guard let base = out.baseAddress else { n = 0; return }
                for r in 0..<rows { (base + r).initialize(to: picks[r] ? x[r] : y[r]) }
                n = rows
            }
        }
        switch (a.data, b.data) {
        case let (.integer(x), .integer(y)): return Column(data: .integer(pick(x, y)), validity: validity)
        case let (.decimal(x), .decimal(y)): return Column(data: .decimal(pick(x, y)), validity: validity)
        case let (.date(x), .date(y)): return Column(data: .date(pick(x, y)), validity: validity)
        case let (.boolean(x), .boolean(y)): return Column(data: .boolean(pick(x, y)), validity: validity)
        case let (.text(x, dx), .text(y, dy)):
            if dx === dy { return Column(data: .text(codes: pick(x, y), dictionary: dx), validity: validity) }
            // Codes of the second dictionary in a new one holding both (never the inputs' own).
            let merged = TextDictionary(values: dx.values)
            let remap = dy.values.map { merged.intern($0) }
            let yCodes = y.map { Int($0) < remap.count ? remap[Int($0)] : 0 }
            return Column(data: .text(codes: pick(x, yCodes), dictionary: merged), validity: validity)
        default:
            return nil
        }
    }

    /// This column as `type` (integers as decimals, an all-null column as any type), or nil.
    public func converted(to type: DataType) -> Column? {
        if self.type == type { return self }
        if nullCount == count { return Column.nulls(type: type, count: count) }
        if type == .decimal, case .integer(let v) = data { return Column(data: .decimal(v.map(Double.init)), validity: validity) }
        return nil
    }
}

extension Provenance {
    public func gather(_ indices: [Int32]) -> Provenance {
        var fi = [UInt16](); fi.reserveCapacity(indices.count)
        var ln = [Int32](); ln.reserveCapacity(indices.count)
        for i in indices {
            if i < 0 { fi.append(0); ln.append(0) } else { fi.append(fileIndex[Int(i)]); ln.append(line[Int(i)]) }
        }
        return Provenance(files: files, fileIndex: fi, line: ln)
    }

    public func appending(_ other: Provenance) -> Provenance {
        var mergedFiles = files
        let remap: [UInt16] = other.files.map { name in
            if let i = mergedFiles.firstIndex(of: name) { return UInt16(i) }
            mergedFiles.append(name)
            return UInt16(mergedFiles.count - 1)
        }
        return Provenance(
            files: mergedFiles,
            fileIndex: fileIndex + other.fileIndex.map { remap[Int($0)] },
            line: line + other.line)
    }
}

extension Table {
    /// The rows at `indices` in that order, provenance included.
    public func gather(_ indices: [Int32]) -> Table {
        var out = Table(names: names, columns: Column.gather(columns, indices), provenance: provenance.gather(indices))
        out.rejected = rejected
        return out
    }

    /// Rows whose mask entry is true.
    public func filtered(_ keep: [Bool]) -> Table {
        var indices = [Int32]()
        indices.reserveCapacity(keep.count)
        for (i, k) in keep.enumerated() where k { indices.append(Int32(i)) }
        return gather(indices)
    }

    /// The first `n` rows.
    public func prefix(_ n: Int) -> Table {
        gather((0..<Int32(Swift.min(n, rowCount))).map { $0 })
    }
}

extension Column {
    /// Gathers several columns by the same indices, on all cores when the work is large.
    package static func gather(_ columns: [Column], _ indices: [Int32]) -> [Column] {
        guard columns.count > 1, indices.count * columns.count > 1 << 16 else { return columns.map { $0.gather(indices) } }
        var out = [Column?](repeating: nil, count: columns.count)
        out.withUnsafeMutableBufferPointer { buffer in
            let results = buffer
            Parallel.forEach(columns.count) { k in results[k] = columns[k].gather(indices) }
        }
        return out.compactMap { $0 }
    }
}
