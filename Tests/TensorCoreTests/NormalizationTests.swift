import Foundation
import XCTest

@testable import TensorCore

final class NormalizationTests: XCTestCase {
    func testLayerAndRMSNormMatchDefinition() throws {
        var rng = SeededRandom(seed: 40)
        for _ in 0..<30 {
            let shape = randomShape(rank: Int.random(in: 1...4, using: &rng), &rng, dims: 1...5)
            let axis = Int.random(in: 0..<shape.count, using: &rng)
            let normalized = Array(shape[axis...])
            let x = nonContiguous(randomFloats(shape, &rng))
            let scale = randomFloats(normalized, &rng), bias = randomFloats([normalized.last!], &rng)
            let (got, mean, inverse) = try Tensor.layerNorm(x, axis: axis, scale: scale, bias: bias, epsilon: 1e-3)
            let rowShape = Array(shape[..<axis])
            let expected = makeTensor(shape) { index in
                let prefix = Array(index[..<axis])
                let row = allIndices(normalized).map { value(x, prefix + $0) }
                let mu = row.reduce(0, +) / Double(row.count)
                let variance = row.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / Double(row.count)
                let tail = Array(index[axis...])
                return (value(x, index) - mu) / (variance + 1e-3).squareRoot() * value(scale, tail)
                    + value(bias, [tail.last!])
            }
            if let problem = mismatch(got, expected, absolute: 1e-4, relative: 1e-4) {
                XCTFail("layer norm \(shape) axis \(axis): \(problem)")
            }
            XCTAssertEqual(mean.shape, rowShape + Array(repeating: 1, count: normalized.count))
            XCTAssertEqual(inverse.shape, mean.shape)
            let rms = try Tensor.rmsNorm(x, axis: axis, scale: scale, epsilon: 1e-3)
            let expectedRMS = makeTensor(shape) { index in
                let row = allIndices(normalized).map { value(x, Array(index[..<axis]) + $0) }
                let meanSquare = row.map { $0 * $0 }.reduce(0, +) / Double(row.count)
                return value(x, index) / (meanSquare + 1e-3).squareRoot() * value(scale, Array(index[axis...]))
            }
            if let problem = mismatch(rms, expectedRMS, absolute: 1e-4, relative: 1e-4) {
                XCTFail("rms norm \(shape): \(problem)")
            }
        }
    }

    func testBatchAndInstanceNorm() throws {
        var rng = SeededRandom(seed: 41)
        let x = randomFloats([2, 3, 4, 5], &rng)
        let scale = randomFloats([3], &rng), bias = randomFloats([3], &rng), mean = randomFloats([3], &rng)
        let variance = randomFloats([3], &rng, in: 0.1...2)
        let got = try Tensor.batchNorm(x, scale: scale, bias: bias, mean: mean, variance: variance, epsilon: 1e-5)
        let expected = makeTensor(x.shape) { i in
            let c = i[1]
            return (value(x, i) - value(mean, [c])) / (value(variance, [c]) + 1e-5).squareRoot() * value(scale, [c])
                + value(bias, [c])
        }
        XCTAssertNil(mismatch(got, expected, absolute: 1e-5, relative: 1e-5))
        let instance = try Tensor.instanceNorm(x, scale: scale, bias: bias, epsilon: 1e-5)
        let expectedInstance = makeTensor(x.shape) { i in
            let plane = allIndices([4, 5]).map { value(x, [i[0], i[1]] + $0) }
            let mu = plane.reduce(0, +) / 20
            let variance = plane.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / 20
            return (value(x, i) - mu) / (variance + 1e-5).squareRoot() * value(scale, [i[1]]) + value(bias, [i[1]])
        }
        XCTAssertNil(mismatch(instance, expectedInstance, absolute: 1e-4, relative: 1e-4))
        XCTAssertThrowsError(
            try Tensor.batchNorm(x, scale: randomFloats([4], &rng), bias: bias, mean: mean, variance: variance))
    }

    func testSoftmaxAndLogSoftmaxAlongAnyAxis() throws {
        var rng = SeededRandom(seed: 42)
        for _ in 0..<30 {
            let shape = randomShape(rank: Int.random(in: 1...4, using: &rng), &rng, dims: 1...6)
            let axis = Int.random(in: 0..<shape.count, using: &rng)
            let x = nonContiguous(randomFloats(shape, &rng, in: -30...30))
            for logarithmic in [false, true] {
                let got = logarithmic ? try x.logSoftmax(axis: axis) : try x.softmax(axis: axis)
                let expected = makeTensor(shape) { index in
                    let row = (0..<shape[axis]).map { i -> Double in
                        var p = index
                        p[axis] = i
                        return value(x, p)
                    }
                    let peak = row.max()!
                    let sum = row.map { Foundation.exp($0 - peak) }.reduce(0, +)
                    return logarithmic
                        ? value(x, index) - peak - Foundation.log(sum) : Foundation.exp(value(x, index) - peak) / sum
                }
                if let problem = mismatch(got, expected, absolute: 1e-6, relative: 1e-5) {
                    XCTFail("softmax \(logarithmic) \(shape) axis \(axis): \(problem)")
                }
            }
        }
        let half = try Tensor(shape: [3], scalars: [Float16(1), 2, 3]).softmax()
        XCTAssertEqual(half.dtype, .float16)
    }
}
