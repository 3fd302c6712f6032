import TensorCore

/// ai.onnx.ml Binarizer and ArrayFeatureExtractor: the feature-selection ops of classic ML pipelines.
func registerFeatureOps(_ registry: inout OperatorRegistry) {
    registry.register("Binarizer", domain: "ai.onnx.ml", since: [1]) { attributes in
        let threshold = attributes.float("threshold", default: 0)
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            let above = try Tensor.compare(.greater, x, Tensor(scalar: threshold).cast(to: x.dtype))
            return [try above.cast(to: x.dtype)]
        }
    }
    // Selects entries of the last axis; a 1-D input gives one row, as onnxruntime does.
    registry.register("ArrayFeatureExtractor", domain: "ai.onnx.ml", since: [1]) { _ in
        ClosureOperator { inputs in
            let x = try inputs.required(0), indices = try inputs.required(1)
            let picks = try indices.intValues(inputs.op)
            let last = x.shape.last ?? 1
            if let bad = picks.first(where: { $0 < 0 || $0 >= last }) {
                throw TensorError.invalidArgument(
                    op: inputs.op, reason: "index \(bad) is outside the last axis of size \(last)")
            }
            let rows = x.rank <= 1 ? 1 : x.count / max(last, 1)
            let table = try x.reshaped([rows, last])
            let gathered = try table.gather(
                indices: Tensor(shape: [picks.count], scalars: picks.map(Int64.init)), axis: 1)
            let shape = x.rank <= 1 ? [1, picks.count] : Array(x.shape.dropLast()) + [picks.count]
            return [try gathered.reshaped(shape)]
        }
    }
}
