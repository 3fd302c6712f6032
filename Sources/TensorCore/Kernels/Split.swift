/// Splitting along an axis.
extension Tensor {
    /// Views of consecutive pieces of `sizes` along `axis` (the sizes must add up to the dim).
    public func split(axis: Int, sizes: [Int]) throws(TensorError) -> [Tensor] {
        let op = "split"
        let axis = try Shape.normalizeAxis(axis, rank: rank, op: op)
        guard rank > 0 else { throw .invalidArgument(op: op, reason: "cannot split a scalar") }
        guard sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == shape[axis] else {
            throw .invalidArgument(
                op: op,
                reason:
                    "sizes \(sizes) must be non-negative and add up to \(shape[axis]) (axis \(axis) of shape \(shape))")
        }
        var start = 0
        return try sizes.map { size throws(TensorError) in
            defer { start += size }
            return try sliced(axis: axis, start: start, end: start + size)
        }
    }

    /// Views of `parts` equal pieces along `axis`; when the dim does not divide, the last piece
    /// is smaller (ONNX Split-18 `num_outputs`).
    public func split(axis: Int, parts: Int) throws(TensorError) -> [Tensor] {
        let normalized = try Shape.normalizeAxis(axis, rank: rank, op: "split")
        guard parts > 0, rank > 0 else {
            throw .invalidArgument(op: "split", reason: "needs a positive number of parts and rank >= 1")
        }
        let dim = shape[normalized]
        let piece = (dim + parts - 1) / parts
        let sizes = (0..<parts).map { Swift.max(0, Swift.min(piece, dim - $0 * piece)) }
        return try split(axis: normalized, sizes: sizes)
    }
}
