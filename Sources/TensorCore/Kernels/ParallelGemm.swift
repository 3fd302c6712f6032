import CBLAS

/// Matrix products spread over the compute pool. OpenBLAS runs single-threaded (see
/// ``ComputePool``); each worker multiplies its own block of rows or columns with one BLAS call,
/// so BLAS threads and the pool's never compete for the same cores.
enum ParallelGemm {
    /// Below this many multiply-adds per task, splitting costs more than it saves.
    private static let minimumWorkPerTask = 1 << 18

    /// `c = op(a) · op(b)` for row-major float32 or float64 matrices (beta 0: `c` need not be
    /// initialised). A single row or column is a matrix-vector product: no packing of the matrix.
    static func gemm<T: BlasScalar>(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<T>, lda: Int,
        b: UnsafePointer<T>, ldb: Int, c: UnsafeMutablePointer<T>, ldc: Int
    ) {
        split(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc) {
            ta, tb, m, n, k, a, lda, b, ldb, c, ldc in
            if m == 1 {
                T.gemv(
                    tb == CblasTrans ? CblasNoTrans : CblasTrans, tb == CblasTrans ? n : k, tb == CblasTrans ? k : n,
                    b, ldb, a, ta == CblasTrans ? lda : 1, c, 1)
            } else if n == 1 {
                T.gemv(
                    ta, ta == CblasTrans ? k : m, ta == CblasTrans ? m : k, a, lda, b, tb == CblasTrans ? 1 : ldb, c,
                    ldc)
            } else {
                T.gemm(ta, tb, m, n, k, a, lda, b, ldb, c, ldc)
            }
        }
    }

    /// Splits the larger of M and N into one block per task (rows of `c` in multiples of 8,
    /// columns in multiples of 16) and makes one BLAS call per block.
    @inline(__always)
    private static func split<T>(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<T>, lda: Int,
        b: UnsafePointer<T>, ldb: Int, c: UnsafeMutablePointer<T>, ldc: Int,
        _ call: (
            CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, Int, Int, Int, UnsafePointer<T>, Int, UnsafePointer<T>, Int,
            UnsafeMutablePointer<T>, Int
        ) -> Void
    ) {
        let ta = transA ? CblasTrans : CblasNoTrans, tb = transB ? CblasTrans : CblasNoTrans
        let splitRows = m >= n
        let unit = splitRows ? 8 : 16
        let units = ((splitRows ? m : n) + unit - 1) / unit
        let tasks = min(ComputePool.threadCount, units, max(1, m * n * k / minimumWorkPerTask))
        guard tasks > 1 else {
            return call(ta, tb, m, n, k, a, lda, b, ldb, c, ldc)
        }
        ComputePool.parallelFor(tasks) { task in
            let first = units * task / tasks * unit, last = min(units * (task + 1) / tasks * unit, splitRows ? m : n)
            guard first < last else { return }
            if splitRows {
                // Rows of op(a): row i starts at a + i * lda untransposed, at a + i transposed.
                call(ta, tb, last - first, n, k, a + first * (transA ? 1 : lda), lda, b, ldb, c + first * ldc, ldc)
            } else {
                // Columns of op(b): column j starts at b + j untransposed, at b + j * ldb transposed.
                call(ta, tb, m, last - first, k, a, lda, b + first * (transB ? ldb : 1), ldb, c + first, ldc)
            }
        }
    }
}

/// An element type with BLAS routines: `gemm` (`c = op(a) op(b)`) and `gemv` (`y = op(a) x`),
/// row-major, alpha 1, beta 0.
protocol BlasScalar {
    static func gemm(
        _ ta: CBLAS_TRANSPOSE, _ tb: CBLAS_TRANSPOSE, _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Self>,
        _ lda: Int,
        _ b: UnsafePointer<Self>, _ ldb: Int, _ c: UnsafeMutablePointer<Self>, _ ldc: Int)
    static func gemv(
        _ trans: CBLAS_TRANSPOSE, _ rows: Int, _ columns: Int, _ a: UnsafePointer<Self>, _ lda: Int,
        _ x: UnsafePointer<Self>, _ incx: Int, _ y: UnsafeMutablePointer<Self>, _ incy: Int)
}

extension Float: BlasScalar {
    static func gemm(
        _ ta: CBLAS_TRANSPOSE, _ tb: CBLAS_TRANSPOSE, _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Float>,
        _ lda: Int,
        _ b: UnsafePointer<Float>, _ ldb: Int, _ c: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), 0, c, Int32(ldc))
    }

    static func gemv(
        _ trans: CBLAS_TRANSPOSE, _ rows: Int, _ columns: Int, _ a: UnsafePointer<Float>, _ lda: Int,
        _ x: UnsafePointer<Float>, _ incx: Int, _ y: UnsafeMutablePointer<Float>, _ incy: Int
    ) {
        cblas_sgemv(
            CblasRowMajor, trans, Int32(rows), Int32(columns), 1, a, Int32(lda), x, Int32(incx), 0, y, Int32(incy))
    }
}

extension Double: BlasScalar {
    static func gemm(
        _ ta: CBLAS_TRANSPOSE, _ tb: CBLAS_TRANSPOSE, _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Double>,
        _ lda: Int,
        _ b: UnsafePointer<Double>, _ ldb: Int, _ c: UnsafeMutablePointer<Double>, _ ldc: Int
    ) {
        cblas_dgemm(
            CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), 0, c, Int32(ldc))
    }

    static func gemv(
        _ trans: CBLAS_TRANSPOSE, _ rows: Int, _ columns: Int, _ a: UnsafePointer<Double>, _ lda: Int,
        _ x: UnsafePointer<Double>, _ incx: Int, _ y: UnsafeMutablePointer<Double>, _ incy: Int
    ) {
        cblas_dgemv(
            CblasRowMajor, trans, Int32(rows), Int32(columns), 1, a, Int32(lda), x, Int32(incx), 0, y, Int32(incy))
    }
}
