import Foundation
import TallyModel

/// Runs work on a thread with a large stack and waits for it.
///
/// The parser, the checker and the evaluator walk an expression recursively, a frame per level.
/// The deepest expression a playbook may hold (`Parser.maxHeight` levels) needs about 11 KB a
/// level in a debug build: more than the 8 MB stack of the thread a command runs on, so
/// `a + a + … + a` 990 times crashed with a stack overflow before this. The stack is reserved
/// address space, not memory: pages are used only as deep as a walk goes.
public enum LargeStack {
    static let bytes = 1 << 30

    private final class Job<T>: @unchecked Sendable {
        var body: (() -> T)?
        var result: T?
        let done = DispatchSemaphore(value: 0)
        init(_ body: @escaping () -> T) { self.body = body }
    }

    public static func run<T>(_ body: () -> T) -> T {
        withoutActuallyEscaping(body) { body in
            let job = Job(body)
            // The thread lets go of `body` before it signals: `withoutActuallyEscaping` traps if
            // the closure is still held when it returns.
            let thread = Thread {
                job.result = job.body?()
                job.body = nil
                job.done.signal()
            }
            thread.stackSize = bytes
            thread.start()
            job.done.wait()
            // The thread always sets the result before it signals; the fallback is unreachable.
            return job.result ?? body()
        }
    }

    /// `run` for work that throws: the error is rethrown on the caller's thread.
    public static func run<T>(_ body: () throws -> T) throws -> T {
        try run { Result { try body() } }.get()
    }
}
