import TensorCore

/// Det: the determinant of each square matrix in the last two dims, by LU decomposition with
/// partial pivoting in double precision.
func registerDeterminant(_ registry: inout OperatorRegistry) {
    registry.register("Det", since: [11, 22]) { _ in
        ClosureOperator { inputs in
            let x = try inputs.required(0)
            guard x.rank >= 2, x.shape[x.rank - 1] == x.shape[x.rank - 2] else {
                throw TensorError.shapeMismatch(
                    op: inputs.op, shapes: [x.shape], reason: "Det needs square matrices in the last two dims")
            }
            let size = x.shape[x.rank - 1]
            let values = try x.cast(to: .float64).scalars(as: Double.self)
            let count = x.shape.dropLast(2).reduce(1, *)
            var results: [Double] = []
            results.reserveCapacity(count)
            for matrix in 0..<count {
                var a = Array(values[(matrix * size * size)..<((matrix + 1) * size * size)])
                var determinant = 1.0
                for column in 0..<size {
                    var pivot = column
                    for row in (column + 1)..<max(size, column + 1)
                    where abs(a[row * size + column]) > abs(a[pivot * size + column]) { pivot = row }
                    if a[pivot * size + column] == 0 {
                        determinant = 0
                        break
                    }
                    if pivot != column {
                        for k in 0..<size { a.swapAt(pivot * size + k, column * size + k) }
                        determinant = -determinant
                    }
                    let diagonal = a[column * size + column]
                    determinant *= diagonal
                    for row in (column + 1)..<max(size, column + 1) {
                        let factor = a[row * size + column] / diagonal
                        for k in column..<size { a[row * size + k] -= factor * a[column * size + k] }
                    }
                }
                results.append(determinant)
            }
            return [try Tensor(shape: Array(x.shape.dropLast(2)), scalars: results).cast(to: x.dtype)]
        }
    }
}
