import Dispatch

/// Time spent per node over one or more runs (onnxruntime's profiling, in short): pass one to
/// ``InferenceSession/run(_:profile:)`` and read the totals.
public final class NodeProfile: @unchecked Sendable {
    /// One node's (or fused chain's) accumulated time.
    public struct Entry: Sendable {
        /// The node's name (the first node of a fused chain).
        public let node: String
        /// Its op type.
        public let opType: String
        /// Total nanoseconds over every profiled run.
        public var nanoseconds: UInt64
    }

    private var index: [String: Int] = [:]
    /// Every node that ran, in first-run order.
    public private(set) var entries: [Entry] = []

    public init() {}

    func add(node: String, opType: String, nanoseconds: UInt64) {
        if let position = index[node] {
            entries[position].nanoseconds += nanoseconds
        } else {
            index[node] = entries.count
            entries.append(Entry(node: node, opType: opType, nanoseconds: nanoseconds))
        }
    }

    /// Total nanoseconds per op type, largest first.
    public var byOpType: [(opType: String, nanoseconds: UInt64)] {
        var totals: [String: UInt64] = [:]
        for entry in entries { totals[entry.opType, default: 0] += entry.nanoseconds }
        return totals.map { ($0.key, $0.value) }.sorted { $0.nanoseconds > $1.nanoseconds }
    }
}
