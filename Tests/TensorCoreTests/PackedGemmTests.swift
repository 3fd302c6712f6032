import Foundation
import XCTest

@testable import TensorCore

/// `PackedWeights` (the encoder's matrix kernel, AVX-512 or its BLAS fallback) and the encoder's
/// elementwise kernels against naive double-precision references.
final class PackedGemmTests: XCTestCase {
    private func random(_ count: Int, seed: inout UInt64) -> [Float] {
        (0..<count).map { _ in
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: seed >> 11) % 2000) / 1000 - 1
        }
    }

    private func exactGELU(_ x: Double) -> Double { 0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot())) }

    /// Shapes with partial panels (outputs not a multiple of 32), row tails (not a multiple of 12)
    /// and several k blocks (inputs over 256), with every epilogue.
    func testMultiplyMatchesNaiveProducts() throws {
        var seed: UInt64 = 7
        for (rows, outputs, inputs) in [
            (1, 1, 1), (5, 32, 16), (12, 64, 384), (29, 45, 300), (37, 384, 1536), (100, 7, 513),
        ] {
            let a = random(rows * inputs, seed: &seed), w = random(outputs * inputs, seed: &seed)
            let bias = random(outputs, seed: &seed), residual = random(rows * outputs, seed: &seed)
            let packed = w.withUnsafeBufferPointer {
                PackedWeights(weights: $0.baseAddress!, outputs: outputs, inputs: inputs, owner: w)
            }
            for (useBias, useResidual, gelu) in [(false, false, false), (true, true, false), (true, false, true)] {
                var c = [Float](repeating: .nan, count: rows * outputs)
                a.withUnsafeBufferPointer { ap in
                    bias.withUnsafeBufferPointer { bp in
                        residual.withUnsafeBufferPointer { rp in
                            c.withUnsafeMutableBufferPointer { cp in
                                packed.multiply(
                                    ap.baseAddress!, rows: rows, lda: inputs, into: cp.baseAddress!, ldc: outputs,
                                    epilogue: PackedWeights.Epilogue(
                                        bias: useBias ? bp.baseAddress : nil,
                                        residual: useResidual ? rp.baseAddress : nil,
                                        residualStride: outputs, gelu: gelu))
                            }
                        }
                    }
                }
                for r in 0..<rows {
                    for o in 0..<outputs {
                        var sum = 0.0
                        for k in 0..<inputs { sum += Double(a[r * inputs + k]) * Double(w[o * inputs + k]) }
                        if useBias { sum += Double(bias[o]) }
                        if useResidual { sum += Double(residual[r * outputs + o]) }
                        if gelu { sum = exactGELU(sum) }
                        let tolerance = 1e-5 * Double(inputs).squareRoot() * 4 + 1e-6
                        XCTAssertEqual(
                            Double(c[r * outputs + o]), sum, accuracy: tolerance,
                            "\(rows)x\(outputs)x\(inputs) bias \(useBias) residual \(useResidual) gelu \(gelu) [\(r), \(o)]"
                        )
                    }
                }
            }
        }
    }

    func testPanelProductOfARowMajorMatrix() {
        var seed: UInt64 = 11
        let (rows, k, columns) = (19, 40, 64)
        let a = random(rows * k, seed: &seed), b = random(k * columns, seed: &seed)
        guard PackedWeights.hasPanelKernel else { return }
        var c = [Float](repeating: .nan, count: rows * columns)
        PackedWeights.panelProduct(
            a, rows: rows, lda: k, k: k, b: b, ldb: columns, panelStride: 32, columns: columns, into: &c, ldc: columns)
        for r in 0..<rows {
            for j in 0..<columns {
                let sum = (0..<k).reduce(0.0) { $0 + Double(a[r * k + $1]) * Double(b[$1 * columns + j]) }
                XCTAssertEqual(Double(c[r * columns + j]), sum, accuracy: 1e-4)
            }
        }
    }

    func testErfAndGELU() {
        for x in stride(from: -6.0, through: 6.0, by: 0.001) {
            let lanes = EncoderKernels.erf(SIMD16<Float>(repeating: Float(x)))
            XCTAssertEqual(Double(lanes[0]), Foundation.erf(x), accuracy: 3e-7, "erf(\(x))")
        }
        XCTAssertTrue(EncoderKernels.erf(SIMD16<Float>(repeating: .nan))[0].isNaN)
        var values: [Float] = [-12, -3, -0.5, 0, 0.25, 1, 2.5, 40]
        let expected = values.map { exactGELU(Double($0)) }
        EncoderKernels.gelu(&values, count: values.count)
        for (value, reference) in zip(values, expected) { XCTAssertEqual(Double(value), reference, accuracy: 1e-6) }
    }

    func testLayerNormAndSoftmax() {
        var seed: UInt64 = 3
        let width = 45
        let x = random(2 * width, seed: &seed), weight = random(width, seed: &seed), bias = random(width, seed: &seed)
        var out = [Float](repeating: 0, count: 2 * width)
        EncoderKernels.layerNorm(x, rows: 2, width: width, weight: weight, bias: bias, epsilon: 1e-12, into: &out)
        for row in 0..<2 {
            let values: [Double] = x[(row * width)..<((row + 1) * width)].map { Double($0) }
            let mean: Double = values.reduce(0, +) / Double(width)
            var variance = 0.0
            for value in values { variance += (value - mean) * (value - mean) }
            let deviation = (variance / Double(width) + 1e-12).squareRoot()
            for i in 0..<width {
                let expected: Double = (values[i] - mean) / deviation * Double(weight[i]) + Double(bias[i])
                XCTAssertEqual(Double(out[row * width + i]), expected, accuracy: 1e-5)
            }
        }
        var scores = random(3 * 37, seed: &seed)
        let original = scores
        EncoderKernels.softmaxRows(&scores, rows: 3, width: 37, scale: 0.5)
        for row in 0..<3 {
            let logits = original[(row * 37)..<((row + 1) * 37)].map { Double($0) * 0.5 }
            let total = logits.map { Foundation.exp($0) }.reduce(0, +)
            for i in 0..<37 {
                XCTAssertEqual(Double(scores[row * 37 + i]), Foundation.exp(logits[i - 0]) / total, accuracy: 1e-6)
            }
        }
    }
}
