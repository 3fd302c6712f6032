import CBLAS
import Dispatch
import Foundation
import Synchronization

/// The one pool of worker threads all kernels share, and the thread count OpenBLAS is given.
///
/// Sized once: by ``configure(threads:)`` (the CLI's `--threads`), else by the environment
/// variable `INFER_NUM_THREADS`, else the number of cores. OpenBLAS gets the same count, so
/// BLAS calls and Swift kernels never oversubscribe the machine.
public enum ComputePool {
    private static let configured = Mutex<Int?>(nil)

    /// The number of threads kernels and OpenBLAS use.
    public static var threadCount: Int {
        configured.withLock { current in
            if let current { return current }
            let count = defaultThreadCount()
            openblas_set_num_threads(Int32(count))
            current = count
            return count
        }
    }

    /// Sets the thread count (nil: environment or core count) and tells OpenBLAS.
    public static func configure(threads: Int?) {
        let count = max(1, threads ?? defaultThreadCount())
        configured.withLock { current in
            current = count
            openblas_set_num_threads(Int32(count))
        }
    }

    /// The count from `INFER_NUM_THREADS`, else the number of active cores.
    public static func defaultThreadCount() -> Int {
        if let text = ProcessInfo.processInfo.environment["INFER_NUM_THREADS"], let value = Int(text), value > 0 {
            return value
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Runs `body(task)` for every task in `0..<tasks`, at most ``threadCount`` at a time,
    /// and returns when all are done.
    ///
    /// `body` runs concurrently with itself: tasks must write disjoint memory (kernels split
    /// their output into disjoint ranges), which is what makes sharing it across threads safe.
    public static func parallelFor(_ tasks: Int, _ body: (Int) -> Void) {
        guard tasks > 0 else { return }
        let workers = min(tasks, threadCount)
        if workers == 1 {
            for task in 0..<tasks { body(task) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            let shared = unsafeBitCast(escapable, to: (@Sendable (Int) -> Void).self)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var task = worker
                while task < tasks {
                    shared(task)
                    task += workers
                }
            }
        }
    }

    /// Splits `0..<count` into contiguous ranges of at least `grain` items and runs them in parallel.
    public static func parallelRanges(_ count: Int, grain: Int, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let tasks = min(threadCount, max(1, count / max(grain, 1)))
        if tasks == 1 {
            body(0..<count)
            return
        }
        parallelFor(tasks) { task in
            body((count * task / tasks)..<(count * (task + 1) / tasks))
        }
    }
}
