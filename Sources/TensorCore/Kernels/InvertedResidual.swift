import CBLAS

/// MobileNetV2's inverted-residual block as one kernel: an optional 1x1 expansion, a 3x3
/// depthwise convolution (padding 1, stride 1 or 2) and a 1x1 projection, each with its bias and
/// activation, plus an optional residual added after the projection.
///
/// Run as three convolutions, the expanded tensor (96 channels of 112x112 in MobileNetV2's
/// second block: 4.8 MB) is written to memory and read back twice. This kernel instead walks
/// down the image a strip of output rows at a time: the expansion fills a ring of expanded input
/// rows (each row expanded once; rows shared by two strips stay in the ring), the depthwise
/// convolution turns them into a strip of its outputs, and the projection multiplies that strip
/// into the output. Ring and strip are sized to stay in the core's cache; each thread walks its
/// own band of rows with its own buffers. Expanded tensors that fit in cache anyway run as three
/// convolutions.
public struct InvertedResidualBlock: Sendable {
    /// One convolution's weights (`[outputs, inputs, 1, 1]` or `[channels, 1, 3, 3]`, dense), bias and activation.
    struct Stage: Sendable {
        let weight: Tensor
        let bias: Tensor?
        let activation: FusedActivation
    }

    /// Expanded tensors smaller than this (MobileNetV2's 14x14 and 7x7 blocks) run as three
    /// convolutions: they stay in cache anyway, and splitting their few rows between threads
    /// would have each thread pack the whole weight matrices.
    static let smallestStreamedBytes = 512 << 10

    /// Channels of the block's input.
    public let inputChannels: Int
    /// Channels of the depthwise convolution (the expansion's outputs, or the input's without one).
    public let expandedChannels: Int
    /// Channels of the block's output.
    public let outputChannels: Int
    /// Stride of the depthwise convolution (1 or 2).
    public let stride: Int
    let expansion: Stage?
    let depthwise: Stage
    let projection: Stage

    /// Checks and keeps the three convolutions' float32 weights: expansion `[E, C, 1, 1]`
    /// (nil: none, E = C), depthwise `[E, 1, 3, 3]`, projection `[M, E, 1, 1]`, biases `[E]`,
    /// `[E]` and `[M]` or nil.
    public init(
        expansion: (weight: Tensor, bias: Tensor?, activation: FusedActivation)?,
        depthwise: (weight: Tensor, bias: Tensor?, activation: FusedActivation), stride: Int,
        projection: (weight: Tensor, bias: Tensor?, activation: FusedActivation)
    ) throws(TensorError) {
        let op = "inverted residual block"
        let all = [
            expansion?.weight, expansion?.bias, depthwise.weight, depthwise.bias, projection.weight, projection.bias,
        ].compactMap { $0 }
        guard all.allSatisfy({ $0.dtype == .float32 }) else { throw .dtypeMismatch(op: op, dtypes: all.map(\.dtype)) }
        let expanded = depthwise.weight.shape.first ?? 0
        let input = expansion?.weight.shape.dropFirst().first ?? expanded
        let output = projection.weight.shape.first ?? 0
        let shapesFit =
            depthwise.weight.shape == [expanded, 1, 3, 3] && projection.weight.shape == [output, expanded, 1, 1]
            && (expansion.map { $0.weight.shape == [expanded, input, 1, 1] } ?? true)
            && (expansion?.bias.map { $0.shape == [expanded] } ?? true)
            && (depthwise.bias.map { $0.shape == [expanded] } ?? true)
            && (projection.bias.map { $0.shape == [output] } ?? true)
        guard shapesFit, expanded > 0, input > 0, output > 0, stride == 1 || stride == 2 else {
            throw .shapeMismatch(
                op: op, shapes: all.map(\.shape),
                reason:
                    "needs weights [E, C, 1, 1], [E, 1, 3, 3] and [M, E, 1, 1] with matching biases, and stride 1 or 2")
        }
        func stage(_ parts: (weight: Tensor, bias: Tensor?, activation: FusedActivation)) -> Stage {
            Stage(weight: parts.weight.contiguous(), bias: parts.bias?.contiguous(), activation: parts.activation)
        }
        self.expansion = expansion.map(stage)
        self.depthwise = stage(depthwise)
        self.projection = stage(projection)
        (inputChannels, expandedChannels, outputChannels, self.stride) = (input, expanded, output, stride)
    }

    /// The output shape for an input of shape `input` (`[N, M, OH, OW]`), or nil when the block cannot take it.
    public func outputShape(input: [Int]) -> [Int]? {
        guard input.count == 4, input[1] == inputChannels, input[2] > 0, input[3] > 0 else { return nil }
        return [input[0], outputChannels, (input[2] - 1) / stride + 1, (input[3] - 1) / stride + 1]
    }

