import Foundation

#if arch(x86_64) && AVX2
    import _Builtin_intrinsics.intel
#endif

/// The non-matmul steps of a Llama block, computed in the order and precision ggml uses.
package enum TransformerKernels {
    /// `out = x / sqrt(mean(x²) + ε) * weight`, the mean accumulated in double as ggml does.
    package static func rmsNorm(
        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, count: Int, epsilon: Float,
        into out: UnsafeMutablePointer<Float>
    ) {
        var sum: Double = 0
        for i in 0..<count { sum += Double(x[i] * x[i]) }
        let mean = Float(sum / Double(count))
        let scale = 1 / (mean + epsilon).squareRoot()
        for i in 0..<count { out[i] = (x[i] * scale) * weight[i] }
    }

    /// The cos/sin table for one position: pairs `i` use θ = position · scale · base^(-2i/d), the
    /// power built by repeated multiplication in float as ggml builds it.
    package static func ropeTable(
        position: Int, dimensions: Int, base: Float, frequencyScale: Float, factors: UnsafePointer<Float>?,
        into table: UnsafeMutablePointer<Float>
    ) {
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
    package static func rope(
        _ x: UnsafeMutablePointer<Float>, heads: Int, headDimension: Int, dimensions: Int, neoX: Bool,
        table: UnsafePointer<Float>
    ) {
        for head in 0..<heads {
            let h = x + head * headDimension
            for pair in 0..<(dimensions / 2) {
                let cosine = table[2 * pair], sine = table[2 * pair + 1]
                let (i, j) = neoX ? (pair, pair + dimensions / 2) : (2 * pair, 2 * pair + 1)
                let x0 = h[i], x1 = h[j]
                // Fused as GCC contracts ggml's `x0*cos - x1*sin` and `x0*sin + x1*cos`.
                h[i] = (-(x1 * sine)).addingProduct(x0, cosine)
                h[j] = (x1 * cosine).addingProduct(x0, sine)
            }
        }
    }

    /// `out = silu(gate) * up`, with ggml's `exp`.
    package static func swiGLU(
        _ gate: UnsafePointer<Float>, _ up: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>
    ) {
        var i = 0
        while i + 16 <= count {
            let g = UnsafeRawPointer(gate + i).loadUnaligned(as: SIMD16<Float>.self)
            let u = UnsafeRawPointer(up + i).loadUnaligned(as: SIMD16<Float>.self)
            let silu = g / (1 + GGMLMath.exp(SIMD16<Float>() - g))
            UnsafeMutableRawPointer(out + i).storeBytes(of: silu * u, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count {
            out[i] = GGMLMath.silu(gate[i]) * up[i]
            i += 1
        }
    }

    /// 16 float16 values widened to float (F16C on x86-64).
    @inline(__always) package static func load16(_ p: UnsafePointer<Float16>) -> SIMD16<Float> {
        #if arch(x86_64) && AVX2
            let raw = UnsafeRawPointer(p)
            return SIMD16<Float>(
                lowHalf: _mm256_cvtph_ps(_mm_loadu_si128(raw.assumingMemoryBound(to: __m128i.self))),
                highHalf: _mm256_cvtph_ps(_mm_loadu_si128((raw + 16).assumingMemoryBound(to: __m128i.self))))
        #else
            var v = SIMD16<Float>()
            for lane in 0..<16 { v[lane] = Float(p[lane]) }
            return v
        #endif
    }

    /// The query·key products of one head, as llama.cpp's CPU backend computes them: for a batch of
    /// tokens (tinyBLAS) one 16-lane fused multiply-add chain over the head; for a single token
    /// (`ggml_vec_dot_f16`) four 16-lane products folded (0+2, 1+3, then together); both summed
    /// across lanes in tree order. `count` is a multiple of 16.
    @inline(__always) package static func dot(
        _ a: UnsafePointer<Float16>, _ b: UnsafePointer<Float16>, count: Int, batched: Bool
    ) -> Float {
        if count == 64 {
            return dot64((load16(a), load16(a + 16), load16(a + 32), load16(a + 48)), b, batched: batched)
        }
        if batched || count % 64 != 0 {
            var lanes = SIMD16<Float>()
            var i = 0
            while i < count {
                lanes = lanes.addingProduct(load16(a + i), load16(b + i))
                i += 16
            }
            return GGMLMath.sum16(lanes)
        }
        var s0 = SIMD16<Float>(), s1 = s0, s2 = s0, s3 = s0
        var i = 0
        while i < count {
            s0 = s0.addingProduct(load16(a + i), load16(b + i))
            s1 = s1.addingProduct(load16(a + i + 16), load16(b + i + 16))
            s2 = s2.addingProduct(load16(a + i + 32), load16(b + i + 32))
            s3 = s3.addingProduct(load16(a + i + 48), load16(b + i + 48))
            i += 64
        }
        return GGMLMath.sum16((s0 + s2) + (s1 + s3))
    }

    /// ``dot(_:_:count:batched:)`` for 64-element heads with the query already widened.
    @inline(__always) package static func dot64(
        _ q: (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>), _ b: UnsafePointer<Float16>,
        batched: Bool
    ) -> Float {
        if batched {
            let lanes = SIMD16<Float>().addingProduct(q.0, load16(b)).addingProduct(q.1, load16(b + 16))
                .addingProduct(q.2, load16(b + 32)).addingProduct(q.3, load16(b + 48))
            return GGMLMath.sum16(lanes)
        }
        let s0 = q.0 * load16(b), s1 = q.1 * load16(b + 16), s2 = q.2 * load16(b + 32), s3 = q.3 * load16(b + 48)
        return GGMLMath.sum16((s0 + s2) + (s1 + s3))
    }

    /// llama.cpp views the key/value cache in windows of 256 cells (masked beyond the last one).
    package static let cachePadding = 256

    /// Causal attention of one query head over cached positions `0...last`, bit for bit as
    /// llama.cpp's non-flash CPU path: the query rounded to float16 times the float16 keys, scaled,
    /// a softmax over the window with ggml's `exp` in 16-lane chunks summed in double,
    /// probabilities rounded to float16, and the value product accumulated per position slot
    /// (16 slots for a batch, 64 folded like `ggml_vec_dot_f16` for one token).
    /// `accumulators` holds 64 × headDimension floats.
    package static func attend(
        query: UnsafePointer<Float>, keys: UnsafePointer<Float16>, values: UnsafePointer<Float16>, stride: Int,
        last: Int, headDimension: Int, scale: Float, batched: Bool, scratch: UnsafeMutablePointer<Float>,
        query16: UnsafeMutablePointer<Float16>, accumulators: UnsafeMutablePointer<Float>,
        into out: UnsafeMutablePointer<Float>
    ) {
        for d in 0..<headDimension { query16[d] = Float16(query[d]) }
        var maximum = -Float.infinity
        if headDimension == 64 {
            let q = (load16(query16), load16(query16 + 16), load16(query16 + 32), load16(query16 + 48))
            for j in 0...last {
                let score = dot64(q, keys + j * stride, batched: batched) * scale
                scratch[j] = score
                maximum = max(maximum, score)
            }
        } else {
            for j in 0...last {
                let score = dot(query16, keys + j * stride, count: headDimension, batched: batched) * scale
                scratch[j] = score
                maximum = max(maximum, score)
            }
        }
        // Masked cells give exp(-inf) = 0: chunks past the last position add nothing.
        var sum: Double = 0
        var chunk = 0
        while chunk + 16 <= last + 1 {
            let x = UnsafeRawPointer(scratch + chunk).loadUnaligned(as: SIMD16<Float>.self)
            let lanes = GGMLMath.exp(x - SIMD16(repeating: maximum))
            UnsafeMutableRawPointer(scratch + chunk).storeBytes(of: lanes, as: SIMD16<Float>.self)
            sum += Double(GGMLMath.sum16(lanes))
            chunk += 16
        }
        if chunk <= last {
            var lanes = SIMD16<Float>()
            for lane in 0..<16 where chunk + lane <= last {
                let e = GGMLMath.exp(scratch[chunk + lane] - maximum)
                scratch[chunk + lane] = e
                lanes[lane] = e
            }
            sum += Double(GGMLMath.sum16(lanes))
        }
        let inverse = Float(1 / sum)
        let slots = batched ? 16 : 64
        accumulators.initialize(repeating: 0, count: min(slots, last + 1) * headDimension)
        for j in 0...last {
            let probability = Float(Float16(scratch[j] * inverse))
            let accumulator = accumulators + (j % slots) * headDimension
            let v = values + j * stride
            var d = 0
            while d + 16 <= headDimension {
                let current = UnsafeRawPointer(accumulator + d).loadUnaligned(as: SIMD16<Float>.self)
                let updated = current.addingProduct(load16(v + d), SIMD16(repeating: probability))
                UnsafeMutableRawPointer(accumulator + d).storeBytes(of: updated, as: SIMD16<Float>.self)
                d += 16
            }
            while d < headDimension {
                accumulator[d] = accumulator[d].addingProduct(Float(v[d]), probability)
                d += 1
            }
        }
        // Unused slots are zero; the lane sums run across 16 dimensions at a time, each dimension
        // summed in exactly the order of GGMLMath.sum16.
        let used = min(slots, last + 1)
        if used < slots {
            (accumulators + used * headDimension).initialize(repeating: 0, count: (slots - used) * headDimension)
        }
        @inline(__always) func row(_ slot: Int, _ d: Int) -> SIMD16<Float> {
            UnsafeRawPointer(accumulators + slot * headDimension + d).loadUnaligned(as: SIMD16<Float>.self)
        }
        var d = 0
        while d + 16 <= headDimension {
            var v0 = SIMD16<Float>(), v1 = v0, v2 = v0, v3 = v0, v4 = v0, v5 = v0, v6 = v0, v7 = v0
            var v8 = v0, v9 = v0, v10 = v0, v11 = v0, v12 = v0, v13 = v0, v14 = v0, v15 = v0
            func lanes(_ l: Int) -> SIMD16<Float> {
                batched ? row(l, d) : (row(l, d) + row(32 + l, d)) + (row(16 + l, d) + row(48 + l, d))
            }
            v0 = lanes(0)
            v1 = lanes(1)
            v2 = lanes(2)
            v3 = lanes(3)
            v4 = lanes(4)
            v5 = lanes(5)
            v6 = lanes(6)
            v7 = lanes(7)
            v8 = lanes(8)
            v9 = lanes(9)
            v10 = lanes(10)
            v11 = lanes(11)
            v12 = lanes(12)
            v13 = lanes(13)
            v14 = lanes(14)
            v15 = lanes(15)
            let e0 = v0 + v8, e1 = v1 + v9, e2 = v2 + v10, e3 = v3 + v11, e4 = v4 + v12, e5 = v5 + v13, e6 = v6 + v14,
                e7 = v7 + v15
            let f0 = e0 + e4, f1 = e1 + e5, f2 = e2 + e6, f3 = e3 + e7
            let g0 = f0 + f2, g1 = f1 + f3
            UnsafeMutableRawPointer(out + d).storeBytes(of: g0 + g1, as: SIMD16<Float>.self)
            d += 16
        }
        while d < headDimension {
            var lanes = SIMD16<Float>()
            for l in 0..<16 {
                func slot(_ index: Int) -> Float { accumulators[index * headDimension + d] }
                lanes[l] = batched ? slot(l) : (slot(l) + slot(32 + l)) + (slot(16 + l) + slot(48 + l))
            }
            out[d] = GGMLMath.sum16(lanes)
            d += 1
        }
    }
}
