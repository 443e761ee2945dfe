import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The large text dictionaries of the cell cache's tables, each written once to its own file
/// (`SHA256.dict`, named by the SHA-256 of its bytes) however many cached tables hold it.
///
/// A run's tables share dictionaries: `primary = senr | filter …` and `joined = primary | join …`
/// hold SENR's own ID, name and address dictionaries. Written into every table, they made the
/// cache of a realistic 1M-student district 1.4 times the size of its input files, and writing
/// them was much of what a first cached run waited for (docs/PERFORMANCE.md, "The cell cache").
/// A table now names the dictionary's file instead (the table's own checksum covers the name,
/// and the name is the file's checksum), and a dictionary is read once for every table that
/// names it, so tables that shared it when they were made share it again when read back.
package final class DictionaryShelf: @unchecked Sendable {
    /// Dictionaries with fewer values stay inside their tables (small tables stay self-contained).
    package static let minimumValues = 4096
    package static let magic = Array("TALLY-DICT-1\n".utf8)

    package let folder: String
    private let lock = NSLock()
    /// Dictionaries on the shelf, by identity: the file holding their first `count` values. The
    /// references are weak: a dictionary freed (its address then reused) is never taken for
    /// another, and the shelf keeps no table's memory alive.
    private var known: [ObjectIdentifier: (dictionary: WeakDictionary, count: Int, name: String)] = [:]
    /// Dictionaries read back this run, by file name.
    private var loaded: [String: WeakDictionary] = [:]

    package final class WeakDictionary {
        weak var value: TextDictionary?
        package init(_ value: TextDictionary) { self.value = value }
    }

    package init(folder: String) { self.folder = folder }

    /// Whether `name` is a shelf file's name: 64 hex digits and `.dict`.
    package static func isName(_ name: String) -> Bool {
        let utf8 = Array(name.utf8)
        return utf8.count == 69 && name.hasSuffix(".dict") && utf8[..<64].allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// The file of a dictionary's first `count` values, if the shelf has it.
    package func name(of dictionary: TextDictionary, count: Int) -> String? {
        lock.lock(); defer { lock.unlock() }
        guard let entry = known[ObjectIdentifier(dictionary)], entry.dictionary.value === dictionary, entry.count == count else {
            return nil
        }
        return entry.name
    }

    /// The file holding a dictionary's values as they are now, written if the shelf does not
    /// have it yet; nil if it could not be written.
    package func put(_ dictionary: TextDictionary) -> (name: String, count: Int)? {
        let packed = dictionary.packed
        if let name = name(of: dictionary, count: packed.count) { return (name, packed.count) }
        let temporary = folder + "/dict.partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { return nil }
        var out = BinaryOut(fd: fd)
        out.bytes(DictionaryShelf.magic)
        out.int(packed.count)
        out.narrow(packed.lengths)
        out.bytes(packed.arena)
        out.flush()
        close(fd)
        let name = Table.hex(out.hasher.finalize()) + ".dict"
        guard !out.failed, rename(temporary, folder + "/" + name) == 0 else {
            unlink(temporary)
            return nil
        }
        remember(dictionary, count: packed.count, name: name)
        return (name, packed.count)
    }

    private func remember(_ dictionary: TextDictionary, count: Int, name: String) {
        lock.lock(); defer { lock.unlock() }
        known[ObjectIdentifier(dictionary)] = (WeakDictionary(dictionary), count, name)
    }

    /// The dictionary in file `name` if its bytes are the ones the name gives and it holds
    /// `count` values; nil for a missing, damaged or foreign file (a damaged one is deleted, so
    /// every entry naming it is recomputed: `CellCache.entry`).
    package func dictionary(named name: String, count: Int) -> TextDictionary? {
        guard DictionaryShelf.isName(name) else { return nil }
        lock.lock()
        if let done = loaded[name]?.value { lock.unlock(); return done.count == count ? done : nil }
        lock.unlock()
        let path = folder + "/" + name
        guard let bytes = InputFile.readAll(path) else { return nil }
        var input = BinaryIn(bytes: bytes)
        guard Table.hex(SHA256.hash(data: bytes)) + ".dict" == name,
            input.take(DictionaryShelf.magic.count) == DictionaryShelf.magic, input.int() == count,
            let lengths: [Int32] = input.narrow(count), lengths.allSatisfy({ $0 >= 0 }),
            let arena = input.take(lengths.reduce(0) { $0 + Int($1) }), input.atEnd
        else {
            unlink(path)
            return nil
        }
        let dictionary = TextDictionary(interned: ByteInterner(arena: arena, lengths: lengths))
        remember(dictionary, count: count, name: name)
        lock.lock(); loaded[name] = WeakDictionary(dictionary); lock.unlock()
        return dictionary
    }
}
