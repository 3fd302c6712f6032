/// Vectorised float32 transcendental functions, each within about half an ulp of the true
/// value: they evaluate in double precision (8 lanes) and round once to float. The row entry
/// points take any stride; tails and strided rows go through the same 8-lane code, so a
/// value's result never depends on where it sits in memory.
public enum VectorMath {
    public typealias Lanes = SIMD8<Double>

    @usableFromInline static let log2e = 1.4426950408889634
    /// ln 2 split in two so that `n * ln2Hi` is exact for the exponents used here.
    @usableFromInline static let ln2Hi = 0.6931471803691238
    @usableFromInline static let ln2Lo = 1.9082149292705877e-10
    @usableFromInline static let ln2 = 0.6931471805599453
    @usableFromInline static let sqrt2 = 1.4142135623730951
    /// 1.5 x 2^52: adding it to a double of magnitude below 2^51 rounds to an integer (ties to
    /// even) that sits in the low bits of the sum. Integer <-> double lane conversions written
    /// this way compile to a few vector ops; the standard library's converting initialisers go
    /// lane by lane and ran 40x slower.
    @usableFromInline static let roundingMagic = 6_755_399_441_055_744.0
    @usableFromInline static let roundingMagicPattern: Int64 = 0x4338_0000_0000_0000

    /// e^x, inputs clamped to [-200, 200] (float results saturate long before); NaN stays NaN.
    @inlinable @inline(__always)
    public static func exp(_ input: Lanes) -> Lanes {
        let x = input.replacing(with: 200, where: input .> 200).replacing(with: -200, where: input .< -200)
        let shifted = x * log2e + roundingMagic
        let n = shifted - roundingMagic
        let r = x.addingProduct(-n, Lanes(repeating: ln2Hi)).addingProduct(-n, Lanes(repeating: ln2Lo))
        // Taylor series of e^r to r^11 on |r| <= ln2/2: truncation error below 1e-13.
        var p = Lanes(repeating: 1.0 / 39_916_800)
        p = Lanes(repeating: 1.0 / 3_628_800).addingProduct(p, r)
        p = Lanes(repeating: 1.0 / 362_880).addingProduct(p, r)
        p = Lanes(repeating: 1.0 / 40_320).addingProduct(p, r)
        p = Lanes(repeating: 1.0 / 5_040).addingProduct(p, r)
        p = Lanes(repeating: 1.0 / 720).addingProduct(p, r)
        p = Lanes(repeating: 1.0 / 120).addingProduct(p, r)
        p = Lanes(repeating: 1.0 / 24).addingProduct(p, r)
        p = Lanes(repeating: 1.0 / 6).addingProduct(p, r)
        p = Lanes(repeating: 0.5).addingProduct(p, r)
        p = Lanes(repeating: 1).addingProduct(p, r)
        p = Lanes(repeating: 1).addingProduct(p, r)
        let integer = unsafeBitCast(shifted, to: SIMD8<Int64>.self) &- SIMD8(repeating: roundingMagicPattern)
        let scale = unsafeBitCast((integer &+ 1023) &<< 52, to: Lanes.self)
        return (p * scale).replacing(with: input, where: input .!= input)
    }

    /// Natural logarithm of positive finite doubles in float range; 0 gives -inf, negatives
    /// NaN, +inf stays +inf.
    @inlinable @inline(__always)
    public static func log(_ x: Lanes) -> Lanes {
        let bits = unsafeBitCast(x, to: SIMD8<Int64>.self)
        var exponent =
            unsafeBitCast(((bits &>> 52) &- 1023) &+ SIMD8(repeating: roundingMagicPattern), to: Lanes.self)
            - roundingMagic
        var mantissa = unsafeBitCast((bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000, to: Lanes.self)
        let high = mantissa .> sqrt2
        mantissa.replace(with: mantissa * 0.5, where: high)
        exponent.replace(with: exponent + 1, where: high)
        // log(m) = 2 atanh(s), s = (m-1)/(m+1), |s| <= 0.1716: odd series to s^17.
        let f = mantissa - 1
        let s = f / (f + 2)
        let z = s * s
        var p = Lanes(repeating: 1.0 / 17)
        p = Lanes(repeating: 1.0 / 15).addingProduct(p, z)
        p = Lanes(repeating: 1.0 / 13).addingProduct(p, z)
        p = Lanes(repeating: 1.0 / 11).addingProduct(p, z)
        p = Lanes(repeating: 1.0 / 9).addingProduct(p, z)
        p = Lanes(repeating: 1.0 / 7).addingProduct(p, z)
        p = Lanes(repeating: 1.0 / 5).addingProduct(p, z)
        p = Lanes(repeating: 1.0 / 3).addingProduct(p, z)
        p = Lanes(repeating: 1).addingProduct(p, z)
        var result = (2 * s * p).addingProduct(exponent, Lanes(repeating: ln2))
        result.replace(with: -.infinity, where: x .== 0)
        result.replace(with: .nan, where: x .< 0)
        result.replace(with: x, where: (x .!= x) .| (x .== .infinity))
        return result
    }

    /// tanh(x), accurate for tiny |x| too.
    @inlinable @inline(__always)
    public static func tanh(_ x: Lanes) -> Lanes {
        let magnitude = x.replacing(with: -x, where: x .< 0)
        let e = exp(2 * magnitude)
        var result = 1 - 2 / (e + 1)
        let small = magnitude .< 0.0005
        result.replace(with: magnitude * (1 - magnitude * magnitude / 3), where: small)
        result.replace(with: -result, where: x .< 0)
        return result.replacing(with: x, where: x .!= x)
    }

    /// The logistic function 1 / (1 + e^-x).
    @inlinable @inline(__always)
    public static func sigmoid(_ x: Lanes) -> Lanes {
        1 / (1 + exp(-x))
    }

    /// Applies an 8-lane double function to a float32 row of any stride.
    @inlinable @inline(__always)
    public static func apply(
        _ input: UnsafePointer<Float>, _ stride: Int, _ output: UnsafeMutablePointer<Float>, _ count: Int,
        _ function: (Lanes) -> Lanes
    ) {
        var i = 0
        if stride == 1 {
            while i + 8 <= count {
                let lanes = UnsafeRawPointer(input + i).loadUnaligned(as: SIMD8<Float>.self)
                let result = SIMD8<Float>(function(Lanes(lanes)))
                UnsafeMutableRawPointer(output + i).storeBytes(of: result, as: SIMD8<Float>.self)
                i += 8
            }
        }
        while i < count {
            var lanes = SIMD8<Float>(repeating: 0)
            let chunk = min(8, count - i)
            for lane in 0..<chunk { lanes[lane] = input[(i + lane) * stride] }
            let result = SIMD8<Float>(function(Lanes(lanes)))
            for lane in 0..<chunk { output[i + lane] = result[lane] }
            i += chunk
        }
    }
}
