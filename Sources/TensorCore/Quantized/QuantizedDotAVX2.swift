#if arch(x86_64)
import _Builtin_intrinsics.intel

/// AVX2 versions of the 32-element block dot products (the portable loops in ``QuantizedDot`` are
/// their reference): unsigned×signed byte products with `vpmaddubsw`, pairs summed with `vpmaddwd`,
/// scaled and accumulated in eight float lanes.
enum QuantizedDotAVX2 {
    @inline(__always) static func load(_ p: UnsafeRawPointer) -> __m256i {
        _mm256_loadu_si256(p.assumingMemoryBound(to: __m256i.self))
    }

    /// The 32 nibbles of 16 bytes: low nibbles in bytes 0..<16, high nibbles in 16..<32.
    @inline(__always) static func nibbles(_ p: UnsafeRawPointer) -> __m256i {
        let x = _mm_loadu_si128(p.assumingMemoryBound(to: __m128i.self))
        let both = _mm256_set_m128i(_mm_srli_epi16(x, 4), x)
        return _mm256_and_si256(both, _mm256_set1_epi8(0x0F))
    }

    /// Byte i is 0x10 where bit i of `mask` is set, else 0.
    @inline(__always) static func fifthBits(_ mask: UInt32) -> __m256i {
        let spread = _mm256_shuffle_epi8(_mm256_set1_epi32(Int32(bitPattern: mask)),
                                         _mm256_set_epi64x(0x0303_0303_0303_0303, 0x0202_0202_0202_0202, 0x0101_0101_0101_0101, 0))
        let others = _mm256_or_si256(spread, _mm256_set1_epi64x(0x7FBF_DFEF_F7FB_FDFE))
        return _mm256_and_si256(_mm256_cmpeq_epi8(others, _mm256_set1_epi64x(-1)), _mm256_set1_epi8(0x10))
    }

