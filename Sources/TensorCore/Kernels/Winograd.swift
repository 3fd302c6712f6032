import CBLAS

/// The weights of a 3x3 convolution transformed for Winograd's F(2x2, 3x3) algorithm (`G g Gᵀ`
/// per output and input channel): sixteen `[M, C]` matrices, one per point of the 4x4 tile.
/// Made once per weight tensor (at load) and reused by every run.
public final class WinogradWeights: Sendable {
    /// The `[M, C, 3, 3]` weight shape they came from.
    public let shape: [Int]
    /// `[16, M, C]`.
    let transformed: Tensor

    /// Transforms float32 `weight` `[M, C, 3, 3]`.
    public init(weight: Tensor) throws(TensorError) {
        guard weight.dtype == .float32, weight.rank == 4, weight.shape[2] == 3, weight.shape[3] == 3 else {
            throw .shapeMismatch(
                op: "conv", shapes: [weight.shape], reason: "Winograd F(2x2, 3x3) takes float32 [M, C, 3, 3] weights")
        }
        shape = weight.shape
        let (m, c) = (weight.shape[0], weight.shape[1])
        transformed = try Tensor(uninitialized: [16, m, c], dtype: .float32, op: "conv")
        let dense = weight.contiguous()
        try withExtendedLifetime(dense) { () throws(TensorError) in
            guard let g = dense.baseAddress?.assumingMemoryBound(to: Float.self),
                let u = transformed.mutableBaseAddress?.assumingMemoryBound(to: Float.self)
            else { return }
            for pair in 0..<(m * c) {
                let k = g + pair * 9
                // G g (4x3), then (G g) Gᵀ (4x4); G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1].
                withUnsafeTemporaryAllocation(of: Float.self, capacity: 12) { rows in
                    for j in 0..<3 {
                        let (a, b, d) = (k[j], k[3 + j], k[6 + j])
                        rows[j] = a
                        rows[3 + j] = 0.5 * (a + b + d)
                        rows[6 + j] = 0.5 * (a - b + d)
                        rows[9 + j] = d
                    }
                    for i in 0..<4 {
                        let (a, b, d) = (rows[i * 3], rows[i * 3 + 1], rows[i * 3 + 2])
                        let target = u + i * 4 * m * c + pair
                        target[0] = a
                        target[m * c] = 0.5 * (a + b + d)
                        target[2 * m * c] = 0.5 * (a - b + d)
                        target[3 * m * c] = d
                    }
                }
            }
        }
    }
}

