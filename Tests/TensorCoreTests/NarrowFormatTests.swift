import Foundation
import XCTest

@testable import TensorCore

/// The narrow formats against values ml_dtypes 0.6 (the ONNX reference's converter) gives for
/// the same inputs.
final class NarrowFormatTests: XCTestCase {
    private let inputs: [Float] = [-9.5, -8.6, -1.5, -0.5, 0.5, 1.5, 2.5, 6.7, 7.5, 8, 15.5, 16, 17, 300, -300]

    private func roundTrip(_ dtype: DType, saturate: Bool = false, _ values: [Float]? = nil) throws -> [Float] {
        try Tensor(shape: [(values ?? inputs).count], scalars: values ?? inputs).cast(to: dtype, saturate: saturate)
            .cast(to: .float32).scalars(as: Float.self)
    }

    func testIntegersKeepTheirLowBits() throws {
        XCTAssertEqual(try roundTrip(.int4), [7, -8, -1, 0, 0, 1, 2, 6, 7, -8, -1, 0, 1, -4, 4])
        XCTAssertEqual(try roundTrip(.uint4), [7, 8, 15, 0, 0, 1, 2, 6, 7, 8, 15, 0, 1, 12, 4])
        XCTAssertEqual(try roundTrip(.int2), [-1, 0, -1, 0, 0, 1, -2, -2, -1, 0, -1, 0, 1, 0, 0])
        XCTAssertEqual(
            try Tensor(shape: [3], scalars: [Int32(-7), 8, 100]).cast(to: .int4).cast(to: .int32).scalars(
                as: Int32.self), [-7, -8, 4])
    }

    func testFloat8AndFloat4RoundToNearestEven() throws {
        XCTAssertEqual(
            try roundTrip(.float8e4m3fn), [-10, -9, -1.5, -0.5, 0.5, 1.5, 2.5, 6.5, 7.5, 8, 16, 16, 16, 288, -288])
        XCTAssertEqual(
            try roundTrip(.float8e5m2), [-10, -8, -1.5, -0.5, 0.5, 1.5, 2.5, 7, 8, 8, 16, 16, 16, 320, -320])
        XCTAssertEqual(try roundTrip(.float4e2m1), [-6, -6, -1.5, -0.5, 0.5, 1.5, 2, 6, 6, 6, 6, 6, 6, 6, -6])
        let fnuz = try roundTrip(.float8e4m3fnuz)
        XCTAssertEqual(Array(fnuz.prefix(13)), [-10, -9, -1.5, -0.5, 0.5, 1.5, 2.5, 6.5, 7.5, 8, 16, 16, 16])
        XCTAssertTrue(fnuz[13].isNaN && fnuz[14].isNaN, "beyond 240 without saturation is NaN")
    }

    func testOverflowSaturatesOrNot() throws {
        let e4m3 = try roundTrip(.float8e4m3fn, [1000, 500, 464, 449])
        XCTAssertTrue(e4m3[0].isNaN && e4m3[1].isNaN)
        XCTAssertEqual(Array(e4m3.suffix(2)), [448, 448])
        XCTAssertEqual(
            try roundTrip(.float8e5m2, [300, 3e5, 61440, 57344, 60000]), [320, .infinity, .infinity, 57344, 57344])
        let saturated = try roundTrip(.float8e4m3fn, saturate: true, [1000, -1000, .infinity, -.infinity, .nan, 500])
        XCTAssertEqual(saturated.filter { !$0.isNaN }, [448, -448, 448, -448, 448])
        XCTAssertTrue(saturated[4].isNaN)
    }
}
