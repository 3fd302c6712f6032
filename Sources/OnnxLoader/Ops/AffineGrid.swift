import TensorCore

/// AffineGrid: the sampling grid GridSample reads, `theta` ([N, 2, 3] or [N, 3, 4]) applied to the
/// normalised coordinates (x, y[, z], 1) of every output position of `size` ([N, C, H, W] or
/// [N, C, D, H, W]); x runs along the last dim. Without `align_corners` coordinates are pixel
/// centres ((2i + 1) / n - 1), with it they span -1 to 1.
func registerAffineGrid(_ registry: inout OperatorRegistry) {
    registry.register("AffineGrid", since: [20]) { attributes in
        let alignCorners = attributes.int("align_corners", default: 0) == 1
        return ClosureOperator { inputs in
            let op = "AffineGrid"
            let theta = try inputs.required(0), size = try inputs.required(1).intValues(op)
            let spatialRank = size.count - 2
            guard spatialRank == 2 || spatialRank == 3, theta.rank == 3, theta.shape[0] == size[0],
                theta.shape[1] == spatialRank,
                theta.shape[2] == spatialRank + 1, size.allSatisfy({ $0 >= 0 })
            else {
                throw TensorError.shapeMismatch(
                    op: op, shapes: [theta.shape, size],
                    reason: "theta must be [N, 2, 3] with size [N, C, H, W], or [N, 3, 4] with [N, C, D, H, W]")
            }
            let matrices = try theta.cast(to: .float64).scalars(as: Double.self)
            let dims = Array(size.dropFirst(2)), n = size[0]
            func coordinate(_ index: Int, _ count: Int) -> Double {
                alignCorners
                    ? (count > 1 ? -1 + 2 * Double(index) / Double(count - 1) : -1)
                    : (2 * Double(index) + 1) / Double(count) - 1
            }
            let positions = dims.reduce(1, *)
            var grid = [Double](repeating: 0, count: n * positions * spatialRank)
            for item in 0..<n {
                for position in 0..<positions {
                    // Homogeneous point: innermost dim first (x, y[, z]), then 1.
                    var rest = position
                    var point = [Double](repeating: 1, count: spatialRank + 1)
                    for axis in (0..<spatialRank).reversed() {
                        point[spatialRank - 1 - axis] = coordinate(rest % dims[axis], dims[axis])
                        rest /= dims[axis]
                    }
                    for row in 0..<spatialRank {
                        var value = 0.0
                        for column in 0...spatialRank {
                            value += matrices[(item * spatialRank + row) * (spatialRank + 1) + column] * point[column]
                        }
                        grid[(item * positions + position) * spatialRank + row] = value
                    }
                }
            }
            return [try Tensor(shape: [n] + dims + [spatialRank], scalars: grid).cast(to: theta.dtype)]
        }
    }
}
