import TensorCore

/// RotaryEmbedding (opset 23): rotates pairs of features by position-dependent angles, either
/// the two halves of the rotated dims (default) or interleaved even/odd features.
func registerRotaryEmbedding(_ registry: inout OperatorRegistry) {
    registry.register("RotaryEmbedding", since: [23]) { attributes in
        let interleaved = attributes.int("interleaved", default: 0) == 1
        let rotaryDim = attributes.int("rotary_embedding_dim", default: 0)
        let numHeads = attributes.int("num_heads", default: 0)
        return ClosureOperator { inputs in
            let op = "RotaryEmbedding"
            let input = try inputs.required(0)
            var cos = try inputs.required(1), sin = try inputs.required(2)
            // Work in [batch, sequence, heads, head_size].
            var x: Tensor
            if input.rank == 4 {
                x = try input.permuted([0, 2, 1, 3])
            } else if input.rank == 3 {
                guard numHeads > 0, input.shape[2] % numHeads == 0 else {
                    throw TensorError.invalidArgument(
                        op: op, reason: "3-D input \(input.shape) needs num_heads dividing its hidden size")
                }
                x = try input.reshaped([input.shape[0], input.shape[1], numHeads, input.shape[2] / numHeads])
            } else {
                throw TensorError.shapeMismatch(op: op, shapes: [input.shape], reason: "input must be 3-D or 4-D")
            }
            let headSize = x.shape[3]
            let dim = rotaryDim == 0 ? headSize : rotaryDim
            guard dim % 2 == 0, dim <= headSize else {
                throw TensorError.invalidArgument(
                    op: op, reason: "rotary_embedding_dim \(dim) must be even and at most the head size \(headSize)")
            }
            if let positions = inputs.optional(3) {
                cos = try cos.gather(indices: positions, axis: 0)
                sin = try sin.gather(indices: positions, axis: 0)
            }
            guard cos.shape.last == dim / 2, sin.shape.last == dim / 2 else {
                throw TensorError.shapeMismatch(
                    op: op, shapes: [cos.shape, sin.shape],
                    reason: "cos and sin caches must end in rotary_embedding_dim / 2 = \(dim / 2)")
            }
            cos = try cos.unsqueezed(axes: [2])
            sin = try sin.unsqueezed(axes: [2])
            let rotated = try x.sliced(axis: 3, start: 0, end: dim)
            let first =
                interleaved
                ? try rotated.sliced(axis: 3, start: 0, end: dim, step: 2)
                : try rotated.sliced(axis: 3, start: 0, end: dim / 2)
            let second =
                interleaved
                ? try rotated.sliced(axis: 3, start: 1, end: dim, step: 2)
                : try rotated.sliced(axis: 3, start: dim / 2, end: dim)
            let real = try Tensor.binary(.sub, Tensor.binary(.mul, cos, first), Tensor.binary(.mul, sin, second))
            let imaginary = try Tensor.binary(.add, Tensor.binary(.mul, sin, first), Tensor.binary(.mul, cos, second))
            var result: Tensor
            if interleaved {
                let pairs = try Tensor.concat([real.unsqueezed(axes: [4]), imaginary.unsqueezed(axes: [4])], axis: 4)
                result = try pairs.reshaped(Array(rotated.shape))
            } else {
                result = try Tensor.concat([real, imaginary], axis: 3)
            }
            if dim < headSize {
                result = try Tensor.concat([result, x.sliced(axis: 3, start: dim, end: headSize)], axis: 3)
            }
            return [input.rank == 3 ? try result.reshaped(input.shape) : try result.transposed([0, 2, 1, 3])]
        }
    }
}
