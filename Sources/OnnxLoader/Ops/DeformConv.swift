import TensorCore

/// DeformConv (2-D): a convolution whose taps are moved by learned offsets (`[N, offset_group x
/// kh x kw x 2, oh, ow]`, (dy, dx) per tap and output position) and scaled by an optional mask;
/// moved taps read the input bilinearly, zero outside it. The sampled taps form an im2col matrix
/// that one product per group multiplies with the weights.
func registerDeformConv(_ registry: inout OperatorRegistry) {
    registry.register("DeformConv", since: [19, 22]) { attributes in
        let groups = attributes.int("group", default: 1), offsetGroups = attributes.int("offset_group", default: 1)
        let stridesAttribute = attributes.ints("strides"), dilationsAttribute = attributes.ints("dilations")
        let padsAttribute = attributes.ints("pads"), kernelAttribute = attributes.ints("kernel_shape")
        return ClosureOperator { inputs in
            let op = "DeformConv"
            let x = try inputs.required(0), w = try inputs.required(1), offset = try inputs.required(2)
            guard x.rank == 4, w.rank == 4, offset.rank == 4 else {
                throw TensorError.shapeMismatch(
                    op: op, shapes: [x.shape, w.shape, offset.shape],
                    reason: "only 2-D deformable convolution: X, W and offset must be rank 4")
            }
            let (n, c, h, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
            let (m, cg) = (w.shape[0], w.shape[1])
            let kernel = kernelAttribute ?? [w.shape[2], w.shape[3]]
            let strides = stridesAttribute ?? [1, 1], dilations = dilationsAttribute ?? [1, 1],
                pads = padsAttribute ?? [0, 0, 0, 0]
            let (kh, kw, oh, ow) = (kernel[0], kernel[1], offset.shape[2], offset.shape[3])
            guard kernel.count == 2, strides.count == 2, dilations.count == 2, pads.count == 4, groups > 0,
                offsetGroups > 0,
                c == cg * groups, m % groups == 0, c % offsetGroups == 0, offset.shape[0] == n,
                offset.shape[1] == offsetGroups * kh * kw * 2,
                oh == (h + pads[0] + pads[2] - ((kh - 1) * dilations[0] + 1)) / strides[0] + 1,
                ow == (width + pads[1] + pads[3] - ((kw - 1) * dilations[1] + 1)) / strides[1] + 1
            else {
                throw TensorError.shapeMismatch(
                    op: op, shapes: [x.shape, w.shape, offset.shape],
                    reason: "channels, groups, offset_group, kernel, strides, pads and the offset's shape do not agree")
            }
            let mask = inputs.optional(4)
            if let mask, mask.shape != [n, offsetGroups * kh * kw, oh, ow] {
                throw TensorError.shapeMismatch(
                    op: op, shapes: [mask.shape], reason: "mask must be [\(n), \(offsetGroups * kh * kw), \(oh), \(ow)]"
                )
            }
            let bias = inputs.optional(3)
            if let bias, bias.shape != [m] {
                throw TensorError.shapeMismatch(op: op, shapes: [bias.shape], reason: "bias must be [\(m)]")
            }
            let data = try x.cast(to: .float32).scalars(as: Float.self),
                shifts = try offset.cast(to: .float32).scalars(as: Float.self)
            let scales = try mask.map { try $0.cast(to: .float32).scalars(as: Float.self) }
            let taps = kh * kw, positions = oh * ow, perOffsetGroup = c / offsetGroups
            let weights = try w.cast(to: .float32).reshaped([groups, m / groups, cg * taps])
            var outputs: [Tensor] = []
            for b in 0..<n {
                // Sampled taps: [C x kh x kw, oh x ow].
                var columns = [Float](repeating: 0, count: c * taps * positions)
                for channel in 0..<c {
                    let group = channel / perOffsetGroup, plane = (b * c + channel) * h * width
                    for ky in 0..<kh {
                        for kx in 0..<kw {
                            let tap = ky * kw + kx
                            for i in 0..<oh {
                                for j in 0..<ow {
                                    let position = i * ow + j
                                    let base = ((b * offsetGroups + group) * taps + tap) * 2 * positions + position
                                    let y = Float(i * strides[0] - pads[0] + ky * dilations[0]) + shifts[base]
                                    let xCoordinate =
                                        Float(j * strides[1] - pads[1] + kx * dilations[1]) + shifts[base + positions]
                                    let scale =
                                        scales.map {
                                            $0[((b * offsetGroups + group) * taps + tap) * positions + position]
                                        } ?? 1
                                    columns[(channel * taps + tap) * positions + position] =
                                        scale * bilinear(data, plane, h, width, y, xCoordinate)
                                }
                            }
                        }
                    }
                }
                let unfolded = try Tensor(shape: [groups, cg * taps, positions], scalars: columns)
                var y = try Tensor.matmul(weights, unfolded).reshaped([1, m, oh, ow])
                if let bias { y = try Tensor.binary(.add, y, bias.cast(to: .float32).reshaped([1, m, 1, 1])) }
                outputs.append(y)
            }
            return [try Tensor.concat(outputs, axis: 0).cast(to: x.dtype)]
        }
    }
}

/// The plane at `plane` sampled at (y, x) bilinearly, with zeros outside it.
private func bilinear(_ data: [Float], _ plane: Int, _ height: Int, _ width: Int, _ y: Float, _ x: Float) -> Float {
    guard y > -1, y < Float(height), x > -1, x < Float(width) else { return 0 }
    let y0 = Int(y.rounded(.down)), x0 = Int(x.rounded(.down))
    let fy = y - Float(y0), fx = x - Float(x0)
    func at(_ row: Int, _ column: Int) -> Float {
        row >= 0 && row < height && column >= 0 && column < width ? data[plane + row * width + column] : 0
    }
    return (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) + fy
        * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1))
}
