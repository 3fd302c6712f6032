import TensorCore

/// ScatterND: updates written at N-dimensional indices, with reductions.
func registerScatterND(_ registry: inout OperatorRegistry) {
    registry.register("ScatterND", since: [11, 13, 16, 18]) { attributes in
        let reduction = attributes.string("reduction", default: "none")
        return ClosureOperator { inputs in
            let data = try inputs.required(0), indices = try inputs.required(1), updates = try inputs.required(2)
            let depth = indices.shape.last ?? 0
            guard depth <= data.rank else {
                throw TensorError.invalidArgument(
                    op: inputs.op, reason: "index depth \(depth) exceeds the data rank \(data.rank)")
            }
            let sliceSize = Shape.product(data.shape[depth...]), strides = Shape.contiguousStrides(data.shape)
            let raw = try indices.intValues(inputs.op), lookups = raw.count / max(depth, 1)
            var values = try data.cast(to: .float64).scalars(as: Double.self)
            let news = try updates.cast(to: .float64).scalars(as: Double.self)
            guard news.count == lookups * sliceSize else {
                throw TensorError.shapeMismatch(
                    op: inputs.op, shapes: [data.shape, indices.shape, updates.shape],
                    reason: "updates must be indices.shape[:-1] + data.shape[depth:]")
            }
            for l in 0..<lookups {
                var base = 0
                for d in 0..<depth {
                    var index = raw[l * depth + d]
                    if index < 0 { index += data.shape[d] }
                    guard index >= 0, index < data.shape[d] else {
                        throw TensorError.indexOutOfRange(
                            op: inputs.op, index: raw[l * depth + d], bound: data.shape[d])
                    }
                    base += index * strides[d]
                }
                for i in 0..<sliceSize {
                    let update = news[l * sliceSize + i]
                    switch reduction {
                    case "add": values[base + i] += update
                    case "mul": values[base + i] *= update
                    case "max": values[base + i] = max(values[base + i], update)
                    case "min": values[base + i] = min(values[base + i], update)
                    default: values[base + i] = update
                    }
                }
            }
            return [try Tensor(shape: data.shape, scalars: values).cast(to: data.dtype)]
        }
    }
}
