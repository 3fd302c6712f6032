import Foundation
import XCTest

@testable import TensorCore

final class CastTests: XCTestCase {
    /// IEEE binary16 decoded from its fields, independently of any conversion under test.
    private func decodeHalf(_ bits: UInt16) -> Double {
        let sign: Double = bits & 0x8000 != 0 ? -1 : 1
        let exponent = Int(bits >> 10) & 0x1F, mantissa = Double(bits & 0x3FF)
        if exponent == 0 { return sign * mantissa * Foundation.pow(2, -24) }
        if exponent == 31 { return mantissa == 0 ? sign * .infinity : .nan }
        return sign * (1024 + mantissa) * Foundation.pow(2, Double(exponent - 25))
    }

    /// bfloat16 decoded from its fields (1 sign, 8 exponent, 7 mantissa bits).
    private func decodeBFloat(_ bits: UInt16) -> Double {
        let sign: Double = bits & 0x8000 != 0 ? -1 : 1
        let exponent = Int(bits >> 7) & 0xFF, mantissa = Double(bits & 0x7F)
        if exponent == 0 { return sign * mantissa * Foundation.pow(2, -133) }
        if exponent == 255 { return mantissa == 0 ? sign * .infinity : .nan }
        return sign * (128 + mantissa) * Foundation.pow(2, Double(exponent - 134))
    }

    /// Runs the exhaustive checks for one 16-bit format.
    private func checkAllPatterns(
        _ dtype: DType, decode: (UInt16) -> Double, maxFinite: UInt16, fromBits: ([UInt16]) throws -> Tensor
    ) throws {
        let patterns = (0...UInt16.max).map { $0 }
        let tensor = try fromBits(patterns)
        let widened = try tensor.cast(to: .float32).scalars(as: Float.self)
        let widenedDouble = try tensor.cast(to: .float64).scalars(as: Double.self)
        for (i, bits) in patterns.enumerated() {
            let exact = decode(bits)
            if exact.isNaN {
                XCTAssertTrue(widened[i].isNaN && widenedDouble[i].isNaN, "\(dtype) NaN pattern \(bits)")
            } else {
                XCTAssertEqual(Double(widened[i]), exact, "\(dtype) pattern \(bits)")
                XCTAssertEqual(widenedDouble[i], exact, "\(dtype) pattern \(bits)")
            }
        }
        // Round trip of every pattern through float32 keeps it (NaN stays NaN).
        let back = try tensor.cast(to: .float32).cast(to: dtype)
        let backBits = try back.cast(to: .float32).scalars(as: Float.self)
        for (i, value) in backBits.enumerated() {
            XCTAssertEqual(value.isNaN, widened[i].isNaN)
            if !value.isNaN { XCTAssertEqual(value.bitPattern, widened[i].bitPattern) }
        }
        // Midpoints between neighbours round to the even one; a hair either side to the nearer one.
        // From float32 and from float64 (the latter also proves there is no double rounding).
        var floats: [Float] = [], doubles: [Double] = [], expected: [UInt16] = []
        for magnitude in 0...maxFinite {
            for sign: UInt16 in [0, 0x8000] {
                let bits = magnitude | sign
                let negative = sign != 0
                let low = decode(bits)
                let step =
                    magnitude == maxFinite
                    ? Swift.abs(low) - Swift.abs(decode(magnitude - 1)) : Swift.abs(decode(bits + 1) - low)
                let next: UInt16 = magnitude == maxFinite ? (sign | (dtype == .float16 ? 0x7C00 : 0x7F80)) : bits + 1
                let middle = low + (negative ? -step : step) / 2
                let even = bits & 1 == 0 ? bits : next
                // Toward zero rounds down to `bits`, away from zero up to `next`.
                let hair = step * 1e-6
                floats.append(Float(middle))
                doubles.append(middle)
                expected.append(even)
                floats.append(negative ? Float(middle).nextUp : Float(middle).nextDown)
                doubles.append(middle + (negative ? hair : -hair))
                expected.append(bits)
                floats.append(negative ? Float(middle).nextDown : Float(middle).nextUp)
                doubles.append(middle + (negative ? -hair : hair))
                expected.append(next)
            }
        }
        // Float lists hold [middle, below, above] per pattern; doubles [middle, below, above].
        let fromFloat = try Tensor(shape: [floats.count], scalars: floats).cast(to: dtype).cast(to: .float32).scalars(
            as: Float.self)
        let fromDouble = try Tensor(shape: [doubles.count], scalars: doubles).cast(to: dtype).cast(to: .float32)
            .scalars(as: Float.self)
        for k in 0..<(floats.count / 3) {
            let mid = expected[3 * k], below = expected[3 * k + 1], above = expected[3 * k + 2]
            XCTAssertEqual(Double(fromFloat[3 * k]), decode(mid), "\(dtype) tie at \(floats[3 * k])")
            XCTAssertEqual(Double(fromFloat[3 * k + 1]), decode(below), "\(dtype) below \(floats[3 * k + 1])")
            XCTAssertEqual(Double(fromFloat[3 * k + 2]), decode(above), "\(dtype) above \(floats[3 * k + 2])")
            XCTAssertEqual(Double(fromDouble[3 * k]), decode(mid), "\(dtype) tie at \(doubles[3 * k]) from double")
            XCTAssertEqual(
                Double(fromDouble[3 * k + 1]), decode(below), "\(dtype) below \(doubles[3 * k + 1]) from double")
            XCTAssertEqual(
                Double(fromDouble[3 * k + 2]), decode(above), "\(dtype) above \(doubles[3 * k + 2]) from double")
        }
    }

