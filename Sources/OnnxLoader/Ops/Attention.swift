import TensorCore

/// Attention (opset 23): scaled dot-product attention with optional mask, causal masking,
/// key/value cache, grouped-query heads and softcap.
func registerAttention(_ registry: inout OperatorRegistry) {
    registry.register("Attention", since: [23]) { attributes in
        let settings = AttentionSettings(
            scale: attributes.float("scale"), isCausal: attributes.int("is_causal", default: 0) == 1,
            qHeads: attributes.int("q_num_heads"), kvHeads: attributes.int("kv_num_heads"),
            softcap: attributes.float("softcap", default: 0),
            qkOutputMode: attributes.int("qk_matmul_output_mode", default: 0),
            leftWindow: attributes.int("left_window_size", default: -1),
            rightWindow: attributes.int("right_window_size", default: -1))
        return ClosureOperator { inputs in try settings.run(inputs) }
    }
}

struct AttentionSettings: Sendable {
    let scale: Float?
    let isCausal: Bool
    let qHeads: Int?
    let kvHeads: Int?
    let softcap: Float
    let qkOutputMode: Int
    /// Sliding window: a query at absolute position p sees keys in [p - left, p + right] (-1: unbounded).
    let leftWindow: Int
    let rightWindow: Int

    func run(_ inputs: OpInputs) throws -> [Tensor] {
        let op = "Attention"
        var q = try inputs.required(0), k = try inputs.required(1), v = try inputs.required(2)
        let threeD = q.rank == 3
        guard q.rank == k.rank, k.rank == v.rank, q.rank == 3 || q.rank == 4 else {
            throw TensorError.shapeMismatch(
                op: op, shapes: [q.shape, k.shape, v.shape], reason: "Q, K and V must all be 3-D or all 4-D")
        }
        if threeD {
            guard let qHeads, let kvHeads, qHeads > 0, kvHeads > 0 else {
                throw TensorError.invalidArgument(op: op, reason: "3-D inputs need q_num_heads and kv_num_heads")
            }
            q = try Self.splitHeads(q, heads: qHeads)
            k = try Self.splitHeads(k, heads: kvHeads)
            v = try Self.splitHeads(v, heads: kvHeads)
        }
        let scaleValue = scale ?? 1 / Float(q.shape[3]).squareRoot()
        let root = try Tensor(scalar: scaleValue.squareRoot()).cast(to: q.dtype)
        let pastKey = inputs.optional(4), pastValue = inputs.optional(5)
        let presentKey = try pastKey.map { try Tensor.concat([$0, k], axis: 2) } ?? k
        let presentValue = try pastValue.map { try Tensor.concat([$0, v], axis: 2) } ?? v
        let queryLength = q.shape[2], keyLength = presentKey.shape[2]
        let pastLength = pastKey?.shape[2] ?? 0

        // Additive bias [.., q, kv]: the mask (bool: false -> -inf), then the causal frontier.
        var bias = try Tensor(zeros: [queryLength, keyLength], dtype: q.dtype)
        if var mask = inputs.optional(3) {
            let padding = keyLength - (mask.shape.last ?? keyLength)
            if padding > 0 {
                var pads = [Int](repeating: 0, count: 2 * mask.rank)
                pads[2 * mask.rank - 1] = padding
                let fill =
                    mask.dtype == .bool
                    ? Tensor(scalar: false) : try Tensor(scalar: -Float.infinity).cast(to: mask.dtype)
                mask = try mask.padded(pads, value: fill)
            }
            if mask.dtype == .bool {
                mask = try Tensor.select(
                    mask, Tensor(zeros: [], dtype: q.dtype), Tensor(scalar: -Float.infinity).cast(to: q.dtype))
            }
            bias = try Tensor.binary(.add, bias, mask.cast(to: q.dtype))
        }
        // Causal frontier, sliding window and key padding, per batch when nonpad_kv_seqlen gives
        // each batch's valid key count (the query block then ends at that count).
        let validKeys = try inputs.optional(6).map { try $0.intValues(op) }
        if let validKeys, validKeys.count != q.shape[0] {
            throw TensorError.shapeMismatch(
                op: op, shapes: [validKeys.map { _ in 1 }, q.shape],
                reason: "nonpad_kv_seqlen needs one count per batch")
        }
        if isCausal || leftWindow >= 0 || rightWindow >= 0 || validKeys != nil {
            let batches = validKeys?.count ?? 1
            var allowed = [Bool](repeating: true, count: batches * queryLength * keyLength)
            for b in 0..<batches {
                let offset = validKeys.map { $0[b] - queryLength } ?? pastLength
                for i in 0..<queryLength {
                    for j in 0..<keyLength {
                        let distance = i + offset - j
                        var ok = true
                        if isCausal && distance < 0 { ok = false }
                        if leftWindow >= 0 && distance > leftWindow { ok = false }
                        if rightWindow >= 0 && -distance > rightWindow { ok = false }
                        if let validKeys, j >= validKeys[b] { ok = false }
                        allowed[(b * queryLength + i) * keyLength + j] = ok
                    }
                }
            }
            let mask = try Tensor(shape: [batches, 1, queryLength, keyLength], scalars: allowed)
            bias = try Tensor.select(mask, bias, Tensor(scalar: -Float.infinity).cast(to: q.dtype))
        }

        // Grouped-query attention: each key/value head serves q_heads / kv_heads query heads.
        var keys = presentKey, values = presentValue
        let queryHeads = q.shape[1], keyHeads = keys.shape[1]
        if queryHeads != keyHeads {
            guard keyHeads > 0, queryHeads % keyHeads == 0 else {
                throw TensorError.shapeMismatch(
                    op: op, shapes: [q.shape, keys.shape], reason: "query heads must be a multiple of key/value heads")
            }
            keys = try Self.repeatHeads(keys, times: queryHeads / keyHeads)
            values = try Self.repeatHeads(values, times: queryHeads / keyHeads)
        }
        var scores = try Tensor.matmul(
            Tensor.binary(.mul, q, root), Tensor.binary(.mul, keys.transposedLastTwo(), root))
        if softcap > 0 {
            let cap = try Tensor(scalar: softcap).cast(to: scores.dtype)
            scores = try Tensor.binary(.mul, Tensor.binary(.div, scores, cap).unary(.tanh), cap)
        }
        var qkOutput = scores
        let biased = try Tensor.binary(.add, scores, bias)
        if qkOutputMode == 2 { qkOutput = biased }
        var weights = try biased.softmax(axis: -1)
        // Rows whose every key is masked attend to nothing (0, not NaN).
        let rowMasked = try Tensor.compare(
            .equal, bias.reduce(.max, axes: [-1], keepDims: true), Tensor(scalar: -Float.infinity).cast(to: bias.dtype))
        weights = try Tensor.select(rowMasked, Tensor(zeros: [], dtype: weights.dtype), weights)
        if qkOutputMode == 3 { qkOutput = weights }
        var output = try Tensor.matmul(weights, values)
        if threeD {
            output = try output.transposed([0, 2, 1, 3])
            output = try output.reshaped([output.shape[0], output.shape[1], -1])
        }
        return [output, presentKey, presentValue, qkOutput]
    }

    /// [batch, sequence, heads * size] -> [batch, heads, sequence, size].
    static func splitHeads(_ x: Tensor, heads: Int) throws -> Tensor {
        guard x.shape[2] % heads == 0 else {
            throw TensorError.shapeMismatch(
                op: "Attention", shapes: [x.shape], reason: "hidden size must divide by \(heads) heads")
        }
        return try x.reshaped([x.shape[0], x.shape[1], heads, x.shape[2] / heads]).permuted([0, 2, 1, 3])
    }

    /// Repeats each head `times` times in place: [b, h, s, d] -> [b, h * times, s, d].
    static func repeatHeads(_ x: Tensor, times: Int) throws -> Tensor {
        let shape = x.shape
        return try x.unsqueezed(axes: [2]).broadcast(to: [shape[0], shape[1], times, shape[2], shape[3]])
            .reshaped([shape[0], shape[1] * times, shape[2], shape[3]])
    }
}
