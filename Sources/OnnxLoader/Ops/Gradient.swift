import TensorCore

/// ai.onnx.preview.training::Gradient: the gradient of `y` (seeded with ones) with respect to
/// each of `xs`, through the elementwise Add, Sub, Mul, Div, Neg and Identity nodes that compute
/// `y` from them. The forward values are recomputed from the node's inputs (the values of `xs`).
func registerGradient(_ registry: inout OperatorRegistry) {
    registry.register("Gradient", domain: "ai.onnx.preview.training", since: [1]) { attributes in
        guard case let .strings(rawXs)? = attributes.node.attributes["xs"], let y = attributes.string("y"),
            let graph = attributes.graph
        else {
            throw attributes.error("needs the xs and y attributes")
        }
        let xs = rawXs.map { String(decoding: $0, as: UTF8.self) }
        // The nodes between xs and y, in graph order.
        var needed = Set([y]), path: [Node] = []
        for node in graph.nodes.reversed() where node.outputs.contains(where: needed.contains) {
            guard ["Add", "Sub", "Mul", "Div", "Neg", "Identity"].contains(node.opType), node.domain.isEmpty else {
                throw attributes.error("cannot differentiate through \(node.opType) (node '\(node.name)')")
            }
            path.insert(node, at: 0)
            needed.formUnion(node.inputs)
        }
        let forward = path
        return ClosureOperator { inputs in
            var values: [String: Tensor] = graph.initializers
            for (name, tensor) in zip(xs, inputs) { if let tensor { values[name] = tensor } }
            func value(_ name: String) throws -> Tensor {
                guard let tensor = values[name] else {
                    throw TensorError.invalidArgument(op: inputs.op, reason: "'\(name)' is not computable from xs")
                }
                return tensor
            }
            for node in forward {
                let a = try value(node.inputs[0])
                let result: Tensor
                switch node.opType {
                case "Add": result = try Tensor.binary(.add, a, value(node.inputs[1]))
                case "Sub": result = try Tensor.binary(.sub, a, value(node.inputs[1]))
                case "Mul": result = try Tensor.binary(.mul, a, value(node.inputs[1]))
                case "Div": result = try Tensor.binary(.div, a, value(node.inputs[1]))
                case "Neg": result = try a.unary(.negate)
                default: result = a
                }
                values[node.outputs[0]] = result
            }
            var gradients: [String: Tensor] = [:]
            let output = try value(y)
            gradients[y] = try Tensor.binary(
                .add, Tensor(zeros: output.shape, dtype: output.dtype), Tensor(scalar: 1.0).cast(to: output.dtype))
            func accumulate(_ name: String, _ gradient: Tensor) throws {
                // Sum over the dims broadcasting added, back to the value's shape.
                let target = try value(name).shape
                var reduced = gradient
                let extra = reduced.rank - target.count
                if extra > 0 { reduced = try reduced.reduce(.sum, axes: Array(0..<extra), keepDims: false) }
                let ones = target.indices.filter { target[$0] == 1 && reduced.shape[$0] != 1 }
                if !ones.isEmpty { reduced = try reduced.reduce(.sum, axes: ones, keepDims: true) }
                gradients[name] = try gradients[name].map { try Tensor.binary(.add, $0, reduced) } ?? reduced
            }
            for node in forward.reversed() {
                guard let g = gradients[node.outputs[0]] else { continue }
                let a = node.inputs[0]
                switch node.opType {
                case "Add":
                    try accumulate(a, g)
                    try accumulate(node.inputs[1], g)
                case "Sub":
                    try accumulate(a, g)
                    try accumulate(node.inputs[1], g.unary(.negate))
                case "Mul":
                    try accumulate(a, Tensor.binary(.mul, g, value(node.inputs[1])))
                    try accumulate(node.inputs[1], Tensor.binary(.mul, g, value(a)))
                case "Div":
                    let b = try value(node.inputs[1])
                    try accumulate(a, Tensor.binary(.div, g, b))
                    try accumulate(
                        node.inputs[1],
                        Tensor.binary(.div, Tensor.binary(.mul, g, value(a)), Tensor.binary(.mul, b, b)).unary(.negate))
                case "Neg": try accumulate(a, g.unary(.negate))
                default: try accumulate(a, g)
                }
            }
            return try xs.map { name in
                try gradients[name] ?? Tensor(zeros: value(name).shape, dtype: value(name).dtype)
            }
        }
    }
}
