/// Batch, layer, instance and RMS normalisation (float32; other float types via float32).
extension Tensor {
    /// Inference-mode batch normalisation over channel axis 1:
    /// `(x - mean[c]) / sqrt(variance[c] + epsilon) * scale[c] + bias[c]`.
    public static func batchNorm(
        _ input: Tensor, scale: Tensor, bias: Tensor, mean: Tensor, variance: Tensor, epsilon: Float = 1e-5
    ) throws(TensorError) -> Tensor {
        let op = "batch_norm"
        guard input.rank >= 2 else { throw .shapeMismatch(op: op, shapes: [input.shape], reason: "needs [N, C, ...]") }
        let channels = input.shape[1]
        for parameter in [scale, bias, mean, variance] where parameter.count != channels {
            throw .shapeMismatch(
                op: op, shapes: [input.shape, parameter.shape],
                reason: "per-channel parameters need \(channels) elements")
        }
        let s = try scale.floats(op), b = try bias.floats(op), m = try mean.floats(op), v = try variance.floats(op)
        var multiplier = [Float](repeating: 0, count: channels), shift = [Float](repeating: 0, count: channels)
        for c in 0..<channels {
            multiplier[c] = s[c] / (v[c] + epsilon).squareRoot()
            shift[c] = b[c] - m[c] * multiplier[c]
        }
        let inner = Shape.product(input.shape.dropFirst(2))
        return try input.transformingFloatRows(rowLength: inner, op: op) { row, source, target in
            let c = row % channels
            let a = multiplier[c], d = shift[c]
            for i in 0..<inner { target[i] = source[i] * a + d }
        }
    }

    /// Layer normalisation over the dims from `axis` on; `scale`/`bias` broadcast against those
    /// dims. Returns the result with the per-row mean and inverse standard deviation (keepdims).
    public static func layerNorm(_ input: Tensor, axis: Int = -1, scale: Tensor?, bias: Tensor?, epsilon: Float = 1e-5)
        throws(TensorError) -> (output: Tensor, mean: Tensor, inverseStdDev: Tensor)
    {
        try normalizeRows(
            input, axis: axis, scale: scale, bias: bias, epsilon: epsilon, centered: true, op: "layer_norm")
    }

    /// RMS normalisation over the dims from `axis` on: `x / sqrt(mean(x^2) + epsilon) * scale`.
    public static func rmsNorm(_ input: Tensor, axis: Int = -1, scale: Tensor?, epsilon: Float = 1e-5)
        throws(TensorError) -> Tensor
    {
        try normalizeRows(input, axis: axis, scale: scale, bias: nil, epsilon: epsilon, centered: false, op: "rms_norm")
            .output
    }

    /// Instance normalisation: each `(n, c)` plane normalised over its spatial dims, then
    /// `* scale[c] + bias[c]`.
    public static func instanceNorm(_ input: Tensor, scale: Tensor, bias: Tensor, epsilon: Float = 1e-5)
        throws(TensorError) -> Tensor
    {
        let op = "instance_norm"
        guard input.rank >= 3 else {
            throw .shapeMismatch(op: op, shapes: [input.shape], reason: "needs [N, C, spatial...]")
        }
        let channels = input.shape[1]
        guard scale.count == channels, bias.count == channels else {
            throw .shapeMismatch(
                op: op, shapes: [input.shape, scale.shape, bias.shape],
                reason: "scale and bias need \(channels) elements")
        }
        let s = try scale.floats(op), b = try bias.floats(op)
        let inner = Shape.product(input.shape.dropFirst(2))
        return try input.transformingFloatRows(rowLength: inner, op: op) { row, source, target in
            let (mean, inverse) = meanAndInverseDeviation(source, inner, epsilon, centered: true)
            let c = row % channels
            let a = inverse * s[c], d = b[c] - mean * a
            for i in 0..<inner { target[i] = source[i] * a + d }
        }
    }

