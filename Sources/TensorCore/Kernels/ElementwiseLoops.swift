/// The loops every elementwise kernel shares: one input (map) or two broadcast inputs (zip)
/// into a fresh contiguous output, split into runs and spread over the compute pool.
/// Row kernels receive typed pointers and element strides, so each kernel can take a SIMD
/// path when its strides are 1 (or 0 for a broadcast scalar).
extension Tensor {
    /// `output[i] = row(input ...)` over every element; `output` has this tensor's shape.
    func mapRows<Source: TensorElement, Result: TensorElement>(
        _ source: Source.Type, to result: Result.Type, op: String,
        _ row: (UnsafePointer<Source>, Int, UnsafeMutablePointer<Result>, Int) -> Void
    ) throws(TensorError) -> Tensor {
        try checkElement(source, op: op)
        let output = try Tensor(uninitialized: shape, dtype: Result.dtype, op: op)
        guard let input = baseAddress?.assumingMemoryBound(to: Source.self),
            let target = output.mutableBaseAddress?.assumingMemoryBound(to: Result.self)
        else { return output }
        let loop = StridedLoop(shape: shape, strides: [output.strides, strides])
        let inStride = loop.innerStrides[1]
        loop.forEachRun { offsets, count in
            row(input + offsets[1], inStride, target + offsets[0], count)
        }
        return output
    }

    /// `output[i] = row(a ..., b ...)` with numpy broadcasting of `a` and `b`.
    static func zipRows<A: TensorElement, B: TensorElement, Result: TensorElement>(
        _ a: Tensor, _ b: Tensor, _ typeA: A.Type, _ typeB: B.Type, to result: Result.Type, op: String,
        _ row: (UnsafePointer<A>, Int, UnsafePointer<B>, Int, UnsafeMutablePointer<Result>, Int) -> Void
    ) throws(TensorError) -> Tensor {
        try a.checkElement(typeA, op: op)
        try b.checkElement(typeB, op: op)
        let shape = try Shape.broadcast([a.shape, b.shape], op: op)
        let left = try a.broadcast(to: shape)
        let right = try b.broadcast(to: shape)
        let output = try Tensor(uninitialized: shape, dtype: Result.dtype, op: op)
        guard let pa = left.baseAddress?.assumingMemoryBound(to: A.self),
            let pb = right.baseAddress?.assumingMemoryBound(to: B.self),
            let target = output.mutableBaseAddress?.assumingMemoryBound(to: Result.self)
        else { return output }
        let loop = StridedLoop(shape: shape, strides: [output.strides, left.strides, right.strides])
        let strideA = loop.innerStrides[1]
        let strideB = loop.innerStrides[2]
        loop.forEachRun { offsets, count in
            row(pa + offsets[1], strideA, pb + offsets[2], strideB, target + offsets[0], count)
        }
        return output
    }

    /// A scalar row loop: `out[i] = f(in[i * stride])`.
    @inline(__always)
    static func scalarMap<S, R>(
        _ input: UnsafePointer<S>, _ stride: Int, _ output: UnsafeMutablePointer<R>, _ count: Int, _ f: (S) -> R
    ) {
        if stride == 1 {
            for i in 0..<count { output[i] = f(input[i]) }
        } else {
            for i in 0..<count { output[i] = f(input[i * stride]) }
        }
    }

    /// A scalar row loop: `out[i] = f(a[i * strideA], b[i * strideB])`.
    @inline(__always)
    static func scalarZip<A, B, R>(
        _ a: UnsafePointer<A>, _ strideA: Int, _ b: UnsafePointer<B>, _ strideB: Int,
        _ output: UnsafeMutablePointer<R>, _ count: Int, _ f: (A, B) -> R
    ) {
        if strideA == 1 && strideB == 1 {
            for i in 0..<count { output[i] = f(a[i], b[i]) }
        } else if strideA == 1 && strideB == 0 {
            let y = b[0]
            for i in 0..<count { output[i] = f(a[i], y) }
        } else if strideA == 0 && strideB == 1 {
            let x = a[0]
            for i in 0..<count { output[i] = f(x, b[i]) }
        } else {
            for i in 0..<count { output[i] = f(a[i * strideA], b[i * strideB]) }
        }
    }
}
