import CBLAS

/// Matrix products with numpy `matmul` semantics.
extension Tensor {
    /// `lhs @ rhs`: 1-D operands are promoted (and the added dim removed), leading dims
    /// broadcast. float32 runs on `cblas_sgemm`, float64 on `cblas_dgemm` (transposed views are
    /// passed to BLAS as transposes, not copied); float16/bfloat16 compute in float32; integers
    /// accumulate in their own type with wrapping.
    public static func matmul(_ lhs: Tensor, _ rhs: Tensor) throws(TensorError) -> Tensor {
        let op = "matmul"
        guard lhs.dtype == rhs.dtype else { throw .dtypeMismatch(op: op, dtypes: [lhs.dtype, rhs.dtype]) }
        guard lhs.rank >= 1, rhs.rank >= 1 else {
            throw .shapeMismatch(
                op: op, shapes: [lhs.shape, rhs.shape], reason: "matmul needs operands of rank 1 or more")
        }
        let a = lhs.rank == 1 ? try lhs.unsqueezed(axes: [0]) : lhs
        let b = rhs.rank == 1 ? try rhs.unsqueezed(axes: [1]) : rhs
        let m = a.shape[a.rank - 2], k = a.shape[a.rank - 1]
        let k2 = b.shape[b.rank - 2], n = b.shape[b.rank - 1]
        guard k == k2 else {
            throw .shapeMismatch(
                op: op, shapes: [lhs.shape, rhs.shape], reason: "inner dimensions \(k) and \(k2) differ")
        }
        let batch = try Shape.broadcast([Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2))], op: op)
        let aFull = try a.broadcast(to: batch + [m, k])
        let bFull = try b.broadcast(to: batch + [k, n])
        var outShape = batch + [m, n]
        var result: Tensor
        switch lhs.dtype {
        case .float32: result = try gemmBatched(aFull, bFull, batch, m, n, k, Float.self)
        case .float64: result = try gemmBatched(aFull, bFull, batch, m, n, k, Double.self)
        case .float16, .bfloat16:
            result = try gemmBatched(aFull.cast(to: .float32), bFull.cast(to: .float32), batch, m, n, k, Float.self)
                .cast(to: lhs.dtype)
        case .int8: result = try integerBatched(aFull, bFull, batch, m, n, k, Int8.self)
        case .uint8: result = try integerBatched(aFull, bFull, batch, m, n, k, UInt8.self)
        case .int16: result = try integerBatched(aFull, bFull, batch, m, n, k, Int16.self)
        case .uint16: result = try integerBatched(aFull, bFull, batch, m, n, k, UInt16.self)
        case .int32: result = try integerBatched(aFull, bFull, batch, m, n, k, Int32.self)
        case .uint32: result = try integerBatched(aFull, bFull, batch, m, n, k, UInt32.self)
        case .int64: result = try integerBatched(aFull, bFull, batch, m, n, k, Int64.self)
        case .uint64: result = try integerBatched(aFull, bFull, batch, m, n, k, UInt64.self)
        default: throw .unsupportedDType(op: op, dtype: lhs.dtype)
        }
        if lhs.rank == 1 { outShape.remove(at: outShape.count - 2) }
        if rhs.rank == 1 { outShape.removeLast() }
        return try result.reshaped(outShape)
    }

    /// How one operand's matrices are handed to BLAS: transposed or not, and the leading dimension.
    private struct BlasOperand {
        var tensor: Tensor
        var transpose: CBLAS_TRANSPOSE
        var leading: Int

        /// Uses the layout as it is when rows or columns are unit-stride, else copies.
        init(_ tensor: Tensor, rows: Int, cols: Int) {
            let rank = tensor.rank
            let rowStride = tensor.strides[rank - 2], colStride = tensor.strides[rank - 1]
            if colStride == 1 || cols == 1, rowStride >= max(cols, 1) || rows == 1 {
                self.tensor = tensor
                transpose = CblasNoTrans
                leading = max(rows == 1 ? cols : rowStride, cols, 1)
            } else if rowStride == 1 || rows == 1, colStride >= max(rows, 1) || cols == 1 {
                self.tensor = tensor
                transpose = CblasTrans
                leading = max(cols == 1 ? rows : colStride, rows, 1)
            } else {
                self.tensor = tensor.copied()
                transpose = CblasNoTrans
                leading = max(cols, 1)
            }
        }

        /// Element offset of matrix `index` (a position in the broadcast batch).
        func offset(batchIndex index: Int, batch: [Int]) -> Int {
            var remainder = index, offset = tensor.offset
            for axis in stride(from: batch.count - 1, through: 0, by: -1) {
                offset += (remainder % batch[axis]) * tensor.strides[axis]
                remainder /= batch[axis]
            }
            return offset
        }
    }

    private static func gemmBatched<T: BinaryFloatingPoint & NumericElement & BlasScalar>(
        _ a: Tensor, _ b: Tensor, _ batch: [Int], _ m: Int, _ n: Int, _ k: Int, _ type: T.Type
    ) throws(TensorError) -> Tensor {
        // BLAS writes every element (beta = 0) unless K is 0, when the product is all zeros.
        let output =
            k == 0
            ? try Tensor(zeros: batch + [m, n], dtype: T.dtype)
            : try Tensor(uninitialized: batch + [m, n], dtype: T.dtype, op: "matmul")
        let batches = Shape.product(batch)
        guard m > 0, n > 0, k > 0, batches > 0, let out = output.mutableBaseAddress else { return output }
        guard m * batches <= Int(Int32.max), n <= Int(Int32.max), k <= Int(Int32.max) else {
            throw .tooLarge(op: "matmul", shape: batch + [m, k, n])
        }
        var left = BlasOperand(a, rows: m, cols: k)
        let right = BlasOperand(b, rows: k, cols: n)
        defer { withExtendedLifetime((left.tensor, right.tensor)) {} }
        var rows = m
        var effectiveBatches = batches
        // One shared right matrix and a left operand whose batch rows stack contiguously: fold the
        // batch into M and make a single call.
        if batches > 1, right.tensor.strides.dropLast(2).allSatisfy({ $0 == 0 }), left.transpose == CblasNoTrans,
            left.tensor.isContiguous, left.tensor.strides.dropLast(2).allSatisfy({ $0 != 0 })
        {
            rows = m * batches
            effectiveBatches = 1
            left.leading = max(k, 1)
        }
        guard let aBase = left.tensor.storage.bytes, let bBase = right.tensor.storage.bytes else { return output }
        let size = T.dtype.byteSize
        func multiply(_ index: Int) {
            let aPointer = aBase + left.offset(batchIndex: index, batch: batch) * size
            let bPointer = bBase + right.offset(batchIndex: index, batch: batch) * size
            let cPointer = out + index * m * n * size
            let (ta, tb) = (left.transpose == CblasTrans, right.transpose == CblasTrans)
            ParallelGemm.gemm(
                transA: ta, transB: tb, m: rows, n: n, k: k, a: aPointer.assumingMemoryBound(to: T.self),
                lda: left.leading,
                b: bPointer.assumingMemoryBound(to: T.self), ldb: right.leading,
                c: cPointer.assumingMemoryBound(to: T.self), ldc: n)
        }
        // Many products (attention heads): one whole product per task; few: each split inside.
        if effectiveBatches >= ComputePool.threadCount {
            ComputePool.parallelRanges(effectiveBatches, grain: max(1, (1 << 18) / max(m * n * k, 1))) { range in
                for index in range { multiply(index) }
            }
        } else {
            for index in 0..<effectiveBatches { multiply(index) }
        }
        return output
    }

    private static func integerBatched<T: FixedWidthInteger & NumericElement>(
        _ a: Tensor, _ b: Tensor, _ batch: [Int], _ m: Int, _ n: Int, _ k: Int, _ type: T.Type
    ) throws(TensorError) -> Tensor {
        let output = try Tensor(zeros: batch + [m, n], dtype: T.dtype)
        let batches = Shape.product(batch)
        guard m > 0, n > 0, batches > 0, let out = output.mutableBaseAddress?.assumingMemoryBound(to: T.self) else {
            return output
        }
        let left = a.contiguous(), right = b.contiguous()
        defer { withExtendedLifetime((left, right)) {} }
        guard let pa = left.baseAddress?.assumingMemoryBound(to: T.self),
            let pb = right.baseAddress?.assumingMemoryBound(to: T.self)
        else { return output }
        for index in 0..<batches {
            let aMatrix = pa + index * m * k, bMatrix = pb + index * k * n, cMatrix = out + index * m * n
            for i in 0..<m {
                for p in 0..<k {
                    let x = aMatrix[i * k + p]
                    for j in 0..<n { cMatrix[i * n + j] = cMatrix[i * n + j] &+ x &* bMatrix[p * n + j] }
                }
            }
        }
        return output
    }
}
