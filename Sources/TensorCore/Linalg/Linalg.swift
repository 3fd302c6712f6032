import CBLAS

/// Dense linear algebra through LAPACKE (float32 and float64; batched over leading dims).
extension Tensor {
    /// Solves `A X = B` for square `A` `[..., n, n]` and `B` `[..., n, k]` (LU with partial
    /// pivoting, `?gesv`). Throws ``TensorError/singularMatrix(op:)`` for a singular `A`.
    public static func solve(_ a: Tensor, _ b: Tensor) throws(TensorError) -> Tensor {
        let op = "solve"
        try checkSquare(a, op: op)
        guard a.dtype == b.dtype else { throw .dtypeMismatch(op: op, dtypes: [a.dtype, b.dtype]) }
        let n = a.shape[a.rank - 1]
        guard b.rank == a.rank, b.shape[b.rank - 2] == n, Array(b.shape.dropLast(2)) == Array(a.shape.dropLast(2))
        else {
            throw .shapeMismatch(
                op: op, shapes: [a.shape, b.shape], reason: "B must be [..., \(n), k] with A's batch dims")
        }
        let k = b.shape[b.rank - 1]
        let x = b.copied()
        let matrices = a.copied()
        defer { withExtendedLifetime(matrices) {} }
        let batches = Shape.product(a.shape.dropLast(2))
        guard let pa = matrices.mutableBaseAddress, let px = x.mutableBaseAddress, n > 0, k > 0 else { return x }
        var pivots = [Int32](repeating: 0, count: n)
        for index in 0..<batches {
            let info: Int32
            switch a.dtype {
            case .float32:
                info = LAPACKE_sgesv(
                    LAPACK_ROW_MAJOR, Int32(n), Int32(k), (pa + index * n * n * 4).assumingMemoryBound(to: Float.self),
                    Int32(n),
                    &pivots, (px + index * n * k * 4).assumingMemoryBound(to: Float.self), Int32(k))
            case .float64:
                info = LAPACKE_dgesv(
                    LAPACK_ROW_MAJOR, Int32(n), Int32(k), (pa + index * n * n * 8).assumingMemoryBound(to: Double.self),
                    Int32(n),
                    &pivots, (px + index * n * k * 8).assumingMemoryBound(to: Double.self), Int32(k))
            default: throw .unsupportedDType(op: op, dtype: a.dtype)
            }
            try checkInfo(info, op: op, routine: "gesv")
        }
        return x
    }

    /// The inverse of square matrices `[..., n, n]` (`?getrf` + `?getri`).
    public func inverse() throws(TensorError) -> Tensor {
        let op = "inverse"
        try Tensor.checkSquare(self, op: op)
        let n = shape[rank - 1]
        let result = copied()
        guard let base = result.mutableBaseAddress, n > 0 else { return result }
        var pivots = [Int32](repeating: 0, count: n)
        for index in 0..<Shape.product(shape.dropLast(2)) {
            switch dtype {
            case .float32:
                let matrix = (base + index * n * n * 4).assumingMemoryBound(to: Float.self)
                try Tensor.checkInfo(
                    LAPACKE_sgetrf(LAPACK_ROW_MAJOR, Int32(n), Int32(n), matrix, Int32(n), &pivots), op: op,
                    routine: "getrf")
                try Tensor.checkInfo(
                    LAPACKE_sgetri(LAPACK_ROW_MAJOR, Int32(n), matrix, Int32(n), &pivots), op: op, routine: "getri")
            case .float64:
                let matrix = (base + index * n * n * 8).assumingMemoryBound(to: Double.self)
                try Tensor.checkInfo(
                    LAPACKE_dgetrf(LAPACK_ROW_MAJOR, Int32(n), Int32(n), matrix, Int32(n), &pivots), op: op,
                    routine: "getrf")
                try Tensor.checkInfo(
                    LAPACKE_dgetri(LAPACK_ROW_MAJOR, Int32(n), matrix, Int32(n), &pivots), op: op, routine: "getri")
            default: throw .unsupportedDType(op: op, dtype: dtype)
            }
        }
        return result
    }

