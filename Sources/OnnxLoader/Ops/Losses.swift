import TensorCore

/// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (inference-time evaluation).
func registerLosses(_ registry: inout OperatorRegistry) {
    registry.register("NegativeLogLikelihoodLoss", since: [12, 13, 22]) { attributes in
        let reduction = attributes.string("reduction", default: "mean"), ignore = attributes.int("ignore_index")
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            return [
                try negativeLogLikelihood(
                    x, target: inputs.required(1), weight: inputs.optional(2),
                    reduction: reduction, ignoreIndex: ignore, op: inputs.op)
            ]
        }
    }
    registry.register("SoftmaxCrossEntropyLoss", since: [12, 13]) { attributes in
        let reduction = attributes.string("reduction", default: "mean"), ignore = attributes.int("ignore_index")
        return ClosureOperator { inputs in
            let scores = try inputs.required(0)
            guard scores.rank >= 2 else {
                throw TensorError.invalidArgument(op: inputs.op, reason: "scores need [N, C, ...], got \(scores.shape)")
            }
            let logProbabilities = try scores.logSoftmax(axis: 1)
            let loss = try negativeLogLikelihood(
                logProbabilities, target: inputs.required(1), weight: inputs.optional(2),
                reduction: reduction, ignoreIndex: ignore, op: inputs.op)
            return [loss, logProbabilities]
        }
    }
}

/// `-x[n, target[n, d], d]` per element, weighted by `weight[target]`, ignoring `ignoreIndex`,
/// then reduced: "none", "sum", or "mean" (divided by the total weight when weights or an
/// ignore index are given, else by the element count).
func negativeLogLikelihood(
    _ x: Tensor, target: Tensor, weight: Tensor?, reduction: String, ignoreIndex: Int?, op: String
) throws -> Tensor {
    guard x.rank >= 2 else {
        throw TensorError.invalidArgument(op: op, reason: "input needs [N, C, ...], got \(x.shape)")
    }
    let n = x.shape[0], classes = x.shape[1], inner = Shape.product(x.shape.dropFirst(2))
    guard target.count == n * inner else {
        throw TensorError.shapeMismatch(
            op: op, shapes: [x.shape, target.shape], reason: "target must be [N, d1, ...] matching the input")
    }
    let values = try x.cast(to: .float64).scalars(as: Double.self)
    let labels = try target.cast(to: .int64).scalars(as: Int64.self).map { Int($0) }
    let weights = try weight.map { try $0.cast(to: .float64).scalars(as: Double.self) }
    var losses = [Double](repeating: 0, count: n * inner)
    var totalWeight = 0.0
    for i in 0..<n {
        for d in 0..<inner {
            let label = labels[i * inner + d]
            if label == ignoreIndex { continue }
            guard label >= 0, label < classes else {
                throw TensorError.indexOutOfRange(op: op, index: label, bound: classes)
            }
            let w = weights.map { $0[label] } ?? 1
            losses[i * inner + d] = -values[(i * classes + label) * inner + d] * w
            totalWeight += w
        }
    }
    let result: Tensor
    switch reduction {
    case "none": result = try Tensor(shape: target.shape, scalars: losses)
    case "sum": result = Tensor(scalar: losses.reduce(0, +))
    case "mean":
        let weighted = weights != nil || ignoreIndex != nil
        result = Tensor(scalar: losses.reduce(0, +) / (weighted ? totalWeight : Double(losses.count)))
    default: throw TensorError.invalidArgument(op: op, reason: "unknown reduction '\(reduction)'")
    }
    return try result.cast(to: x.dtype)
}
