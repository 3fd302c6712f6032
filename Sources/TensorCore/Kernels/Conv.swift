import CBLAS

/// Geometry of a convolution or pooling window over 1 or 2 spatial dimensions.
public struct WindowGeometry: Sendable, Equatable {
    /// Window size per spatial dim.
    public var kernel: [Int]
    /// Step per spatial dim.
    public var strides: [Int]
    /// Spacing between window taps per spatial dim.
    public var dilations: [Int]
    /// Padding: all begins, then all ends (ONNX order).
    public var pads: [Int]

    /// A window with defaults filled in (stride 1, dilation 1, no padding).
    public init(kernel: [Int], strides: [Int]? = nil, dilations: [Int]? = nil, pads: [Int]? = nil) {
        self.kernel = kernel
        self.strides = strides ?? Array(repeating: 1, count: kernel.count)
        self.dilations = dilations ?? Array(repeating: 1, count: kernel.count)
        self.pads = pads ?? Array(repeating: 0, count: kernel.count * 2)
    }

    /// Checks the geometry against `spatial` input dims and returns the output dims.
    public func outputSize(spatial: [Int], ceilMode: Bool = false, op: String) throws(TensorError) -> [Int] {
        let count = kernel.count
        guard count == spatial.count, strides.count == count, dilations.count == count, pads.count == 2 * count else {
            throw .invalidArgument(
                op: op,
                reason:
                    "kernel \(kernel), strides \(strides), dilations \(dilations) and pads \(pads) do not fit \(spatial.count) spatial dims"
            )
        }
        var result: [Int] = []
        for axis in 0..<count {
            guard kernel[axis] > 0, strides[axis] > 0, dilations[axis] > 0, pads[axis] >= 0, pads[axis + count] >= 0
            else {
                throw .invalidArgument(
                    op: op,
                    reason:
                        "kernel, strides and dilations must be positive and pads non-negative (kernel \(kernel), strides \(strides), dilations \(dilations), pads \(pads))"
                )
            }
            let span = dilations[axis] * (kernel[axis] - 1) + 1
            let padded = spatial[axis] + pads[axis] + pads[axis + count]
            guard padded >= span else {
                throw .invalidArgument(
                    op: op,
                    reason: "window of span \(span) does not fit padded input size \(padded) on spatial axis \(axis)")
            }
            var size: Int
            if ceilMode {
                size = (padded - span + strides[axis] - 1) / strides[axis] + 1
                // The last window must start inside the input or the leading padding.
                if (size - 1) * strides[axis] >= spatial[axis] + pads[axis] { size -= 1 }
            } else {
                size = (padded - span) / strides[axis] + 1
            }
            result.append(size)
        }
        return result
    }
}