    /// The block applied to a float32 `[N, C, H, W]` input, with `residual` (the output's shape)
    /// added after the projection's bias and before its activation.
    public func callAsFunction(_ input: Tensor, residual: Tensor? = nil) throws(TensorError) -> Tensor {
        let op = "inverted residual block"
        guard input.dtype == .float32, residual.map({ $0.dtype == .float32 }) ?? true else {
            throw .dtypeMismatch(op: op, dtypes: [input.dtype] + (residual.map { [$0.dtype] } ?? []))
        }
        guard input.rank == 4, input.shape[1] == inputChannels, input.shape[2] > 0, input.shape[3] > 0 else {
            throw .shapeMismatch(
                op: op, shapes: [input.shape],
                reason: "the block needs an input [N, \(inputChannels), H, W] with H, W > 0")
        }
        let (n, h, w) = (input.shape[0], input.shape[2], input.shape[3])
        let p = Tensor.Plane(
            h: h, w: w, kh: 3, kw: 3, oh: (h - 1) / stride + 1, ow: (w - 1) / stride + 1, sh: stride, sw: stride,
            dh: 1, dw: 1, padTop: 1, padLeft: 1)
        let outputShape = [n, outputChannels, p.oh, p.ow]
        if let residual, residual.shape != outputShape {
            throw .shapeMismatch(
                op: op, shapes: [residual.shape, outputShape], reason: "the residual must have the output's shape")
        }
        let channels = expandedChannels
        // An expanded tensor that fits in cache anyway: three convolutions, each split over all threads.
        if channels * h * w * 4 < Self.smallestStreamedBytes {
            var x = input
            if let expansion {
                x = try Tensor.conv(x, weight: expansion.weight, bias: expansion.bias, activation: expansion.activation)
            }
            x = try Tensor.conv(
                x, weight: depthwise.weight, bias: depthwise.bias, strides: [stride, stride], pads: [1, 1, 1, 1],
                groups: channels, activation: depthwise.activation)
            return try Tensor.conv(
                x, weight: projection.weight, bias: projection.bias, residual: residual,
                activation: projection.activation)
        }
        let output = try Tensor(uninitialized: outputShape, dtype: .float32, op: op)
        guard output.count > 0 else { return output }
        // Output rows per strip: ring rows ((rows - 1) * stride + 3 of width w) and the strip of
        // depthwise outputs together about 512 KiB (a quarter of a core's L2 here).
        let bytesPerRow = channels * (stride * w + p.ow) * 4
        let stripRows = max(1, min(p.oh, (512 << 10) / max(bytesPerRow, 1)))
        let ringRows = min(h, (stripRows - 1) * stride + 3)
        let bands = min(ComputePool.threadCount, p.oh)
        let ringSize = expansion == nil ? 0 : channels * ringRows * w
        let perTask = ringSize + channels * stripRows * p.ow + w
        let scratch = try Tensor(uninitialized: [bands * perTask], dtype: .float32, op: op)
        let x = input.contiguous(), r = residual?.contiguous()
        defer { withExtendedLifetime((x, r, scratch, self)) {} }
        guard let px = x.baseAddress?.assumingMemoryBound(to: Float.self),
            let out = output.mutableBaseAddress?.assumingMemoryBound(to: Float.self),
            let buffers = scratch.mutableBaseAddress?.assumingMemoryBound(to: Float.self),
            let depthwiseTaps = depthwise.weight.baseAddress?.assumingMemoryBound(to: Float.self),
            let projectionWeight = projection.weight.baseAddress?.assumingMemoryBound(to: Float.self)
        else { return output }
        let expansionWeight = expansion?.weight.baseAddress?.assumingMemoryBound(to: Float.self)
        let expansionEpilogue = ConvEpilogue(
            bias: expansion?.bias?.baseAddress?.assumingMemoryBound(to: Float.self), residual: nil,
            activation: expansion?.activation ?? .identity)
        let depthwiseBias = depthwise.bias?.baseAddress?.assumingMemoryBound(to: Float.self)
        let projectionEpilogue = ConvEpilogue(
            bias: projection.bias?.baseAddress?.assumingMemoryBound(to: Float.self),
            residual: r?.baseAddress?.assumingMemoryBound(to: Float.self), activation: projection.activation)
        let (inputChannels, outputChannels) = (self.inputChannels, self.outputChannels)
        let (depthwiseActivation, stride) = (depthwise.activation.kernel, self.stride)
        let (expansionActivation, projectionActivation) = (
            (expansion?.activation ?? .identity).kernel, projection.activation.kernel
        )
        let interior = p.depthwise3x3Interior
        let outputPlane = p.oh * p.ow

        ComputePool.parallelFor(bands) { band in
            let ring = buffers + band * perTask
            let strip = ring + ringSize
            let zero = strip + channels * stripRows * p.ow
            zero.initialize(repeating: 0, count: w)
            withUnsafeTemporaryAllocation(of: Int.self, capacity: 3 * stripRows) { offsets in
                guard let rowOffsets = offsets.baseAddress else { return }
                let rows = (p.oh * band / bands)..<(p.oh * (band + 1) / bands)
                for image in 0..<n {
                    let source = px + image * inputChannels * h * w
                    /// Expands input rows `range` into their ring slots (at most two contiguous runs).
                    func expand(_ range: Range<Int>) {
                        guard let expansionWeight else { return }
                        var y = range.lowerBound
                        while y < range.upperBound {
                            let slot = y % ringRows
                            let count = min(range.upperBound - y, ringRows - slot)
                            if inputChannels <= ShallowGemm.maximumDepth {
                                ShallowGemm.multiply(
                                    m: channels, n: count * w, k: inputChannels, weight: expansionWeight,
                                    x: source + y * w, ldx: h * w,
                                    out: ring + slot * w, ldo: ringRows * w, bias: expansionEpilogue.bias,
                                    residual: nil, ldr: 0,
                                    activation: expansionActivation)
                                y += count
                                continue
                            }
                            cblas_sgemm(
                                CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(channels), Int32(count * w),
                                Int32(inputChannels), 1,
                                expansionWeight, Int32(inputChannels), source + y * w, Int32(h * w), 0, ring + slot * w,
                                Int32(ringRows * w))
                            if !expansionEpilogue.isEmpty {
                                for channel in 0..<channels {
                                    expansionEpilogue.apply(
                                        ring + (channel * ringRows + slot) * w, count: count * w, offset: 0,
                                        channel: channel)
                                }
                            }
                            y += count
                        }
                    }
                    var expandedEnd = max(0, rows.lowerBound * stride - 1)
                    for first in Swift.stride(from: rows.lowerBound, to: rows.upperBound, by: stripRows) {
                        let last = min(first + stripRows, rows.upperBound)
                        let needed = min(h, (last - 1) * stride + 2)
                        if needed > expandedEnd {
                            expand(expandedEnd..<needed)
                            expandedEnd = needed
                        }
                        let width = (last - first) * p.ow
                        // Where each output row's three input rows sit within a channel (-1: outside the image).
                        for oy in first..<last {
                            for tap in 0..<3 {
                                let y = oy * stride - 1 + tap
                                rowOffsets[(oy - first) * 3 + tap] =
                                    y < 0 || y >= h ? -1 : (expansion == nil ? y : y % ringRows) * w
                            }
                        }
                        for channel in 0..<channels {
                            let planes =
                                expansion == nil
                                ? source + channel * h * w : UnsafePointer(ring + channel * ringRows * w)
                            @inline(always) func inputRow(_ index: Int) -> UnsafePointer<Float> {
                                rowOffsets[index] < 0 ? UnsafePointer(zero) : planes + rowOffsets[index]
                            }
                            let taps = depthwiseTaps + channel * 9
                            let bias = depthwiseBias?[channel] ?? 0
                            for index in 0..<(last - first) {
                                Tensor.depthwise3x3Row(
                                    inputRow(3 * index), inputRow(3 * index + 1), inputRow(3 * index + 2),
                                    strip + channel * width + index * p.ow, taps: taps, bias: bias,
                                    activation: depthwiseActivation, p, interior: interior)
                            }
                        }
                        let target = out + image * outputChannels * outputPlane + first * p.ow
                        if channels <= ShallowGemm.maximumDepth {
                            ShallowGemm.multiply(
                                m: outputChannels, n: width, k: channels, weight: projectionWeight, x: strip,
                                ldx: width,
                                out: target, ldo: outputPlane, bias: projectionEpilogue.bias,
                                residual: projectionEpilogue.residual.map {
                                    $0 + image * outputChannels * outputPlane + first * p.ow
                                },
                                ldr: outputPlane, activation: projectionActivation)
                            continue
                        }
                        cblas_sgemm(
                            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(outputChannels), Int32(width),
                            Int32(channels), 1,
                            projectionWeight, Int32(channels), strip, Int32(width), 0, target, Int32(outputPlane))
                        guard !projectionEpilogue.isEmpty else { continue }
                        for channel in 0..<outputChannels {
                            let offset = (image * outputChannels + channel) * outputPlane + first * p.ow
                            projectionEpilogue.apply(
                                target + channel * outputPlane, count: width, offset: offset, channel: channel)
                        }
                    }
                }
            }
        }
        return output
    }
}
