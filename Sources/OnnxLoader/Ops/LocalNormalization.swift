import TensorCore

#if canImport(Glibc)
    import Glibc
#endif

/// LpNormalization and LRN (local response normalization).
func registerLocalNormalization(_ registry: inout OperatorRegistry) {
    registry.register("LpNormalization", since: [1, 22]) { attributes in
        let axis = attributes.int("axis", default: -1), p = attributes.int("p", default: 2)
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            let norm = try x.reduce(p == 1 ? .l1 : .l2, axes: [axis], keepDims: true)
            let zero = try Tensor.compare(.equal, norm, Tensor(zeros: [], dtype: norm.dtype))
            return [try Tensor.select(zero, Tensor(zeros: [], dtype: x.dtype), Tensor.binary(.div, x, norm))]
        }
    }
    registry.register("LRN", since: [1, 13]) { attributes in
        guard let size = attributes.int("size"), size > 0 else {
            throw attributes.error("size must be a positive integer")
        }
        let alpha = Double(attributes.float("alpha", default: 1e-4)),
            beta = Double(attributes.float("beta", default: 0.75))
        let bias = Double(attributes.float("bias", default: 1))
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            guard x.rank >= 2 else {
                throw TensorError.invalidArgument(op: inputs.op, reason: "needs [N, C, ...], got \(x.shape)")
            }
            let values = try x.cast(to: .float64).scalars(as: Double.self)
            let channels = x.shape[1], inner = Shape.product(x.shape.dropFirst(2))
            let below = (size - 1) / 2, above = size - 1 - below
            var result = values
            for n in 0..<x.shape[0] {
                for c in 0..<channels {
                    for i in 0..<inner {
                        var squares = 0.0
                        for other in max(0, c - below)...min(channels - 1, c + above) {
                            let v = values[(n * channels + other) * inner + i]
                            squares += v * v
                        }
                        let index = (n * channels + c) * inner + i
                        result[index] = values[index] / pow(bias + alpha / Double(size) * squares, beta)
                    }
                }
            }
            return [try Tensor(shape: x.shape, scalars: result).cast(to: x.dtype)]
        }
    }
}
