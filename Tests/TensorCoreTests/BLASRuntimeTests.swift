import XCTest

@testable import TensorCore

final class BLASRuntimeTests: XCTestCase {
    func testRecommendsAVXKernelsOnlyWhenOpenBLASFellBackToGeneric() {
        let avx512: Set<String> = ["avx", "avx2", "fma", "avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl"]
        XCTAssertEqual(BLASRuntime.recommendedCoreType(cpuFlags: avx512, chosen: "Prescott"), "SkylakeX")
        XCTAssertEqual(
            BLASRuntime.recommendedCoreType(cpuFlags: ["avx", "avx2", "fma"], chosen: "Prescott"), "Haswell")
        XCTAssertNil(BLASRuntime.recommendedCoreType(cpuFlags: avx512, chosen: "SkylakeX"))
        XCTAssertNil(BLASRuntime.recommendedCoreType(cpuFlags: ["sse2"], chosen: "Prescott"))
        XCTAssertFalse(BLASRuntime.coreName.isEmpty)
    }

    /// A product big enough for every BLAS blocking path, against a double-precision reference.
    func testLargeProductAgainstDoubleReference() throws {
        var rng = SeededRandom(seed: 22)
        let m = 131, k = 257, n = 190
        let a = randomFloats([m, k], &rng), b = randomFloats([k, n], &rng)
        let av = try a.scalars(as: Float.self), bv = try b.scalars(as: Float.self)
        let got = try Tensor.matmul(a, b).scalars(as: Float.self)
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k { sum += Double(av[i * k + p]) * Double(bv[p * n + j]) }
                worst = max(worst, abs(Double(got[i * n + j]) - sum))
            }
        }
        XCTAssertLessThan(worst, 1e-3, "largest error vs double reference (\(BLASRuntime.coreName) kernels)")
    }
}
