import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An input's bytes: either mapped from the file or held in an array (text decoded from another
/// encoding, bytes made in memory). A read-only collection of bytes with `Int` offsets from 0.
///
/// Why mapped: a file read into an array is copied into memory the process has never touched,
/// and every page of it must be found, zeroed and handed over by the kernel (and, on the virtual
/// machines districts and CI run on, by the host). A mapped file shares the pages the kernel
/// already holds for it. On the 3M-student benchmark the two inputs are 983 MB, and reading them
/// was 19% of the run's page faults (docs/PERFORMANCE.md, "Memory a run touches").
///
/// A mapped file that another program truncates while Tally reads it would fault (SIGBUS):
/// `truncationWatch` turns that into a message and exit 2, and `InputFile.requireUnchanged`
/// checks after the read that the file did not change (size and modification time).
public struct FileBytes: RandomAccessCollection, @unchecked Sendable {
    /// Keeps the mapping (or the array) alive while any `FileBytes` shares it.
    package final class Owner: @unchecked Sendable {
        let array: [UInt8]
        let mapped: (pointer: UnsafeMutableRawPointer, bytes: Int)?
        /// The mapped file, kept open to ask after the read whether it changed (`changed`).
        let fd: Int32
        let stamp: [Int]
        init(array: [UInt8]) { self.array = array; self.mapped = nil; self.fd = -1; self.stamp = [] }
        init(mapped pointer: UnsafeMutableRawPointer, bytes: Int, fd: Int32) {
            self.array = []; self.mapped = (pointer, bytes); self.fd = fd; self.stamp = Owner.stamp(fd)
        }
        deinit {
            if let mapped { munmap(mapped.pointer, mapped.bytes) }
            if fd >= 0 { close(fd) }
        }

        /// Size and modification time to the nanosecond of the open file.
        static func stamp(_ fd: Int32) -> [Int] {
            var info = stat()
            guard fstat(fd, &info) == 0 else { return [] }
            return [Int(info.st_size), Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec)]
        }
    }

    private let owner: Owner
    private let base: UnsafePointer<UInt8>?
    public let count: Int

    public init(_ array: [UInt8]) {
        let owner = Owner(array: array)
        self.owner = owner
        // The array is owned by `owner` and never mutated, so its storage stays where it is.
        self.base = owner.array.withUnsafeBufferPointer { $0.baseAddress }
        self.count = array.count
    }

    private init(owner: Owner, base: UnsafePointer<UInt8>?, count: Int) {
        self.owner = owner; self.base = base; self.count = count
    }

    /// Files smaller than this are read rather than mapped: a mapping costs a system call and
    /// a page table, and small files gain nothing from sharing pages.
    package static let mapAtLeast = 1 << 20

    /// The file open as `fd`, of `size` bytes, mapped read-only; nil when it cannot be mapped
    /// (the caller then reads it).
    package static func map(fd: Int32, size: Int) -> FileBytes? {
        guard size >= mapAtLeast else { return nil }
        _ = truncationWatch
        let kept = dup(fd)
        guard kept >= 0 else { return nil }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, kept, 0), p != MAP_FAILED else {
            close(kept)
            return nil
        }
        // The parse reads each half of the file from start to end on its own core.
        _ = madvise(p, size, MADV_WILLNEED)
        let owner = Owner(mapped: p, bytes: size, fd: kept)
        return FileBytes(owner: owner, base: UnsafePointer(p.assumingMemoryBound(to: UInt8.self)), count: size)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    @inlinable public func index(after i: Int) -> Int { i + 1 }
    @inlinable public func index(before i: Int) -> Int { i - 1 }

    public subscript(position: Int) -> UInt8 {
        precondition(position >= 0 && position < count, "FileBytes index out of range")
        return base.map { $0[position] } ?? 0
    }

    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try withExtendedLifetime(owner) { try body(UnsafeBufferPointer(start: base, count: count)) }
    }

    /// The bytes after the first `k`, sharing these (a byte-order mark is dropped this way).
    public func dropping(first k: Int) -> FileBytes {
        let k = Swift.min(Swift.max(0, k), count)
        return FileBytes(owner: owner, base: base.map { $0 + k }, count: count - k)
    }

    /// A copy as an array (for the few readers that need one: small files, workbooks).
    public var array: [UInt8] { withUnsafeBufferPointer { [UInt8]($0) } }

    /// Whether the bytes are mapped from a file (for tests).
    package var isMapped: Bool { owner.mapped != nil }

    /// Whether the mapped file was written to since it was mapped (its size or modification
    /// time moved): what was read may then mix old and new bytes. Never for bytes in an array.
    package var changed: Bool {
        guard owner.fd >= 0 else { return false }
        return Owner.stamp(owner.fd) != owner.stamp
    }

    // MARK: - A file truncated while mapped

    /// A SIGBUS handler that says what happened and exits 2: the only way a read of a mapped
    /// file faults is that another program cut the file short while Tally read it. Installed
    /// once (a static is initialised once, whichever thread maps first), before the first map.
    private static let truncationWatch: Bool = {
        signal(SIGBUS) { _ in
            let message: StaticString =
                "\ntally: error: an input file was cut short by another program while Tally was reading it, so the run stopped\nhelp: run again once the export or copy has finished [T0512]\n"
            _ = write(2, message.utf8Start, message.utf8CodeUnitCount)
            _exit(2)
        }
        return true
    }()
}
