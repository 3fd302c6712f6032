/// Gather (ONNX Gather) and GatherElements.
extension Tensor {
    /// Takes slices along `axis` at `indices` (int32/int64, negative counts from the end):
    /// the result's shape is `shape[..<axis] + indices.shape + shape[(axis+1)...]`.
    public func gather(indices: Tensor, axis: Int = 0) throws(TensorError) -> Tensor {
        let op = "gather"
        let axis = try Shape.normalizeAxis(axis, rank: rank, op: op)
        guard rank > 0 else { throw .invalidArgument(op: op, reason: "cannot gather from a scalar") }
        let positions = try indices.indexValues(bound: shape[axis], op: op)
        let outer = Shape.product(shape[..<axis]), inner = Shape.product(shape[(axis + 1)...])
        let outShape = Array(shape[..<axis]) + indices.shape + Array(shape[(axis + 1)...])
        let dense = contiguous()
        defer { withExtendedLifetime(dense) {} }
        if dtype == .string {
            var sources: [Int] = []
            sources.reserveCapacity(outer * positions.count * inner)
            for o in 0..<outer {
                for p in positions { for i in 0..<inner { sources.append((o * shape[axis] + p) * inner + i) } }
            }
            return try dense.gatheringFlat(sources, shape: outShape, op: op)
        }
        let output = try Tensor(uninitialized: outShape, dtype: dtype, op: op)
        guard let target = output.mutableBaseAddress, let source = dense.baseAddress else { return output }
        let block = inner * dtype.byteSize
        for o in 0..<outer {
            for (j, p) in positions.enumerated() {
                (target + (o * positions.count + j) * block).copyMemory(
                    from: source + (o * shape[axis] + p) * block, byteCount: block)
            }
        }
        return output
    }

    /// `output[pos] = self[pos with its axis coordinate replaced by indices[pos]]`; the result has
    /// the indices' shape (ONNX GatherElements).
    public func gatherElements(indices: Tensor, axis: Int = 0) throws(TensorError) -> Tensor {
        let op = "gather_elements"
        let axis = try Shape.normalizeAxis(axis, rank: rank, op: op)
        guard indices.rank == rank else {
            throw .shapeMismatch(op: op, shapes: [shape, indices.shape], reason: "indices must have the data's rank")
        }
        for d in 0..<rank where d != axis && indices.shape[d] > shape[d] {
            throw .shapeMismatch(
                op: op, shapes: [shape, indices.shape], reason: "indices dimension \(d) exceeds the data's")
        }
        let positions = try indices.indexValues(bound: shape[axis], op: op)
        let sources = Tensor.elementTargets(
            indexShape: indices.shape, dataShape: shape, axis: axis, positions: positions)
        return try contiguous().gatheringFlat(sources, shape: indices.shape, op: op)
    }

    /// Flat positions in a contiguous `dataShape` tensor addressed by each element of an
    /// `indexShape` tensor whose `axis` coordinate is replaced by `positions`.
    static func elementTargets(indexShape: [Int], dataShape: [Int], axis: Int, positions: [Int]) -> [Int] {
        let dataStrides = Shape.contiguousStrides(dataShape)
        var result = [Int](repeating: 0, count: positions.count)
        var index = [Int](repeating: 0, count: indexShape.count)
        for i in 0..<positions.count {
            var flat = 0
            for d in 0..<indexShape.count { flat += (d == axis ? positions[i] : index[d]) * dataStrides[d] }
            result[i] = flat
            _ = Shape.advance(&index, in: indexShape)
        }
        return result
    }
}

extension Tensor {
    /// ONNX GatherND: the last dim of `indices` addresses slices of this tensor after the first
    /// `batchDims` dims, which `indices` shares.
    public func gatherND(indices: Tensor, batchDims: Int = 0) throws(TensorError) -> Tensor {
        let op = "gather_nd"
        guard indices.rank >= 1, batchDims >= 0, batchDims < Swift.min(rank, indices.rank) else {
            throw .invalidArgument(
                op: op, reason: "batch_dims \(batchDims) does not fit data \(shape) and indices \(indices.shape)")
        }
        let depth = indices.shape[indices.rank - 1]
        guard batchDims + depth <= rank, Array(shape[..<batchDims]) == Array(indices.shape[..<batchDims]) else {
            throw .shapeMismatch(
                op: op, shapes: [shape, indices.shape],
                reason: "indices address \(depth) dims after \(batchDims) batch dims")
        }
        let batchCount = Shape.product(shape[..<batchDims])
        let lookups = Shape.product(indices.shape[batchDims..<(indices.rank - 1)])
        let sliceShape = Array(shape[(batchDims + depth)...])
        let sliceSize = Shape.product(sliceShape)
        let strides = Shape.contiguousStrides(shape)
        let raw: [Int]
        switch indices.dtype {
        case .int64: raw = try indices.typedScalars(Int64.self, op).map { Int(clamping: $0) }
        case .int32: raw = try indices.typedScalars(Int32.self, op).map { Int($0) }
        default: throw .unsupportedDType(op: op, dtype: indices.dtype)
        }
        var sources: [Int] = []
        sources.reserveCapacity(batchCount * lookups * sliceSize)
        for b in 0..<batchCount {
            for l in 0..<lookups {
                var base = b * (batchDims > 0 ? strides[batchDims - 1] : 0)
                for d in 0..<depth {
                    let dim = shape[batchDims + d]
                    var index = raw[(b * lookups + l) * depth + d]
                    if index < 0 { index += dim }
                    guard index >= 0, index < dim else {
                        throw .indexOutOfRange(op: op, index: raw[(b * lookups + l) * depth + d], bound: dim)
                    }
                    base += index * strides[batchDims + d]
                }
                for i in 0..<sliceSize { sources.append(base + i) }
            }
        }
        return try contiguous().gatheringFlat(sources, shape: Array(indices.shape.dropLast()) + sliceShape, op: op)
    }
}
