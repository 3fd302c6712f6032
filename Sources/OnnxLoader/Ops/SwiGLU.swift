import TensorCore

/// SwiGLU (opset 28): the gated SiLU of a split input.
func registerSwiGLU(_ registry: inout OperatorRegistry) {
    registry.register("SwiGLU", since: [28]) { attributes in
        let alpha = Double(attributes.float("alpha", default: 1))
        return ClosureOperator { inputs in
            let a = try inputs.required(0), b = try inputs.required(1)
            guard a.shape == b.shape else {
                throw TensorError.shapeMismatch(
                    op: inputs.op, shapes: [a.shape, b.shape], reason: "A and B must have one shape")
            }
            let gate = try Tensor.binary(
                .mul, a, Tensor.binary(.mul, a, Tensor(scalar: alpha).cast(to: a.dtype)).unary(.sigmoid))
            return [try Tensor.binary(.mul, gate, b)]
        }
    }
}
