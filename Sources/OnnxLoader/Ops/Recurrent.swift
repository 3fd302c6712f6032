import Foundation
import TensorCore

/// RNN, GRU and LSTM (ONNX layouts 0 and 1, forward/reverse/bidirectional, sequence lengths, initial
/// states, biases, LSTM peepholes and input-forget coupling, GRU's linear_before_reset, clipping,
/// and the activation functions the spec names), computed in double precision.
func registerRecurrent(_ registry: inout OperatorRegistry) {
    for (name, kind) in [("RNN", RecurrentKind.rnn), ("GRU", .gru), ("LSTM", .lstm)] {
        registry.register(name, since: [1, 3, 7, 14, 22]) { attributes in
            let hidden = attributes.int("hidden_size", default: 0)
            let direction = attributes.string("direction", default: "forward")
            guard ["forward", "reverse", "bidirectional"].contains(direction) else {
                throw attributes.error("unknown direction '\(direction)'")
            }
            var names: [String] = []
            if case let .strings(values)? = attributes.node.attributes["activations"] {
                names = values.map { String(decoding: $0, as: UTF8.self) }
            }
            let alphas = attributes.floats("activation_alpha") ?? [], betas = attributes.floats("activation_beta") ?? []
            let perDirection = kind.defaultActivations.count
            var activations: [RecurrentActivation] = []
            for index in 0..<(perDirection * (direction == "bidirectional" ? 2 : 1)) {
                let activationName = index < names.count ? names[index] : kind.defaultActivations[index % perDirection]
                guard
                    let activation = RecurrentActivation(
                        name: activationName, alpha: index < alphas.count ? Double(alphas[index]) : nil,
                        beta: index < betas.count ? Double(betas[index]) : nil)
                else {
                    throw attributes.error("unknown activation '\(activationName)'")
                }
                activations.append(activation)
            }
            let settings = RecurrentSettings(
                kind: kind, hidden: hidden, reverseFirst: direction == "reverse",
                bidirectional: direction == "bidirectional",
                activations: activations, clip: attributes.float("clip").map { Double($0) },
                layout: attributes.int("layout", default: 0),
                inputForget: attributes.int("input_forget", default: 0) == 1,
                linearBeforeReset: attributes.int("linear_before_reset", default: 0) == 1)
            return ClosureOperator { inputs in try settings.run(inputs) }
        }
    }
}

enum RecurrentKind {
    case rnn, gru, lstm
    var gates: Int {
        switch self {
        case .rnn: 1
        case .gru: 3
        case .lstm: 4
        }
    }
    var defaultActivations: [String] {
        switch self {
        case .rnn: ["Tanh"]
        case .gru: ["Sigmoid", "Tanh"]
        case .lstm: ["Sigmoid", "Tanh", "Tanh"]
        }
    }
}

/// One of the activation functions recurrent ops accept, with its alpha and beta.
struct RecurrentActivation {
    let apply: @Sendable (Double) -> Double

    init?(name: String, alpha: Double?, beta: Double?) {
        switch name.lowercased() {
        case "sigmoid": apply = { 1 / (1 + exp(-$0)) }
        case "tanh": apply = { tanh($0) }
        case "relu": apply = { max($0, 0) }
        case "affine":
            let a = alpha ?? 1, b = beta ?? 0
            apply = { a * $0 + b }
        case "leakyrelu":
            let a = alpha ?? 0.01
            apply = { $0 >= 0 ? $0 : a * $0 }
        case "thresholdedrelu":
            let a = alpha ?? 1
            apply = { $0 > a ? $0 : 0 }
        case "scaledtanh":
            let a = alpha ?? 1, b = beta ?? 1
            apply = { a * tanh(b * $0) }
        case "hardsigmoid":
            let a = alpha ?? 0.2, b = beta ?? 0.5
            apply = { min(max(a * $0 + b, 0), 1) }
        case "elu":
            let a = alpha ?? 1
            apply = { $0 >= 0 ? $0 : a * (exp($0) - 1) }
        case "softsign": apply = { $0 / (1 + abs($0)) }
        case "softplus": apply = { log(1 + exp($0)) }
        default: return nil
        }
    }
}

struct RecurrentSettings: Sendable {
    let kind: RecurrentKind
    let hidden: Int
    let reverseFirst: Bool
    let bidirectional: Bool
    let activations: [RecurrentActivation]
    let clip: Double?
    let layout: Int
    let inputForget: Bool
    let linearBeforeReset: Bool

