extension Tensor {
    /// Transposed convolution (ONNX ConvTranspose) of `input` `[N, C, spatial...]` with `weight`
    /// `[C, M/groups, k...]`: each input element scatters `weight`-scaled copies into the output.
    /// `outputShape` is the spatial output size; `pads` hold all begins then all ends. float32
    /// (other float types through float32); sgemm then col2im.
    public static func convTranspose(
        _ input: Tensor, weight: Tensor, bias: Tensor? = nil, outputShape: [Int], strides: [Int],
        pads: [Int], dilations: [Int], groups: Int = 1
    ) throws(TensorError) -> Tensor {
        let op = "conv_transpose"
        guard input.dtype.isFloatingPoint, weight.dtype == input.dtype else {
            throw .dtypeMismatch(op: op, dtypes: [input.dtype, weight.dtype])
        }
        if input.dtype != .float32 {
            return try convTranspose(
                input.cast(to: .float32), weight: weight.cast(to: .float32), bias: bias?.cast(to: .float32),
                outputShape: outputShape,
                strides: strides, pads: pads, dilations: dilations, groups: groups
            ).cast(to: input.dtype)
        }
        let rank = input.rank - 2
        guard rank >= 1, weight.rank == input.rank, groups > 0, input.shape[1] == weight.shape[0],
            input.shape[1] % groups == 0,
            outputShape.count == rank, strides.count == rank, dilations.count == rank, pads.count == 2 * rank
        else {
            throw .shapeMismatch(
                op: op, shapes: [input.shape, weight.shape],
                reason:
                    "input [N, C, ...] and weight [C, M/groups, k...] of one rank, with \(rank) strides, dilations, output dims and 2x pads"
            )
        }
        let (n, c) = (input.shape[0], input.shape[1])
        let mg = weight.shape[1], m = mg * groups, cg = c / groups
        if let bias, bias.count != m {
            throw .shapeMismatch(op: op, shapes: [bias.shape], reason: "bias must have \(m) elements")
        }
        // The transposed view: output positions play the role of a convolution's input.
        let geometry = WindowIndexing(
            input: outputShape, output: Array(input.shape.dropFirst(2)), kernel: Array(weight.shape.dropFirst(2)),
            strides: strides, dilations: dilations, padsBegin: Array(pads.prefix(rank)))
        let table = geometry.sourceTable()
        let kernelSize = geometry.kernelSize, inSpatial = geometry.outputSize, outSpatial = geometry.inputSize
        guard mg * kernelSize <= Int(Int32.max), inSpatial <= Int(Int32.max), cg <= Int(Int32.max) else {
            throw .tooLarge(op: op, shape: input.shape)
        }
        let output = try Tensor(zeros: [n, m] + outputShape, dtype: .float32)
        let x = input.contiguous(), w = weight.contiguous()
        defer { withExtendedLifetime((x, w)) {} }
        let biasValues = try bias.map { b throws(TensorError) in try b.contiguousFloats(op: op) }
        guard let out = output.mutableBaseAddress?.assumingMemoryBound(to: Float.self), output.count > 0 else {
            return output
        }
        guard let px = x.baseAddress?.assumingMemoryBound(to: Float.self),
            let pw = w.baseAddress?.assumingMemoryBound(to: Float.self)
        else {
            return output
        }
        var columns = [Float](repeating: 0, count: mg * kernelSize * inSpatial)
        for batch in 0..<n {
            for group in 0..<groups {
                let source = px + (batch * c + group * cg) * inSpatial
                let kernel = pw + group * cg * mg * kernelSize
                columns.withUnsafeMutableBufferPointer { buffer in
                    guard let cols = buffer.baseAddress else { return }
                    // cols[mg * K, inSpatial] = W_g^T [mg * K, cg] x X_g [cg, inSpatial]
                    ParallelGemm.gemm(
                        transA: true, transB: false, m: mg * kernelSize, n: inSpatial, k: cg, a: kernel,
                        lda: mg * kernelSize,
                        b: source, ldb: inSpatial, c: cols, ldc: inSpatial)
                    for channel in 0..<mg {
                        let target = out + (batch * m + group * mg + channel) * outSpatial
                        for tap in 0..<kernelSize {
                            let row = cols + (channel * kernelSize + tap) * inSpatial
                            let sources = tap * inSpatial
                            for position in 0..<inSpatial {
                                let destination = table[sources + position]
                                if destination >= 0 { target[destination] += row[position] }
                            }
                        }
                    }
                }
            }
        }
        if let biasValues {
            for item in 0..<(n * m) {
                let value = biasValues[item % m]
                for i in 0..<outSpatial { out[item * outSpatial + i] += value }
            }
        }
        return output
    }
}