extension Tensor {
    /// Convolution (ONNX Conv) of `input` `[N, C, L]` or `[N, C, H, W]` (or more spatial dims) with
    /// `weight` `[M, C/groups, k...]` plus an optional `bias` `[M]`, then an optional `residual` of the
    /// output's shape added and `activation` applied in the same pass over each output row. float32
    /// (float16, bfloat16 and float64 go through float32). Depthwise convolutions use a direct
    /// kernel; 3x3 stride-1 ones given `winograd` (``WinogradWeights`` of this `weight`) and a
    /// plane of 14x14 or more run Winograd's F(2x2, 3x3); the rest im2col + sgemm.
    public static func conv(
        _ input: Tensor, weight: Tensor, bias: Tensor? = nil, strides: [Int]? = nil, pads: [Int]? = nil,
        dilations: [Int]? = nil, groups: Int = 1, residual: Tensor? = nil,
        activation: FusedActivation = .identity, winograd: WinogradWeights? = nil
    ) throws(TensorError) -> Tensor {
        let op = "conv"
        guard input.dtype.isFloatingPoint else { throw .unsupportedDType(op: op, dtype: input.dtype) }
        let others = [weight.dtype] + (bias.map { [$0.dtype] } ?? []) + (residual.map { [$0.dtype] } ?? [])
        guard others.allSatisfy({ $0 == input.dtype }) else {
            throw .dtypeMismatch(op: op, dtypes: [input.dtype] + others)
        }
        if input.dtype != .float32 {
            return try conv(
                input.cast(to: .float32), weight: weight.cast(to: .float32), bias: bias?.cast(to: .float32),
                strides: strides, pads: pads, dilations: dilations, groups: groups,
                residual: residual?.cast(to: .float32), activation: activation, winograd: winograd
            ).cast(to: input.dtype)
        }
        guard input.rank >= 3, weight.rank == input.rank else {
            throw .shapeMismatch(
                op: op, shapes: [input.shape, weight.shape],
                reason: "conv needs [N, C, spatial...] inputs with weights of the same rank")
        }
        let spatialRank = input.rank - 2
        let geometry = WindowGeometry(
            kernel: Array(weight.shape.dropFirst(2)), strides: strides, dilations: dilations, pads: pads)
        let outSpatial = try geometry.outputSize(spatial: Array(input.shape.dropFirst(2)), op: op)
        let (n, c, m, cg) = (input.shape[0], input.shape[1], weight.shape[0], weight.shape[1])
        guard groups > 0, c == cg * groups, m % groups == 0 else {
            throw .shapeMismatch(
                op: op, shapes: [input.shape, weight.shape],
                reason:
                    "input channels \(c) must equal weight channels \(cg) x groups \(groups), and output channels \(m) must divide by groups"
            )
        }
        if let bias, bias.shape != [m] {
            throw .shapeMismatch(op: op, shapes: [bias.shape, weight.shape], reason: "bias must have shape [\(m)]")
        }
        let outputShape = [n, m] + outSpatial
        if let residual, residual.shape != outputShape {
            throw .shapeMismatch(
                op: op, shapes: [residual.shape, outputShape], reason: "the residual must have the output's shape")
        }
        // Every path below writes each output element, so the output starts uninitialised.
        let output = try Tensor(uninitialized: outputShape, dtype: .float32, op: op)
        let x = input.contiguous(), w = weight.contiguous(), b = bias?.contiguous(), r = residual?.contiguous()
        // Keep any copies alive while their raw pointers are in use.
        defer { withExtendedLifetime((x, w, b, r)) {} }
        guard output.count > 0, let out = output.mutableBaseAddress?.assumingMemoryBound(to: Float.self),
            let px = x.baseAddress?.assumingMemoryBound(to: Float.self),
            let pw = w.baseAddress?.assumingMemoryBound(to: Float.self)
        else { return output }
        let epilogue = ConvEpilogue(
            bias: b?.baseAddress?.assumingMemoryBound(to: Float.self),
            residual: r?.baseAddress?.assumingMemoryBound(to: Float.self), activation: activation)
        if spatialRank > 2 {
            try convGeneral(
                px, pw, out, input: input.shape, weight: weight.shape, geometry: geometry, outSpatial: outSpatial,
                groups: groups)
        } else {
            // Treat 1-D as 2-D with height 1.
            let plane =
                spatialRank == 1
                ? Plane(
                    h: 1, w: input.shape[2], kh: 1, kw: weight.shape[2], oh: 1, ow: outSpatial[0], sh: 1,
                    sw: geometry.strides[0],
                    dh: 1, dw: geometry.dilations[0], padTop: 0, padLeft: geometry.pads[0])
                : Plane(
                    h: input.shape[2], w: input.shape[3], kh: weight.shape[2], kw: weight.shape[3], oh: outSpatial[0],
                    ow: outSpatial[1],
                    sh: geometry.strides[0], sw: geometry.strides[1], dh: geometry.dilations[0],
                    dw: geometry.dilations[1],
                    padTop: geometry.pads[0], padLeft: geometry.pads[1])
            if groups == c && m == c && cg == 1 {
                // The depthwise kernels finish each channel with its epilogue while it is in cache.
                depthwise(px, pw, out, n: n, channels: c, plane, epilogue)
                return output
            }
            if let winograd, winograd.shape == weight.shape, groups == 1, plane.kh == 3, plane.kw == 3, plane.sh == 1,
                plane.sw == 1,
                plane.dh == 1, plane.dw == 1, plane.oh * plane.ow >= 196
            {
                try winogradConv(px, winograd, out, n: n, c: c, m: m, plane, epilogue)
            } else {
                try im2colConv(px, pw, out, n: n, c: c, m: m, groups: groups, plane, epilogue)
            }
            return output
        }
        if !epilogue.isEmpty {
            let spatial = outSpatial.reduce(1, *)
            ComputePool.parallelRanges(n * m, grain: max(1, 4096 / max(spatial, 1))) { range in
                for item in range {
                    epilogue.apply(out + item * spatial, count: spatial, offset: item * spatial, channel: item % m)
                }
            }
        }
        return output
    }

