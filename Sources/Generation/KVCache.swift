/// Keys and values of every layer for the positions processed so far, stored as float16 as
/// llama.cpp's default cache does. Memory is reserved for the whole context but only the pages of
/// positions actually used become resident.
final class KVCache {
    let layers: Int
    let capacity: Int
    /// Floats per position per layer (kv heads × head size).
    let width: Int
    let keys: UnsafeMutablePointer<Float16>
    let values: UnsafeMutablePointer<Float16>

    init(layers: Int, capacity: Int, width: Int) {
        self.layers = layers
        self.capacity = capacity
        self.width = width
        keys = .allocate(capacity: layers * capacity * width)
        values = .allocate(capacity: layers * capacity * width)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    /// Bytes the cache takes when every position is filled.
    var byteCount: Int { 2 * layers * capacity * width * MemoryLayout<Float16>.size }

    @inline(__always) func keys(layer: Int, position: Int) -> UnsafeMutablePointer<Float16> { keys + (layer * capacity + position) * width }
    @inline(__always) func values(layer: Int, position: Int) -> UnsafeMutablePointer<Float16> { values + (layer * capacity + position) * width }
}
