import CBLAS
import Dispatch
import Foundation
import Synchronization

/// The one pool of worker threads all kernels share, and the thread count OpenBLAS is given.
///
/// Sized once: by ``configure(threads:)`` (the CLI's `--threads`), else by the environment
/// variable `INFER_NUM_THREADS`, else the number of cores. OpenBLAS itself runs on one thread:
/// matrix products are split over this pool, one BLAS call per block (`ParallelGemm`), so two
/// sets of spinning threads never compete for the cores.
public enum ComputePool {
    private static let configured = Mutex<Int?>(nil)

    /// The number of threads kernels use.
    public static var threadCount: Int {
        configured.withLock { current in
            if let current { return current }
            let count = defaultThreadCount()
            openblas_set_num_threads(1)
            current = count
            return count
        }
    }

    /// The most threads the pool runs; larger requests are clamped to it.
    public static let maximumThreads = 1024

    /// Sets the thread count (nil: environment or core count), clamped to 1...``maximumThreads``.
    public static func configure(threads: Int?) {
        let count = min(max(1, threads ?? defaultThreadCount()), maximumThreads)
        configured.withLock { current in
            current = count
            openblas_set_num_threads(1)
        }
    }

    /// The count from `INFER_NUM_THREADS`, else the number of active cores.
    public static func defaultThreadCount() -> Int {
        if let text = ProcessInfo.processInfo.environment["INFER_NUM_THREADS"], let value = Int(text), value > 0 {
            return min(value, maximumThreads)
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Runs `body(task)` for every task in `0..<tasks`, at most ``threadCount`` at a time,
    /// and returns when all are done.
    ///
    /// `body` runs concurrently with itself: tasks must write disjoint memory (kernels split
    /// their output into disjoint ranges), which is what makes sharing it across threads safe.
    /// The calling thread works too; the other ``threadCount`` − 1 are persistent workers that
    /// spin briefly between jobs (a token of generation issues hundreds of small parallel
    /// matmuls) and then sleep. A `parallelFor` inside a task runs serially.
    public static func parallelFor(_ tasks: Int, _ body: (Int) -> Void) {
        guard tasks > 0 else { return }
        let count = threadCount
        if count == 1 || tasks == 1 {
            for task in 0..<tasks { body(task) }
            return
        }
        let pool = WorkerPool.shared(workers: count - 1)
        withoutActuallyEscaping(body) { escapable in
            let shared = unsafeBitCast(escapable, to: (@Sendable (Int) -> Void).self)
            if !pool.run(tasks: tasks, shared) {
                for task in 0..<tasks { shared(task) }
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

/// Persistent worker threads for ``ComputePool/parallelFor(_:_:)``.
///
/// A job is published as a retained box plus a 64-bit claim counter whose high half is the job's
/// number: a worker that wakes late can only claim tasks of the job it saw (the compare-exchange
/// fails otherwise), and the box is released only after no worker can still be reading it.
// @unchecked Sendable: all shared state is atomics or guarded by the pthread mutex/condition;
// a second caller while a job runs is refused (`busy`) and runs its tasks itself.
final class WorkerPool: @unchecked Sendable {
    private static let pools = Mutex<[Int: WorkerPool]>([:])

    /// The pool with `workers` threads (created once per size).
    static func shared(workers: Int) -> WorkerPool {
        pools.withLock { pools in
            if let pool = pools[workers] { return pool }
            let pool = WorkerPool(workers: workers)
            pools[workers] = pool
            return pool
        }
    }

    private final class Job {
        let body: @Sendable (Int) -> Void
        let tasks: Int
        init(body: @escaping @Sendable (Int) -> Void, tasks: Int) {
            self.body = body
            self.tasks = tasks
        }
    }

    private let busy = Atomic<Bool>(false)
    private let generation = Atomic<Int>(0)
    /// Job number (high 32 bits) and next task (low 32 bits).
    private let claims = Atomic<UInt64>(0)
    private let unfinished = Atomic<Int>(0)
    private let active = Atomic<Int>(0)
    private let current = Atomic<UInt>(0)
    private let sleepers = Atomic<Int>(0)
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    private init(workers: Int) {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        for _ in 0..<workers {
            let thread = Thread { [unowned self] in self.work() }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Runs a job on the workers and the calling thread; false when the pool is already running
    /// one (a nested call: the caller then runs its tasks serially).
    func run(tasks: Int, _ body: @escaping @Sendable (Int) -> Void) -> Bool {
        guard tasks < Int(UInt32.max),
            busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
        else { return false }
        let job = Unmanaged.passRetained(Job(body: body, tasks: tasks))
        let number = UInt64(UInt32(truncatingIfNeeded: generation.load(ordering: .relaxed) &+ 1))
        unfinished.store(tasks, ordering: .sequentiallyConsistent)
        claims.store(number << 32, ordering: .sequentiallyConsistent)
        current.store(UInt(bitPattern: job.toOpaque()), ordering: .sequentiallyConsistent)
        generation.wrappingAdd(1, ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            pthread_mutex_lock(mutex)
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
        execute(job.takeUnretainedValue(), number: number)
        while unfinished.load(ordering: .sequentiallyConsistent) > 0 {}
        current.store(0, ordering: .sequentiallyConsistent)
        while active.load(ordering: .sequentiallyConsistent) > 0 {}
        job.release()
        busy.store(false, ordering: .releasing)
        return true
    }

    /// Claims and runs tasks of job `number` until none are left.
    private func execute(_ job: Job, number: UInt64) {
        var value = claims.load(ordering: .sequentiallyConsistent)
        while value >> 32 == number, Int(value & 0xFFFF_FFFF) < job.tasks {
            let (exchanged, original) = claims.compareExchange(
                expected: value, desired: value + 1, ordering: .sequentiallyConsistent)
            if !exchanged {
                value = original
                continue
            }
            job.body(Int(value & 0xFFFF_FFFF))
            unfinished.wrappingSubtract(1, ordering: .sequentiallyConsistent)
            value = claims.load(ordering: .sequentiallyConsistent)
        }
    }

    private func work() {
        var seen = generation.load(ordering: .sequentiallyConsistent)
        while true {
            var spins = 0
            while generation.load(ordering: .sequentiallyConsistent) == seen {
                spins += 1
                if spins < 100_000 { continue }
                pthread_mutex_lock(mutex)
                sleepers.wrappingAdd(1, ordering: .sequentiallyConsistent)
                while generation.load(ordering: .sequentiallyConsistent) == seen { pthread_cond_wait(condition, mutex) }
                sleepers.wrappingSubtract(1, ordering: .sequentiallyConsistent)
                pthread_mutex_unlock(mutex)
            }
            seen = generation.load(ordering: .sequentiallyConsistent)
            active.wrappingAdd(1, ordering: .sequentiallyConsistent)
            let bits = current.load(ordering: .sequentiallyConsistent)
            if bits != 0, let pointer = UnsafeRawPointer(bitPattern: bits) {
                let job = Unmanaged<Job>.fromOpaque(pointer).takeUnretainedValue()
                execute(job, number: UInt64(UInt32(truncatingIfNeeded: seen)))
            }
            active.wrappingSubtract(1, ordering: .sequentiallyConsistent)
        }
    }
}