    /// Convolution over any number of spatial dims: im2col through a precomputed source table, then sgemm.
    private static func convGeneral(
        _ px: UnsafePointer<Float>, _ pw: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
        input: [Int], weight: [Int], geometry: WindowGeometry, outSpatial: [Int], groups: Int
    ) throws(TensorError) {
        let (n, c, m, cg) = (input[0], input[1], weight[0], weight[1])
        let rank = input.count - 2
        let windows = WindowIndexing(
            input: Array(input.dropFirst(2)), output: outSpatial, kernel: geometry.kernel,
            strides: geometry.strides, dilations: geometry.dilations, padsBegin: Array(geometry.pads.prefix(rank)))
        let table = windows.sourceTable()
        let kernelSize = windows.kernelSize, spatial = windows.outputSize, inSpatial = windows.inputSize
        let mg = m / groups, kSize = cg * kernelSize
        guard kSize <= Int(Int32.max), spatial <= Int(Int32.max) else { throw .tooLarge(op: "conv", shape: input) }
        var columns = [Float](repeating: 0, count: kSize * spatial)
        for batch in 0..<n {
            for group in 0..<groups {
                columns.withUnsafeMutableBufferPointer { buffer in
                    guard let cols = buffer.baseAddress else { return }
                    for channel in 0..<cg {
                        let source = px + (batch * c + group * cg + channel) * inSpatial
                        for tap in 0..<kernelSize {
                            let row = cols + (channel * kernelSize + tap) * spatial
                            for position in 0..<spatial {
                                let from = table[tap * spatial + position]
                                row[position] = from >= 0 ? source[from] : 0
                            }
                        }
                    }
                    ParallelGemm.gemm(
                        transA: false, transB: false, m: mg, n: spatial, k: kSize, a: pw + group * mg * kSize,
                        lda: kSize,
                        b: cols, ldb: spatial, c: out + (batch * m + group * mg) * spatial, ldc: spatial)
                }
            }
        }
    }

    /// The elements of a float32 tensor as an array.
    func contiguousFloats(op: String) throws(TensorError) -> [Float] {
        guard dtype == .float32 else { throw .dtypeMismatch(op: op, dtypes: [dtype, .float32]) }
        let dense = contiguous()
        return withExtendedLifetime(dense) {
            guard let base = dense.baseAddress else { return [] }
            return Array(UnsafeBufferPointer(start: base.assumingMemoryBound(to: Float.self), count: dense.count))
        }
    }

    /// One 2-D window geometry with its sizes resolved.
    struct Plane {
        let h, w, kh, kw, oh, ow, sh, sw, dh, dw, padTop, padLeft: Int

        /// Output columns `ox` whose input column `ox * sw - padLeft + offset` lies inside `0..<w`.
        @inline(__always)
        func validColumns(offset: Int) -> Range<Int> {
            let shift = offset - padLeft
            let first = min(shift >= 0 ? 0 : (-shift + sw - 1) / sw, ow)
            let last = w - 1 - shift < 0 ? 0 : (w - 1 - shift) / sw + 1
            return first..<max(first, min(last, ow))
        }

