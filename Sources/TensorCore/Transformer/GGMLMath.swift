/// Bit-for-bit the float arithmetic ggml's CPU backend uses where llama.cpp's logits are sensitive
/// to the last bit: its vectorised `expf` (a degree-5 polynomial after range reduction, the
/// routine ggml adapted from Arm's optimized-routines), SiLU built on it, the lane order of its
/// 16-wide horizontal sums, and its 16-lane fused multiply-add dot products. The model is chaotic
/// enough (8-bit activation rounding flips) that libm's `expf` alone moves logits by tenths.
package enum GGMLMath {
    /// ggml's vector `expf`: exact for the lanes it computes, ±inf / 0 beyond |x| ≈ 133.
    @inline(__always) package static func exp(_ x: Float) -> Float {
        let shifter: Float = 0x1.8p23
        let z = shifter.addingProduct(x, 0x1.715476p+0)
        let n = z - shifter
        let b = x.addingProduct(-n, 0x1.62e4p-1).addingProduct(-n, 0x1.7f7d1cp-20)
        guard Swift.abs(n) <= 192 else { return n > 0 ? .infinity : 0 }
        let u = b * b
        let high = Float(0x1.573e2ep-5).addingProduct(0x1.0e4020p-7, b)
        let middle = Float(0x1.fffdb6p-2).addingProduct(0x1.555e66p-3, b)
        let low = Float(1).addingProduct(0x1.ffffecp-1, b)
        let j = low.addingProduct(middle.addingProduct(high, u), u)
        return Float(sign: .plus, exponent: Int(n), significand: j)
    }

    /// ``exp(_:)`` on 16 lanes at once; lanes whose result is not a normal float fall back to the
    /// scalar routine.
    @inline(__always) package static func exp(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let shifter = SIMD16<Float>(repeating: 0x1.8p23)
        let z = shifter.addingProduct(x, SIMD16(repeating: 0x1.715476p+0))
        let n = z - shifter
        let b = x.addingProduct(-n, SIMD16(repeating: 0x1.62e4p-1)).addingProduct(-n, SIMD16(repeating: 0x1.7f7d1cp-20))
        if any(n .< -125) || any(n .> 127) {
            var result = SIMD16<Float>()
            for lane in 0..<16 { result[lane] = exp(x[lane]) }
            return result
        }
        let u = b * b
        let high = SIMD16<Float>(repeating: 0x1.573e2ep-5).addingProduct(SIMD16(repeating: 0x1.0e4020p-7), b)
        let middle = SIMD16<Float>(repeating: 0x1.fffdb6p-2).addingProduct(SIMD16(repeating: 0x1.555e66p-3), b)
        let low = SIMD16<Float>(repeating: 1).addingProduct(SIMD16(repeating: 0x1.ffffecp-1), b)
        let j = low.addingProduct(middle.addingProduct(high, u), u)
        // z's low mantissa bits hold n: 2^n is (n + 127) << 23 as a bit pattern.
        let bits = unsafeBitCast(z, to: SIMD16<UInt32>.self) &- 0x4B40_0000 &+ 127
        return j * unsafeBitCast(bits &<< 23, to: SIMD16<Float>.self)
    }

    /// `x / (1 + exp(-x))` with ggml's `exp`.
    @inline(__always) package static func silu(_ x: Float) -> Float { x / (1 + exp(0 - x)) }

    /// A 16-lane horizontal sum in the order LLVM reduces `_mm512_reduce_add_ps`: halves, then
    /// quarters, eighths and the last pair.
    @inline(__always) package static func sum16(_ v: SIMD16<Float>) -> Float {
        let eight = v.lowHalf + v.highHalf
        let four = eight.lowHalf + eight.highHalf
        let two = four.lowHalf + four.highHalf
        return two[0] + two[1]
    }
}
