import Foundation
import TensorCore

/// ai.onnx.preview.training Adagrad, Adam and Momentum (standard and Nesterov): one update step of
/// each of the N tensors X given learning rate R, step T, gradients G and the optimiser state.
/// Inputs: R, T, X1..XN, G1..GN, then the state tensors per kind; outputs: new X1..XN, then new state.
func registerOptimizers(_ registry: inout OperatorRegistry) {
    let domain = "ai.onnx.preview.training"
    /// Runs `update` element by element (in float64) on each of the N groups of `perGroup` inputs.
    func optimizer(
        _ name: String, perGroup: Int,
        _ make: @escaping @Sendable (NodeAttributes) -> @Sendable (Double, Int, [Double]) -> [Double]
    ) {
        registry.register(name, domain: domain, since: [1]) { attributes in
            let update = make(attributes)
            return ClosureOperator { inputs in
                let rate = try inputs.required(0).scalarDouble(name),
                    step = try inputs.required(1).scalarInt(name)
                let groups = (inputs.count - 2) / perGroup
                guard groups > 0, inputs.count == 2 + groups * perGroup else {
                    throw TensorError.invalidArgument(
                        op: name,
                        reason: "takes R, T and \(perGroup) tensors per optimised input, got \(inputs.count) inputs")
                }
                var outputs = [[Tensor]](repeating: [], count: perGroup - 1)
                for group in 0..<groups {
                    let tensors = try (0..<perGroup).map { try inputs.required(2 + $0 * groups + group) }
                    let x = tensors[0]
                    guard tensors.allSatisfy({ $0.shape == x.shape }) else {
                        throw TensorError.shapeMismatch(
                            op: name, shapes: tensors.map(\.shape),
                            reason: "X, G and the state tensors must share one shape")
                    }
                    let columns = try tensors.map { try $0.cast(to: .float64).scalars(as: Double.self) }
                    var results = [[Double]](repeating: [], count: perGroup - 1)
                    for index in 0..<x.count {
                        let updated = update(rate, step, columns.map { $0[index] })
                        for (slot, value) in updated.enumerated() { results[slot].append(value) }
                    }
                    for slot in 0..<(perGroup - 1) {
                        outputs[slot].append(
                            try Tensor(shape: x.shape, scalars: results[slot]).cast(
                                to: tensors[slot == 0 ? 0 : slot + 1].dtype))
                    }
                }
                return outputs.flatMap { $0 }
            }
        }
    }
    // [x, g, h] -> [x', h']
    optimizer("Adagrad", perGroup: 3) { a in
        let decay = Double(a.float("decay_factor", default: 0)), epsilon = Double(a.float("epsilon", default: 0))
        let norm = Double(a.float("norm_coefficient", default: 0))
        return { rate, step, v in
            let adjusted = rate / (1 + Double(step) * decay)
            let g = norm * v[0] + v[1]
            let h = v[2] + g * g
            return [v[0] - adjusted * g / (h.squareRoot() + epsilon), h]
        }
    }
    // [x, g, v, h] -> [x', v', h']
    optimizer("Adam", perGroup: 4) { a in
        let alpha = Double(a.float("alpha", default: 0.9)), beta = Double(a.float("beta", default: 0.999))
        let epsilon = Double(a.float("epsilon", default: 0)), norm = Double(a.float("norm_coefficient", default: 0))
        let post = Double(a.float("norm_coefficient_post", default: 0))
        return { rate, step, v in
            let g = norm * v[0] + v[1]
            let momentum = alpha * v[2] + (1 - alpha) * g
            let second = beta * v[3] + (1 - beta) * g * g
            let adjusted =
                step > 0 ? rate * (1 - pow(beta, Double(step))).squareRoot() / (1 - pow(alpha, Double(step))) : rate
            let x = v[0] - adjusted * (momentum / (second.squareRoot() + epsilon))
            return [(1 - post) * x, momentum, second]
        }
    }
    // [x, g, v] -> [x', v']
    optimizer("Momentum", perGroup: 3) { a in
        let alpha = Double(a.float("alpha", default: 0)), beta = Double(a.float("beta", default: 0))
        let norm = Double(a.float("norm_coefficient", default: 0)),
            nesterov = a.string("mode", default: "standard") == "nesterov"
        return { rate, step, v in
            let g = norm * v[0] + v[1]
            let velocity = alpha * v[2] + (step > 0 ? beta : 1) * g
            return [v[0] - rate * (nesterov ? g + alpha * velocity : velocity), velocity]
        }
    }
}
