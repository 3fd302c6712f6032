/// Tiling (ONNX Tile).
extension Tensor {
    /// Repeats the tensor `repeats[d]` times along each axis `d`.
    public func tiled(_ repeats: [Int]) throws(TensorError) -> Tensor {
        let op = "tile"
        guard repeats.count == rank, repeats.allSatisfy({ $0 >= 0 }) else {
            throw .invalidArgument(
                op: op, reason: "repeats \(repeats) must be \(rank) non-negative counts for shape \(shape)")
        }
        var lengths: [Int] = []
        for (dim, times) in zip(shape, repeats) {
            let (length, overflow) = dim.multipliedReportingOverflow(by: times)
            guard !overflow else {
                throw .tooLarge(
                    op: op, shape: zip(shape, repeats).map { $0.multipliedReportingOverflow(by: $1).partialValue })
            }
            lengths.append(length)
        }
        _ = try MemoryBudget.checkedCount(lengths, bytesEach: dtype.byteSize, op: op)
        // An empty result needs no index maps (whose lengths may still be huge).
        if lengths.contains(0) { return try Tensor(zeros: lengths, dtype: dtype) }
        let maps = (0..<rank).map { d in (0..<(shape[d] * repeats[d])).map { $0 % Swift.max(shape[d], 1) } }
        return try remapped(axisMaps: maps, fill: nil, op: op)
    }
}
