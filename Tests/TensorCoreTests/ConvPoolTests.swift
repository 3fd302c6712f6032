import XCTest

@testable import TensorCore

final class ConvPoolTests: XCTestCase {
    /// Direct convolution by definition.
    private func naiveConv(
        _ x: Tensor, _ w: Tensor, _ bias: Tensor?, strides: [Int], pads: [Int], dilations: [Int], groups: Int
    ) -> Tensor {
        let spatialRank = x.rank - 2
        let n = x.shape[0], m = w.shape[0], cg = w.shape[1]
        let kernel = Array(w.shape.dropFirst(2)), input = Array(x.shape.dropFirst(2))
        var out: [Int] = []
        for d in 0..<spatialRank {
            let padded: Int = input[d] + pads[d] + pads[d + spatialRank]
            let span: Int = dilations[d] * (kernel[d] - 1) + 1
            out.append((padded - span) / strides[d] + 1)
        }
        let mg = m / groups
        return makeTensor([n, m] + out) { index in
            let b = index[0], oc = index[1], g = oc / mg
            var sum = bias.map { value($0, [oc]) } ?? 0
            for ic in 0..<cg {
                for tap in allIndices(kernel) {
                    var position: [Int] = []
                    var inside = true
                    for d in 0..<spatialRank {
                        let p = index[2 + d] * strides[d] - pads[d] + tap[d] * dilations[d]
                        if p < 0 || p >= input[d] { inside = false }
                        position.append(p)
                    }
                    if inside { sum += value(x, [b, g * cg + ic] + position) * value(w, [oc, ic] + tap) }
                }
            }
            return sum
        }
    }

