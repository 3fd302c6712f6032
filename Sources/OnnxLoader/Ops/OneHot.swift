import TensorCore

/// OneHot: indices expanded to one-hot vectors along an axis.
func registerOneHot(_ registry: inout OperatorRegistry) {
    registry.register("OneHot", since: [9, 11]) { attributes in
        let axisAttribute = attributes.int("axis", default: -1)
        return ClosureOperator { inputs in
            let indices = try inputs.required(0), values = try inputs.required(2)
            let depth = try inputs.required(1).scalarInt(inputs.op)
            guard depth >= 0, values.count == 2 else {
                throw TensorError.invalidArgument(op: inputs.op, reason: "depth must be >= 0 and values [off, on]")
            }
            let axis = try Shape.normalizeAxis(axisAttribute, rank: indices.rank + 1, op: inputs.op)
            let raw = try indices.cast(to: .float64).scalars(as: Double.self).map { Int(saturating: $0) }
            let outer = Shape.product(indices.shape[..<axis]), inner = Shape.product(indices.shape[axis...])
            let shape = Array(indices.shape[..<axis]) + [depth] + Array(indices.shape[axis...])
            var on = [Bool](repeating: false, count: try MemoryBudget.checkedCount(shape, bytesEach: 1, op: inputs.op))
            for o in 0..<outer {
                for i in 0..<inner {
                    var hot = raw[o * inner + i]
                    if hot < 0 { hot += depth }
                    if hot >= 0 && hot < depth { on[(o * depth + hot) * inner + i] = true }
                }
            }
            let flags = try Tensor(shape: shape, scalars: on)
            return [
                try Tensor.select(
                    flags, values.sliced(axis: 0, start: 1, end: 2).reshaped([]),
                    values.sliced(axis: 0, start: 0, end: 1).reshaped([]))
            ]
        }
    }
}
