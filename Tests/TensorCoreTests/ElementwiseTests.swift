import Foundation
import XCTest

@testable import TensorCore

final class ElementwiseTests: XCTestCase {
    /// Random broadcastable pairs: empty dims, scalars, size-1 and broadcast dims, views.
    private func randomPair(_ rng: inout SeededRandom, _ dtype: DType) -> (Tensor, Tensor) {
        let rank = Int.random(in: 0...4, using: &rng)
        let shape = randomShape(rank: rank, &rng, dims: 0...4)
        var other = shape.map { Bool.random(using: &rng) ? 1 : $0 }
        var mine = shape.map { Bool.random(using: &rng) ? 1 : $0 }
        if Bool.random(using: &rng), !other.isEmpty { other.removeFirst(Int.random(in: 0...other.count, using: &rng)) }
        if Bool.random(using: &rng), !mine.isEmpty { mine.removeFirst(Int.random(in: 0...mine.count, using: &rng)) }
        var a = randomTensor(mine, dtype, &rng), b = randomTensor(other, dtype, &rng)
        if Bool.random(using: &rng) { a = nonContiguous(a) }
        if Bool.random(using: &rng) { b = nonContiguous(b) }
        return (a, b)
    }

    private func naiveBinary(_ a: Tensor, _ b: Tensor, _ f: (Double, Double) -> Double) throws -> Tensor {
        let shape = try Shape.broadcast([a.shape, b.shape], op: "test")
        let ab = try a.broadcast(to: shape), bb = try b.broadcast(to: shape)
        return makeTensor(shape) { f(value(ab, $0), value(bb, $0)) }
    }

    func testBinaryFloatOpsMatchNaiveReference() throws {
        var rng = SeededRandom(seed: 2)
        let ops: [(BinaryOp, (Double, Double) -> Double)] = [
            (.add, +), (.sub, -), (.mul, *), (.div, /), (.max, { max($0, $1) }), (.min, { min($0, $1) }),
            (.pow, { Foundation.pow($0, $1) }), (.fmod, { fmod($0, $1) }),
            (
                .mod,
                { x, y in
                    let r = fmod(x, y)
                    return r != 0 && (r < 0) != (y < 0) ? r + y : r
                }
            ),
        ]
        for dtype in [DType.float32, .float64, .float16, .bfloat16] {
            for (op, f) in ops {
                for _ in 0..<25 {
                    let (a, b) = randomPair(&rng, dtype)
                    let got = try Tensor.binary(op, a, b)
                    XCTAssertEqual(got.dtype, dtype)
                    let expected = try naiveBinary(a, b, f)
                    let tolerance = dtype == .bfloat16 ? 1e-2 : dtype == .float16 ? 1e-3 : 1e-6
                    if let problem = mismatch(got, expected, absolute: tolerance, relative: tolerance) {
                        XCTFail("\(op) \(dtype) \(a.shape) \(b.shape): \(problem)")
                    }
                }
            }
        }
    }

    func testLongContiguousRowsUseTheVectorPathCorrectly() throws {
        var rng = SeededRandom(seed: 3)
        for count in [15, 16, 17, 100, 1000, 70_001] {
            let a = randomFloats([count], &rng), b = randomFloats([count], &rng)
            let av = try a.scalars(as: Float.self), bv = try b.scalars(as: Float.self)
            XCTAssertEqual(try Tensor.binary(.add, a, b).scalars(as: Float.self), zip(av, bv).map(+))
            XCTAssertEqual(
                try Tensor.binary(.mul, a, Tensor(scalar: Float(3))).scalars(as: Float.self), av.map { $0 * 3 })
            XCTAssertEqual(
                try Tensor.binary(.sub, Tensor(scalar: Float(3)), b).scalars(as: Float.self), bv.map { 3 - $0 })
            let withNaN = try Tensor(
                shape: [count], scalars: av.enumerated().map { $0.offset % 7 == 0 ? Float.nan : $0.element })
            let maxed = try Tensor.binary(.max, withNaN, b).scalars(as: Float.self)
            for i in 0..<count { XCTAssertEqual(maxed[i].isNaN, i % 7 == 0) }
        }
    }

