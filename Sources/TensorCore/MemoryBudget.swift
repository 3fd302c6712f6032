import Foundation
import Synchronization

/// The most memory one allocation sized by input may take: a tensor, a key/value cache, a decoded
/// image, a padded batch. A request over it is a typed error naming what asked, never a `malloc`
/// failure or an out-of-memory kill.
///
/// The default is three quarters of physical memory (the environment variable
/// `INFER_MAX_MEMORY_MB` overrides it); library callers set their own with ``setLimit(bytes:)``.
public enum MemoryBudget {
    private static let limit = Atomic<Int>(defaultLimit)

    /// Three quarters of physical memory, or `INFER_MAX_MEMORY_MB` megabytes when set.
    public static var defaultLimit: Int {
        if let text = ProcessInfo.processInfo.environment["INFER_MAX_MEMORY_MB"], let megabytes = Int(text),
            megabytes > 0
        {
            return megabytes.multipliedReportingOverflow(by: 1 << 20).overflow ? Int.max : megabytes << 20
        }
        let physical = ProcessInfo.processInfo.physicalMemory
        return physical > UInt64(Int.max) ? Int.max : Int(physical) / 4 * 3
    }

    /// The budget in bytes.
    public static var limitBytes: Int { limit.load(ordering: .relaxed) }

    /// Sets the budget (at least one byte).
    public static func setLimit(bytes: Int) { limit.store(max(1, bytes), ordering: .relaxed) }

    /// Fails when `bytes` exceeds the budget.
    public static func check(bytes: Int, op: String) throws(TensorError) {
        let budget = limitBytes
        guard bytes <= budget else { throw .overBudget(op: op, bytes: bytes, limit: budget) }
    }

    /// The element count of `shape`, checked for negative sizes and overflow, with
    /// `count × bytesEach` within the budget.
    public static func checkedCount(_ shape: [Int], bytesEach: Int, op: String) throws(TensorError) -> Int {
        let count = try Shape.elementCount(shape, op: op)
        let (bytes, overflow) = count.multipliedReportingOverflow(by: max(bytesEach, 1))
        guard !overflow else { throw .tooLarge(op: op, shape: shape) }
        try check(bytes: bytes, op: op)
        return count
    }

    /// A byte count for messages: MiB or GiB.
    public static func describe(_ bytes: Int) -> String {
        bytes >= 1 << 30
            ? String(format: "%.1f GiB", Double(bytes) / Double(1 << 30))
            : String(format: "%.1f MiB", Double(bytes) / Double(1 << 20))
    }
}
