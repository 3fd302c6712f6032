import Dispatch
import Synchronization

/// Time spent per node over one or more runs (onnxruntime's profiling, in short): pass one to
/// ``InferenceSession/run(_:profile:)->[String:Tensor]`` and read the totals. Runs on several tasks may share one.
public final class NodeProfile: Sendable {
    /// One node's (or fused chain's) accumulated time.
    public struct Entry: Sendable {
        /// The node's name (the first node of a fused chain).
        public let node: String
        /// Its op type.
        public let opType: String
        /// Total nanoseconds over every profiled run.
        public var nanoseconds: UInt64
    }

    private struct State {
        var index: [String: Int] = [:]
        var entries: [Entry] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// Every node that ran, in first-run order.
    public var entries: [Entry] { state.withLock { $0.entries } }

    func add(node: String, opType: String, nanoseconds: UInt64) {
        state.withLock { state in
            if let position = state.index[node] {
                state.entries[position].nanoseconds += nanoseconds
            } else {
                state.index[node] = state.entries.count
                state.entries.append(Entry(node: node, opType: opType, nanoseconds: nanoseconds))
            }
        }
    }

    /// Total nanoseconds per op type, largest first.
    public var byOpType: [(opType: String, nanoseconds: UInt64)] {
        var totals: [String: UInt64] = [:]
        for entry in entries { totals[entry.opType, default: 0] += entry.nanoseconds }
        return totals.map { ($0.key, $0.value) }.sorted { $0.nanoseconds > $1.nanoseconds }
    }
}