        /// For a 3x3 undilated window: the output columns whose three input columns all lie inside the row.
        var depthwise3x3Interior: Range<Int> {
            let start = min(ow, (padLeft + sw - 1) / sw)
            let end = w - 3 + padLeft < 0 ? start : max(start, min(ow, (w - 3 + padLeft) / sw + 1))
            return start..<end
        }
    }

    private static func depthwise(
        _ input: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>,
        n: Int, channels: Int, _ p: Plane, _ epilogue: ConvEpilogue
    ) {
        if p.kh == 3, p.kw == 3, p.dh == 1, p.dw == 1 {
            return depthwise3x3(input, weight, output, n: n, channels: channels, p, epilogue)
        }
        ComputePool.parallelRanges(n * channels, grain: 1) { range in
            for item in range {
                let channel = item % channels
                let source = input + item * p.h * p.w
                let target = output + item * p.oh * p.ow
                let kernel = weight + channel * p.kh * p.kw
                target.initialize(repeating: 0, count: p.oh * p.ow)
                for oy in 0..<p.oh {
                    let row = target + oy * p.ow
                    for ky in 0..<p.kh {
                        let iy = oy * p.sh - p.padTop + ky * p.dh
                        guard iy >= 0, iy < p.h else { continue }
                        let sourceRow = source + iy * p.w
                        for kx in 0..<p.kw {
                            let tap = kernel[ky * p.kw + kx]
                            let offset = kx * p.dw
                            let columns = p.validColumns(offset: offset)
                            let base = offset - p.padLeft
                            if p.sw == 1 {
                                for ox in columns { row[ox] += tap * sourceRow[ox + base] }
                            } else {
                                for ox in columns { row[ox] += tap * sourceRow[ox * p.sw + base] }
                            }
                        }
                    }
                }
                epilogue.apply(target, count: p.oh * p.ow, offset: item * p.oh * p.ow, channel: channel)
            }
        }
    }