    func run(_ inputs: OpInputs) throws -> [Tensor] {
        let op = inputs.op
        let x = try inputs.required(0), w = try inputs.required(1), r = try inputs.required(2)
        let directions = bidirectional ? 2 : 1
        let gates = kind.gates
        guard x.rank == 3, w.rank == 3, r.rank == 3, w.shape[0] == directions, w.shape[1] == gates * hidden,
            r.shape[1] == gates * hidden,
            r.shape[2] == hidden, hidden > 0
        else {
            throw TensorError.shapeMismatch(
                op: op, shapes: [x.shape, w.shape, r.shape],
                reason: "X, W, R do not match hidden_size \(hidden) and the direction")
        }
        let (steps, batch) = layout == 0 ? (x.shape[0], x.shape[1]) : (x.shape[1], x.shape[0])
        let inputSize = x.shape[2]
        guard w.shape[2] == inputSize else {
            throw TensorError.shapeMismatch(
                op: op, shapes: [x.shape, w.shape], reason: "W's input size differs from X's")
        }
        let xs = try x.cast(to: .float64).scalars(as: Double.self)
        let ws = try w.cast(to: .float64).scalars(as: Double.self),
            rs = try r.cast(to: .float64).scalars(as: Double.self)
        let bs =
            try inputs.optional(3).map { try $0.cast(to: .float64).scalars(as: Double.self) }
            ?? [Double](repeating: 0, count: directions * 2 * gates * hidden)
        let lengths = try inputs.optional(4).map { try $0.intValues(op) } ?? [Int](repeating: steps, count: batch)
        let initialH = try inputs.optional(5).map { try $0.cast(to: .float64).scalars(as: Double.self) }
        let initialC =
            kind == .lstm ? try inputs.optional(6).map { try $0.cast(to: .float64).scalars(as: Double.self) } : nil
        let peepholes =
            kind == .lstm ? try inputs.optional(7).map { try $0.cast(to: .float64).scalars(as: Double.self) } : nil
        guard bs.count == directions * 2 * gates * hidden, lengths.count == batch,
            initialH.map({ $0.count == directions * batch * hidden }) ?? true,
            initialC.map({ $0.count == directions * batch * hidden }) ?? true,
            peepholes.map({ $0.count == directions * 3 * hidden }) ?? true
        else {
            throw TensorError.shapeMismatch(
                op: op, shapes: [x.shape], reason: "B, sequence_lens, initial_h/initial_c or P has the wrong size")
        }
        // Y as [steps, directions, batch, hidden]; states as [directions, batch, hidden].
        var y = [Double](repeating: 0, count: steps * directions * batch * hidden)
        var finalH = [Double](repeating: 0, count: directions * batch * hidden)
        var finalC = [Double](repeating: 0, count: directions * batch * hidden)
        func input(_ t: Int, _ b: Int, _ i: Int) -> Double {
            layout == 0 ? xs[(t * batch + b) * inputSize + i] : xs[(b * steps + t) * inputSize + i]
        }
        func clipped(_ value: Double) -> Double { clip.map { min(max(value, -$0), $0) } ?? value }
        for direction in 0..<directions {
            let reverse = bidirectional ? direction == 1 : reverseFirst
            let f = activations[direction * kind.defaultActivations.count]
            let g = kind.defaultActivations.count > 1 ? activations[direction * kind.defaultActivations.count + 1] : f
            let h = kind.defaultActivations.count > 2 ? activations[direction * kind.defaultActivations.count + 2] : g
            let wOffset = direction * gates * hidden * inputSize, rOffset = direction * gates * hidden * hidden
            let bOffset = direction * 2 * gates * hidden
            for b in 0..<batch {
                let length = max(0, min(lengths[b], steps))
                var state = (0..<hidden).map { initialH?[(direction * batch + b) * hidden + $0] ?? 0 }
                var cell = (0..<hidden).map { initialC?[(direction * batch + b) * hidden + $0] ?? 0 }
                for step in 0..<length {
                    let t = reverse ? length - 1 - step : step
                    // Per gate row: X W^T + W bias, and H R^T + R bias, kept apart (GRU needs them apart).
                    var fromInput = [Double](repeating: 0, count: gates * hidden),
                        fromState = [Double](repeating: 0, count: gates * hidden)
                    for row in 0..<(gates * hidden) {
                        var sum = bs[bOffset + row]
                        for i in 0..<inputSize { sum += input(t, b, i) * ws[wOffset + row * inputSize + i] }
                        fromInput[row] = sum
                        var recurrent = bs[bOffset + gates * hidden + row]
                        for k in 0..<hidden { recurrent += state[k] * rs[rOffset + row * hidden + k] }
                        fromState[row] = recurrent
                    }
                    var next = state
                    switch kind {
                    case .rnn:
                        for k in 0..<hidden { next[k] = f.apply(clipped(fromInput[k] + fromState[k])) }
                    case .gru:
                        let resetGates = (0..<hidden).map {
                            f.apply(clipped(fromInput[hidden + $0] + fromState[hidden + $0]))
                        }
                        for k in 0..<hidden {
                            let z = f.apply(clipped(fromInput[k] + fromState[k]))
                            let reset = resetGates[k]
                            var candidate: Double
                            if linearBeforeReset {
                                candidate = fromInput[2 * hidden + k] + reset * fromState[2 * hidden + k]
                            } else {
                                // (r . H) R_h^T + R_bh, with the reset applied to the state first.
                                var sum = bs[bOffset + gates * hidden + 2 * hidden + k]
                                for j in 0..<hidden {
                                    sum += resetGates[j] * state[j] * rs[rOffset + (2 * hidden + k) * hidden + j]
                                }
                                candidate = fromInput[2 * hidden + k] + sum
                            }
                            candidate = g.apply(clipped(candidate))
                            next[k] = (1 - z) * candidate + z * state[k]
                        }
                    case .lstm:
                        var nextCell = cell
                        let pOffset = direction * 3 * hidden
                        for k in 0..<hidden {
                            let pi = peepholes?[pOffset + k] ?? 0, po = peepholes?[pOffset + hidden + k] ?? 0,
                                pf = peepholes?[pOffset + 2 * hidden + k] ?? 0
                            let i = f.apply(clipped(fromInput[k] + fromState[k] + pi * cell[k]))
                            let forget =
                                inputForget
                                ? 1 - i
                                : f.apply(clipped(fromInput[2 * hidden + k] + fromState[2 * hidden + k] + pf * cell[k]))
                            let c = g.apply(clipped(fromInput[3 * hidden + k] + fromState[3 * hidden + k]))
                            nextCell[k] = forget * cell[k] + i * c
                            let o = f.apply(clipped(fromInput[hidden + k] + fromState[hidden + k] + po * nextCell[k]))
                            next[k] = o * h.apply(nextCell[k])
                        }
                        cell = nextCell
                    }
                    state = next
                    for k in 0..<hidden { y[((t * directions + direction) * batch + b) * hidden + k] = state[k] }
                }
                for k in 0..<hidden {
                    finalH[(direction * batch + b) * hidden + k] = state[k]
                    finalC[(direction * batch + b) * hidden + k] = cell[k]
                }
            }
        }
        let dtype = x.dtype
        var outputs: [Tensor] = []
        if layout == 0 {
            outputs.append(try Tensor(shape: [steps, directions, batch, hidden], scalars: y).cast(to: dtype))
            outputs.append(try Tensor(shape: [directions, batch, hidden], scalars: finalH).cast(to: dtype))
            if kind == .lstm {
                outputs.append(try Tensor(shape: [directions, batch, hidden], scalars: finalC).cast(to: dtype))
            }
        } else {
            // [batch, steps, directions, hidden] and [batch, directions, hidden].
            var yb = [Double](repeating: 0, count: y.count)
            for t in 0..<steps {
                for d in 0..<directions {
                    for b in 0..<batch {
                        for k in 0..<hidden {
                            yb[((b * steps + t) * directions + d) * hidden + k] =
                                y[((t * directions + d) * batch + b) * hidden + k]
                        }
                    }
                }
            }
            func batchFirst(_ state: [Double]) -> [Double] {
                var result = state
                for d in 0..<directions {
                    for b in 0..<batch {
                        for k in 0..<hidden {
                            result[(b * directions + d) * hidden + k] = state[(d * batch + b) * hidden + k]
                        }
                    }
                }
                return result
            }
            outputs.append(try Tensor(shape: [batch, steps, directions, hidden], scalars: yb).cast(to: dtype))
            outputs.append(try Tensor(shape: [batch, directions, hidden], scalars: batchFirst(finalH)).cast(to: dtype))
            if kind == .lstm {
                outputs.append(
                    try Tensor(shape: [batch, directions, hidden], scalars: batchFirst(finalC)).cast(to: dtype))
            }
        }
        return outputs
    }
}