    func testIntegerOpsWrapAndNeverTrap() throws {
        var rng = SeededRandom(seed: 4)
        for dtype in [DType.int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64] {
            for op in [BinaryOp.add, .sub, .mul, .max, .min, .div, .mod, .fmod] {
                for _ in 0..<10 {
                    let (a, b) = randomPair(&rng, dtype)
                    let got = try Tensor.binary(op, a, b)
                    let expected = try naiveBinary(a, b) { x, y in
                        switch op {
                        case .add: return x + y
                        case .sub: return x - y
                        case .mul: return x * y
                        case .max: return max(x, y)
                        case .min: return min(x, y)
                        case .div: return y == 0 ? 0 : (x / y).rounded(.towardZero)
                        case .fmod: return y == 0 ? 0 : fmod(x, y)
                        default:
                            if y == 0 { return 0 }
                            let r = fmod(x, y)
                            return r != 0 && (r < 0) != (y < 0) ? r + y : r
                        }
                    }
                    // Wrap the reference the way fixed-width arithmetic does.
                    let wrapped = try expected.cast(to: .int64).cast(to: dtype)
                    if let problem = mismatch(got, wrapped, absolute: 0, relative: 0) {
                        XCTFail("\(op) \(dtype): \(problem)")
                    }
                }
            }
        }
        let big = try Tensor(shape: [2], scalars: [Int32.min, 7])
        let minusOne = try Tensor(shape: [2], scalars: [Int32(-1), 0])
        XCTAssertEqual(try Tensor.binary(.div, big, minusOne).scalars(as: Int32.self), [Int32.min, 0])
        XCTAssertEqual(
            try Tensor.binary(
                .pow, Tensor(shape: [3], scalars: [Int64(3), 2, -1]), Tensor(shape: [3], scalars: [Int64(4), 62, 3])
            ).scalars(as: Int64.self), [81, 1 << 62, -1])
        XCTAssertEqual(
            try Tensor.binary(
                .shiftLeft, Tensor(shape: [2], scalars: [UInt8(1), 3]), Tensor(shape: [2], scalars: [UInt8(7), 9])
            ).scalars(as: UInt8.self), [128, 0])
        XCTAssertEqual(
            try Tensor.binary(
                .bitwiseXor, Tensor(shape: [1], scalars: [Int16(0b1010)]), Tensor(shape: [1], scalars: [Int16(0b0110)])
            ).scalars(as: Int16.self), [0b1100])
    }

    func testCompareAndLogical() throws {
        var rng = SeededRandom(seed: 5)
        for dtype in [DType.float32, .int64, .uint8, .float16] {
            for op in CompareOp.allCases {
                for _ in 0..<10 {
                    let (a, b) = randomPair(&rng, dtype)
                    let got = try Tensor.compare(op, a, b)
                    XCTAssertEqual(got.dtype, .bool)
                    let expected = try naiveBinary(a, b) { x, y in
                        switch op {
                        case .equal: return x == y ? 1 : 0
                        case .less: return x < y ? 1 : 0
                        case .lessOrEqual: return x <= y ? 1 : 0
                        case .greater: return x > y ? 1 : 0
                        case .greaterOrEqual: return x >= y ? 1 : 0
                        }
                    }
                    if let problem = mismatch(got, expected, absolute: 0, relative: 0) {
                        XCTFail("\(op) \(dtype): \(problem)")
                    }
                }
            }
        }
        let p = try Tensor(shape: [4], scalars: [true, true, false, false]),
            q = try Tensor(shape: [4], scalars: [true, false, true, false])
        XCTAssertEqual(try Tensor.logical(.and, p, q).scalars(as: Bool.self), [true, false, false, false])
        XCTAssertEqual(try Tensor.logical(.or, p, q).scalars(as: Bool.self), [true, true, true, false])
        XCTAssertEqual(try Tensor.logical(.xor, p, q).scalars(as: Bool.self), [false, true, true, false])
        XCTAssertEqual(try p.unary(.not).scalars(as: Bool.self), [false, false, true, true])
    }