extension Tensor {
    /// 3x3, stride 1, undilated, ungrouped convolution by Winograd's F(2x2, 3x3): each 4x4 input
    /// tile is transformed (`Bᵀ d B`), the sixteen tile points become sixteen `[M, C] x [C, tiles]`
    /// products (2.25x fewer multiply-adds than direct convolution), and each 2x2 output tile is
    /// transformed back (`Aᵀ m A`) and finished with the epilogue.
    static func winogradConv(
        _ input: UnsafePointer<Float>, _ weights: WinogradWeights, _ output: UnsafeMutablePointer<Float>,
        n: Int, c: Int, m: Int, _ p: Plane, _ epilogue: ConvEpilogue
    ) throws(TensorError) {
        let tilesHigh = (p.oh + 1) / 2, tilesWide = (p.ow + 1) / 2, tiles = tilesHigh * tilesWide
        let transformedInput = try Tensor(uninitialized: [16, c, tiles], dtype: .float32, op: "conv")
        let products = try Tensor(uninitialized: [16, m, tiles], dtype: .float32, op: "conv")
        defer { withExtendedLifetime((transformedInput, products)) {} }
        guard let v = transformedInput.mutableBaseAddress?.assumingMemoryBound(to: Float.self),
            let product = products.mutableBaseAddress?.assumingMemoryBound(to: Float.self),
            let u = weights.transformed.baseAddress?.assumingMemoryBound(to: Float.self)
        else { return }
        for batch in 0..<n {
            let source = input + batch * c * p.h * p.w
            let paddedSize = (16 * ((tilesWide + 7) / 8) + 2) * (2 * tilesHigh + 2)
            ComputePool.parallelRanges(c, grain: 1) { channels in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: paddedSize) { buffer in
                    guard let padded = buffer.baseAddress else { return }
                    for channel in channels {
                        transformInputTiles(
                            source + channel * p.h * p.w, v + channel * tiles, pointStride: c * tiles,
                            tilesWide: tilesWide,
                            tilesHigh: tilesHigh, padded: padded, p)
                    }
                }
            }
            ComputePool.parallelFor(16) { point in
                cblas_sgemm(
                    CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(tiles), Int32(c), 1,
                    u + point * m * c, Int32(c), v + point * c * tiles, Int32(tiles), 0, product + point * m * tiles,
                    Int32(tiles))
            }
            ComputePool.parallelRanges(m, grain: 1) { channels in
                for channel in channels {
                    let plane = output + (batch * m + channel) * p.oh * p.ow
                    transformOutputTiles(
                        product + channel * tiles, plane, pointStride: m * tiles, tilesWide: tilesWide,
                        tilesHigh: tilesHigh, p)
                    epilogue.apply(
                        plane, count: p.oh * p.ow, offset: (batch * m + channel) * p.oh * p.ow, channel: channel)
                }
            }
        }
    }

    /// `Bᵀ d B` for every 4x4 tile of one channel; point `i * 4 + j` of tile `t` goes to
    /// `v[(i * 4 + j) * pointStride + t]`. Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]. The plane
    /// is first copied into `padded` with its zero border (and room for whole vectors), so every
    /// row of tiles is transformed eight tiles at a time: the even and odd lanes of two 16-wide
    /// loads are the tiles' four columns.
    private static func transformInputTiles(
        _ plane: UnsafePointer<Float>, _ v: UnsafeMutablePointer<Float>, pointStride: Int,
        tilesWide: Int, tilesHigh: Int, padded: UnsafeMutablePointer<Float>, _ p: Plane
    ) {
        let groupsWide = (tilesWide + 7) / 8
        let width = 16 * groupsWide + 2, height = 2 * tilesHigh + 2
        padded.initialize(repeating: 0, count: width * height)
        for y in 0..<p.h where y + p.padTop < height {
            let row = padded + (y + p.padTop) * width + p.padLeft
            let count = min(p.w, width - p.padLeft)
            for x in 0..<count { row[x] = plane[y * p.w + x] }
        }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 16 * 8) { spill in
            guard let staged = spill.baseAddress else { return }
            for ty in 0..<tilesHigh {
                for group in 0..<groupsWide {
                    let tx = group * 8
                    @inline(__always) func columns(_ r: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)
                    {
                        let row = padded + (2 * ty + r) * width + 2 * tx
                        let a = UnsafeRawPointer(row).loadUnaligned(as: SIMD16<Float>.self)
                        let b = UnsafeRawPointer(row + 2).loadUnaligned(as: SIMD16<Float>.self)
                        return (a.evenHalf, a.oddHalf, b.evenHalf, b.oddHalf)
                    }
                    let r0 = columns(0), r1 = columns(1), r2 = columns(2), r3 = columns(3)
                    let t = ty * tilesWide + tx, lanes = min(8, tilesWide - tx)
                    @inline(__always) func emit(
                        _ i: Int, _ row: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)
                    ) {
                        let values = (row.0 - row.2, row.1 + row.2, row.2 - row.1, row.1 - row.3)
                        let base = v + i * 4 * pointStride + t
                        if lanes == 8 {
                            UnsafeMutableRawPointer(base).storeBytes(of: values.0, as: SIMD8<Float>.self)
                            UnsafeMutableRawPointer(base + pointStride).storeBytes(of: values.1, as: SIMD8<Float>.self)
                            UnsafeMutableRawPointer(base + 2 * pointStride).storeBytes(
                                of: values.2, as: SIMD8<Float>.self)
                            UnsafeMutableRawPointer(base + 3 * pointStride).storeBytes(
                                of: values.3, as: SIMD8<Float>.self)
                        } else {
                            // The last group of a row: only its tiles (the next row's start follows).
                            UnsafeMutableRawPointer(staged).storeBytes(of: values.0, as: SIMD8<Float>.self)
                            UnsafeMutableRawPointer(staged + 8).storeBytes(of: values.1, as: SIMD8<Float>.self)
                            UnsafeMutableRawPointer(staged + 16).storeBytes(of: values.2, as: SIMD8<Float>.self)
                            UnsafeMutableRawPointer(staged + 24).storeBytes(of: values.3, as: SIMD8<Float>.self)
                            for j in 0..<4 {
                                for lane in 0..<lanes { base[j * pointStride + lane] = staged[j * 8 + lane] }
                            }
                        }
                    }
                    emit(0, (r0.0 - r2.0, r0.1 - r2.1, r0.2 - r2.2, r0.3 - r2.3))
                    emit(1, (r1.0 + r2.0, r1.1 + r2.1, r1.2 + r2.2, r1.3 + r2.3))
                    emit(2, (r2.0 - r1.0, r2.1 - r1.1, r2.2 - r1.2, r2.3 - r1.3))
                    emit(3, (r1.0 - r3.0, r1.1 - r3.1, r1.2 - r3.2, r1.3 - r3.3))
                }
            }
        }
    }

    /// `Aᵀ m A` for every tile of one output channel into its plane (only the corner inside the
    /// plane at the bottom and right edges). Aᵀ = [1 1 1 0; 0 1 -1 -1].
    private static func transformOutputTiles(
        _ product: UnsafePointer<Float>, _ plane: UnsafeMutablePointer<Float>, pointStride: Int,
        tilesWide: Int, tilesHigh: Int, _ p: Plane
    ) {
        for ty in 0..<tilesHigh {
            var tx = 0
            let fullRows = 2 * ty + 1 < p.oh
            while fullRows, tx + 8 <= tilesWide, 2 * (tx + 8) <= p.ow {
                let t = ty * tilesWide + tx
                @inline(__always) func point(_ index: Int) -> SIMD8<Float> {
                    UnsafeRawPointer(product + index * pointStride + t).loadUnaligned(as: SIMD8<Float>.self)
                }
                // Aᵀ m, column by column: the two rows of the 2x4 intermediate.
                @inline(__always) func column(_ j: Int) -> (SIMD8<Float>, SIMD8<Float>) {
                    let (m0, m1, m2, m3) = (point(j), point(4 + j), point(8 + j), point(12 + j))
                    return (m0 + m1 + m2, m1 - m2 - m3)
                }
                let c0 = column(0), c1 = column(1), c2 = column(2), c3 = column(3)
                let y00 = c0.0 + c1.0 + c2.0, y01 = c1.0 - c2.0 - c3.0
                let y10 = c0.1 + c1.1 + c2.1, y11 = c1.1 - c2.1 - c3.1
                let upper = plane + (2 * ty) * p.ow + 2 * tx, lower = upper + p.ow
                for lane in 0..<8 {
                    upper[2 * lane] = y00[lane]
                    upper[2 * lane + 1] = y01[lane]
                    lower[2 * lane] = y10[lane]
                    lower[2 * lane + 1] = y11[lane]
                }
                tx += 8
            }
            while tx < tilesWide {
                let t = ty * tilesWide + tx
                @inline(__always) func column(_ j: Int) -> (Float, Float) {
                    let (m0, m1, m2, m3) = (
                        product[j * pointStride + t], product[(4 + j) * pointStride + t],
                        product[(8 + j) * pointStride + t], product[(12 + j) * pointStride + t]
                    )
                    return (m0 + m1 + m2, m1 - m2 - m3)
                }
                let c0 = column(0), c1 = column(1), c2 = column(2), c3 = column(3)
                let corner = ((c0.0 + c1.0 + c2.0, c1.0 - c2.0 - c3.0), (c0.1 + c1.1 + c2.1, c1.1 - c2.1 - c3.1))
                let (y, x) = (2 * ty, 2 * tx)
                plane[y * p.ow + x] = corner.0.0
                if x + 1 < p.ow { plane[y * p.ow + x + 1] = corner.0.1 }
                if y + 1 < p.oh {
                    plane[(y + 1) * p.ow + x] = corner.1.0
                    if x + 1 < p.ow { plane[(y + 1) * p.ow + x + 1] = corner.1.1 }
                }
                tx += 1
            }
        }
    }
}
