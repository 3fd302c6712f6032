import TensorCore

/// BatchNormalization (inference, and training mode's batch statistics), LayerNormalization,
/// InstanceNormalization, RMSNormalization.
func registerNormalization(_ registry: inout OperatorRegistry) {
    registry.register("BatchNormalization", since: [1, 6, 7, 9, 14, 15]) { attributes in
        let epsilon = attributes.float("epsilon", default: 1e-5)
        if attributes.int("training_mode", default: 0) == 1 {
            // Normalise with the batch's own mean and (population) variance per channel; the running
            // statistics move towards them by 1 - momentum.
            let momentum = Double(attributes.float("momentum", default: 0.9))
            return ClosureOperator { inputs in
                let op = "BatchNormalization"
                let x = try inputs.required(0)
                guard x.rank >= 2 else {
                    throw TensorError.shapeMismatch(
                        op: op, shapes: [x.shape], reason: "BatchNormalization needs [N, C, ...]")
                }
                let axes = [0] + Array(2..<x.rank)
                let batchMean = try x.cast(to: .float64).reduce(.mean, axes: axes, keepDims: false)
                let centered = try Tensor.binary(
                    .sub, x.cast(to: .float64),
                    batchMean.reshaped([x.shape[1]] + Array(repeating: 1, count: x.rank - 2)))
                let batchVariance = try Tensor.binary(.mul, centered, centered).reduce(
                    .mean, axes: axes, keepDims: false)
                let y = try Tensor.batchNorm(
                    x, scale: inputs.required(1), bias: inputs.required(2), mean: batchMean.cast(to: x.dtype),
                    variance: batchVariance.cast(to: x.dtype), epsilon: epsilon)
                func running(_ input: Tensor, _ batch: Tensor) throws -> Tensor {
                    let kept = try Tensor.binary(.mul, input.cast(to: .float64), Tensor(scalar: momentum))
                    return try Tensor.binary(.add, kept, Tensor.binary(.mul, batch, Tensor(scalar: 1 - momentum))).cast(
                        to: input.dtype)
                }
                return [y, try running(inputs.required(3), batchMean), try running(inputs.required(4), batchVariance)]
            }
        }
        return ClosureOperator { inputs in
            [
                try Tensor.batchNorm(
                    inputs.required(0), scale: inputs.required(1),
                    bias: inputs.required(2), mean: inputs.required(3),
                    variance: inputs.required(4), epsilon: epsilon)
            ]
        }
    }
    registry.register("LayerNormalization", since: [17]) { attributes in
        let axis = attributes.int("axis", default: -1), epsilon = attributes.float("epsilon", default: 1e-5)
        return ClosureOperator { inputs in
            let result = try Tensor.layerNorm(
                inputs.required(0), axis: axis, scale: inputs.optional(1),
                bias: inputs.optional(2), epsilon: epsilon)
            return [result.output, result.mean, result.inverseStdDev]
        }
    }
    registry.register("RMSNormalization", since: [23]) { attributes in
        let axis = attributes.int("axis", default: -1), epsilon = attributes.float("epsilon", default: 1e-5)
        return ClosureOperator { inputs in
            [try Tensor.rmsNorm(inputs.required(0), axis: axis, scale: inputs.optional(1), epsilon: epsilon)]
        }
    }
    registry.register("InstanceNormalization", since: [1, 6, 22]) { attributes in
        let epsilon = attributes.float("epsilon", default: 1e-5)
        return ClosureOperator { inputs in
            [
                try Tensor.instanceNorm(
                    inputs.required(0), scale: inputs.required(1),
                    bias: inputs.required(2), epsilon: epsilon)
            ]
        }
    }
}

/// MeanVarianceNormalization, as its ONNX function body computes it:
/// `(X - mean) / (sqrt(mean(X²) - mean²) + 1e-9)` over `axes` (default [0, 2, 3]).
func registerMeanVarianceNormalization(_ registry: inout OperatorRegistry) {
    registry.register("MeanVarianceNormalization", since: [9, 13]) { attributes in
        let axes = attributes.ints("axes") ?? [0, 2, 3]
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            let mean = try x.reduce(.mean, axes: axes, keepDims: true)
            let two = try Tensor(scalar: Float(2)).cast(to: x.dtype)
            let meanOfSquares = try Tensor.binary(.pow, x, two).reduce(.mean, axes: axes, keepDims: true)
            let variance = try Tensor.binary(.sub, meanOfSquares, Tensor.binary(.pow, mean, two))
            let deviation = try Tensor.binary(
                .add, variance.unary(.sqrt), Tensor(scalar: Float(1e-9)).cast(to: x.dtype))
            return [try Tensor.binary(.div, Tensor.binary(.sub, x, mean), deviation)]
        }
    }
}