    func testUnaryOpsWithinAFewUlpsOfDoublePrecision() throws {
        var samples: [Float] = [
            0, -0, 1, -1, 0.5, 1e-7, -1e-7, 1e-30, 3e-39, -3e-39, 20, -20, 88.7, 88.8, -87, -103, -104, 200, -200,
            .infinity, -.infinity, .nan, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
        ]
        var rng = SeededRandom(seed: 6)
        for _ in 0..<4000 { samples.append(Float.random(in: -12...12, using: &rng)) }
        for _ in 0..<1000 {
            samples.append(
                Float(bitPattern: UInt32.random(in: 0...0x7F7F_FFFF, using: &rng)) * (Bool.random(using: &rng) ? 1 : -1)
            )
        }
        let input = try Tensor(shape: [samples.count], scalars: samples)
        let cases: [(UnaryOp, (Double) -> Double, Double)] = [
            (.exp, { Foundation.exp($0) }, 1), (.log, { Foundation.log($0) }, 1), (.tanh, { Foundation.tanh($0) }, 1),
            (.sigmoid, { 1 / (1 + Foundation.exp(-$0)) }, 1), (.erf, { Foundation.erf($0) }, 2),
            (.gelu, { 0.5 * $0 * (1 + Foundation.erf($0 / 2.0.squareRoot())) }, 4), (.sqrt, { $0.squareRoot() }, 0.5),
            (.sin, { Foundation.sin($0) }, 2), (.atan, { Foundation.atan($0) }, 2),
            (.softsign, { $0 / (1 + Swift.abs($0)) }, 2),
            (.softplus, { Foundation.log1p(Foundation.exp(-Swift.abs($0))) + max($0, 0) }, 2),
        ]
        for (op, reference, allowed) in cases {
            for layout in [input, nonContiguous(input)] {
                let got =
                    try op == .sin || op == .atan
                    ? layout.unary(op).scalars(as: Float.self) : layout.unary(op).scalars(as: Float.self)
                var worst = 0.0
                for (x, y) in zip(samples, got) {
                    if op == .sin && Swift.abs(x) > 1e4 { continue }
                    let exact = reference(Double(x))
                    let distance = ulpDistance(y, exact)
                    worst = max(worst, distance)
                    if distance > allowed {
                        XCTFail("\(op)(\(x)) = \(y), exact \(exact): \(distance) ulp")
                        break
                    }
                }
                XCTAssertLessThanOrEqual(worst, allowed, "\(op)")
            }
        }
        let v = try Tensor(shape: [5], scalars: [Float(-1.5), -0.5, 0.5, 1.5, 2.5])
        XCTAssertEqual(try v.unary(.round).scalars(as: Float.self), [-2, -0, 0, 2, 2])
        XCTAssertEqual(try v.unary(.relu).scalars(as: Float.self), [0, 0, 0.5, 1.5, 2.5])
        XCTAssertEqual(try v.unary(.abs).scalars(as: Float.self), [1.5, 0.5, 0.5, 1.5, 2.5])
        XCTAssertEqual(
            try Tensor(shape: [3], scalars: [Int32(-4), 0, 9]).unary(.abs).scalars(as: Int32.self), [4, 0, 9])
        XCTAssertThrowsError(try Tensor(shape: [1], scalars: [Int32(1)]).unary(.exp)) {
            XCTAssertEqual($0 as? TensorError, .unsupportedDType(op: "exp", dtype: .int32))
        }
    }

    func testMismatchedShapesAndTypesThrowTypedErrors() {
        let a = try! Tensor(zeros: [2, 3], dtype: .float32), b = try! Tensor(zeros: [4, 3], dtype: .float32)
        XCTAssertThrowsError(try Tensor.binary(.add, a, b)) { error in
            XCTAssertEqual(
                error as? TensorError,
                .shapeMismatch(
                    op: "add", shapes: [[2, 3], [4, 3]],
                    reason: "dimension 0 is 2 in one and 4 in another (numpy broadcasting needs equal sizes or 1)"))
        }
        XCTAssertThrowsError(try Tensor.binary(.add, a, try! Tensor(zeros: [2, 3], dtype: .int32))) {
            XCTAssertEqual($0 as? TensorError, .dtypeMismatch(op: "add", dtypes: [.float32, .int32]))
        }
        XCTAssertThrowsError(try Tensor.binary(.bitwiseAnd, a, a))
    }
}
