import TensorCore

/// CausalConvWithState (opset 27): a depthwise causal 1-D convolution over `[B, C, L]` with a
/// carried state: the last `k - 1` inputs of the previous call (`past_state`, zeros when absent)
/// are prepended, the convolution runs without padding, optional SiLU ("silu"/"swish") follows,
/// and the last `k - 1` padded inputs become `present_state`.
func registerCausalConvWithState(_ registry: inout OperatorRegistry) {
    registry.register("CausalConvWithState", since: [27]) { attributes in
        let activation = attributes.string("activation", default: "none")
        guard ["none", "silu", "swish"].contains(activation) else {
            throw attributes.error("activation must be none, silu or swish, got '\(activation)'")
        }
        return ClosureOperator { inputs in
            let x = try inputs.required(0), w = try inputs.required(1)
            guard x.rank == 3, w.rank == 3, w.shape[0] == x.shape[1], w.shape[1] == 1, w.shape[2] >= 1 else {
                throw TensorError.shapeMismatch(
                    op: inputs.op, shapes: [x.shape, w.shape], reason: "needs input [B, C, L] and weight [C, 1, k]")
            }
            let (batch, channels, k) = (x.shape[0], x.shape[1], w.shape[2])
            let past = try inputs.optional(3) ?? Tensor(zeros: [batch, channels, k - 1], dtype: x.dtype)
            guard past.shape == [batch, channels, k - 1] else {
                throw TensorError.shapeMismatch(
                    op: inputs.op, shapes: [past.shape], reason: "past_state must be [\(batch), \(channels), \(k - 1)]")
            }
            let padded = try Tensor.concat([past, x], axis: 2)
            var y = try Tensor.conv(padded, weight: w, bias: inputs.optional(2), groups: channels)
            if activation != "none" {
                let wide = try y.cast(to: .float32)
                y = try Tensor.binary(.mul, wide, wide.unary(.sigmoid)).cast(to: x.dtype)
            }
            let total = padded.shape[2]
            return [y, try padded.sliced(axis: 2, start: total - (k - 1), end: total).contiguous()]
        }
    }
}