    /// The determinant of square matrices `[..., n, n]` (from the LU factorisation); shape `[...]`.
    public func determinant() throws(TensorError) -> Tensor {
        let op = "determinant"
        try Tensor.checkSquare(self, op: op)
        let n = shape[rank - 1]
        let batch = Array(shape.dropLast(2))
        let lu = try cast(to: .float64).copied()
        defer { withExtendedLifetime(lu) {} }
        var values = [Double](repeating: 1, count: Shape.product(batch))
        if n > 0, let base = lu.mutableBaseAddress {
            var pivots = [Int32](repeating: 0, count: n)
            for index in values.indices {
                let matrix = (base + index * n * n * 8).assumingMemoryBound(to: Double.self)
                let info = LAPACKE_dgetrf(LAPACK_ROW_MAJOR, Int32(n), Int32(n), matrix, Int32(n), &pivots)
                guard info >= 0 else { throw .lapackFailure(op: op, routine: "getrf", info: Int(info)) }
                var det = 1.0
                for i in 0..<n {
                    det *= matrix[i * n + i]
                    if pivots[i] != Int32(i + 1) { det = -det }
                }
                values[index] = det
            }
        }
        return try Tensor(shape: batch, scalars: values).cast(to: dtype)
    }

    /// Thin singular value decomposition of `[..., m, n]`: `U [..., m, r]`, `S [..., r]`,
    /// `Vt [..., r, n]` with `r = min(m, n)`, singular values descending (`?gesdd`).
    public func svd() throws(TensorError) -> (u: Tensor, s: Tensor, vt: Tensor) {
        let op = "svd"
        guard rank >= 2 else { throw .shapeMismatch(op: op, shapes: [shape], reason: "needs a matrix [..., m, n]") }
        guard dtype == .float32 || dtype == .float64 else { throw .unsupportedDType(op: op, dtype: dtype) }
        let m = shape[rank - 2], n = shape[rank - 1], r = Swift.min(m, n)
        let batch = Array(shape.dropLast(2))
        let work = copied()
        defer { withExtendedLifetime(work) {} }
        let u = try Tensor(zeros: batch + [m, r], dtype: dtype)
        let s = try Tensor(zeros: batch + [r], dtype: dtype)
        let vt = try Tensor(zeros: batch + [r, n], dtype: dtype)
        guard r > 0, let pa = work.mutableBaseAddress, let pu = u.mutableBaseAddress, let ps = s.mutableBaseAddress,
            let pv = vt.mutableBaseAddress
        else { return (u, s, vt) }
        let size = dtype.byteSize
        for index in 0..<Shape.product(batch) {
            let info: Int32
            if dtype == .float32 {
                info = LAPACKE_sgesdd(
                    LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "S")), Int32(m), Int32(n),
                    (pa + index * m * n * size).assumingMemoryBound(to: Float.self), Int32(n),
                    (ps + index * r * size).assumingMemoryBound(to: Float.self),
                    (pu + index * m * r * size).assumingMemoryBound(to: Float.self), Int32(r),
                    (pv + index * r * n * size).assumingMemoryBound(to: Float.self), Int32(n))
            } else {
                info = LAPACKE_dgesdd(
                    LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "S")), Int32(m), Int32(n),
                    (pa + index * m * n * size).assumingMemoryBound(to: Double.self), Int32(n),
                    (ps + index * r * size).assumingMemoryBound(to: Double.self),
                    (pu + index * m * r * size).assumingMemoryBound(to: Double.self), Int32(r),
                    (pv + index * r * n * size).assumingMemoryBound(to: Double.self), Int32(n))
            }
            try Tensor.checkInfo(info, op: op, routine: "gesdd")
        }
        return (u, s, vt)
    }

    private static func checkSquare(_ a: Tensor, op: String) throws(TensorError) {
        guard a.rank >= 2, a.shape[a.rank - 1] == a.shape[a.rank - 2] else {
            throw .shapeMismatch(op: op, shapes: [a.shape], reason: "needs square matrices [..., n, n]")
        }
        guard a.dtype == .float32 || a.dtype == .float64 else { throw .unsupportedDType(op: op, dtype: a.dtype) }
        guard a.shape[a.rank - 1] <= Int(Int32.max) else { throw .tooLarge(op: op, shape: a.shape) }
    }

    private static func checkInfo(_ info: Int32, op: String, routine: String) throws(TensorError) {
        if info > 0 && routine != "gesdd" { throw .singularMatrix(op: op) }
        if info != 0 { throw .lapackFailure(op: op, routine: routine, info: Int(info)) }
    }
}
