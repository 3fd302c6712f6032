extension Tensor {
    /// MaxPool with its Indices output: each maximum and the flat index of the input element it came
    /// from (the first in window order on ties), row-major over `[N, C, spatial...]`, or with the
    /// spatial dims column-major when `columnMajor` (ONNX `storage_order = 1`).
    public static func maxPoolWithIndices(
        _ input: Tensor, window: WindowGeometry, ceilMode: Bool = false,
        columnMajor: Bool = false
    ) throws(TensorError) -> (values: Tensor, indices: Tensor) {
        let op = "max_pool"
        guard input.rank >= 3 else {
            throw .shapeMismatch(op: op, shapes: [input.shape], reason: "pooling needs [N, C, spatial...] inputs")
        }
        let dtype = input.dtype
        let values = try input.cast(to: .float64).scalars(as: Double.self)
        let spatial = Array(input.shape.dropFirst(2))
        let outSpatial = try window.outputSize(spatial: spatial, ceilMode: ceilMode, op: op)
        let rank = spatial.count
        let planeSize = spatial.reduce(1, *), outPlaneSize = outSpatial.reduce(1, *)
        let planes = input.shape[0] * input.shape[1]
        let kernelSize = window.kernel.reduce(1, *)
        var best = [Double](repeating: 0, count: planes * outPlaneSize)
        var where_ = [Int64](repeating: 0, count: planes * outPlaneSize)
        var outIndex = [Int](repeating: 0, count: rank)
        var tap = [Int](repeating: 0, count: rank)
        for position in 0..<outPlaneSize {
            // The output position's coordinates, last dim fastest.
            var rest = position
            for axis in (0..<rank).reversed() {
                outIndex[axis] = rest % outSpatial[axis]
                rest /= outSpatial[axis]
            }
            for plane in 0..<planes {
                var maximum = -Double.infinity
                var found = -1
                for k in 0..<kernelSize {
                    var remainder = k
                    for axis in (0..<rank).reversed() {
                        tap[axis] = remainder % window.kernel[axis]
                        remainder /= window.kernel[axis]
                    }
                    var flat = 0, inside = true
                    for axis in 0..<rank {
                        let coordinate =
                            outIndex[axis] * window.strides[axis] - window.pads[axis] + tap[axis]
                            * window.dilations[axis]
                        guard coordinate >= 0, coordinate < spatial[axis] else {
                            inside = false
                            break
                        }
                        flat = flat * spatial[axis] + coordinate
                    }
                    guard inside else { continue }
                    let value = values[plane * planeSize + flat]
                    if found < 0 || value > maximum {
                        maximum = value
                        found = flat
                    }
                }
                best[plane * outPlaneSize + position] = found < 0 ? -Double.infinity : maximum
                var index = found
                if columnMajor, found >= 0 {
                    // The same coordinates, first spatial dim fastest.
                    var coordinates = [Int](repeating: 0, count: rank), rest = found
                    for axis in (0..<rank).reversed() {
                        coordinates[axis] = rest % spatial[axis]
                        rest /= spatial[axis]
                    }
                    index = 0
                    for axis in (0..<rank).reversed() { index = index * spatial[axis] + coordinates[axis] }
                }
                where_[plane * outPlaneSize + position] = Int64(plane * planeSize + max(index, 0))
            }
        }
        let shape = Array(input.shape.prefix(2)) + outSpatial
        return (try Tensor(shape: shape, scalars: best).cast(to: dtype), try Tensor(shape: shape, scalars: where_))
    }
}
