#if AVX512
    /// The widest float32 vector the kernels' target handles in one register.
    typealias RegisterVector = SIMD16<Float>
#else
    /// The widest float32 vector the kernels' target handles in one register.
    typealias RegisterVector = SIMD8<Float>
#endif

/// Matrix products with a short inner dimension (a 1x1 convolution from a few channels, a
/// first-layer convolution over 27 unfolded taps), with the convolution's bias, residual and
/// activation applied in registers before the one store of each output.
///
/// With K this small BLAS spends most of its time moving C: zeroing it, then reading and
/// writing it again for a handful of multiply-adds, then the epilogue's pass. Here each tile of
/// 4 output rows x 3 vectors of columns stays in 12 registers for the whole K loop.
enum ShallowGemm {
    /// Largest inner dimension this kernel is used for (BLAS's packed kernels win above it).
    static let maximumDepth = 32

    /// `out[r, j] = activation(bias[r] + Σ_k weight[r, k] · x[k, j] + residual[r, j])` for `r` in
    /// `0..<m`, `j` in `0..<n`. Row strides: `weight` is dense `[m, k]`; `x`, `out` and `residual`
    /// have strides `ldx`, `ldo` and `ldr`. `out` must not overlap `x` or `residual`.
    static func multiply(
        m: Int, n: Int, k: Int, weight: UnsafePointer<Float>, x: UnsafePointer<Float>, ldx: Int,
        out: UnsafeMutablePointer<Float>, ldo: Int, bias: UnsafePointer<Float>?,
        residual: UnsafePointer<Float>?, ldr: Int, activation: ActivationKernel
    ) {
        let lanes = RegisterVector.scalarCount
        @inline(__always) func load(_ pointer: UnsafePointer<Float>) -> RegisterVector {
            UnsafeRawPointer(pointer).loadUnaligned(as: RegisterVector.self)
        }
        /// Adds the residual, applies the activation and stores one vector of row `row` at column `column`.
        @inline(__always) func finish(_ sum: RegisterVector, _ row: Int, _ column: Int) {
            var value = sum
            if let residual { value += load(residual + row * ldr + column) }
            UnsafeMutableRawPointer(out + row * ldo + column).storeBytes(of: activation(value), as: RegisterVector.self)
        }
        var column = 0
        while column + 3 * lanes <= n {
            var row = 0
            while row + 4 <= m {
                let b0 = RegisterVector(repeating: bias?[row] ?? 0), b1 = RegisterVector(repeating: bias?[row + 1] ?? 0)
                let b2 = RegisterVector(repeating: bias?[row + 2] ?? 0),
                    b3 = RegisterVector(repeating: bias?[row + 3] ?? 0)
                var (s00, s01, s02) = (b0, b0, b0), (s10, s11, s12) = (b1, b1, b1)
                var (s20, s21, s22) = (b2, b2, b2), (s30, s31, s32) = (b3, b3, b3)
                let w0 = weight + row * k, w1 = w0 + k, w2 = w1 + k, w3 = w2 + k
                var source = x + column
                for depth in 0..<k {
                    let x0 = load(source), x1 = load(source + lanes), x2 = load(source + 2 * lanes)
                    let c0 = RegisterVector(repeating: w0[depth])
                    s00.addProduct(c0, x0)
                    s01.addProduct(c0, x1)
                    s02.addProduct(c0, x2)
                    let c1 = RegisterVector(repeating: w1[depth])
                    s10.addProduct(c1, x0)
                    s11.addProduct(c1, x1)
                    s12.addProduct(c1, x2)
                    let c2 = RegisterVector(repeating: w2[depth])
                    s20.addProduct(c2, x0)
                    s21.addProduct(c2, x1)
                    s22.addProduct(c2, x2)
                    let c3 = RegisterVector(repeating: w3[depth])
                    s30.addProduct(c3, x0)
                    s31.addProduct(c3, x1)
                    s32.addProduct(c3, x2)
                    source += ldx
                }
                finish(s00, row, column)
                finish(s01, row, column + lanes)
                finish(s02, row, column + 2 * lanes)
                finish(s10, row + 1, column)
                finish(s11, row + 1, column + lanes)
                finish(s12, row + 1, column + 2 * lanes)
                finish(s20, row + 2, column)
                finish(s21, row + 2, column + lanes)
                finish(s22, row + 2, column + 2 * lanes)
                finish(s30, row + 3, column)
                finish(s31, row + 3, column + lanes)
                finish(s32, row + 3, column + 2 * lanes)
                row += 4
            }
            while row < m {
                let start = RegisterVector(repeating: bias?[row] ?? 0)
                var (s0, s1, s2) = (start, start, start)
                var source = x + column
                for depth in 0..<k {
                    let c = RegisterVector(repeating: weight[row * k + depth])
                    s0.addProduct(c, load(source))
                    s1.addProduct(c, load(source + lanes))
                    s2.addProduct(c, load(source + 2 * lanes))
                    source += ldx
                }
                finish(s0, row, column)
                finish(s1, row, column + lanes)
                finish(s2, row, column + 2 * lanes)
                row += 1
            }
            column += 3 * lanes
        }
        // Leftover columns: one vector at a time, the last one overlapping columns already done
        // (recomputed to the same values) rather than falling back to scalar code.
        while column < n, n >= lanes {
            let at = min(column, n - lanes)
            var row = 0
            while row < m {
                let rows = min(4, m - row)
                var sums = (
                    RegisterVector(repeating: bias?[row] ?? 0),
                    RegisterVector(repeating: rows > 1 ? bias?[row + 1] ?? 0 : 0),
                    RegisterVector(repeating: rows > 2 ? bias?[row + 2] ?? 0 : 0),
                    RegisterVector(repeating: rows > 3 ? bias?[row + 3] ?? 0 : 0)
                )
                let w0 = weight + row * k
                var source = x + at
                for depth in 0..<k {
                    let value = load(source)
                    sums.0.addProduct(RegisterVector(repeating: w0[depth]), value)
                    if rows > 1 { sums.1.addProduct(RegisterVector(repeating: w0[k + depth]), value) }
                    if rows > 2 { sums.2.addProduct(RegisterVector(repeating: w0[2 * k + depth]), value) }
                    if rows > 3 { sums.3.addProduct(RegisterVector(repeating: w0[3 * k + depth]), value) }
                    source += ldx
                }
                finish(sums.0, row, at)
                if rows > 1 { finish(sums.1, row + 1, at) }
                if rows > 2 { finish(sums.2, row + 2, at) }
                if rows > 3 { finish(sums.3, row + 3, at) }
                row += rows
            }
            column = at + lanes
        }
        // Fewer columns than a vector holds.
        for row in 0..<m {
            for last in column..<n {
                var sum = bias?[row] ?? 0
                for depth in 0..<k { sum += weight[row * k + depth] * x[depth * ldx + last] }
                if let residual { sum += residual[row * ldr + last] }
                out[row * ldo + last] = activation(sum)
            }
        }
    }
}
