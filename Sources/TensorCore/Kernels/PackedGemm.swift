/// A dense layer's weight matrix `W` (`[outputs, inputs]`, row-major, as PyTorch stores a linear
/// layer) repacked once into 32-column panels, and `C = A · Wᵀ (+ bias, + residual, GELU)` over
/// it: a register-tiled AVX-512 kernel (12 rows × 32 columns per tile, k blocked for L1, rows for
/// L2) with the bias, residual and activation applied as each tile is stored. Builds without
/// AVX-512 run the same product through BLAS and apply the epilogue after it.
// @unchecked Sendable: the packed panels are written only in `init` and read-only afterwards;
// `source` points into `owner`, which this object keeps alive.
package final class PackedWeights: @unchecked Sendable {
    /// What is applied to each output element after the product, in this order.
    package struct Epilogue {
        /// Added per output column (`outputs` floats).
        package var bias: UnsafePointer<Float>?
        /// Added per element: `residual[row * residualStride + column]`.
        package var residual: UnsafePointer<Float>?
        package var residualStride: Int
        /// Exact (erf) GELU after bias and residual.
        package var gelu: Bool

        package init(
            bias: UnsafePointer<Float>? = nil, residual: UnsafePointer<Float>? = nil, residualStride: Int = 0,
            gelu: Bool = false
        ) {
            self.bias = bias
            self.residual = residual
            self.residualStride = residualStride
            self.gelu = gelu
        }
    }

    package let outputs: Int
    package let inputs: Int
    private let source: UnsafePointer<Float>
    private let owner: Any
    private let panels: Int
    private let packed: UnsafeMutablePointer<Float>?

    private static let panelWidth = 32
    private static let tileRows = 12
    private static let kBlock = 256
    private static let rowBlock = 120

    /// Packs `weights` (`outputs × inputs` floats, kept alive by `owner`).
    package init(weights: UnsafePointer<Float>, outputs: Int, inputs: Int, owner: Any) {
        self.outputs = outputs
        self.inputs = inputs
        source = weights
        self.owner = owner
        panels = (outputs + Self.panelWidth - 1) / Self.panelWidth
        #if AVX512
            let count = panels * inputs * Self.panelWidth
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * 4, alignment: 64)
                .bindMemory(to: Float.self, capacity: max(1, count))
            for panel in 0..<panels {
                let base = buffer + panel * inputs * Self.panelWidth
                for j in 0..<Self.panelWidth {
                    let column = panel * Self.panelWidth + j
                    if column < outputs {
                        let row = weights + column * inputs
                        for k in 0..<inputs { base[k * Self.panelWidth + j] = row[k] }
                    } else {
                        for k in 0..<inputs { base[k * Self.panelWidth + j] = 0 }
                    }
                }
            }
            packed = buffer
        #else
            packed = nil
        #endif
    }

    deinit { packed?.deallocate() }

    /// `c[r] = a[r] · Wᵀ` then the epilogue, for `rows` rows of `a` (stride `lda`) into `c`
    /// (stride `ldc`), spread over the compute pool.
    package func multiply(
        _ a: UnsafePointer<Float>, rows: Int, lda: Int, into c: UnsafeMutablePointer<Float>, ldc: Int,
        epilogue: Epilogue = Epilogue()
    ) {
        guard rows > 0 else { return }
        guard let packed else {
            ParallelGemm.gemm(
                transA: false, transB: true, m: rows, n: outputs, k: inputs, a: a, lda: lda, b: source, ldb: inputs,
                c: c, ldc: ldc)
            ComputePool.parallelRanges(rows, grain: 16) { range in
                for row in range { Self.finish(c + row * ldc, count: outputs, row: row, column: 0, epilogue) }
            }
            return
        }
        let rowTiles = (rows + Self.tileRows - 1) / Self.tileRows
        let threads = ComputePool.threadCount
        let work = rows * outputs * inputs
        let tasks = work < 1 << 20 ? 1 : threads
        if rowTiles >= 2 * tasks || panels < tasks {
            ComputePool.parallelFor(tasks) { task in
                let first = rowTiles * task / tasks * Self.tileRows
                let last = min(rows, rowTiles * (task + 1) / tasks * Self.tileRows)
                guard first < last else { return }
                self.run(a, rows: first..<last, panels: 0..<self.panels, lda: lda, packed, c, ldc: ldc, epilogue)
            }
        } else {
            ComputePool.parallelFor(tasks) { task in
                let first = self.panels * task / tasks, last = self.panels * (task + 1) / tasks
                guard first < last else { return }
                self.run(a, rows: 0..<rows, panels: first..<last, lda: lda, packed, c, ldc: ldc, epilogue)
            }
        }
    }

    /// One task's block of rows and panels.
    private func run(
        _ a: UnsafePointer<Float>, rows: Range<Int>, panels: Range<Int>, lda: Int, _ packed: UnsafePointer<Float>,
        _ c: UnsafeMutablePointer<Float>, ldc: Int, _ epilogue: Epilogue
    ) {
        let k = inputs
        for m0 in stride(from: rows.lowerBound, to: rows.upperBound, by: Self.rowBlock) {
            let mEnd = min(m0 + Self.rowBlock, rows.upperBound)
            for k0 in stride(from: 0, to: k, by: Self.kBlock) {
                let kCount = min(Self.kBlock, k - k0)
                let accumulate = k0 > 0, last = k0 + kCount == k
                for panel in panels {
                    let b = packed + (panel * k + k0) * Self.panelWidth
                    let column = panel * Self.panelWidth
                    let columns = min(Self.panelWidth, outputs - column)
                    var row = m0
                    while row + Self.tileRows <= mEnd {
                        Self.tile12(
                            a + row * lda + k0, lda: lda, b, kCount: kCount, c + row * ldc + column, ldc: ldc,
                            columns: columns, accumulate: accumulate, epilogue: last ? epilogue : nil, row: row,
                            column: column)
                        row += Self.tileRows
                    }
                    if row < mEnd {
                        Self.tile12(
                            a + row * lda + k0, lda: lda, validRows: mEnd - row, b, kCount: kCount,
                            c + row * ldc + column, ldc: ldc, columns: columns, accumulate: accumulate,
                            epilogue: last ? epilogue : nil, row: row, column: column)
                    }
                }
            }
        }
    }

    /// Whether ``panelProduct(_:rows:lda:k:b:ldb:panelStride:columns:into:ldc:)`` runs the
    /// register-tiled kernel on this build (AVX-512); callers use BLAS otherwise.
    package static var hasPanelKernel: Bool {
        #if AVX512
            return true
        #else
            return false
        #endif
    }

    /// Single-threaded `c = a · b` (`rows × columns`, inner size `k`), with `b` given as panels of
    /// 32 columns: panel `p` starts at `b + p · panelStride` and its rows are `ldb` floats apart.
    /// A row-major matrix whose column count is a multiple of 32 is such a matrix as it stands
    /// (`panelStride` 32, `ldb` its row stride); others are packed by the caller, zero-padded.
    package static func panelProduct(
        _ a: UnsafePointer<Float>, rows: Int, lda: Int, k: Int, b: UnsafePointer<Float>, ldb: Int, panelStride: Int,
        columns: Int, into c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        for panel in 0..<((columns + panelWidth - 1) / panelWidth) {
            let bp = b + panel * panelStride, column = panel * panelWidth
            let width = min(panelWidth, columns - column)
            var row = 0
            while row + tileRows <= rows {
                tile12(
                    a + row * lda, lda: lda, bp, ldb: ldb, kCount: k, c + row * ldc + column, ldc: ldc, columns: width,
                    accumulate: false, epilogue: nil, row: row, column: column)
                row += tileRows
            }
            if row < rows {
                tile12(
                    a + row * lda, lda: lda, validRows: rows - row, bp, ldb: ldb, kCount: k, c + row * ldc + column,
                    ldc: ldc, columns: width, accumulate: false, epilogue: nil, row: row, column: column)
            }
        }
    }

    /// The tile of `validRows` ≤ 12 rows × 32 columns at `c`: `kCount` steps of broadcast-A times
    /// two 16-lane B vectors (rows `ldb` floats apart). Rows past `validRows` repeat the last
    /// valid row's inputs and are not stored.
    @inline(__always)
    private static func tile12(
        _ a: UnsafePointer<Float>, lda: Int, validRows: Int = 12, _ b: UnsafePointer<Float>, ldb: Int = 32, kCount: Int,
        _ c: UnsafeMutablePointer<Float>, ldc: Int, columns: Int, accumulate: Bool, epilogue: Epilogue?, row: Int,
        column: Int
    ) {
        var c0a = SIMD16<Float>(), c0b = SIMD16<Float>()
        var c1a = SIMD16<Float>(), c1b = SIMD16<Float>()
        var c2a = SIMD16<Float>(), c2b = SIMD16<Float>()
        var c3a = SIMD16<Float>(), c3b = SIMD16<Float>()
        var c4a = SIMD16<Float>(), c4b = SIMD16<Float>()
        var c5a = SIMD16<Float>(), c5b = SIMD16<Float>()
        var c6a = SIMD16<Float>(), c6b = SIMD16<Float>()
        var c7a = SIMD16<Float>(), c7b = SIMD16<Float>()
        var c8a = SIMD16<Float>(), c8b = SIMD16<Float>()
        var c9a = SIMD16<Float>(), c9b = SIMD16<Float>()
        var c10a = SIMD16<Float>(), c10b = SIMD16<Float>()
        var c11a = SIMD16<Float>(), c11b = SIMD16<Float>()
        let a0 = a
        let a1 = a + min(1, validRows - 1) * lda
        let a2 = a + min(2, validRows - 1) * lda
        let a3 = a + min(3, validRows - 1) * lda
        let a4 = a + min(4, validRows - 1) * lda
        let a5 = a + min(5, validRows - 1) * lda
        let a6 = a + min(6, validRows - 1) * lda
        let a7 = a + min(7, validRows - 1) * lda
        let a8 = a + min(8, validRows - 1) * lda
        let a9 = a + min(9, validRows - 1) * lda
        let a10 = a + min(10, validRows - 1) * lda
        let a11 = a + min(11, validRows - 1) * lda
        var bp = b
        for k in 0..<kCount {
            let b0 = UnsafeRawPointer(bp).loadUnaligned(as: SIMD16<Float>.self)
            let b1 = UnsafeRawPointer(bp + 16).loadUnaligned(as: SIMD16<Float>.self)
            let x0 = SIMD16<Float>(repeating: a0[k])
            c0a = c0a.addingProduct(x0, b0)
            c0b = c0b.addingProduct(x0, b1)
            let x1 = SIMD16<Float>(repeating: a1[k])
            c1a = c1a.addingProduct(x1, b0)
            c1b = c1b.addingProduct(x1, b1)
            let x2 = SIMD16<Float>(repeating: a2[k])
            c2a = c2a.addingProduct(x2, b0)
            c2b = c2b.addingProduct(x2, b1)
            let x3 = SIMD16<Float>(repeating: a3[k])
            c3a = c3a.addingProduct(x3, b0)
            c3b = c3b.addingProduct(x3, b1)
            let x4 = SIMD16<Float>(repeating: a4[k])
            c4a = c4a.addingProduct(x4, b0)
            c4b = c4b.addingProduct(x4, b1)
            let x5 = SIMD16<Float>(repeating: a5[k])
            c5a = c5a.addingProduct(x5, b0)
            c5b = c5b.addingProduct(x5, b1)
            let x6 = SIMD16<Float>(repeating: a6[k])
            c6a = c6a.addingProduct(x6, b0)
            c6b = c6b.addingProduct(x6, b1)
            let x7 = SIMD16<Float>(repeating: a7[k])
            c7a = c7a.addingProduct(x7, b0)
            c7b = c7b.addingProduct(x7, b1)
            let x8 = SIMD16<Float>(repeating: a8[k])
            c8a = c8a.addingProduct(x8, b0)
            c8b = c8b.addingProduct(x8, b1)
            let x9 = SIMD16<Float>(repeating: a9[k])
            c9a = c9a.addingProduct(x9, b0)
            c9b = c9b.addingProduct(x9, b1)
            let x10 = SIMD16<Float>(repeating: a10[k])
            c10a = c10a.addingProduct(x10, b0)
            c10b = c10b.addingProduct(x10, b1)
            let x11 = SIMD16<Float>(repeating: a11[k])
            c11a = c11a.addingProduct(x11, b0)
            c11b = c11b.addingProduct(x11, b1)
            bp += ldb
        }
        if columns == 32 && !accumulate && epilogue == nil && validRows == 12 {
            UnsafeMutableRawPointer(c + 0 * ldc).storeBytes(of: c0a, as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(c + 0 * ldc + 16).storeBytes(of: c0b, as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(c + 1 * ldc).storeBytes(of: c1a, as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(c + 1 * ldc + 16).storeBytes(of: c1b, as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(c + 2 * ldc).storeBytes(of: c2a, as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(c + 2 * ldc + 16).storeBytes(of: c2b, as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(c + 3 * ldc).storeBytes(of: c3a, as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(c + 3 * ldc + 16).storeBytes(of: c3b, as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(c + 4 * ldc).storeBytes(of: c4a, as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(c + 4 * ldc + 16).storeBytes(of: c4b, as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(c + 5 * ldc).storeBytes(of: c5a, as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(c + 5 * ldc + 16).storeBytes(of: c5b, as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(c + 6 * ldc).storeBytes(of: c6a, as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(c + 6 * ldc + 16).storeBytes(of: c6b, as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(c + 7 * ldc).storeBytes(of: c7a, as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(c + 7 * ldc + 16).storeBytes(of: c7b, as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(c + 8 * ldc).storeBytes(of: c8a, as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(c + 8 * ldc + 16).storeBytes(of: c8b, as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(c + 9 * ldc).storeBytes(of: c9a, as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(c + 9 * ldc + 16).storeBytes(of: c9b, as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(c + 10 * ldc).storeBytes(of: c10a, as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(c + 10 * ldc + 16).storeBytes(of: c10b, as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(c + 11 * ldc).storeBytes(of: c11a, as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(c + 11 * ldc + 16).storeBytes(of: c11b, as: SIMD16<Float>.self)
            return
        }
        store(
            c0a, c0b, c + 0 * ldc, columns: columns, accumulate: accumulate, epilogue: epilogue, row: row + 0,
            column: column)
        guard validRows > 1 else { return }
        store(
            c1a, c1b, c + 1 * ldc, columns: columns, accumulate: accumulate, epilogue: epilogue, row: row + 1,
            column: column)
        guard validRows > 2 else { return }
        store(
            c2a, c2b, c + 2 * ldc, columns: columns, accumulate: accumulate, epilogue: epilogue, row: row + 2,
            column: column)
        guard validRows > 3 else { return }
        store(
            c3a, c3b, c + 3 * ldc, columns: columns, accumulate: accumulate, epilogue: epilogue, row: row + 3,
            column: column)
        guard validRows > 4 else { return }
        store(
            c4a, c4b, c + 4 * ldc, columns: columns, accumulate: accumulate, epilogue: epilogue, row: row + 4,
            column: column)
        guard validRows > 5 else { return }
        store(
            c5a, c5b, c + 5 * ldc, columns: columns, accumulate: accumulate, epilogue: epilogue, row: row + 5,
            column: column)
        guard validRows > 6 else { return }
        store(
            c6a, c6b, c + 6 * ldc, columns: columns, accumulate: accumulate, epilogue: epilogue, row: row + 6,
            column: column)
        guard validRows > 7 else { return }
        store(
            c7a, c7b, c + 7 * ldc, columns: columns, accumulate: accumulate, epilogue: epilogue, row: row + 7,
            column: column)
        guard validRows > 8 else { return }
        store(
            c8a, c8b, c + 8 * ldc, columns: columns, accumulate: accumulate, epilogue: epilogue, row: row + 8,
            column: column)
        guard validRows > 9 else { return }
        store(
            c9a, c9b, c + 9 * ldc, columns: columns, accumulate: accumulate, epilogue: epilogue, row: row + 9,
            column: column)
        guard validRows > 10 else { return }
        store(
            c10a, c10b, c + 10 * ldc, columns: columns, accumulate: accumulate, epilogue: epilogue, row: row + 10,
            column: column)
        guard validRows > 11 else { return }
        store(
            c11a, c11b, c + 11 * ldc, columns: columns, accumulate: accumulate, epilogue: epilogue, row: row + 11,
            column: column)
    }

    /// Writes (or adds) 32 results at `c`, the epilogue applied when given; `columns` < 32 at the
    /// right edge of the matrix.
    private static func store(
        _ low: SIMD16<Float>, _ high: SIMD16<Float>, _ c: UnsafeMutablePointer<Float>, columns: Int, accumulate: Bool,
        epilogue: Epilogue?, row: Int, column: Int
    ) {
        if columns == 32 {
            var low = low, high = high
            if accumulate {
                low += UnsafeRawPointer(c).loadUnaligned(as: SIMD16<Float>.self)
                high += UnsafeRawPointer(c + 16).loadUnaligned(as: SIMD16<Float>.self)
            }
            if let epilogue {
                if let bias = epilogue.bias {
                    low += UnsafeRawPointer(bias + column).loadUnaligned(as: SIMD16<Float>.self)
                    high += UnsafeRawPointer(bias + column + 16).loadUnaligned(as: SIMD16<Float>.self)
                }
                if let residual = epilogue.residual {
                    let r = residual + row * epilogue.residualStride + column
                    low += UnsafeRawPointer(r).loadUnaligned(as: SIMD16<Float>.self)
                    high += UnsafeRawPointer(r + 16).loadUnaligned(as: SIMD16<Float>.self)
                }
                if epilogue.gelu {
                    low = EncoderKernels.gelu(low)
                    high = EncoderKernels.gelu(high)
                }
            }
            UnsafeMutableRawPointer(c).storeBytes(of: low, as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(c + 16).storeBytes(of: high, as: SIMD16<Float>.self)
            return
        }
        for j in 0..<columns {
            c[j] = (accumulate ? c[j] : 0) + (j < 16 ? low[j] : high[j - 16])
        }
        if let epilogue { finish(c, count: columns, row: row, column: column, epilogue) }
    }

    /// The epilogue on `count` finished results at `c` (row `row`, from column `column`).
    private static func finish(_ c: UnsafeMutablePointer<Float>, count: Int, row: Int, column: Int, _ e: Epilogue) {
        for j in 0..<count {
            var value = c[j]
            if let bias = e.bias { value += bias[column + j] }
            if let residual = e.residual { value += residual[row * e.residualStride + column + j] }
            c[j] = value
        }
        if e.gelu { EncoderKernels.gelu(c, count: count) }
    }
}
