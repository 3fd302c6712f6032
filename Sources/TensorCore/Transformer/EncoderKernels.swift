import CBLAS
import Foundation

/// The non-matmul steps of a BERT-style encoder block (post-norm LayerNorm, exact GELU, softmax
/// over attention scores), on float rows with SIMD16 lanes and no allocation.
package enum EncoderKernels {
    /// `erf` on 16 lanes, within 2e-7 of the exact value everywhere: `x·P(x²)` below 1 and
    /// `1 − exp(Q(x) − x²)` above (both least-squares fits to erf in double, checked in float32;
    /// no division); saturates to ±1 beyond 4, where float erf is ±1.
    @inline(__always) package static func erf(_ input: SIMD16<Float>) -> SIMD16<Float> {
        let x = input.replacing(with: 0, where: input .!= input)
        let magnitudeOfX = x.replacing(with: -x, where: x .< 0)
        let a = magnitudeOfX.replacing(with: 4, where: magnitudeOfX .> 4)
        let s = a * a
        var small = SIMD16<Float>(repeating: -9.8092562332264e-06)
        small = SIMD16(repeating: 0.00011313114407293137).addingProduct(small, s)
        small = SIMD16(repeating: -0.0008490195278658652).addingProduct(small, s)
        small = SIMD16(repeating: 0.005221422911140187).addingProduct(small, s)
        small = SIMD16(repeating: -0.026865558323857456).addingProduct(small, s)
        small = SIMD16(repeating: 0.1128378446237522).addingProduct(small, s)
        small = SIMD16(repeating: -0.3761263858068983).addingProduct(small, s)
        small = SIMD16(repeating: 1.1283791670719554).addingProduct(small, s)
        small *= a
        let u = a - 2.45
        var q = SIMD16<Float>(repeating: 1.627774831690177e-06)
        q = SIMD16(repeating: -1.3943080112274245e-05).addingProduct(q, u)
        q = SIMD16(repeating: 8.210595523010496e-05).addingProduct(q, u)
        q = SIMD16(repeating: -0.0004441172731118871).addingProduct(q, u)
        q = SIMD16(repeating: 0.0022732376798440504).addingProduct(q, u)
        q = SIMD16(repeating: -0.011302203239218404).addingProduct(q, u)
        q = SIMD16(repeating: 0.057768113718932645).addingProduct(q, u)
        q = SIMD16(repeating: -0.3583738632178646).addingProduct(q, u)
        q = SIMD16(repeating: -1.5390396040045917).addingProduct(q, u)
        let large = 1 - GGMLMath.exp(q - s)
        let magnitude = small.replacing(with: large, where: a .>= 1)
        let signed = magnitude.replacing(with: -magnitude, where: x .< 0)
        return signed.replacing(with: input, where: input .!= input)
    }

    /// GELU (the exact erf form BERT uses) on 16 lanes: `x/2 · (1 + erf(x/√2))`.
    @inline(__always) package static func gelu(_ v: SIMD16<Float>) -> SIMD16<Float> {
        0.5 * v * (1 + erf(v * 0.70710678118654752))
    }

    /// ``gelu(_:)-(SIMD16<Float>)`` on `count` floats in place.
    package static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(x + i).storeBytes(of: gelu(v), as: SIMD16<Float>.self)
            i += 16
        }
        if i < count {
            var tail = SIMD16<Float>()
            for lane in 0..<(count - i) { tail[lane] = x[i + lane] }
            let y = gelu(tail)
            for lane in 0..<(count - i) { x[i + lane] = y[lane] }
        }
    }

    /// GELU's tanh form, `x/2 · (1 + tanh(√(2/π)(x + 0.044715x³)))`, on `count` floats in place.
    package static func geluTanh(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let v = x[i]
            x[i] = 0.5 * v * (1 + tanhf(0.7978845608028654 * v * (1 + 0.044715 * v * v)))
        }
    }

    /// ggml's GELU on `count` floats in place: 0 at or below −10, the identity at or above 10, and
    /// between them the tanh form looked up by the float16 rounding of the input, its value
    /// rounded to float16 (the table ggml builds at start-up).
    package static func geluGGML(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let table = ggmlGELUTable
        for i in 0..<count {
            let v = x[i]
            if v <= -10 {
                x[i] = 0
            } else if v >= 10 {
                x[i] = v
            } else {
                x[i] = Float(table[Int(Float16(v).bitPattern)])
            }
        }
    }

    /// `float16(geluTanh(float(h)))` for every float16 bit pattern `h`.
    private static let ggmlGELUTable: [Float16] = (0..<65536).map { bits in
        let f = Float(Float16(bitPattern: UInt16(bits)))
        return Float16(0.5 * f * (1 + tanhf(0.79788456080286535587989211986876 * f * (1 + 0.044715 * f * f))))
    }

    /// `out = (x − mean) / sqrt(var + ε) · weight + bias` over each of `rows` rows of `width`
    /// floats (two passes: the mean, then the variance about it); `out` may be `x`.
    package static func layerNorm(
        _ x: UnsafePointer<Float>, rows: Int, width: Int, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        epsilon: Float, into out: UnsafeMutablePointer<Float>
    ) {
        let vectorEnd = width & ~15
        for row in 0..<rows {
            let input = x + row * width, output = out + row * width
            var sums = SIMD16<Float>()
            var i = 0
            while i < vectorEnd {
                sums += UnsafeRawPointer(input + i).loadUnaligned(as: SIMD16<Float>.self)
                i += 16
            }
            var sum = sums.sum()
            while i < width {
                sum += input[i]
                i += 1
            }
            let mean = sum / Float(width)
            var squares = SIMD16<Float>()
            i = 0
            while i < vectorEnd {
                let centred = UnsafeRawPointer(input + i).loadUnaligned(as: SIMD16<Float>.self) - mean
                squares = squares.addingProduct(centred, centred)
                i += 16
            }
            var variance = squares.sum()
            while i < width {
                variance += (input[i] - mean) * (input[i] - mean)
                i += 1
            }
            let scale = 1 / (variance / Float(width) + epsilon).squareRoot()
            i = 0
            while i < vectorEnd {
                let v = UnsafeRawPointer(input + i).loadUnaligned(as: SIMD16<Float>.self)
                let w = UnsafeRawPointer(weight + i).loadUnaligned(as: SIMD16<Float>.self)
                let b = UnsafeRawPointer(bias + i).loadUnaligned(as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(output + i).storeBytes(of: (v - mean) * scale * w + b, as: SIMD16<Float>.self)
                i += 16
            }
            while i < width {
                output[i] = (input[i] - mean) * scale * weight[i] + bias[i]
                i += 1
            }
        }
    }

    /// Softmax of `scale · x` over each of `rows` rows of `width` floats in place (the maximum
    /// subtracted first).
    package static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, scale: Float = 1) {
        let vectorEnd = width & ~15
        for row in 0..<rows {
            let values = x + row * width
            var maxima = SIMD16<Float>(repeating: -.infinity)
            var i = 0
            while i < vectorEnd {
                let v = UnsafeRawPointer(values + i).loadUnaligned(as: SIMD16<Float>.self)
                maxima = maxima.replacing(with: v, where: v .> maxima)
                i += 16
            }
            var maximum = maxima.max()
            while i < width {
                maximum = max(maximum, values[i])
                i += 1
            }
            let shift = maximum * scale
            var totals = SIMD16<Float>()
            i = 0
            while i < vectorEnd {
                let v = UnsafeRawPointer(values + i).loadUnaligned(as: SIMD16<Float>.self)
                let e = GGMLMath.exp(v * scale - shift)
                UnsafeMutableRawPointer(values + i).storeBytes(of: e, as: SIMD16<Float>.self)
                totals += e
                i += 16
            }
            var total = totals.sum()
            while i < width {
                let e = GGMLMath.exp(values[i] * scale - shift)
                values[i] = e
                total += e
                i += 1
            }
            let inverse = 1 / total
            i = 0
            while i < vectorEnd {
                let v = UnsafeRawPointer(values + i).loadUnaligned(as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(values + i).storeBytes(of: v * inverse, as: SIMD16<Float>.self)
                i += 16
            }
            while i < width {
                values[i] *= inverse
                i += 1
            }
        }
    }

    /// Single-threaded `c = op(a) · op(b)` over row-major float matrices (alpha 1, beta 0), for
    /// callers that already spread independent products over the pool.
    package static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        Float.gemm(
            transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, m, n, k, a, lda, b, ldb, c, ldc)
    }
}
