import XCTest

@testable import TensorCore

final class LinalgTests: XCTestCase {
    func testSolveInverseDeterminantSVD() throws {
        var rng = SeededRandom(seed: 60)
        for dtype in [DType.float32, .float64] {
            for n in [1, 2, 5, 9] {
                // Diagonally dominant, so well conditioned.
                let base = randomFloats([2, n, n], &rng)
                let a = try Tensor.binary(.add, base, Tensor.binary(.mul, identity(n), Tensor(scalar: Float(n * 3))))
                    .cast(to: dtype)
                let b = try randomFloats([2, n, 3], &rng).cast(to: dtype)
                let x = try Tensor.solve(a, b)
                XCTAssertNil(mismatch(try Tensor.matmul(a, x), b, absolute: 1e-4, relative: 1e-4))
                let inverse = try a.inverse()
                XCTAssertNil(
                    mismatch(
                        try Tensor.matmul(a, inverse),
                        try Tensor.binary(
                            .add, identity(n).cast(to: dtype), try Tensor(zeros: [2, n, n], dtype: dtype)),
                        absolute: 1e-4, relative: 1e-4))
                let det = try a.determinant()
                XCTAssertEqual(det.shape, [2])
                // det(A) * det(A^-1) = 1.
                let product = try Tensor.binary(.mul, det, inverse.determinant()).cast(to: .float64).scalars(
                    as: Double.self)
                for p in product { XCTAssertEqual(p, 1, accuracy: 1e-3) }
                let m = try randomFloats([n + 2, n], &rng).cast(to: dtype)
                let (u, s, vt) = try m.svd()
                XCTAssertEqual(u.shape, [n + 2, n])
                XCTAssertEqual(s.shape, [n])
                XCTAssertEqual(vt.shape, [n, n])
                let sv = try s.cast(to: .float64).scalars(as: Double.self)
                XCTAssertEqual(sv, sv.sorted(by: >))
                let rebuilt = try Tensor.matmul(Tensor.binary(.mul, u, s), vt)
                XCTAssertNil(mismatch(rebuilt, m, absolute: 1e-4, relative: 1e-4))
            }
        }
        // Known determinant.
        XCTAssertEqual(
            try Tensor(shape: [2, 2], scalars: [3.0, 8, 4, 6]).determinant().scalars(as: Double.self), [-14])
    }

    func testSingularAndMalformedInputsThrow() {
        let singular = try! Tensor(shape: [2, 2], scalars: [Float(1), 2, 2, 4])
        XCTAssertThrowsError(try Tensor.solve(singular, try! Tensor(shape: [2, 1], scalars: [Float(1), 1]))) {
            XCTAssertEqual($0 as? TensorError, .singularMatrix(op: "solve"))
        }
        XCTAssertThrowsError(try singular.inverse()) {
            XCTAssertEqual($0 as? TensorError, .singularMatrix(op: "inverse"))
        }
        XCTAssertThrowsError(try Tensor(zeros: [2, 3], dtype: .float32).inverse())
        XCTAssertThrowsError(try Tensor(zeros: [2, 2], dtype: .int32).inverse())
    }

    private func identity(_ n: Int) -> Tensor {
        makeTensor([n, n], dtype: .float32) { $0[0] == $0[1] ? 1 : 0 }
    }
}
