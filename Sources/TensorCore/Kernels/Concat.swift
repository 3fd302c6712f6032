/// Concatenation along an axis.
extension Tensor {
    /// Joins `tensors` along `axis`; all must share dtype and every other dimension.
    public static func concat(_ tensors: [Tensor], axis: Int) throws(TensorError) -> Tensor {
        let op = "concat"
        guard let first = tensors.first else { throw .invalidArgument(op: op, reason: "needs at least one tensor") }
        let axis = try Shape.normalizeAxis(axis, rank: first.rank, op: op)
        guard first.rank > 0 else { throw .invalidArgument(op: op, reason: "cannot concatenate scalars") }
        var outShape = first.shape
        outShape[axis] = 0
        for tensor in tensors {
            guard tensor.dtype == first.dtype else { throw .dtypeMismatch(op: op, dtypes: tensors.map(\.dtype)) }
            guard tensor.rank == first.rank,
                tensor.shape.indices.allSatisfy({ $0 == axis || tensor.shape[$0] == first.shape[$0] })
            else {
                throw .shapeMismatch(
                    op: op, shapes: tensors.map(\.shape), reason: "all dimensions but axis \(axis) must agree")
            }
            outShape[axis] += tensor.shape[axis]
        }
        let outer = Shape.product(first.shape[..<axis])
        let inner = Shape.product(first.shape[(axis + 1)...])
        let parts = tensors.map { $0.contiguous() }
        if first.dtype == .string {
            var strings: [String] = []
            let slices = parts.map { Array($0.stringSlice()) }
            for o in 0..<outer {
                for (part, values) in zip(parts, slices) {
                    let block = part.shape[axis] * inner
                    strings.append(contentsOf: values[(o * block)..<((o + 1) * block)])
                }
            }
            return try Tensor(shape: outShape, strings: strings)
        }
        let output = try Tensor(uninitialized: outShape, dtype: first.dtype, op: op)
        guard let target = output.mutableBaseAddress else { return output }
        let size = first.dtype.byteSize
        let rowBytes = outShape[axis] * inner * size
        var column = 0
        for part in parts {
            let block = part.shape[axis] * inner * size
            if let source = part.baseAddress, block > 0 {
                for o in 0..<outer {
                    (target + o * rowBytes + column).copyMemory(from: source + o * block, byteCount: block)
                }
            }
            column += block
        }
        return output
    }
}
