import TensorCore

#if canImport(Glibc)
    import Glibc
#endif

/// Relu and the other activation functions.
func registerActivations(_ registry: inout OperatorRegistry) {
    let plain: [(String, UnaryOp, [Int])] = [
        ("Relu", .relu, [1, 6, 13, 14]), ("Sigmoid", .sigmoid, [1, 6, 13]), ("Tanh", .tanh, [1, 6, 13]),
        ("Softplus", .softplus, [1]), ("Softsign", .softsign, [1]),
    ]
    for (name, op, versions) in plain {
        registry.register(name, since: versions) { attributes in
            try attributes.requireInputs(1...1)
            return ClosureOperator { inputs in [try inputs.required(0).unary(op)] }
        }
    }
    registry.register("Gelu", since: [20]) { attributes in
        try attributes.requireInputs(1...1)
        let op: UnaryOp = attributes.string("approximate", default: "none") == "tanh" ? .geluTanh : .gelu
        return ClosureOperator { inputs in [try inputs.required(0).unary(op)] }
    }
    func parametric(
        _ name: String, _ versions: [Int], _ make: @escaping @Sendable (NodeAttributes) -> @Sendable (Float) -> Float
    ) {
        registry.register(name, since: versions) { attributes in
            try attributes.requireInputs(1...1)
            let function = make(attributes)
            return ClosureOperator { inputs in [try inputs.required(0).mapFloats(op: name, function)] }
        }
    }
    parametric("LeakyRelu", [1, 6, 16]) { a in
        let alpha = a.float("alpha", default: 0.01)
        return { $0 < 0 ? alpha * $0 : $0 }
    }
    parametric("Elu", [1, 6]) { a in
        let alpha = a.float("alpha", default: 1)
        return { $0 < 0 ? alpha * Float(expm1(Double($0))) : $0 }
    }
    parametric("Selu", [1, 6]) { a in
        let alpha = a.float("alpha", default: 1.67326319217681884765625),
            gamma = a.float("gamma", default: 1.05070102214813232421875)
        return { $0 <= 0 ? gamma * alpha * Float(expm1(Double($0))) : gamma * $0 }
    }
    parametric("Celu", [12]) { a in
        let alpha = a.float("alpha", default: 1)
        return { max(0, $0) + min(0, alpha * Float(expm1(Double($0 / alpha)))) }
    }
    parametric("ThresholdedRelu", [10]) { a in
        let alpha = a.float("alpha", default: 1)
        return { $0 > alpha ? $0 : 0 }
    }
    parametric("HardSigmoid", [1, 6]) { a in
        let alpha = a.float("alpha", default: 0.2), beta = a.float("beta", default: 0.5)
        return { max(0, min(1, alpha * $0 + beta)) }
    }
    parametric("Swish", [24]) { a in
        let alpha = Double(a.float("alpha", default: 1))
        return { x in Float(Double(x) / (1 + exp(-alpha * Double(x)))) }
    }
    parametric("HardSwish", [14]) { _ in { $0 * max(0, min(1, $0 / 6 + 0.5)) } }
    parametric("Mish", [18]) { _ in
        { x in Float(Double(x) * tanh(log1p(exp(-abs(Double(x)))) + max(Double(x), 0))) }
    }
    registry.register("PRelu", since: [1, 6, 7, 9, 16]) { _ in
        ClosureOperator { inputs in
            let x = try inputs.required(0)
            var slope = try inputs.required(1)
            // A per-channel slope [C] (as older exporters write it) applies along axis 1.
            if slope.rank == 1, x.rank > 2, slope.count == x.shape[1], slope.count != x.shape[x.rank - 1] {
                slope = try slope.reshaped([slope.count] + Array(repeating: 1, count: x.rank - 2))
            }
            let zero = try Tensor(zeros: [], dtype: x.dtype)
            let negative = try Tensor.compare(.less, x, zero)
            return [try Tensor.select(negative, Tensor.binary(.mul, x, slope), x)]
        }
    }
    registry.register("Clip", since: [1, 6, 11, 12, 13]) { attributes in
        let legacy = attributes.opset < 11
        let low = attributes.float("min"), high = attributes.float("max")
        return ClosureOperator { inputs in
            var x = try inputs.required(0)
            let lower: Tensor? = legacy ? try low.map { try Tensor(scalar: $0).cast(to: x.dtype) } : inputs.optional(1)
            let upper: Tensor? = legacy ? try high.map { try Tensor(scalar: $0).cast(to: x.dtype) } : inputs.optional(2)
            if x.dtype == .float32, (lower?.count ?? 1) == 1, (upper?.count ?? 1) == 1 {
                let low = try lower.map { Float(try $0.scalarDouble(inputs.op)) } ?? -.infinity
                let high = try upper.map { Float(try $0.scalarDouble(inputs.op)) } ?? .infinity
                return [try x.activated(.clip(lower: low, upper: high))]
            }
            if let lower { x = try Tensor.binary(.max, x, lower) }
            if let upper { x = try Tensor.binary(.min, x, upper) }
            return [x]
        }
    }
}
