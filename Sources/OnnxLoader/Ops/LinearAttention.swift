import Foundation
import TensorCore

/// LinearAttention (opset 27): recurrent linear attention over `[B, T, heads x dim]` inputs with a
/// `[B, kv_heads, d_k, d_v]` state. Per step the state decays by `exp(decay)` (gated rules), the
/// value is corrected by what the state already holds for the key (delta rules, scaled by beta),
/// `key ⊗ value` is added, and each query head reads `scale x query · state` of its KV head.
func registerLinearAttention(_ registry: inout OperatorRegistry) {
    registry.register("LinearAttention", since: [27]) { attributes in
        let rule = attributes.string("update_rule", default: "gated_delta")
        guard ["linear", "gated", "delta", "gated_delta"].contains(rule) else {
            throw attributes.error("update_rule must be linear, gated, delta or gated_delta, got '\(rule)'")
        }
        guard let queryHeads = attributes.int("q_num_heads"), let kvHeads = attributes.int("kv_num_heads"),
            queryHeads > 0, kvHeads > 0, queryHeads % kvHeads == 0
        else {
            throw attributes.error(
                "q_num_heads and kv_num_heads are required, with q_num_heads a positive multiple of kv_num_heads")
        }
        let gated = rule.hasPrefix("gated"), delta = rule.hasSuffix("delta")
        let scaleAttribute = attributes.float("scale", default: 0)
        return ClosureOperator { inputs in
            let op = "LinearAttention"
            let query = try inputs.required(0), key = try inputs.required(1), value = try inputs.required(2)
            guard query.rank == 3, key.rank == 3, value.rank == 3, key.shape[0] == query.shape[0],
                value.shape[0] == query.shape[0],
                key.shape[1] == query.shape[1], value.shape[1] == query.shape[1],
                query.shape[2] % queryHeads == 0, key.shape[2] % kvHeads == 0, value.shape[2] % kvHeads == 0,
                key.shape[2] / kvHeads == query.shape[2] / queryHeads
            else {
                throw TensorError.shapeMismatch(
                    op: op, shapes: [query.shape, key.shape, value.shape],
                    reason: "query, key and value must be [B, T, heads x dim] with matching batch, length and key dim")
            }
            let (batch, steps) = (query.shape[0], query.shape[1])
            let dk = query.shape[2] / queryHeads, dv = value.shape[2] / kvHeads, group = queryHeads / kvHeads
            let decayTensor = inputs.optional(4), betaTensor = inputs.optional(5)
            guard (decayTensor != nil) == gated, (betaTensor != nil) == delta else {
                throw TensorError.invalidArgument(
                    op: op,
                    reason:
                        "update_rule '\(rule)' \(gated ? "requires" : "forbids") decay and \(delta ? "requires" : "forbids") beta"
                )
            }
            let decayWidth = decayTensor?.shape.last ?? 0, betaWidth = betaTensor?.shape.last ?? 0
            if let decayTensor,
                decayTensor.shape != [batch, steps, decayWidth] || (decayWidth != kvHeads && decayWidth != kvHeads * dk)
            {
                throw TensorError.shapeMismatch(
                    op: op, shapes: [decayTensor.shape],
                    reason: "decay must be [B, T, kv_heads] or [B, T, kv_heads x d_k]")
            }
            if let betaTensor,
                betaTensor.shape != [batch, steps, betaWidth] || (betaWidth != kvHeads && betaWidth != 1)
            {
                throw TensorError.shapeMismatch(
                    op: op, shapes: [betaTensor.shape], reason: "beta must be [B, T, kv_heads] or [B, T, 1]")
            }
            let past = inputs.optional(3)
            if let past, past.shape != [batch, kvHeads, dk, dv] {
                throw TensorError.shapeMismatch(
                    op: op, shapes: [past.shape], reason: "past_state must be [\(batch), \(kvHeads), \(dk), \(dv)]")
            }
            let q = try query.cast(to: .float32).scalars(as: Float.self),
                k = try key.cast(to: .float32).scalars(as: Float.self)
            let v = try value.cast(to: .float32).scalars(as: Float.self)
            let decay = try decayTensor.map { try $0.cast(to: .float32).scalars(as: Float.self) } ?? []
            let beta = try betaTensor.map { try $0.cast(to: .float32).scalars(as: Float.self) } ?? []
            var state =
                try past.map { try $0.cast(to: .float32).scalars(as: Float.self) }
                ?? [Float](repeating: 0, count: batch * kvHeads * dk * dv)
            let scale = scaleAttribute == 0 ? 1 / Float(dk).squareRoot() : scaleAttribute
            var output = [Float](repeating: 0, count: batch * steps * queryHeads * dv)
            var corrected = [Float](repeating: 0, count: dv)
            for b in 0..<batch {
                for t in 0..<steps {
                    let row = b * steps + t
                    for h in 0..<kvHeads {
                        let s = (b * kvHeads + h) * dk * dv
                        let keyRow = row * kvHeads * dk + h * dk, valueRow = row * kvHeads * dv + h * dv
                        if gated {
                            for d in 0..<dk {
                                let factor = Float(
                                    exp(
                                        Double(
                                            decayWidth == kvHeads
                                                ? decay[row * kvHeads + h] : decay[row * kvHeads * dk + h * dk + d])))
                                for m in 0..<dv { state[s + d * dv + m] *= factor }
                            }
                        }
                        for m in 0..<dv { corrected[m] = v[valueRow + m] }
                        if delta {
                            let weight = beta[row * betaWidth + (betaWidth == 1 ? 0 : h)]
                            for m in 0..<dv {
                                var retrieved: Float = 0
                                for d in 0..<dk { retrieved += state[s + d * dv + m] * k[keyRow + d] }
                                corrected[m] = weight * (corrected[m] - retrieved)
                            }
                        }
                        for d in 0..<dk {
                            let kd = k[keyRow + d]
                            for m in 0..<dv { state[s + d * dv + m] += kd * corrected[m] }
                        }
                    }
                    for j in 0..<queryHeads {
                        let s = (b * kvHeads + j / group) * dk * dv, queryRow = row * queryHeads * dk + j * dk
                        for m in 0..<dv {
                            var sum: Float = 0
                            for d in 0..<dk { sum += q[queryRow + d] * state[s + d * dv + m] }
                            output[row * queryHeads * dv + j * dv + m] = scale * sum
                        }
                    }
                }
            }
            return [
                try Tensor(shape: [batch, steps, queryHeads * dv], scalars: output).cast(to: query.dtype),
                try Tensor(shape: [batch, kvHeads, dk, dv], scalars: state).cast(to: past?.dtype ?? query.dtype),
            ]
        }
    }
}
