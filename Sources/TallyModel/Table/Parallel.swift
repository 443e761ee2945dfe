import Foundation

/// Data parallelism over index ranges (chunks of a file, columns of a table).
package enum Parallel {
    /// Runs `body(0)`, …, `body(count - 1)` on the machine's cores and returns when all are done.
    /// Each call must touch only its own slots of any shared buffer: the caller guarantees the
    /// writes are disjoint, which is why the closure need not be `Sendable`.
    package static func forEach(_ count: Int, _ body: (Int) -> Void) {
        guard count > 1 else { if count == 1 { body(0) }; return }
        withoutActuallyEscaping(body) { escaping in
            nonisolated(unsafe) let run = escaping
            DispatchQueue.concurrentPerform(iterations: count) { i in run(i) }
        }
    }
}
