import TensorCore

/// Keys and values of every layer for the positions one sequence has processed, stored as float16
/// as llama.cpp's default cache does. It belongs to one sequence (one request): a model is shared,
/// a cache is not. Memory is reserved for `capacity` positions, but only the pages of positions
/// actually used become resident.
public final class KVCache {
    /// Layers the cache holds.
    public let layers: Int
    /// Positions the cache can hold (the context length).
    public let capacity: Int
    /// Floats per position per layer (kv heads × head size).
    public let width: Int
    /// Positions filled so far; the next token goes at this position.
    public private(set) var count = 0
    let keys: UnsafeMutablePointer<Float16>
    let values: UnsafeMutablePointer<Float16>

    /// Reserves a cache of `capacity` positions; fails when its size overflows or exceeds `byteLimit`
    /// (default: the memory budget).
    public init(layers: Int, capacity: Int, width: Int, byteLimit: Int = MemoryBudget.limitBytes)
        throws(GenerationError)
    {
        let (cells, cellOverflow) = layers.multipliedReportingOverflow(by: capacity)
        let (elements, elementOverflow) = cells.multipliedReportingOverflow(by: width)
        let (bytes, byteOverflow) = elements.multipliedReportingOverflow(by: 2 * MemoryLayout<Float16>.size)
        guard layers > 0, capacity > 0, width > 0, !cellOverflow, !elementOverflow, !byteOverflow, bytes <= byteLimit
        else {
            throw .cacheTooLarge(positions: capacity, limitBytes: byteLimit)
        }
        self.layers = layers
        self.capacity = capacity
        self.width = width
        keys = .allocate(capacity: elements)
        values = .allocate(capacity: elements)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    /// Bytes the cache takes when every position is filled.
    public var byteCount: Int { 2 * layers * capacity * width * MemoryLayout<Float16>.size }

    /// Positions still free.
    public var remaining: Int { capacity - count }

    /// Forgets every cached position.
    public func reset() { count = 0 }

    /// Drops cached positions from `position` on, keeping a shared prefix.
    public func rewind(to position: Int) { count = max(0, min(count, position)) }

    /// Marks `n` more positions as filled (after a forward pass wrote them).
    func advance(by n: Int) { count += n }

    @inline(__always) func keys(layer: Int, position: Int) -> UnsafeMutablePointer<Float16> {
        keys + (layer * capacity + position) * width
    }

    @inline(__always) func values(layer: Int, position: Int) -> UnsafeMutablePointer<Float16> {
        values + (layer * capacity + position) * width
    }
}