    private static func normalizeRows(
        _ input: Tensor, axis: Int, scale: Tensor?, bias: Tensor?, epsilon: Float, centered: Bool, op: String
    ) throws(TensorError) -> (output: Tensor, mean: Tensor, inverseStdDev: Tensor) {
        guard input.dtype.isFloatingPoint else { throw .unsupportedDType(op: op, dtype: input.dtype) }
        let axis = try Shape.normalizeAxis(axis, rank: input.rank, op: op)
        let normalizedShape = Array(input.shape[axis...])
        let inner = Shape.product(normalizedShape)
        let scaleValues = try scale.map { t throws(TensorError) in
            try t.cast(to: .float32).broadcast(to: normalizedShape).contiguous().floats(op)
        }
        let biasValues = try bias.map { t throws(TensorError) in
            try t.cast(to: .float32).broadcast(to: normalizedShape).contiguous().floats(op)
        }
        let statsShape = Array(input.shape[..<axis]) + Array(repeating: 1, count: input.rank - axis)
        var means = try Tensor(zeros: statsShape, dtype: .float32)
        var inverses = try Tensor(zeros: statsShape, dtype: .float32)
        let meanOut = means.mutableBaseAddress?.assumingMemoryBound(to: Float.self)
        let inverseOut = inverses.mutableBaseAddress?.assumingMemoryBound(to: Float.self)
        let output = try input.cast(to: .float32).transformingFloatRows(rowLength: inner, op: op) {
            row, source, target in
            let (mean, inverse) = meanAndInverseDeviation(source, inner, epsilon, centered: centered)
            meanOut?[row] = mean
            inverseOut?[row] = inverse
            for i in 0..<inner {
                var value = (source[i] - mean) * inverse
                if let scaleValues { value *= scaleValues[i] }
                if let biasValues { value += biasValues[i] }
                target[i] = value
            }
        }
        means = try means.cast(to: input.dtype)
        inverses = try inverses.cast(to: input.dtype)
        return (try output.cast(to: input.dtype), means, inverses)
    }

    /// Mean (0 when not `centered`) and 1/sqrt(variance + epsilon) of a row, in double precision.
    @inline(__always)
    private static func meanAndInverseDeviation(
        _ row: UnsafePointer<Float>, _ count: Int, _ epsilon: Float, centered: Bool
    ) -> (Float, Float) {
        guard count > 0 else { return (0, 1 / epsilon.squareRoot()) }
        var sum = 0.0
        if centered { for i in 0..<count { sum += Double(row[i]) } }
        let mean = sum / Double(count)
        var squares = 0.0
        for i in 0..<count {
            let d = Double(row[i]) - mean
            squares += d * d
        }
        let variance = squares / Double(count)
        return (Float(mean), Float(1 / (variance + Double(epsilon)).squareRoot()))
    }

    /// The elements of a float tensor as `[Float]`.
    func floats(_ op: String) throws(TensorError) -> [Float] {
        guard dtype.isFloatingPoint else { throw .unsupportedDType(op: op, dtype: dtype) }
        return try cast(to: .float32).contiguousFloats(op: op)
    }

    /// Applies `body(rowIndex, source, target)` to every contiguous row of `rowLength` floats
    /// (rows in parallel), producing a tensor of this shape and type.
    func transformingFloatRows(
        rowLength: Int, op: String, _ body: (Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) throws(TensorError) -> Tensor {
        guard dtype.isFloatingPoint else { throw .unsupportedDType(op: op, dtype: dtype) }
        if dtype != .float32 {
            return try cast(to: .float32).transformingFloatRows(rowLength: rowLength, op: op, body).cast(to: dtype)
        }
        let source = contiguous()
        defer { withExtendedLifetime(source) {} }
        let output = try Tensor(uninitialized: shape, dtype: .float32, op: op)
        guard rowLength > 0, let input = source.baseAddress?.assumingMemoryBound(to: Float.self),
            let target = output.mutableBaseAddress?.assumingMemoryBound(to: Float.self)
        else { return output }
        let rows = count / rowLength
        ComputePool.parallelRanges(rows, grain: max(1, 8192 / rowLength)) { range in
            for row in range { body(row, input + row * rowLength, target + row * rowLength) }
        }
        return output
    }
}