    /// Σ u·s over 32 unsigned×signed bytes, as 8 float lanes of partial sums.
    @inline(__always) static func unsignedSigned(_ u: __m256i, _ s: __m256i) -> __m256 {
        _mm256_cvtepi32_ps(_mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)))
    }

    /// Σ a·b over 32 signed bytes, as 8 float lanes.
    @inline(__always) static func signedSigned(_ a: __m256i, _ b: __m256i) -> __m256 {
        unsignedSigned(_mm256_sign_epi8(a, a), _mm256_sign_epi8(b, a))
    }

    /// The eight lanes summed in ggml's `hsum_float_8` order: upper plus lower half, then lanes
    /// (0+2) and (1+3), then those two. The last bits matter: llama.cpp's logits are chaotic in them.
    @inline(__always) static func sum(_ v: __m256) -> Float {
        let four = v.highHalf + v.lowHalf
        return (four[0] + four[2]) + (four[1] + four[3])
    }

    /// One 32-element block format: its size and its contribution to a dot product.
    protocol BlockFormat {
        static var blockBytes: Int { get }
        /// Adds block `p` · activations `y` (scale `dy`, q8_1 sum `sy`) to `accumulator` / `offset`.
        static func accumulate(_ p: UnsafeRawPointer, _ y: __m256i, _ dy: Float, _ sy: Float, _ accumulator: inout __m256, _ offset: inout Float)
    }

    enum Q8_0: BlockFormat {
        static var blockBytes: Int { 34 }
        @inline(__always) static func accumulate(_ p: UnsafeRawPointer, _ y: __m256i, _ dy: Float, _ sy: Float, _ accumulator: inout __m256, _ offset: inout Float) {
            accumulator = _mm256_fmadd_ps(_mm256_set1_ps(QuantizedDot.half(p, 0) * dy), signedSigned(load(p + 2), y), accumulator)
        }
    }

    enum Q4_0: BlockFormat {
        static var blockBytes: Int { 18 }
        @inline(__always) static func accumulate(_ p: UnsafeRawPointer, _ y: __m256i, _ dy: Float, _ sy: Float, _ accumulator: inout __m256, _ offset: inout Float) {
            let q = _mm256_sub_epi8(nibbles(p + 2), _mm256_set1_epi8(8))
            accumulator = _mm256_fmadd_ps(_mm256_set1_ps(QuantizedDot.half(p, 0) * dy), signedSigned(q, y), accumulator)
        }
    }

    enum Q4_1: BlockFormat {
        static var blockBytes: Int { 20 }
        @inline(__always) static func accumulate(_ p: UnsafeRawPointer, _ y: __m256i, _ dy: Float, _ sy: Float, _ accumulator: inout __m256, _ offset: inout Float) {
            accumulator = _mm256_fmadd_ps(_mm256_set1_ps(QuantizedDot.half(p, 0) * dy), unsignedSigned(nibbles(p + 4), y), accumulator)
            offset += QuantizedDot.half(p, 2) * sy
        }
    }

    enum Q5_0: BlockFormat {
        static var blockBytes: Int { 22 }
        @inline(__always) static func accumulate(_ p: UnsafeRawPointer, _ y: __m256i, _ dy: Float, _ sy: Float, _ accumulator: inout __m256, _ offset: inout Float) {
            let high = fifthBits(p.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
            let q = _mm256_sub_epi8(_mm256_or_si256(nibbles(p + 6), high), _mm256_set1_epi8(16))
            accumulator = _mm256_fmadd_ps(_mm256_set1_ps(QuantizedDot.half(p, 0) * dy), signedSigned(q, y), accumulator)
        }
    }

    enum Q5_1: BlockFormat {
        static var blockBytes: Int { 24 }
        @inline(__always) static func accumulate(_ p: UnsafeRawPointer, _ y: __m256i, _ dy: Float, _ sy: Float, _ accumulator: inout __m256, _ offset: inout Float) {
            let q = _mm256_or_si256(nibbles(p + 8), fifthBits(p.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
            accumulator = _mm256_fmadd_ps(_mm256_set1_ps(QuantizedDot.half(p, 0) * dy), unsignedSigned(q, y), accumulator)
            offset += QuantizedDot.half(p, 2) * sy
        }
    }

    /// Dot products of `count` (1...4) consecutive weight rows with one activation row, the four
    /// rows sharing each activation load and keeping independent accumulators.
    @inline(__always)
    static func rows<F: BlockFormat>(_: F.Type, _ w: UnsafeRawPointer, rowBytes: Int, count: Int, blocks: Int, scales: UnsafePointer<Float>,
                                     sums: UnsafePointer<Float>, values: UnsafePointer<Int8>, into out: UnsafeMutablePointer<Float>, stride: Int) {
        var a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0
        var o0: Float = 0, o1: Float = 0, o2: Float = 0, o3: Float = 0
        if count == 4 {
            for b in 0..<blocks {
                let y = load(values + b * 32), dy = scales[b], sy = sums[b]
                let p = w + b * F.blockBytes
                F.accumulate(p, y, dy, sy, &a0, &o0)
                F.accumulate(p + rowBytes, y, dy, sy, &a1, &o1)
                F.accumulate(p + 2 * rowBytes, y, dy, sy, &a2, &o2)
                F.accumulate(p + 3 * rowBytes, y, dy, sy, &a3, &o3)
            }
            out[0] = sum(a0) + o0
            out[stride] = sum(a1) + o1
            out[2 * stride] = sum(a2) + o2
            out[3 * stride] = sum(a3) + o3
        } else {
            for r in 0..<count {
                a0 = _mm256_setzero_ps()
                o0 = 0
                for b in 0..<blocks { F.accumulate(w + r * rowBytes + b * F.blockBytes, load(values + b * 32), scales[b], sums[b], &a0, &o0) }
                out[r * stride] = sum(a0) + o0
            }
        }
    }

    /// Dot products of up to four rows of a 32-element block format; false for the formats
    /// handled elsewhere.
    @inline(__always)
    static func rows(_ w: UnsafeRawPointer, type: GGMLType, rowBytes: Int, count: Int, blocks: Int, scales: UnsafePointer<Float>,
                     sums: UnsafePointer<Float>, values: UnsafePointer<Int8>, into out: UnsafeMutablePointer<Float>, stride: Int) -> Bool {
        switch type {
        case .q8_0: rows(Q8_0.self, w, rowBytes: rowBytes, count: count, blocks: blocks, scales: scales, sums: sums, values: values, into: out, stride: stride)
        case .q4_0: rows(Q4_0.self, w, rowBytes: rowBytes, count: count, blocks: blocks, scales: scales, sums: sums, values: values, into: out, stride: stride)
        case .q4_1: rows(Q4_1.self, w, rowBytes: rowBytes, count: count, blocks: blocks, scales: scales, sums: sums, values: values, into: out, stride: stride)
        case .q5_0: rows(Q5_0.self, w, rowBytes: rowBytes, count: count, blocks: blocks, scales: scales, sums: sums, values: values, into: out, stride: stride)
        case .q5_1: rows(Q5_1.self, w, rowBytes: rowBytes, count: count, blocks: blocks, scales: scales, sums: sums, values: values, into: out, stride: stride)
        default: return false
        }
        return true
    }
}
#endif