    /// 3x3 depthwise convolution (the MobileNet case), one channel at a time, row by row with
    /// ``depthwise3x3Row`` (output rows shorter than a register with ``depthwise3x3SmallPlane``); bias and
    /// activation are applied in registers, a residual in a pass over each finished channel while
    /// it is in cache.
    private static func depthwise3x3(
        _ input: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>,
        n: Int, channels: Int, _ p: Plane, _ epilogue: ConvEpilogue
    ) {
        let interior = p.depthwise3x3Interior
        let small = p.ow < RegisterVector.scalarCount
        let paddedCount = ((p.oh - 1) * p.sh + 3) * ((p.ow - 1) * p.sw + 3) + RegisterVector.scalarCount
        let scratchCount = small ? 2 * paddedCount : p.w
        ComputePool.parallelRanges(n * channels, grain: 1) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: scratchCount) { scratch in
                guard let zero = scratch.baseAddress else { return }
                zero.initialize(repeating: 0, count: scratchCount)
                for item in range {
                    let source = input + item * p.h * p.w
                    let target = output + item * p.oh * p.ow
                    let channel = item % channels
                    // With a residual, the sum must be complete before the activation.
                    let inRegisters = epilogue.residual == nil
                    let bias = inRegisters ? epilogue.bias?[channel] ?? 0 : 0
                    let activation = (inRegisters ? epilogue.activation : .identity).kernel
                    if small {
                        depthwise3x3SmallPlane(
                            source, target, taps: weight + channel * 9, bias: bias, activation: activation, p,
                            padded: zero, sums: zero + paddedCount)
                    } else {
                        for oy in 0..<p.oh {
                            let top = oy * p.sh - p.padTop
                            let r0 = top >= 0 && top < p.h ? source + top * p.w : UnsafePointer(zero)
                            let r1 = top + 1 >= 0 && top + 1 < p.h ? source + (top + 1) * p.w : UnsafePointer(zero)
                            let r2 = top + 2 >= 0 && top + 2 < p.h ? source + (top + 2) * p.w : UnsafePointer(zero)
                            depthwise3x3Row(
                                r0, r1, r2, target + oy * p.ow, taps: weight + channel * 9, bias: bias,
                                activation: activation,
                                p, interior: interior)
                        }
                    }
                    if !inRegisters {
                        epilogue.apply(target, count: p.oh * p.ow, offset: item * p.oh * p.ow, channel: channel)
                    }
                }
            }
        }
    }

    /// One channel of a 3x3 depthwise convolution whose output rows are shorter than a register
    /// (MobileNet's 7x7 and, with 16-lane registers, 14x14 planes). The input is copied into a zero-padded plane `padded` (its
    /// padding is never written, so it stays zero from one channel to the next); the stride-1
    /// sums over the whole padded plane are computed as one flat run of register-wide vectors
    /// into `sums` (the columns that straddle a row end are computed and dropped), and the
    /// outputs are picked out at the stride. `padded` and `sums` each hold the padded plane plus
    /// one vector.
    @inline(__always)
    static func depthwise3x3SmallPlane(
        _ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, taps k: UnsafePointer<Float>,
        bias: Float, activation: ActivationKernel, _ p: Plane,
        padded: UnsafeMutablePointer<Float>, sums: UnsafeMutablePointer<Float>
    ) {
        let width = (p.ow - 1) * p.sw + 3, height = (p.oh - 1) * p.sh + 3
        /// Copies `count` floats between rows that do not overlap, eight at a time (the last
        /// eight overlapping the ones before) when there are eight.
        @inline(always) func copy(_ from: UnsafePointer<Float>, _ to: UnsafeMutablePointer<Float>, _ count: Int) {
            guard count >= 8 else {
                for i in 0..<count { to[i] = from[i] }
                return
            }
            var i = 0
            while i < count {
                let at = min(i, count &- 8)
                UnsafeMutableRawPointer(to + at).storeBytes(
                    of: UnsafeRawPointer(from + at).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
                i = at &+ 8
            }
        }
        let columns = max(0, p.padLeft)..<min(width, p.w + p.padLeft)
        for y in 0..<height {
            let iy = y - p.padTop
            guard iy >= 0, iy < p.h, !columns.isEmpty else { continue }
            copy(
                source + iy * p.w + columns.lowerBound - p.padLeft, padded + y * width + columns.lowerBound,
                columns.count)
        }
        typealias Vector = RegisterVector
        let lanes = Vector.scalarCount
        @inline(always) func load(_ offset: Int) -> Vector {
            UnsafeRawPointer(padded + offset).loadUnaligned(as: Vector.self)
        }
        let count = (height - 2) * width
        var position = 0
        while position < count {
            let at = min(position, max(0, count - lanes))
            var sum = Vector(repeating: bias)
            for dy in 0..<3 {
                for dx in 0..<3 { sum.addProduct(Vector(repeating: k[dy * 3 + dx]), load(at + dy * width + dx)) }
            }
            UnsafeMutableRawPointer(sums + at).storeBytes(of: activation(sum), as: Vector.self)
            position = at + lanes
        }
        for oy in 0..<p.oh {
            let row = sums + oy * p.sh * width
            if p.sw == 1 {
                copy(row, target + oy * p.ow, p.ow)
            } else {
                for ox in 0..<p.ow { target[oy &* p.ow &+ ox] = row[ox &* p.sw] }
            }
        }
    }

    /// One output row of a 3x3 depthwise convolution from its three input rows (`r0` the top;
    /// a row above or below the input is a row of zeros): `activation(bias + taps · window)`.
    /// A register's width of outputs at a time for stride 1, eight for stride 2 (which splits 16
    /// loaded inputs into even and odd lanes); only the border columns outside `interior` check
    /// bounds. `row` must not overlap the input rows.
    @inline(__always)
    static func depthwise3x3Row(
        _ r0: UnsafePointer<Float>, _ r1: UnsafePointer<Float>, _ r2: UnsafePointer<Float>,
        _ row: UnsafeMutablePointer<Float>,
        taps k: UnsafePointer<Float>, bias: Float, activation: ActivationKernel, _ p: Plane, interior: Range<Int>
    ) {
        @inline(always) func load16(_ pointer: UnsafePointer<Float>) -> SIMD16<Float> {
            UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self)
        }
        func border(_ ox: Int) {
            var sum = bias
            for kx in 0..<3 {
                let ix = ox * p.sw - p.padLeft + kx
                guard ix >= 0, ix < p.w else { continue }
                sum += k[kx] * r0[ix] + k[3 + kx] * r1[ix] + k[6 + kx] * r2[ix]
            }
            row[ox] = activation(sum)
        }
        for ox in 0..<interior.lowerBound { border(ox) }
        var ox = interior.lowerBound
        if p.sw == 1 {
            // Register-wide vectors; the last one may overlap outputs already stored (recomputed alike).
            typealias Vector = RegisterVector
            let lanes = Vector.scalarCount
            @inline(always) func load(_ pointer: UnsafePointer<Float>) -> Vector {
                UnsafeRawPointer(pointer).loadUnaligned(as: Vector.self)
            }
            let (k0, k1, k2) = (Vector(repeating: k[0]), Vector(repeating: k[1]), Vector(repeating: k[2]))
            let (k3, k4, k5) = (Vector(repeating: k[3]), Vector(repeating: k[4]), Vector(repeating: k[5]))
            let (k6, k7, k8) = (Vector(repeating: k[6]), Vector(repeating: k[7]), Vector(repeating: k[8]))
            let start = Vector(repeating: bias)
            while ox < interior.upperBound, interior.count >= lanes {
                let at = min(ox, interior.upperBound - lanes)
                let i = at - p.padLeft
                // Three partial sums: shorter dependency chains.
                var s0 = start, s1 = k1 * load(r0 + i + 1), s2 = k2 * load(r0 + i + 2)
                s0.addProduct(k0, load(r0 + i))
                s0.addProduct(k3, load(r1 + i))
                s1.addProduct(k4, load(r1 + i + 1))
                s2.addProduct(k5, load(r1 + i + 2))
                s0.addProduct(k6, load(r2 + i))
                s1.addProduct(k7, load(r2 + i + 1))
                s2.addProduct(k8, load(r2 + i + 2))
                UnsafeMutableRawPointer(row + at).storeBytes(of: activation(s0 + s1 + s2), as: Vector.self)
                ox = at + lanes
            }
        } else if p.sw == 2 {
            // Outputs ox..<ox+8 read inputs i...i+16: the even lanes of 16 from i are tap 0, the
            // even and odd lanes of 16 from i+1 taps 1 and 2. The last 8 may overlap stored outputs.
            let (k0, k1, k2) = (SIMD8(repeating: k[0]), SIMD8(repeating: k[1]), SIMD8(repeating: k[2]))
            let (k3, k4, k5) = (SIMD8(repeating: k[3]), SIMD8(repeating: k[4]), SIMD8(repeating: k[5]))
            let (k6, k7, k8) = (SIMD8(repeating: k[6]), SIMD8(repeating: k[7]), SIMD8<Float>(repeating: k[8]))
            let start = SIMD8<Float>(repeating: bias)
            while ox < interior.upperBound, interior.count >= 8 {
                let at = min(ox, interior.upperBound - 8)
                let i = 2 * at - p.padLeft
                let a0 = load16(r0 + i), b0 = load16(r0 + i + 1)
                let a1 = load16(r1 + i), b1 = load16(r1 + i + 1)
                let a2 = load16(r2 + i), b2 = load16(r2 + i + 1)
                var s0 = start, s1 = k1 * b0.evenHalf, s2 = k2 * b0.oddHalf
                s0.addProduct(k0, a0.evenHalf)
                s0.addProduct(k3, a1.evenHalf)
                s1.addProduct(k4, b1.evenHalf)
                s2.addProduct(k5, b1.oddHalf)
                s0.addProduct(k6, a2.evenHalf)
                s1.addProduct(k7, b2.evenHalf)
                s2.addProduct(k8, b2.oddHalf)
                UnsafeMutableRawPointer(row + at).storeBytes(of: activation(s0 + s1 + s2), as: SIMD8<Float>.self)
                ox = at + 8
            }
        }
        while ox < interior.upperBound {
            let i = ox * p.sw - p.padLeft
            let sum =
                bias + k[0] * r0[i] + k[1] * r0[i + 1] + k[2] * r0[i + 2] + k[3] * r1[i] + k[4] * r1[i + 1] + k[5]
                * r1[i + 2]
                + k[6] * r2[i] + k[7] * r2[i + 1] + k[8] * r2[i + 2]
            row[ox] = activation(sum)
            ox += 1
        }
        for ox in interior.upperBound..<p.ow { border(ox) }
    }

    /// Per image and group: `out[mg, spatial] = W[mg, kSize] · cols[kSize, spatial]` with the
    /// epilogue. When the output plane is the larger operand, each task takes blocks of whole
    /// output rows and unfolds, multiplies and finishes one block at a time in its own scratch
    /// (the block stays in cache throughout; a short kSize multiplies with ``ShallowGemm``, the
    /// epilogue in registers); otherwise the windows are unfolded once and the
    /// product is split by output channels.
    private static func im2colConv(
        _ input: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>,
        n: Int, c: Int, m: Int, groups: Int, _ p: Plane, _ epilogue: ConvEpilogue
    ) throws(TensorError) {
        let cg = c / groups, mg = m / groups
        let kSize = cg * p.kh * p.kw
        let spatial = p.oh * p.ow
        guard kSize <= Int(Int32.max), spatial <= Int(Int32.max), mg <= Int(Int32.max) else {
            throw .tooLarge(op: "conv", shape: [kSize, spatial])
        }
        let pointwise =
            p.kh == 1 && p.kw == 1 && p.sh == 1 && p.sw == 1 && p.padTop == 0 && p.padLeft == 0 && p.oh == p.h
            && p.ow == p.w
        let byColumns = spatial >= mg
        // Column blocks of whole output rows, about 1 MiB of unfolded windows and outputs each (half an L2), in a
        // multiple of the thread count where the plane has the rows for it.
        let threads = ComputePool.threadCount
        let widest = max(1, (262_144 / (kSize + mg)) / max(p.ow, 1))
        let wanted = min(p.oh, ((p.oh + widest - 1) / widest + threads - 1) / threads * threads)
        let blockRows = (p.oh + wanted - 1) / wanted
        let blocks = (p.oh + blockRows - 1) / blockRows
        let tasks = byColumns ? min(threads, blocks) : 1
        let scratchSize = pointwise ? 0 : (byColumns ? tasks * kSize * blockRows * p.ow : kSize * spatial)
        // im2col writes every element it uses (zeros for padding), so the scratch starts uninitialised;
        // the block pool hands the same buffer back on the next call of this shape.
        let scratch = scratchSize > 0 ? try Tensor(uninitialized: [scratchSize], dtype: .float32, op: "conv") : nil
        let cols = scratch?.mutableBaseAddress?.assumingMemoryBound(to: Float.self)
        defer { withExtendedLifetime(scratch) {} }
        for batch in 0..<n {
            for group in 0..<groups {
                let source = input + (batch * c + group * cg) * p.h * p.w
                let firstRow = batch * m + group * mg
                let target = output + firstRow * spatial
                let kernel = weight + group * mg * kSize
                if byColumns {
                    ComputePool.parallelFor(tasks) { task in
                        let own = cols.map { $0 + task * kSize * blockRows * p.ow }
                        for block in stride(from: task, to: blocks, by: tasks) {
                            let rows = (block * blockRows)..<min(p.oh, (block + 1) * blockRows)
                            let first = rows.lowerBound * p.ow, width = rows.count * p.ow
                            var b = source + first, ldb = spatial
                            if let own {
                                im2col(source, own, leading: width, channels: cg, p, outputRows: rows)
                                (b, ldb) = (UnsafePointer(own), width)
                            }
                            if kSize <= ShallowGemm.maximumDepth {
                                ShallowGemm.multiply(
                                    m: mg, n: width, k: kSize, weight: kernel, x: b, ldx: ldb, out: target + first,
                                    ldo: spatial,
                                    bias: epilogue.bias.map { $0 + group * mg },
                                    residual: epilogue.residual.map { $0 + firstRow * spatial + first }, ldr: spatial,
                                    activation: epilogue.activation.kernel)
                                continue
                            }
                            cblas_sgemm(
                                CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(mg), Int32(width), Int32(kSize), 1,
                                kernel, Int32(kSize), b, Int32(ldb), 0, target + first, Int32(spatial))
                            guard !epilogue.isEmpty else { continue }
                            for row in 0..<mg {
                                epilogue.apply(
                                    target + row * spatial + first, count: width,
                                    offset: (firstRow + row) * spatial + first,
                                    channel: group * mg + row)
                            }
                        }
                    }
                } else {
                    var b = source
                    if let cols {
                        ComputePool.parallelRanges(p.oh, grain: max(1, p.oh / ComputePool.threadCount)) { rows in
                            im2col(
                                source, cols + rows.lowerBound * p.ow, leading: spatial, channels: cg, p,
                                outputRows: rows)
                        }
                        b = UnsafePointer(cols)
                    }
                    ParallelGemm.gemm(
                        transA: false, transB: false, m: mg, n: spatial, k: kSize, a: kernel, lda: kSize, b: b,
                        ldb: spatial,
                        c: target, ldc: spatial)
                    guard !epilogue.isEmpty else { continue }
                    ComputePool.parallelRanges(mg, grain: max(1, 4096 / max(spatial, 1))) { rows in
                        for row in rows {
                            epilogue.apply(
                                target + row * spatial, count: spatial, offset: (firstRow + row) * spatial,
                                channel: group * mg + row)
                        }
                    }
                }
            }
        }
    }

    /// Unfolds the windows of output rows `outputRows` into a `[channels * kh * kw, rows * ow]`
    /// matrix with row stride `leading` (zeros where padding).
    private static func im2col(
        _ source: UnsafePointer<Float>, _ cols: UnsafeMutablePointer<Float>, leading: Int, channels: Int, _ p: Plane,
        outputRows: Range<Int>
    ) {
        for r in 0..<(channels * p.kh * p.kw) {
            let kx = r % p.kw, ky = (r / p.kw) % p.kh, channel = r / (p.kw * p.kh)
            let plane = source + channel * p.h * p.w
            let row = cols + r * leading
            let offset = kx * p.dw
            let valid = p.validColumns(offset: offset)
            let base = offset - p.padLeft
            for (position, oy) in outputRows.enumerated() {
                let target = row + position * p.ow
                let iy = oy * p.sh - p.padTop + ky * p.dh
                guard iy >= 0, iy < p.h else {
                    target.update(repeating: 0, count: p.ow)
                    continue
                }
                // Rows are short (tens of floats): inline loops beat memcpy/memset calls.
                let sourceRow = plane + iy * p.w
                for ox in 0..<valid.lowerBound { target[ox] = 0 }
                if p.sw == 1 {
                    let shifted = sourceRow + base
                    for ox in valid { target[ox] = shifted[ox] }
                } else {
                    var ox = valid.lowerBound
                    if p.sw == 2 {
                        // Eight outputs from the even lanes of sixteen inputs, while all sixteen lie in the row.
                        while ox &+ 8 <= valid.upperBound, 2 &* ox &+ base &+ 16 <= p.w {
                            let inputs = UnsafeRawPointer(sourceRow + (2 &* ox &+ base)).loadUnaligned(
                                as: SIMD16<Float>.self)
                            UnsafeMutableRawPointer(target + ox).storeBytes(of: inputs.evenHalf, as: SIMD8<Float>.self)
                            ox &+= 8
                        }
                    }
                    while ox < valid.upperBound {
                        target[ox] = sourceRow[ox &* p.sw &+ base]
                        ox &+= 1
                    }
                }
                for ox in valid.upperBound..<p.ow { target[ox] = 0 }
            }
        }
    }
}
