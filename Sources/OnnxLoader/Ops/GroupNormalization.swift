import TensorCore

/// GroupNormalization: channels split into `num_groups` groups, each group normalised over its
/// channels and spatial positions (population variance plus `epsilon`), then scaled and shifted
/// per channel (opset 21) or per group (opset 18).
func registerGroupNormalization(_ registry: inout OperatorRegistry) {
    registry.register("GroupNormalization", since: [18, 21]) { attributes in
        let epsilon = Double(attributes.float("epsilon", default: 1e-5))
        let groups = attributes.int("num_groups", default: 0)
        let perChannel = attributes.opset >= 21
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            let scale = try inputs.required(1).cast(to: .float64).scalars(as: Double.self)
            let bias = try inputs.required(2).cast(to: .float64).scalars(as: Double.self)
            guard x.rank >= 2, groups > 0, x.shape[1] % groups == 0 else {
                throw TensorError.shapeMismatch(
                    op: inputs.op, shapes: [x.shape], reason: "channels must divide into num_groups = \(groups)")
            }
            let (n, c) = (x.shape[0], x.shape[1])
            let spatial = x.shape.dropFirst(2).reduce(1, *)
            let perGroup = c / groups
            guard scale.count == (perChannel ? c : groups), bias.count == scale.count else {
                throw TensorError.shapeMismatch(
                    op: inputs.op, shapes: [x.shape, [scale.count], [bias.count]],
                    reason: "scale and bias need \(perChannel ? c : groups) values")
            }
            var values = try x.cast(to: .float64).scalars(as: Double.self)
            let groupSize = perGroup * spatial
            for item in 0..<n {
                for group in 0..<groups {
                    let start = (item * c + group * perGroup) * spatial
                    let slice = values[start..<(start + groupSize)]
                    let mean = slice.reduce(0, +) / Double(max(groupSize, 1))
                    let variance = slice.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(groupSize, 1))
                    let inverse = 1 / (variance + epsilon).squareRoot()
                    for channel in 0..<perGroup {
                        let parameter = perChannel ? group * perGroup + channel : group
                        for position in 0..<spatial {
                            let index = start + channel * spatial + position
                            values[index] = (values[index] - mean) * inverse * scale[parameter] + bias[parameter]
                        }
                    }
                }
            }
            return [try Tensor(shape: x.shape, scalars: values).cast(to: x.dtype)]
        }
    }
}