    func testFloat16AllBitPatterns() throws {
        try checkAllPatterns(.float16, decode: decodeHalf, maxFinite: 0x7BFF) { bits in
            try Tensor(shape: [bits.count], scalars: bits.map { Float16(bitPattern: $0) })
        }
    }

    func testBFloat16AllBitPatterns() throws {
        try checkAllPatterns(.bfloat16, decode: decodeBFloat, maxFinite: 0x7F7F) { bits in
            try Tensor(shape: [bits.count], scalars: bits.map { BFloat16(bitPattern: $0) })
        }
    }

    func testFloatToIntegerSaturatesAndNaNIsZero() throws {
        let values: [Float] = [1.9, -1.9, 300, -300, .nan, .infinity, -.infinity, 3e9, -3e9]
        let t = try Tensor(shape: [values.count], scalars: values)
        XCTAssertEqual(try t.cast(to: .int8).scalars(as: Int8.self), [1, -1, 127, -128, 0, 127, -128, 127, -128])
        XCTAssertEqual(try t.cast(to: .uint8).scalars(as: UInt8.self), [1, 0, 255, 0, 0, 255, 0, 255, 0])
        XCTAssertEqual(try t.cast(to: .int32).scalars(as: Int32.self), [1, -1, 300, -300, 0, .max, .min, .max, .min])
        XCTAssertEqual(
            try t.cast(to: .int64).scalars(as: Int64.self),
            [1, -1, 300, -300, 0, .max, .min, 3_000_000_000, -3_000_000_000])
        XCTAssertEqual(
            try t.cast(to: .bool).scalars(as: Bool.self), [true, true, true, true, true, true, true, true, true])
        let ints = try Tensor(shape: [5], scalars: [Int32(-1), 256, 2049, 2051, 0])
        XCTAssertEqual(try ints.cast(to: .uint8).scalars(as: UInt8.self), [255, 0, 1, 3, 0])
        XCTAssertEqual(try ints.cast(to: .bool).scalars(as: Bool.self), [true, true, true, true, false])
        XCTAssertEqual(try ints.cast(to: .float16).scalars(as: Float16.self), [-1, 256, 2048, 2052, 0])
        XCTAssertEqual(
            try Tensor(shape: [1], scalars: [Int64.max]).cast(to: .float32).scalars(as: Float.self), [9.223372e18])
        XCTAssertEqual(
            try Tensor(shape: [2], scalars: [true, false]).cast(to: .bfloat16).cast(to: .float32).scalars(
                as: Float.self), [1, 0])
    }

    func testStringCasts() throws {
        let strings = try Tensor(shape: [5], strings: ["1.5", " -2 ", "INF", "nan", "1e3"])
        let floats = try strings.cast(to: .float32).scalars(as: Float.self)
        XCTAssertEqual(Array(floats[0..<3]), [1.5, -2, .infinity])
        XCTAssertTrue(floats[3].isNaN)
        XCTAssertEqual(floats[4], 1000)
        XCTAssertEqual(try Tensor(shape: [2], strings: ["7", "-8"]).cast(to: .int64).scalars(as: Int64.self), [7, -8])
        XCTAssertEqual(
            try Tensor(shape: [3], scalars: [Float(0.5), .infinity, -3]).cast(to: .string).stringScalars(),
            ["0.5", "INF", "-3.0"])
        XCTAssertThrowsError(try Tensor(shape: [2], strings: ["1", "abc"]).cast(to: .float32)) { error in
            XCTAssertEqual(
                error as? TensorError,
                .invalidCast(from: .string, to: .float32, reason: "element 1 \"abc\" is not a valid float32 value"))
        }
        XCTAssertThrowsError(try Tensor(shape: [1], strings: ["300"]).cast(to: .uint8))
    }

    func testEveryPairOfTypesConverts() throws {
        // 0 and 1 are representable in every type, down to int2 and float4.
        let source = try Tensor(shape: [4], scalars: [Float(0), 1, 1, 0])
        for from in DType.allCases {
            let typed = try source.cast(to: from)
            for to in DType.allCases {
                let converted = try typed.cast(to: to)
                XCTAssertEqual(converted.dtype, to)
                XCTAssertEqual(converted.shape, [4])
                if to != .string && from != .string {
                    XCTAssertEqual(
                        try converted.cast(to: .float64).scalars(as: Double.self), [0, 1, 1, 0], "\(from) -> \(to)")
                }
            }
        }
    }
}
