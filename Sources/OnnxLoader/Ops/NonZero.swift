import TensorCore

/// NonZero: the indices of the non-zero elements, `[rank, count]` int64 in row-major order.
func registerNonZero(_ registry: inout OperatorRegistry) {
    registry.register("NonZero", since: [9, 13]) { _ in
        ClosureOperator { inputs in
            let x = try inputs.required(0)
            let zero = try Tensor.compare(.equal, x, Tensor(zeros: [], dtype: x.dtype)).scalars(as: Bool.self)
            let positions = zero.indices.filter { !zero[$0] }
            let shape = x.shape, rank = max(x.rank, 1)
            var indices = [Int64](repeating: 0, count: rank * positions.count)
            for (column, position) in positions.enumerated() {
                var remainder = position
                for axis in stride(from: shape.count - 1, through: 0, by: -1) {
                    indices[axis * positions.count + column] = Int64(remainder % shape[axis])
                    remainder /= shape[axis]
                }
            }
            // A scalar counts as one element along one axis (onnxruntime's and numpy's atleast_1d view).
            return [try Tensor(shape: [rank, positions.count], scalars: indices)]
        }
    }
}
