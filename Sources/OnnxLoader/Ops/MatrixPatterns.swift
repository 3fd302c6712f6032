import TensorCore

/// Trilu and EyeLike: triangular masks and identity-like matrices.
func registerMatrixPatterns(_ registry: inout OperatorRegistry) {
    registry.register("Trilu", since: [14]) { attributes in
        let upper = attributes.int("upper", default: 1) == 1
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            guard x.rank >= 2 else {
                throw TensorError.invalidArgument(op: inputs.op, reason: "needs rank >= 2, got \(x.shape)")
            }
            let k = try inputs.optional(1).map { try $0.scalarInt(inputs.op) } ?? 0
            let rows = x.shape[x.rank - 2], cols = x.shape[x.rank - 1]
            let keep = try Tensor(
                shape: [rows, cols],
                scalars: (0..<(rows * cols)).map { index in
                    let diagonal = index % max(cols, 1) - index / max(cols, 1)
                    return upper ? diagonal >= k : diagonal <= k
                })
            return [try Tensor.select(keep, x, Tensor(zeros: [], dtype: x.dtype))]
        }
    }
    registry.register("EyeLike", since: [9, 22]) { attributes in
        let k = attributes.int("k", default: 0), code = attributes.int("dtype")
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            guard x.rank == 2 else {
                throw TensorError.invalidArgument(op: inputs.op, reason: "needs a 2-D input, got \(x.shape)")
            }
            let dtype =
                try code.map { c -> DType in
                    guard let d = OnnxDataType.dtype(c) else {
                        throw TensorError.invalidArgument(
                            op: inputs.op, reason: "dtype \(OnnxDataType.name(c)) is not supported")
                    }
                    return d
                } ?? x.dtype
            let (rows, cols) = (x.shape[0], x.shape[1])
            let values = (0..<(rows * cols)).map { $0 % max(cols, 1) - $0 / max(cols, 1) == k ? 1.0 : 0 }
            return [try Tensor(shape: x.shape, scalars: values).cast(to: dtype)]
        }
    }
}
