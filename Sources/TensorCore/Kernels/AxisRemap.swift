/// Builds a tensor whose every dimension is a remapping of the source's (pad, tile): output
/// coordinate `o` on axis `d` reads source coordinate `maps[d][o]`, or the fill value where
/// that is -1.
extension Tensor {
    func remapped(axisMaps maps: [[Int]], fill: Tensor?, op: String) throws(TensorError) -> Tensor {
        let outShape = maps.map(\.count)
        let dense = contiguous()
        defer { withExtendedLifetime(dense) {} }
        let sourceStrides = Shape.contiguousStrides(shape)
        let total = try Shape.elementCount(outShape, op: op)
        if dtype == .string || rank == 0 {
            var sources = [Int](repeating: -1, count: total)
            var index = [Int](repeating: 0, count: rank)
            for i in 0..<total {
                var flat = 0
                for d in 0..<rank {
                    let s = maps[d][index[d]]
                    if s < 0 {
                        flat = -1
                        break
                    }
                    flat += s * sourceStrides[d]
                }
                sources[i] = flat
                _ = Shape.advance(&index, in: outShape)
            }
            return try dense.gatheringFlat(sources, shape: outShape, fill: fill, op: op)
        }
        let output = try Tensor(uninitialized: outShape, dtype: dtype, op: op)
        guard total > 0, let target = output.mutableBaseAddress else { return output }
        let size = dtype.byteSize
        let source = dense.baseAddress
        let fillValue = fill?.contiguous()
        defer { withExtendedLifetime(fillValue) {} }
        var zero: UInt64 = 0
        withUnsafeBytes(of: &zero) { zeroBytes in
            guard let fillBytes = fillValue?.baseAddress ?? zeroBytes.baseAddress else { return }
            let innerMap = maps[rank - 1]
            let rowLength = innerMap.count
            let rows = total / rowLength
            var index = [Int](repeating: 0, count: rank - 1)
            let outerShape = Array(outShape.dropLast())
            for row in 0..<rows {
                let rowTarget = target + row * rowLength * size
                var base = 0
                var filled = false
                for d in 0..<(rank - 1) {
                    let s = maps[d][index[d]]
                    if s < 0 {
                        filled = true
                        break
                    }
                    base += s * sourceStrides[d]
                }
                for o in 0..<rowLength {
                    let s = innerMap[o]
                    if filled || s < 0 || source == nil {
                        (rowTarget + o * size).copyMemory(from: fillBytes, byteCount: size)
                    } else if let source {
                        (rowTarget + o * size).copyMemory(from: source + (base + s) * size, byteCount: size)
                    }
                }
                _ = Shape.advance(&index, in: outerShape)
            }
        }
        return output
    }
}
