import TensorCore

/// MatMul and Gemm.
func registerLinearAlgebra(_ registry: inout OperatorRegistry) {
    registry.register("MatMul", since: [1, 9, 13]) { _ in
        ClosureOperator { inputs in [try Tensor.matmul(inputs.required(0), inputs.required(1))] }
    }
    registry.register("Gemm", since: [1, 6, 7, 9, 11, 13]) { attributes in
        let alpha = attributes.float("alpha", default: 1), beta = attributes.float("beta", default: 1)
        let transA = attributes.int("transA", default: 0) == 1, transB = attributes.int("transB", default: 0) == 1
        return ClosureOperator { inputs in
            var a = try inputs.required(0), b = try inputs.required(1)
            guard a.rank == 2, b.rank == 2 else {
                throw TensorError.shapeMismatch(
                    op: inputs.op, shapes: [a.shape, b.shape], reason: "Gemm takes 2-D A and B")
            }
            if transA { a = try a.transposedLastTwo() }
            if transB { b = try b.transposedLastTwo() }
            var y = try Tensor.matmul(a, b)
            if alpha != 1 { y = try Tensor.binary(.mul, y, Tensor(scalar: alpha).cast(to: y.dtype)) }
            if let c = inputs.optional(2), beta != 0 {
                let scaled = beta == 1 ? c : try Tensor.binary(.mul, c, Tensor(scalar: beta).cast(to: c.dtype))
                y = try Tensor.binary(.add, y, scaled)
            }
            return [y]
        }
    }
}
