import Foundation

/// The non-matmul steps of a Llama block, computed in the order and precision ggml uses.
enum TransformerKernels {
    /// `out = x / sqrt(mean(x²) + ε) * weight`, the mean accumulated in double as ggml does.
    static func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, count: Int, epsilon: Float, into out: UnsafeMutablePointer<Float>) {
        var sum: Double = 0
        for i in 0..<count { sum += Double(x[i] * x[i]) }
        let mean = Float(sum / Double(count))
        let scale = 1 / (mean + epsilon).squareRoot()
        for i in 0..<count { out[i] = (x[i] * scale) * weight[i] }
    }

    /// The cos/sin table for one position: pairs `i` use θ = position · scale · base^(-2i/d), the
    /// power built by repeated multiplication in float as ggml builds it.
    static func ropeTable(position: Int, dimensions: Int, base: Float, frequencyScale: Float, factors: UnsafePointer<Float>?,
                          into table: UnsafeMutablePointer<Float>) {
        let thetaScale = powf(base, -2 / Float(dimensions))
        var theta = Float(position)
        for pair in 0..<(dimensions / 2) {
            let factor = factors?[pair] ?? 1
            let angle = frequencyScale * theta / factor
            table[2 * pair] = cosf(angle)
            table[2 * pair + 1] = sinf(angle)
            theta *= thetaScale
        }
    }

    /// Rotates the first `dimensions` values of each of `heads` heads of `x` in place.
    static func rope(_ x: UnsafeMutablePointer<Float>, heads: Int, headDimension: Int, dimensions: Int, neoX: Bool, table: UnsafePointer<Float>) {
        for head in 0..<heads {
            let h = x + head * headDimension
            for pair in 0..<(dimensions / 2) {
                let cosine = table[2 * pair], sine = table[2 * pair + 1]
                let (i, j) = neoX ? (pair, pair + dimensions / 2) : (2 * pair, 2 * pair + 1)
                let x0 = h[i], x1 = h[j]
                h[i] = x0 * cosine - x1 * sine
                h[j] = x0 * sine + x1 * cosine
            }
        }
    }

    /// `out = silu(gate) * up`.
    static func swiGLU(_ gate: UnsafePointer<Float>, _ up: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>) {
        for i in 0..<count {
            let g = gate[i]
            out[i] = g / (1 + expf(-g)) * up[i]
        }
    }

    /// Σ a[i]·b[i] over float16 vectors, accumulated in float.
    @inline(__always) static func dot(_ a: UnsafePointer<Float16>, _ b: UnsafePointer<Float16>, count: Int) -> Float {
        var accumulator = SIMD8<Float>()
        var i = 0
        while i + 8 <= count {
            var x = SIMD8<Float>(), y = SIMD8<Float>()
            for lane in 0..<8 {
                x[lane] = Float(a[i + lane])
                y[lane] = Float(b[i + lane])
            }
            accumulator += x * y
            i += 8
        }
        var total = accumulator.sum()
        while i < count {
            total += Float(a[i]) * Float(b[i])
            i += 1
        }
        return total
    }

    /// Causal attention of one query head over cached positions `0...last`, as ggml's non-flash path
    /// computes it: float16 query · float16 keys, scaled softmax in float (sum in double),
    /// probabilities rounded to float16, then the weighted sum of float16 values.
    static func attend(query: UnsafePointer<Float>, keys: UnsafePointer<Float16>, values: UnsafePointer<Float16>, stride: Int,
                       last: Int, headDimension: Int, scale: Float, scratch: UnsafeMutablePointer<Float>,
                       query16: UnsafeMutablePointer<Float16>, probabilities16: UnsafeMutablePointer<Float16>,
                       into out: UnsafeMutablePointer<Float>) {
        for d in 0..<headDimension { query16[d] = Float16(query[d]) }
        var maximum = -Float.infinity
        for j in 0...last {
            let score = dot(query16, keys + j * stride, count: headDimension) * scale
            scratch[j] = score
            maximum = max(maximum, score)
        }
        var sum: Double = 0
        for j in 0...last {
            let e = expf(scratch[j] - maximum)
            scratch[j] = e
            sum += Double(e)
        }
        let inverse = Float(1 / sum)
        for j in 0...last { probabilities16[j] = Float16(scratch[j] * inverse) }
        for d in 0..<headDimension { out[d] = 0 }
        var d0 = 0
        while d0 < headDimension {
            let width = min(8, headDimension - d0)
            var accumulator = SIMD8<Float>()
            for j in 0...last {
                let v = values + j * stride + d0
                var lanes = SIMD8<Float>()
                for lane in 0..<width { lanes[lane] = Float(v[lane]) }
                accumulator += lanes * Float(probabilities16[j])
            }
            for lane in 0..<width { out[d0 + lane] = accumulator[lane] }
            d0 += 8
        }
    }
}
