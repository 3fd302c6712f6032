import XCTest

@testable import TensorCore

/// Quantized dot products (SIMD and portable) against a double-precision reference over the
/// dequantized weights and the dequantized 8-bit activations.
final class QuantizedDotTests: XCTestCase {
    /// Random blocks of `type` with finite float16 scales at the format's scale offsets.
    static func randomBlocks(_ type: GGMLType, count: Int, using rng: inout SystemRandomNumberGenerator) -> [UInt8] {
        var bytes = (0..<(count * type.blockBytes)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let halves: [Int] =
            switch type {
            case .q4_0, .q5_0, .q8_0: [0]
            case .q4_1, .q5_1, .q4_K, .q5_K: [0, 2]
            case .q2_K: [80, 82]
            case .q3_K: [108]
            case .q6_K: [208]
            default: []
            }
        for block in 0..<count {
            for offset in halves {
                let scale = Float16(Float.random(in: 0.001...0.05, using: &rng) * (Bool.random(using: &rng) ? 1 : -1))
                bytes[block * type.blockBytes + offset] = UInt8(scale.bitPattern & 0xFF)
                bytes[block * type.blockBytes + offset + 1] = UInt8(scale.bitPattern >> 8)
            }
        }
        return bytes
    }

    func testEveryFormatAgainstTheDequantizedReference() {
        var rng = SystemRandomNumberGenerator()
        let columns = 512, rows = 3
        for type in [GGMLType.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K] {
            let format = QuantizedDot.activationFormat(for: type)!
            let weights = QuantizedDotTests.randomBlocks(type, count: rows * columns / type.blockElements, using: &rng)
            let input = (0..<columns).map { _ in Float.random(in: -3...3, using: &rng) }
            let activations = ActivationBlocks(format: format, rows: 1, columns: columns)
            input.withUnsafeBufferPointer { activations.quantize($0.baseAddress!) }
            // The activations as the dot products see them.
            var seen = [Double](repeating: 0, count: columns)
            for i in 0..<columns {
                seen[i] = Double(activations.scales[i / format.blockElements]) * Double(activations.values[i])
            }
            XCTAssertLessThan(
                zip(seen, input).map { abs($0 - Double($1)) }.max()!, 3.0 / 127 * 0.51 + 1e-3,
                "\(type.name) activation quantization")
            let rowBytes = type.rowBytes(columns)!
            weights.withUnsafeBytes { raw in
                for row in 0..<rows {
                    let rowPointer = raw.baseAddress! + row * rowBytes
                    var decoded = [Float](repeating: 0, count: columns)
                    decoded.withUnsafeMutableBufferPointer {
                        GGMLDequantize.values(
                            UnsafeRawBufferPointer(start: rowPointer, count: rowBytes), type: type, into: $0)
                    }
                    var reference = 0.0, magnitude = 0.0
                    for i in 0..<columns {
                        reference += Double(decoded[i]) * seen[i]
                        magnitude += abs(Double(decoded[i]) * seen[i])
                    }
                    let blocks = activations.blocksPerRow
                    let scales = UnsafePointer(activations.scales.baseAddress!),
                        sums = UnsafePointer(activations.sums.baseAddress!)
                    let values = UnsafePointer(activations.values.baseAddress!)
                    let fast = QuantizedDot.dotRow(
                        rowPointer, type: type, blocks: blocks, scales: scales, sums: sums, values: values)
                    let portable = QuantizedDot.portableDotRow(
                        rowPointer, type: type, blocks: blocks, scales: scales, sums: sums, values: values)
                    // q8_1 stores d·Σq rounded to float16: allow that rounding on top of float sums.
                    let tolerance = 2e-5 * magnitude + (format == .q8_1 ? 2e-3 * magnitude : 0) + 1e-5
                    XCTAssertEqual(Double(fast), reference, accuracy: tolerance, "\(type.name) row \(row) (SIMD)")
                    XCTAssertEqual(
                        Double(portable), reference, accuracy: tolerance, "\(type.name) row \(row) (portable)")
                    // The portable loops form the SIMD kernels' sums in the same order: equal to the bit.
                    XCTAssertEqual(
                        fast.bitPattern, portable.bitPattern,
                        "\(type.name) row \(row): SIMD \(fast), portable \(portable)")
                }
            }
        }
    }

    func testQ8ActivationsRoundTiesToEvenWithFloat16Scales() {
        // amax 127 gives d = 1 exactly: every value is its own rounding, ties go to even.
        var input = [Float](repeating: 0, count: 32)
        input[0] = 127
        input[1] = 2.5
        input[2] = -3.5
        input[3] = 0.5
        let activations = ActivationBlocks(format: .q8_1, rows: 1, columns: 32)
        input.withUnsafeBufferPointer { activations.quantize($0.baseAddress!) }
        XCTAssertEqual(Array(activations.values.prefix(4)), [127, 2, -4, 0])
        XCTAssertEqual(activations.scales[0], 1)
        XCTAssertEqual(activations.sums[0], 125)
    }
}

extension QuantizedDotTests {
    /// The matrix product (rows in groups of four, several tokens) equals the row-by-row dot products.
    func testMatrixProductMatchesRowDots() {
        var rng = SystemRandomNumberGenerator()
        let columns = 256
        for (rows, tokens) in [(7, 3), (13, 1), (16, 1), (8, 7), (12, 9), (8, 23)] {
            for type in [GGMLType.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q6_K] {
                let weights = QuantizedDotTests.randomBlocks(
                    type, count: rows * columns / type.blockElements, using: &rng)
                let input = (0..<(tokens * columns)).map { _ in Float.random(in: -2...2, using: &rng) }
                var output = [Float](repeating: .nan, count: tokens * rows)
                weights.withUnsafeBytes { raw in
                    let matrix = QuantizedMatrix(type: type, rows: rows, columns: columns, bytes: raw.baseAddress!)!
                    input.withUnsafeBufferPointer { x in
                        output.withUnsafeMutableBufferPointer {
                            matrix.multiply(x.baseAddress!, tokens: tokens, into: $0.baseAddress!)
                        }
                    }
                    let activations = ActivationBlocks(
                        format: QuantizedDot.activationFormat(for: type)!, rows: tokens, columns: columns)
                    input.withUnsafeBufferPointer { activations.quantize($0.baseAddress!) }
                    for t in 0..<tokens {
                        for r in 0..<rows {
                            let expected = QuantizedDot.dot(
                                raw.baseAddress! + r * matrix.rowBytes, type: type, activations, row: t)
                            XCTAssertEqual(
                                output[t * rows + r], expected,
                                "\(type.name) token \(t) row \(r): tiles sum exactly as single rows")
                        }
                    }
                }
            }
        }
    }
}
