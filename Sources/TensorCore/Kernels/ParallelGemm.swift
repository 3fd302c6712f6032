import CBLAS

/// Matrix products spread over the compute pool. OpenBLAS runs single-threaded (see
/// ``ComputePool``); each worker multiplies its own block of rows or columns with one BLAS call,
/// so BLAS threads and the pool's never compete for the same cores.
enum ParallelGemm {
    /// Below this many multiply-adds per task, splitting costs more than it saves.
    private static let minimumWorkPerTask = 1 << 18

    /// `c = op(a) · op(b)` for row-major float32 matrices (beta 0: `c` need not be initialised).
    static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                      b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
        split(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc) { ta, tb, m, n, k, a, lda, b, ldb, c, ldc in
            // A single row or column is a matrix-vector product: no packing of the matrix.
            if m == 1 {
                cblas_sgemv(CblasRowMajor, tb == CblasTrans ? CblasNoTrans : CblasTrans, Int32(tb == CblasTrans ? n : k), Int32(tb == CblasTrans ? k : n),
                            1, b, Int32(ldb), a, Int32(ta == CblasTrans ? lda : 1), 0, c, 1)
            } else if n == 1 {
                cblas_sgemv(CblasRowMajor, ta, Int32(ta == CblasTrans ? k : m), Int32(ta == CblasTrans ? m : k),
                            1, a, Int32(lda), b, Int32(tb == CblasTrans ? 1 : ldb), 0, c, Int32(ldc))
            } else {
                cblas_sgemm(CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), 0, c, Int32(ldc))
            }
        }
    }

    /// `c = op(a) · op(b)` for row-major float64 matrices (beta 0).
    static func dgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Double>, lda: Int,
                      b: UnsafePointer<Double>, ldb: Int, c: UnsafeMutablePointer<Double>, ldc: Int) {
        split(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc) { ta, tb, m, n, k, a, lda, b, ldb, c, ldc in
            if m == 1 {
                cblas_dgemv(CblasRowMajor, tb == CblasTrans ? CblasNoTrans : CblasTrans, Int32(tb == CblasTrans ? n : k), Int32(tb == CblasTrans ? k : n),
                            1, b, Int32(ldb), a, Int32(ta == CblasTrans ? lda : 1), 0, c, 1)
            } else if n == 1 {
                cblas_dgemv(CblasRowMajor, ta, Int32(ta == CblasTrans ? k : m), Int32(ta == CblasTrans ? m : k),
                            1, a, Int32(lda), b, Int32(tb == CblasTrans ? 1 : ldb), 0, c, Int32(ldc))
            } else {
                cblas_dgemm(CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), 0, c, Int32(ldc))
            }
        }
    }

    /// Splits the larger of M and N into one block per task (rows of `c` in multiples of 8,
    /// columns in multiples of 16) and makes one BLAS call per block.
    @inline(__always)
    private static func split<T>(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<T>, lda: Int,
                                 b: UnsafePointer<T>, ldb: Int, c: UnsafeMutablePointer<T>, ldc: Int,
                                 _ call: (CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, Int, Int, Int, UnsafePointer<T>, Int, UnsafePointer<T>, Int, UnsafeMutablePointer<T>, Int) -> Void) {
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
