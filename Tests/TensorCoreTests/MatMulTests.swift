import XCTest

@testable import TensorCore

final class MatMulTests: XCTestCase {
    private func naiveMatmul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let a2 = a.rank == 1 ? try a.unsqueezed(axes: [0]) : a
        let b2 = b.rank == 1 ? try b.unsqueezed(axes: [1]) : b
        let m = a2.shape[a2.rank - 2], k = a2.shape[a2.rank - 1], n = b2.shape[b2.rank - 1]
        let batch = try Shape.broadcast([Array(a2.shape.dropLast(2)), Array(b2.shape.dropLast(2))], op: "t")
        let ab = try a2.broadcast(to: batch + [m, k]), bb = try b2.broadcast(to: batch + [k, n])
        var result = makeTensor(batch + [m, n]) { index in
            let prefix = Array(index.dropLast(2)), i = index[index.count - 2], j = index[index.count - 1]
            return (0..<k).reduce(0.0) { $0 + value(ab, prefix + [i, $1]) * value(bb, prefix + [$1, j]) }
        }
        var shape = batch + [m, n]
        if a.rank == 1 { shape.remove(at: shape.count - 2) }
        if b.rank == 1 { shape.removeLast() }
        result = try result.reshaped(shape)
        return result
    }

    func testMatmulBroadcastingAndLayoutsMatchNaive() throws {
        var rng = SeededRandom(seed: 20)
        for dtype in [DType.float32, .float64, .int32, .float16] {
            for _ in 0..<40 {
                let m = Int.random(in: 0...6, using: &rng), k = Int.random(in: 0...6, using: &rng),
                    n = Int.random(in: 0...6, using: &rng)
                let batchA = randomShape(rank: Int.random(in: 0...2, using: &rng), &rng, dims: 1...3)
                let batchB = Bool.random(using: &rng) ? batchA.map { Bool.random(using: &rng) ? 1 : $0 } : []
                let aRank1 = Int.random(in: 0..<6, using: &rng) == 0, bRank1 = Int.random(in: 0..<6, using: &rng) == 0
                var a = randomTensor(aRank1 ? [k] : batchA + [m, k], dtype, &rng)
                var b = randomTensor(bRank1 ? [k] : batchB + [k, n], dtype, &rng)
                // Transposed views go to BLAS as transposes.
                if Bool.random(using: &rng), a.rank >= 2 {
                    a = try a.transposedLastTwo().contiguous().transposedLastTwo()
                }
                if Bool.random(using: &rng), b.rank >= 2 {
                    b = try b.transposedLastTwo().contiguous().transposedLastTwo()
                }
                if Bool.random(using: &rng) { a = nonContiguous(a) }
                let got = try Tensor.matmul(a, b)
                let expected = try naiveMatmul(a, b)
                let tolerance = dtype == .float16 ? 2e-2 : 1e-5
                if let problem = mismatch(got, expected, absolute: tolerance, relative: tolerance) {
                    XCTFail("\(dtype) \(a.shape) x \(b.shape): \(problem)")
                }
            }
        }
    }

    func testSharedRightOperandFoldsBatchIntoRows() throws {
        var rng = SeededRandom(seed: 21)
        let a = randomFloats([3, 5, 7], &rng), b = randomFloats([7, 4], &rng)
        XCTAssertNil(mismatch(try Tensor.matmul(a, b), try naiveMatmul(a, b), absolute: 1e-5, relative: 1e-5))
        let big = randomFloats([64, 130], &rng), right = randomFloats([130, 70], &rng)
        XCTAssertNil(
            mismatch(try Tensor.matmul(big, right), try naiveMatmul(big, right), absolute: 1e-4, relative: 1e-5))
    }

    /// A single row or column runs as matrix-vector products, split over the pool when large.
    func testVectorProductsMatchNaive() throws {
        var rng = SeededRandom(seed: 23)
        let row = randomFloats([1, 300], &rng), column = randomFloats([300, 1], &rng)
        let weights = randomFloats([300, 1100], &rng)
        let transposed = try randomFloats([1100, 300], &rng).transposedLastTwo()
        for (a, b) in [
            (row, weights), (row, transposed), (try weights.transposedLastTwo(), column),
            (try transposed.transposedLastTwo(), column),
        ] {
            XCTAssertNil(
                mismatch(try Tensor.matmul(a, b), try naiveMatmul(a, b), absolute: 1e-4, relative: 1e-5),
                "\(a.shape) x \(b.shape)")
        }
    }

    func testMatmulErrors() {
        let a = try! Tensor(zeros: [2, 3], dtype: .float32), b = try! Tensor(zeros: [4, 5], dtype: .float32)
        XCTAssertThrowsError(try Tensor.matmul(a, b)) {
            XCTAssertEqual(
                $0 as? TensorError,
                .shapeMismatch(op: "matmul", shapes: [[2, 3], [4, 5]], reason: "inner dimensions 3 and 4 differ"))
        }
        XCTAssertThrowsError(try Tensor.matmul(Tensor(scalar: Float(1)), a))
        XCTAssertThrowsError(try Tensor.matmul(a, try! Tensor(zeros: [3, 2], dtype: .float64)))
    }
}
