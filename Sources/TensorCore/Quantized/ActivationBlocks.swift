/// Rows of float activations quantized to 8 bits per block the way ggml's x86 code does before a
/// quantized matmul: per block of 32 (`q8_0`, `q8_1`) a scale `d = amax / 127` rounded to float16,
/// values `round(x * 127 / amax)` with ties to even, and for `q8_1` also `s = d * Σq` in float16;
/// per block of 256 (`q8_K`) a float scale and the values `round(x * -127 / max)` (max the
/// element of largest magnitude, sign kept) with per-16 sums.
public struct ActivationBlocks: ~Copyable {
    public let format: GGMLType
    public let rows: Int
    public let blocksPerRow: Int
    /// Block scales as floats (already rounded through float16 for q8_0 and q8_1).
    public let scales: UnsafeMutableBufferPointer<Float>
    /// q8_1: `d * Σq` per block (float16-rounded); q8_K: the 16 sums of 16 values per block.
    public let sums: UnsafeMutableBufferPointer<Float>
    /// The quantized values, `rows * blocksPerRow * blockElements`.
    public let values: UnsafeMutableBufferPointer<Int8>

    /// Space for `rows` rows of `columns` values in `format` (`q8_0`, `q8_1` or `q8_K`); `columns`
    /// must be a multiple of the block size.
    public init(format: GGMLType, rows: Int, columns: Int) {
        self.format = format
        self.rows = rows
        blocksPerRow = columns / format.blockElements
        let blocks = rows * blocksPerRow
        scales = .allocate(capacity: max(1, blocks))
        sums = .allocate(capacity: max(1, format == .q8_K ? blocks * 16 : blocks))
        values = .allocate(capacity: max(1, blocks * format.blockElements))
    }

    deinit {
        scales.deallocate()
        sums.deallocate()
        values.deallocate()
    }

    /// Quantizes `rows` rows of `source` (row-major, `blocksPerRow * blockElements` columns).
    public func quantize(_ source: UnsafePointer<Float>) {
        let columns = blocksPerRow * format.blockElements
        for row in 0..<rows {
            for block in 0..<blocksPerRow {
                let index = row * blocksPerRow + block
                let x = source + row * columns + block * format.blockElements
                let q = values.baseAddress! + index * format.blockElements
                if format == .q8_K { quantizeK(x, q, index) } else { quantize32(x, q, index) }
            }
        }
    }

    @inline(__always) private func quantize32(_ x: UnsafePointer<Float>, _ q: UnsafeMutablePointer<Int8>, _ index: Int)
    {
        var amax: Float = 0
        for j in 0..<32 { amax = Swift.max(amax, Swift.abs(x[j])) }
        let d = amax / 127
        let inverse: Float = amax != 0 ? 127 / amax : 0
        var total: Int32 = 0
        for j in 0..<32 {
            let v = Int32((x[j] * inverse).rounded(.toNearestOrEven))
            q[j] = Int8(truncatingIfNeeded: v)
            total &+= v
        }
        scales[index] = Float(Float16(d))
        if format == .q8_1 { sums[index] = Float(Float16(d * Float(total))) }
    }

    @inline(__always) private func quantizeK(_ x: UnsafePointer<Float>, _ q: UnsafeMutablePointer<Int8>, _ index: Int) {
        var amax: Float = 0, extreme: Float = 0
        for j in 0..<256 where Swift.abs(x[j]) > amax {
            amax = Swift.abs(x[j])
            extreme = x[j]
        }
        guard amax != 0 else {
            scales[index] = 0
            for j in 0..<256 { q[j] = 0 }
            for j in 0..<16 { sums[index * 16 + j] = 0 }
            return
        }
        let inverse = -127 / extreme
        for j in 0..<256 {
            // ggml's nearest_int: round half to even through the 1.5 * 2^23 trick.
            let v = Int32((inverse * x[j]).rounded(.toNearestOrEven))
            q[j] = Int8(Swift.min(127, v))
        }
        for group in 0..<16 {
            var total: Int32 = 0
            for j in 0..<16 { total += Int32(q[group * 16 + j]) }
            sums[index * 16 + group] = Float(total)
        }
        scales[index] = 1 / inverse
    }
}