    func testConvMatchesDirectDefinition() throws {
        var rng = SeededRandom(seed: 30)
        for trial in 0..<60 {
            let spatialRank = Int.random(in: 1...3, using: &rng)
            let depthwise = trial % 4 == 0
            let groups = depthwise ? Int.random(in: 1...4, using: &rng) : [1, 1, 2].randomElement(using: &rng)!
            let cg = depthwise ? 1 : Int.random(in: 1...3, using: &rng)
            let mg = depthwise ? 1 : Int.random(in: 1...3, using: &rng)
            let kernel = randomShape(rank: spatialRank, &rng, dims: 1...3)
            let strides = randomShape(rank: spatialRank, &rng, dims: 1...3)
            let dilations = randomShape(rank: spatialRank, &rng, dims: 1...2)
            let pads = randomShape(rank: 2 * spatialRank, &rng, dims: 0...2)
            let spatial = (0..<spatialRank).map { d in
                Int.random(in: (dilations[d] * (kernel[d] - 1) + 1)...(spatialRank == 3 ? 6 : 9), using: &rng)
            }
            let x = randomFloats([Int.random(in: 1...2, using: &rng), cg * groups] + spatial, &rng)
            let w = randomFloats([mg * groups, cg] + kernel, &rng)
            let bias = Bool.random(using: &rng) ? randomFloats([mg * groups], &rng) : nil
            let got = try Tensor.conv(
                x, weight: w, bias: bias, strides: strides, pads: pads, dilations: dilations, groups: groups)
            let expected = naiveConv(x, w, bias, strides: strides, pads: pads, dilations: dilations, groups: groups)
            if let problem = mismatch(got, expected, absolute: 1e-4, relative: 1e-4) {
                XCTFail("conv x\(x.shape) w\(w.shape) s\(strides) p\(pads) d\(dilations) g\(groups): \(problem)")
            }
        }
        // A ResNet-style 7x7 stride-2 stem: im2col's stride-2 rows take eight outputs at a time.
        let stem = randomFloats([1, 3, 20, 37], &rng), stemWeight = randomFloats([4, 3, 7, 7], &rng)
        XCTAssertNil(
            mismatch(
                try Tensor.conv(stem, weight: stemWeight, strides: [2, 2], pads: [3, 3, 3, 3]),
                naiveConv(stem, stemWeight, nil, strides: [2, 2], pads: [3, 3, 3, 3], dilations: [1, 1], groups: 1),
                absolute: 1e-4, relative: 1e-4))
        // Pointwise (1x1) convolution goes straight to sgemm.
        let x = randomFloats([2, 6, 5, 4], &rng), w = randomFloats([3, 6, 1, 1], &rng)
        XCTAssertNil(
            mismatch(
                try Tensor.conv(x, weight: w),
                naiveConv(x, w, nil, strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], groups: 1), absolute: 1e-4,
                relative: 1e-4))
    }

    /// Wide rows reach the vector paths of the 3x3 depthwise kernel (a register's width of
    /// outputs at a time, strides 1 and 2), narrow ones its small-plane path, and the epilogue's; residual and activation match the separate Add and activation.
    func testConvEpilogueAndWideDepthwiseMatchDefinition() throws {
        var rng = SeededRandom(seed: 31)
        let activations: [FusedActivation] = [
            .identity, .relu, .clip(lower: -0.5, upper: 0.75), .leakyRelu(alpha: 0.1),
        ]
        for trial in 0..<24 {
            let depthwise = trial % 2 == 0
            let channels = Int.random(in: 1...5, using: &rng)
            let kernel = depthwise ? [3, 3] : [Int.random(in: 1...3, using: &rng), 3]
            let strides = [Int.random(in: 1...2, using: &rng), Int.random(in: 1...2, using: &rng)]
            let pads = randomShape(rank: 4, &rng, dims: 0...1)
            let x = randomFloats(
                [
                    Int.random(in: 1...2, using: &rng), channels, Int.random(in: 3...12, using: &rng),
                    Int.random(in: 3...41, using: &rng),
                ], &rng)
            let m = depthwise ? channels : Int.random(in: 1...4, using: &rng)
            let w = randomFloats([m, depthwise ? 1 : channels] + kernel, &rng)
            let bias = randomFloats([m], &rng)
            let groups = depthwise ? channels : 1
            let plain = try naiveConv(x, w, bias, strides: strides, pads: pads, dilations: [1, 1], groups: groups).cast(
                to: .float32)
            let residual = Bool.random(using: &rng) ? randomFloats(plain.shape, &rng) : nil
            let activation = activations[trial % activations.count]
            let summed = try residual.map { try Tensor.binary(.add, plain, $0) } ?? plain
            let expected = try summed.activated(activation)
            let got = try Tensor.conv(
                x, weight: w, bias: bias, strides: strides, pads: pads, groups: groups, residual: residual,
                activation: activation)
            if let problem = mismatch(got, expected, absolute: 1e-4, relative: 1e-4) {
                XCTFail(
                    "conv x\(x.shape) w\(w.shape) s\(strides) p\(pads) g\(groups) residual \(residual != nil) \(activation): \(problem)"
                )
            }
        }
        let x = randomFloats([1, 2, 4, 4], &rng), w = randomFloats([2, 2, 3, 3], &rng)
        XCTAssertThrowsError(try Tensor.conv(x, weight: w, residual: randomFloats([1, 2, 3, 3], &rng))) { error in
            XCTAssertTrue("\(error)".contains("residual"), "\(error)")
        }
    }

    /// 1x1 convolutions on both sides of ShallowGemm's depth limit (its 4-row x 3-vector tiles,
    /// the leftover rows, the overlapping last vector and planes narrower than a vector), with
    /// bias, residual and activation, against the definition.
    func testPointwiseConvMatchesDefinitionAcrossDepths() throws {
        var rng = SeededRandom(seed: 34)
        for (channels, m, height, width) in [
            (3, 7, 9, 13), (16, 13, 11, 12), (27, 32, 5, 7), (32, 5, 3, 2), (33, 9, 10, 10), (48, 6, 7, 9),
        ] {
            let x = randomFloats([2, channels, height, width], &rng), w = randomFloats([m, channels, 1, 1], &rng)
            let bias = randomFloats([m], &rng)
            let plain = try naiveConv(x, w, bias, strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], groups: 1)
                .cast(to: .float32)
            let residual = randomFloats(plain.shape, &rng)
            let expected = try Tensor.binary(.add, plain, residual).activated(.clip(lower: -1, upper: 3))
            let got = try Tensor.conv(
                x, weight: w, bias: bias, residual: residual, activation: .clip(lower: -1, upper: 3))
            if let problem = mismatch(got, expected, absolute: 1e-4, relative: 1e-4) {
                XCTFail("1x1 conv x\(x.shape) w\(w.shape): \(problem)")
            }
        }
    }

    /// The fused inverted-residual block against its three convolutions run one after another:
    /// planes large enough to be streamed in strips (odd sizes, strides 1 and 2, a batch, with
    /// and without expansion and residual) and small ones, on one and two threads.
    func testInvertedResidualBlockMatchesItsConvolutions() throws {
        var rng = SeededRandom(seed: 35)
        defer { ComputePool.configure(threads: nil) }
        let six = FusedActivation.clip(lower: 0, upper: 6)
        let cases: [(input: [Int], expanded: Int?, output: Int, stride: Int, residual: Bool)] = [
            ([2, 8, 45, 47], 64, 8, 1, true), ([1, 16, 46, 45], 96, 24, 2, false),
            ([1, 64, 41, 50], nil, 16, 1, false),
            ([1, 40, 48, 48], 48, 40, 1, true), ([1, 24, 7, 7], 144, 24, 1, true), ([2, 16, 14, 13], 96, 32, 2, false),
        ]
        for threads in [1, 2] {
            ComputePool.configure(threads: threads)
            for (shape, expanded, output, stride, hasResidual) in cases {
                let channels = expanded ?? shape[1]
                let x = randomFloats(shape, &rng, in: -1...1)
                let expansion = try expanded.map {
                    (
                        weight: randomFloats([$0, shape[1], 1, 1], &rng, in: -0.5...0.5),
                        bias: Optional(randomFloats([$0], &rng)),
                        activation: six
                    )
                }
                let depthwise = (
                    weight: randomFloats([channels, 1, 3, 3], &rng, in: -0.5...0.5),
                    bias: Optional(randomFloats([channels], &rng)),
                    activation: FusedActivation.leakyRelu(alpha: 0.1)
                )
                let projection = (
                    weight: randomFloats([output, channels, 1, 1], &rng, in: -0.3...0.3),
                    bias: Optional(randomFloats([output], &rng)),
                    activation: hasResidual ? FusedActivation.identity : .relu
                )
                let block = try InvertedResidualBlock(
                    expansion: expansion, depthwise: depthwise, stride: stride, projection: projection)
                var expected = x
                if let expansion {
                    expected = try Tensor.conv(
                        expected, weight: expansion.weight, bias: expansion.bias, activation: expansion.activation)
                }
                expected = try Tensor.conv(
                    expected, weight: depthwise.weight, bias: depthwise.bias, strides: [stride, stride],
                    pads: [1, 1, 1, 1],
                    groups: channels, activation: depthwise.activation)
                let outputShape = try XCTUnwrap(block.outputShape(input: shape))
                let residual = hasResidual ? randomFloats(outputShape, &rng) : nil
                expected = try Tensor.conv(
                    expected, weight: projection.weight, bias: projection.bias, residual: residual,
                    activation: projection.activation)
                let got = try block(x, residual: residual)
                XCTAssertEqual(got.shape, outputShape)
                if let problem = mismatch(got, expected, absolute: 1e-5, relative: 1e-4) {
                    XCTFail("block x\(shape) expanded \(channels) stride \(stride), \(threads) threads: \(problem)")
                }
            }
        }
        let block = try InvertedResidualBlock(
            expansion: nil, depthwise: (randomFloats([4, 1, 3, 3], &rng), nil, .relu), stride: 1,
            projection: (randomFloats([2, 4, 1, 1], &rng), nil, .identity))
        XCTAssertThrowsError(try block(randomFloats([1, 3, 8, 8], &rng))) {
            XCTAssertTrue("\($0)".contains("[N, 4, H, W]"), "\($0)")
        }
        XCTAssertThrowsError(
            try InvertedResidualBlock(
                expansion: nil, depthwise: (randomFloats([4, 1, 3, 3], &rng), nil, .relu), stride: 3,
                projection: (randomFloats([2, 4, 1, 1], &rng), nil, .identity)))
    }

    /// Winograd F(2x2, 3x3) against the definition: odd and even planes (edge tiles), every
    /// padding, a batch, and the epilogue.
    func testWinogradConvMatchesDefinition() throws {
        var rng = SeededRandom(seed: 33)
        for (shape, pads, m) in [
            ([1, 16, 14, 14], [1, 1, 1, 1], 16), ([2, 17, 12, 20], [0, 1, 2, 0], 18),
            ([1, 16, 17, 16], [0, 0, 0, 0], 20),
        ] {
            let x = randomFloats(shape, &rng), w = randomFloats([m, shape[1], 3, 3], &rng),
                bias = randomFloats([m], &rng)
            let transformed = try WinogradWeights(weight: w)
            let plain = try naiveConv(x, w, bias, strides: [1, 1], pads: pads, dilations: [1, 1], groups: 1).cast(
                to: .float32)
            let residual = randomFloats(plain.shape, &rng)
            let expected = try Tensor.binary(.add, plain, residual).activated(.relu)
            let got = try Tensor.conv(
                x, weight: w, bias: bias, pads: pads, residual: residual, activation: .relu, winograd: transformed)
            if let problem = mismatch(got, expected, absolute: 1e-3, relative: 1e-4) {
                XCTFail("winograd x\(shape) pads \(pads): \(problem)")
            }
        }
    }

    func testConvTransposeMatchesScatterDefinition() throws {
        var rng = SeededRandom(seed: 32)
        for _ in 0..<40 {
            let rank = Int.random(in: 1...3, using: &rng)
            let groups = Int.random(in: 1...2, using: &rng), cg = Int.random(in: 1...3, using: &rng),
                mg = Int.random(in: 1...3, using: &rng)
            let kernel = randomShape(rank: rank, &rng, dims: 1...3),
                strides = randomShape(rank: rank, &rng, dims: 1...3)
            let dilations = randomShape(rank: rank, &rng, dims: 1...2),
                pads = randomShape(rank: 2 * rank, &rng, dims: 0...1)
            let spatial = randomShape(rank: rank, &rng, dims: 1...4)
            let x = randomFloats([Int.random(in: 1...2, using: &rng), cg * groups] + spatial, &rng)
            let w = randomFloats([cg * groups, mg] + kernel, &rng)
            let bias = Bool.random(using: &rng) ? randomFloats([mg * groups], &rng) : nil
            var outShape: [Int] = []
            for d in 0..<rank {
                let span: Int = (kernel[d] - 1) * dilations[d] + 1
                outShape.append(strides[d] * (spatial[d] - 1) + span - pads[d] - pads[d + rank])
            }
            guard outShape.allSatisfy({ $0 > 0 }) else { continue }
            let got = try Tensor.convTranspose(
                x, weight: w, bias: bias, outputShape: outShape, strides: strides, pads: pads, dilations: dilations,
                groups: groups)
            // By definition: every input element adds weight-scaled copies into the output.
            var expected = [Double](repeating: 0, count: x.shape[0] * mg * groups * outShape.reduce(1, *))
            let outStrides = Shape.contiguousStrides([x.shape[0], mg * groups] + outShape)
            for index in allIndices(x.shape) {
                let (b, c) = (index[0], index[1]), g = c / cg
                for oc in 0..<mg {
                    for tap in allIndices(kernel) {
                        var flat = b * outStrides[0] + (g * mg + oc) * outStrides[1]
                        var inside = true
                        for d in 0..<rank {
                            let o = index[2 + d] * strides[d] - pads[d] + tap[d] * dilations[d]
                            if o < 0 || o >= outShape[d] {
                                inside = false
                                break
                            }
                            flat += o * outStrides[2 + d]
                        }
                        if inside { expected[flat] += value(x, index) * value(w, [c, oc] + tap) }
                    }
                }
            }
            if let bias {
                for index in allIndices([x.shape[0], mg * groups] + outShape) {
                    var flat = 0
                    for (i, stride) in zip(index, outStrides) { flat += i * stride }
                    expected[flat] += value(bias, [index[1]])
                }
            }
            let reference = try Tensor(shape: [x.shape[0], mg * groups] + outShape, scalars: expected)
            if let problem = mismatch(got, reference, absolute: 1e-4, relative: 1e-4) {
                XCTFail("conv transpose x\(x.shape) w\(w.shape) s\(strides) p\(pads) d\(dilations): \(problem)")
            }
        }
    }

    func testConvErrorsNameTheShapes() {
        let x = try! Tensor(zeros: [1, 3, 5, 5], dtype: .float32),
            w = try! Tensor(zeros: [4, 2, 3, 3], dtype: .float32)
        XCTAssertThrowsError(try Tensor.conv(x, weight: w)) { error in
            XCTAssertTrue("\(error)".contains("[1, 3, 5, 5]") && "\(error)".contains("[4, 2, 3, 3]"), "\(error)")
        }
        XCTAssertThrowsError(try Tensor.conv(x, weight: try! Tensor(zeros: [4, 3, 7, 7], dtype: .float32)))
        XCTAssertThrowsError(
            try Tensor.conv(x, weight: try! Tensor(zeros: [4, 3, 3, 3], dtype: .float32), strides: [0, 1]))
    }

    private func naivePool(
        _ kind: PoolKind, _ x: Tensor, kernel: [Int], strides: [Int], pads: [Int], dilations: [Int], ceilMode: Bool,
        includePad: Bool
    ) -> Tensor {
        let r = kernel.count
        let input = Array(x.shape.dropFirst(2))
        let out = (0..<r).map { d -> Int in
            let span = dilations[d] * (kernel[d] - 1) + 1
            let total = input[d] + pads[d] + pads[d + r] - span
            var size = (ceilMode ? (total + strides[d] - 1) / strides[d] : total / strides[d]) + 1
            if ceilMode && (size - 1) * strides[d] >= input[d] + pads[d] { size -= 1 }
            return size
        }
        return makeTensor(Array(x.shape.prefix(2)) + out) { index in
            var values: [Double] = []
            var padded = 0
            for tap in allIndices(kernel) {
                var position: [Int] = []
                var inside = true, inPadding = true
                for d in 0..<r {
                    let p = index[2 + d] * strides[d] - pads[d] + tap[d] * dilations[d]
                    if p < 0 || p >= input[d] { inside = false }
                    if p < -pads[d] || p >= input[d] + pads[d + r] { inPadding = false }
                    position.append(p)
                }
                if inPadding { padded += 1 }
                if inside { values.append(value(x, Array(index.prefix(2)) + position)) }
            }
            switch kind {
            case .max: return values.max() ?? -.infinity
            case .average: return values.reduce(0, +) / Double(includePad ? padded : values.count)
            }
        }
    }

    func testPoolingMatchesDirectDefinition() throws {
        var rng = SeededRandom(seed: 31)
        for _ in 0..<80 {
            let r = Int.random(in: 1...3, using: &rng)
            let kernel = randomShape(rank: r, &rng, dims: 1...3)
            let strides = randomShape(rank: r, &rng, dims: 1...3)
            let kind: PoolKind = Bool.random(using: &rng) ? .max : .average
            let dilations = kind == .max ? randomShape(rank: r, &rng, dims: 1...2) : Array(repeating: 1, count: r)
            let pads = (0..<(2 * r)).map { i in Int.random(in: 0...(kernel[i % r] - 1), using: &rng) }
            let spatial = (0..<r).map { d in Int.random(in: (dilations[d] * (kernel[d] - 1) + 1)...8, using: &rng) }
            let x = randomFloats([2, 3] + spatial, &rng)
            let ceilMode = Bool.random(using: &rng), includePad = Bool.random(using: &rng)
            let window = WindowGeometry(kernel: kernel, strides: strides, dilations: dilations, pads: pads)
            let got = try Tensor.pool(kind, x, window: window, ceilMode: ceilMode, countIncludePad: includePad)
            let expected = naivePool(
                kind, x, kernel: kernel, strides: strides, pads: pads, dilations: dilations, ceilMode: ceilMode,
                includePad: includePad)
            if let problem = mismatch(got, expected, absolute: 1e-5, relative: 1e-5) {
                XCTFail(
                    "\(kind) x\(x.shape) k\(kernel) s\(strides) p\(pads) d\(dilations) ceil \(ceilMode) pad \(includePad): \(problem)"
                )
            }
        }
        let x = randomFloats([2, 3, 4, 5], &rng)
        XCTAssertNil(
            mismatch(
                try Tensor.globalPool(.average, x),
                makeTensor([2, 3, 1, 1]) { i in
                    allIndices([4, 5]).map { value(x, [i[0], i[1]] + $0) }.reduce(0, +) / 20
                }, absolute: 1e-5, relative: 1e-5))
        XCTAssertNil(
            mismatch(
                try Tensor.globalPool(.max, x),
                makeTensor([2, 3, 1, 1]) { i in
                    allIndices([4, 5]).map { value(x, [i[0], i[1]] + $0) }.max()!
                }))
    }
}
