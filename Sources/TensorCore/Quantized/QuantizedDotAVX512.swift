#if arch(x86_64) && AVX2 && AVX512
    import _Builtin_intrinsics.intel

    extension QuantizedDotAVX2 {
        /// Two 256-bit halves as one 512-bit register: `low` in bits 0..<256.
        @inline(__always) static func halves(_ low: __m256i, _ high: __m256i) -> __m512i {
            _mm512_mask_broadcast_i64x4(_mm512_castsi256_si512(low), 0xF0, high)
        }

        /// ``unsignedSigned(_:_:)`` on both halves at once.
        @inline(__always) static func unsignedSigned(_ u: __m512i, _ s: __m512i) -> __m512 {
            #if AVX512VNNI
                _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(_mm512_setzero_si512(), u, s))
            #else
                _mm512_cvtepi32_ps(_mm512_madd_epi16(_mm512_maddubs_epi16(u, s), _mm512_set1_epi16(1)))
            #endif
        }

        /// The 2-token tile with each token in one half of a 512-bit register: the block's weights are
        /// broadcast to both halves, token 0's activations fill the lower half and token 1's the upper,
        /// so each half performs exactly the 256-bit tile's products, scalings and additions (the same
        /// sums to the bit) with half the instructions.
        @inline(__always)
        static func tile512<F: BlockFormat>(
            _: F.Type, _ w: UnsafeRawPointer, rowBytes: Int, blocks: Int, scales: UnsafePointer<Float>,
            sums: UnsafePointer<Float>, values: UnsafePointer<Int8>, tokenBlocks: Int,
            into out: UnsafeMutablePointer<Float>, tokenStride: Int
        ) {
            var a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0
            var o0 = SIMD4<Float>(), o1 = SIMD4<Float>()
            let values1 = values + tokenBlocks * 32, scales1 = scales + tokenBlocks, sums1 = sums + tokenBlocks
            let zero = _mm512_setzero_si512()
            @inline(__always) func product(_ q: __m256i, _ y: __m512i) -> __m512 {
                let weights = _mm512_broadcast_i64x4(q)
                guard F.isSigned else { return unsignedSigned(weights, y) }
                // The sign trick without vpsignb: |q| times y negated where q < 0 (q = 0 gives 0 either way).
                let negative = _mm512_movepi8_mask(weights)
                return unsignedSigned(_mm512_abs_epi8(weights), _mm512_mask_sub_epi8(y, negative, zero, y))
            }
            for b in 0..<blocks {
                let y = halves(load(values + b * 32), load(values1 + b * 32))
                let dy = _mm512_mask_mov_ps(_mm512_set1_ps(scales[b]), 0xFF00, _mm512_set1_ps(scales1[b]))
                let p = w + b * F.blockBytes
                let w0 = F.weights(p), w1 = F.weights(p + rowBytes), w2 = F.weights(p + 2 * rowBytes),
                    w3 = F.weights(p + 3 * rowBytes)
                a0 = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_set1_ps(w0.scale), dy), product(w0.values, y), a0)
                a1 = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_set1_ps(w1.scale), dy), product(w1.values, y), a1)
                a2 = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_set1_ps(w2.scale), dy), product(w2.values, y), a2)
                a3 = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_set1_ps(w3.scale), dy), product(w3.values, y), a3)
                if !F.isSigned {
                    let minimums = SIMD4<Float>(w0.minimum, w1.minimum, w2.minimum, w3.minimum)
                    o0 += minimums * SIMD4(repeating: sums[b])
                    o1 += minimums * SIMD4(repeating: sums1[b])
                }
            }
            out[0] = laneSum(a0, from: 0) + o0[0]
            out[1] = laneSum(a1, from: 0) + o0[1]
            out[2] = laneSum(a2, from: 0) + o0[2]
            out[3] = laneSum(a3, from: 0) + o0[3]
            out[tokenStride] = laneSum(a0, from: 8) + o1[0]
            out[tokenStride + 1] = laneSum(a1, from: 8) + o1[1]
            out[tokenStride + 2] = laneSum(a2, from: 8) + o1[2]
            out[tokenStride + 3] = laneSum(a3, from: 8) + o1[3]
        }

        /// Four weight rows against four activation rows: two 512-bit registers per row, tokens 0
        /// and 1 in the first, 2 and 3 in the second, so each block's weights are unpacked once for
        /// four tokens. Every sum is formed exactly as the 2-token tile (and a single row) forms it.
        /// Results go to `out[t * tokenStride + r]`.
        @inline(__always)
        static func tile4<F: BlockFormat>(
            _: F.Type, _ w: UnsafeRawPointer, rowBytes: Int, blocks: Int, scales: UnsafePointer<Float>,
            sums: UnsafePointer<Float>, values: UnsafePointer<Int8>, tokenBlocks: Int,
            into out: UnsafeMutablePointer<Float>, tokenStride: Int
        ) {
            var a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0
            var o0 = SIMD4<Float>(), o1 = o0, o2 = o0, o3 = o0
            let zero = _mm512_setzero_si512()
            @inline(__always) func block(
                _ q: __m256i, scale: Float, _ y01: __m512i, _ y23: __m512i, _ d01: __m512, _ d23: __m512,
                _ first: inout __m512, _ second: inout __m512
            ) {
                let weights = _mm512_broadcast_i64x4(q)
                let s = _mm512_set1_ps(scale)
                if F.isSigned {
                    let negative = _mm512_movepi8_mask(weights), magnitude = _mm512_abs_epi8(weights)
                    first = _mm512_fmadd_ps(
                        _mm512_mul_ps(s, d01),
                        unsignedSigned(magnitude, _mm512_mask_sub_epi8(y01, negative, zero, y01)), first)
                    second = _mm512_fmadd_ps(
                        _mm512_mul_ps(s, d23),
                        unsignedSigned(magnitude, _mm512_mask_sub_epi8(y23, negative, zero, y23)), second)
                } else {
                    first = _mm512_fmadd_ps(_mm512_mul_ps(s, d01), unsignedSigned(weights, y01), first)
                    second = _mm512_fmadd_ps(_mm512_mul_ps(s, d23), unsignedSigned(weights, y23), second)
                }
            }
            let stride = tokenBlocks
            for b in 0..<blocks {
                let y01 = halves(load(values + b * 32), load(values + (stride + b) * 32))
                let y23 = halves(load(values + (2 * stride + b) * 32), load(values + (3 * stride + b) * 32))
                let d01 = _mm512_mask_mov_ps(_mm512_set1_ps(scales[b]), 0xFF00, _mm512_set1_ps(scales[stride + b]))
                let d23 = _mm512_mask_mov_ps(
                    _mm512_set1_ps(scales[2 * stride + b]), 0xFF00, _mm512_set1_ps(scales[3 * stride + b]))
                let p = w + b * F.blockBytes
                let w0 = F.weights(p), w1 = F.weights(p + rowBytes), w2 = F.weights(p + 2 * rowBytes),
                    w3 = F.weights(p + 3 * rowBytes)
                block(w0.values, scale: w0.scale, y01, y23, d01, d23, &a0, &b0)
                block(w1.values, scale: w1.scale, y01, y23, d01, d23, &a1, &b1)
                block(w2.values, scale: w2.scale, y01, y23, d01, d23, &a2, &b2)
                block(w3.values, scale: w3.scale, y01, y23, d01, d23, &a3, &b3)
                if !F.isSigned {
                    let minimums = SIMD4<Float>(w0.minimum, w1.minimum, w2.minimum, w3.minimum)
                    o0 += minimums * SIMD4(repeating: sums[b])
                    o1 += minimums * SIMD4(repeating: sums[stride + b])
                    o2 += minimums * SIMD4(repeating: sums[2 * stride + b])
                    o3 += minimums * SIMD4(repeating: sums[3 * stride + b])
                }
            }
            @inline(__always) func store(_ first: __m512, _ second: __m512, row r: Int) {
                out[r] = laneSum(first, from: 0) + o0[r]
                out[tokenStride + r] = laneSum(first, from: 8) + o1[r]
                out[2 * tokenStride + r] = laneSum(second, from: 0) + o2[r]
                out[3 * tokenStride + r] = laneSum(second, from: 8) + o3[r]
            }
            store(a0, b0, row: 0)
            store(a1, b1, row: 1)
            store(a2, b2, row: 2)
            store(a3, b3, row: 3)
        }

        /// ``sum(_:)`` of the eight lanes of `v` from `first` on (ggml's `hsum_float_8` order).
        @inline(__always) static func laneSum(_ v: __m512, from first: Int) -> Float {
            let lanes = unsafeBitCast(v, to: SIMD16<Float>.self)
            let low = SIMD4(lanes[first], lanes[first + 1], lanes[first + 2], lanes[first + 3])
            let high = SIMD4(lanes[first + 4], lanes[first + 5], lanes[first + 6], lanes[first + 7])
            let four = high + low
            return (four[0] + four[2]) + (four[1] + four[3])
        }
    }
#endif
