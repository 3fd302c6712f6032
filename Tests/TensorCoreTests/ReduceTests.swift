import Foundation
import XCTest

@testable import TensorCore

final class ReduceTests: XCTestCase {
    private func naiveReduce(_ t: Tensor, axes: [Int], keepDims: Bool, _ op: ReduceOp) -> Tensor {
        let outShape =
            keepDims
            ? t.shape.indices.map { axes.contains($0) ? 1 : t.shape[$0] }
            : t.shape.indices.filter { !axes.contains($0) }.map { t.shape[$0] }
        var groups: [[Int]: [Double]] = [:]
        for index in allIndices(t.shape) {
            let key =
                keepDims
                ? index.indices.map { axes.contains($0) ? 0 : index[$0] }
                : index.indices.filter { !axes.contains($0) }.map { index[$0] }
            groups[key, default: []].append(value(t, index))
        }
        return makeTensor(outShape) { key in
            let values = groups[key] ?? []
            switch op {
            case .sum: return values.reduce(0, +)
            case .mean: return values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
            case .max: return values.max() ?? -.infinity
            case .min: return values.min() ?? .infinity
            case .prod: return values.reduce(1, *)
            case .l1: return values.map { Swift.abs($0) }.reduce(0, +)
            case .l2: return values.map { $0 * $0 }.reduce(0, +).squareRoot()
            case .sumSquare: return values.map { $0 * $0 }.reduce(0, +)
            case .logSum: return Foundation.log(values.reduce(0, +))
            case .logSumExp: return Foundation.log(values.map { Foundation.exp($0) }.reduce(0, +))
            }
        }
    }

    func testReductionsOverAnyAxesMatchNaiveReference() throws {
        var rng = SeededRandom(seed: 10)
        for op in ReduceOp.allCases {
            for _ in 0..<30 {
                let rank = Int.random(in: 0...4, using: &rng)
                let shape = randomShape(rank: rank, &rng, dims: 0...4)
                var t = randomFloats(shape, &rng, in: op == .logSum ? 0.1...2 : -2...2)
                if Bool.random(using: &rng) { t = nonContiguous(t) }
                let axes = (0..<rank).filter { _ in Bool.random(using: &rng) }
                let keepDims = Bool.random(using: &rng)
                let got = try t.reduce(op, axes: axes, keepDims: keepDims)
                let expected = naiveReduce(t, axes: axes.isEmpty ? Array(0..<rank) : axes, keepDims: keepDims, op)
                if let problem = mismatch(got, expected, absolute: 1e-4, relative: 1e-5) {
                    XCTFail("\(op) \(shape) axes \(axes): \(problem)")
                }
            }
        }
    }

    func testIntegerAndHalfReductions() throws {
        var rng = SeededRandom(seed: 11)
        for dtype in [DType.int32, .int64, .uint8, .float16, .bfloat16, .float64] {
            for op in [ReduceOp.sum, .max, .min, .prod, .l1, .sumSquare, .mean] {
                let t = randomTensor([3, 4, 2], dtype, &rng)
                let got = try t.reduce(op, axes: [1], keepDims: false)
                XCTAssertEqual(got.dtype, dtype)
                if dtype.isInteger && op == .mean { continue }
                let expected = naiveReduce(t, axes: [1], keepDims: false, op)
                let tolerance = dtype == .bfloat16 ? 2e-2 : dtype == .float16 ? 2e-3 : 1e-9
                // Integers wrap: narrow through int64 the way fixed-width arithmetic does.
                let reference =
                    dtype.isInteger ? try expected.cast(to: .int64).cast(to: dtype) : try expected.cast(to: dtype)
                if let problem = mismatch(got, reference, absolute: tolerance, relative: tolerance) {
                    XCTFail("\(op) \(dtype): \(problem)")
                }
            }
        }
        // Integer mean truncates toward zero.
        XCTAssertEqual(
            try Tensor(shape: [2, 2], scalars: [Int32(-3), -4, 3, 4]).reduce(.mean, axes: [1], keepDims: false).scalars(
                as: Int32.self), [-3, 3])
        let noop = try Tensor(shape: [2], scalars: [Float(1), 2])
        XCTAssertEqual(try noop.reduce(.sum, axes: [], noopWithEmptyAxes: true).scalars(as: Float.self), [1, 2])
        XCTAssertThrowsError(try noop.reduce(.sum, axes: [3])) {
            XCTAssertEqual($0 as? TensorError, .axisOutOfRange(op: "reduce_sum", axis: 3, rank: 1))
        }
        XCTAssertThrowsError(try noop.reduce(.sum, axes: [0, -1]))
    }

    func testArgMaxArgMin() throws {
        var rng = SeededRandom(seed: 12)
        for _ in 0..<40 {
            let shape = randomShape(rank: Int.random(in: 1...4, using: &rng), &rng, dims: 1...5)
            let t = randomTensor(shape, [DType.float32, .int64, .float64, .int8].randomElement(using: &rng)!, &rng)
            let axis = Int.random(in: 0..<shape.count, using: &rng)
            for isMax in [true, false] {
                for last in [true, false] {
                    let got = try t.argExtreme(isMax ? .max : .min, axis: axis, keepDims: true, selectLastIndex: last)
                    var outShape = shape
                    outShape[axis] = 1
                    let expected = makeTensor(outShape, dtype: .int64) { index in
                        var best = 0
                        for i in 0..<shape[axis] {
                            var probe = index, current = index
                            probe[axis] = i
                            current[axis] = best
                            let a = value(t, probe), b = value(t, current)
                            if isMax ? (last ? a >= b : a > b) : (last ? a <= b : a < b) { best = i }
                        }
                        return Double(best)
                    }
                    if let problem = mismatch(got, expected, absolute: 0, relative: 0) {
                        XCTFail("arg \(isMax) last \(last) \(shape) axis \(axis): \(problem)")
                    }
                }
            }
        }
        XCTAssertThrowsError(try Tensor(zeros: [0, 2], dtype: .float32).argExtreme(.max, axis: 0))
    }
}
