/// Tiling (ONNX Tile).
extension Tensor {
    /// Repeats the tensor `repeats[d]` times along each axis `d`.
    public func tiled(_ repeats: [Int]) throws(TensorError) -> Tensor {
        let op = "tile"
        guard repeats.count == rank, repeats.allSatisfy({ $0 >= 0 }) else {
            throw .invalidArgument(
                op: op, reason: "repeats \(repeats) must be \(rank) non-negative counts for shape \(shape)")
        }
        _ = try Shape.elementCount(zip(shape, repeats).map { $0 * $1 }, op: op)
        let maps = (0..<rank).map { d in (0..<(shape[d] * repeats[d])).map { $0 % Swift.max(shape[d], 1) } }
        return try remapped(axisMaps: maps, fill: nil, op: op)
    }
}
