/// Elementwise selection (ONNX Where).
extension Tensor {
    /// `condition ? x : y` elementwise with numpy broadcasting of all three; `x` and `y` share a dtype.
    public static func select(_ condition: Tensor, _ x: Tensor, _ y: Tensor) throws(TensorError) -> Tensor {
        let op = "where"
        guard condition.dtype == .bool else { throw .unsupportedDType(op: op, dtype: condition.dtype) }
        guard x.dtype == y.dtype else { throw .dtypeMismatch(op: op, dtypes: [x.dtype, y.dtype]) }
        let shape = try Shape.broadcast([condition.shape, x.shape, y.shape], op: op)
        let c = try condition.broadcast(to: shape), a = try x.broadcast(to: shape), b = try y.broadcast(to: shape)
        if x.dtype == .string {
            let flags = try c.contiguous().scalars(as: Bool.self)
            let left = try a.contiguous().stringScalars(), right = try b.contiguous().stringScalars()
            return try Tensor(shape: shape, strings: flags.indices.map { flags[$0] ? left[$0] : right[$0] })
        }
        let output = try Tensor(uninitialized: shape, dtype: x.dtype, op: op)
        guard let target = output.mutableBaseAddress, let pc = c.baseAddress, let pa = a.baseAddress,
            let pb = b.baseAddress
        else { return output }
        let loop = StridedLoop(shape: shape, strides: [output.strides, c.strides, a.strides, b.strides])
        func run<Word>(_: Word.Type) {
            let out = target.assumingMemoryBound(to: Word.self), flags = pc.assumingMemoryBound(to: Bool.self)
            let left = pa.assumingMemoryBound(to: Word.self), right = pb.assumingMemoryBound(to: Word.self)
            let (sc, sa, sb) = (loop.innerStrides[1], loop.innerStrides[2], loop.innerStrides[3])
            loop.forEachRun { offsets, count in
                let o = out + offsets[0], f = flags + offsets[1], l = left + offsets[2], r = right + offsets[3]
                for i in 0..<count { o[i] = f[i * sc] ? l[i * sa] : r[i * sb] }
            }
        }
        switch x.dtype.byteSize {
        case 1: run(UInt8.self)
        case 2: run(UInt16.self)
        case 4: run(UInt32.self)
        default: run(UInt64.self)
        }
        return output
    }
}
