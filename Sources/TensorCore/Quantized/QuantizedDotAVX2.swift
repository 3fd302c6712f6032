#if arch(x86_64) && AVX2
    import _Builtin_intrinsics.intel
    import Synchronization

    /// AVX2 versions of the 32-element block dot products (the portable loops in ``QuantizedDot`` are
    /// their reference): unsigned×signed byte products with `vpmaddubsw`, pairs summed with `vpmaddwd`,
    /// scaled and accumulated in eight float lanes.
    enum QuantizedDotAVX2 {
        @inline(__always) static func load(_ p: UnsafeRawPointer) -> __m256i {
            _mm256_loadu_si256(p.assumingMemoryBound(to: __m256i.self))
        }

        /// The 32 nibbles of 16 bytes: low nibbles in bytes 0..<16, high nibbles in 16..<32.
        @inline(__always) static func nibbles(_ p: UnsafeRawPointer) -> __m256i {
            // The 16 bytes in both halves, the upper half shifted right by 4 (one 64-bit variable shift).
            let both = _mm256_broadcastsi128_si256(_mm_loadu_si128(p.assumingMemoryBound(to: __m128i.self)))
            return _mm256_and_si256(_mm256_srlv_epi64(both, _mm256_set_epi64x(4, 4, 0, 0)), _mm256_set1_epi8(0x0F))
        }

        /// Byte i is 0x10 where bit i of `mask` is set, else 0.
        @inline(__always) static func fifthBits(_ mask: UInt32) -> __m256i {
            let spread = _mm256_shuffle_epi8(
                _mm256_set1_epi32(Int32(bitPattern: mask)),
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
            /// Signed values (multiplied with the sign trick) or unsigned ones plus an offset `m·s`.
            static var isSigned: Bool { get }
            /// Byte offsets of the float16 scale and (unsigned formats) minimum in a block.
            static var scaleOffset: Int { get }
            static var minimumOffset: Int { get }
            /// The block's 32 values as bytes.
            static func quants(_ p: UnsafeRawPointer) -> __m256i
            /// The block's 32 values as bytes, its scale and (unsigned formats) its minimum.
            static func weights(_ p: UnsafeRawPointer) -> (values: __m256i, scale: Float, minimum: Float)
            /// Adds block `p` · activations `y` (scale `dy`, q8_1 sum `sy`) to `accumulator` / `offset`.
            static func accumulate(
                _ p: UnsafeRawPointer, _ y: __m256i, _ dy: Float, _ sy: Float, _ accumulator: inout __m256,
                _ offset: inout Float)
        }

        enum Q8_0: BlockFormat {
            static var scaleOffset: Int { 0 }
            static var minimumOffset: Int { 0 }
            @inline(__always) static func quants(_ p: UnsafeRawPointer) -> __m256i { load(p + 2) }
            static var blockBytes: Int { 34 }
            static var isSigned: Bool { true }
            @inline(__always) static func weights(_ p: UnsafeRawPointer) -> (
                values: __m256i, scale: Float, minimum: Float
            ) {
                (load(p + 2), QuantizedDot.half(p, 0), 0)
            }
            @inline(__always) static func accumulate(
                _ p: UnsafeRawPointer, _ y: __m256i, _ dy: Float, _ sy: Float, _ accumulator: inout __m256,
                _ offset: inout Float
            ) {
                accumulator = _mm256_fmadd_ps(
                    _mm256_set1_ps(QuantizedDot.half(p, 0) * dy), signedSigned(load(p + 2), y), accumulator)
            }
        }

        enum Q4_0: BlockFormat {
            static var scaleOffset: Int { 0 }
            static var minimumOffset: Int { 0 }
            @inline(__always) static func quants(_ p: UnsafeRawPointer) -> __m256i {
                _mm256_sub_epi8(nibbles(p + 2), _mm256_set1_epi8(8))
            }
            static var blockBytes: Int { 18 }
            static var isSigned: Bool { true }
            @inline(__always) static func weights(_ p: UnsafeRawPointer) -> (
                values: __m256i, scale: Float, minimum: Float
            ) {
                (_mm256_sub_epi8(nibbles(p + 2), _mm256_set1_epi8(8)), QuantizedDot.half(p, 0), 0)
            }
            @inline(__always) static func accumulate(
                _ p: UnsafeRawPointer, _ y: __m256i, _ dy: Float, _ sy: Float, _ accumulator: inout __m256,
                _ offset: inout Float
            ) {
                let q = _mm256_sub_epi8(nibbles(p + 2), _mm256_set1_epi8(8))
                accumulator = _mm256_fmadd_ps(
                    _mm256_set1_ps(QuantizedDot.half(p, 0) * dy), signedSigned(q, y), accumulator)
            }
        }

        enum Q4_1: BlockFormat {
            static var scaleOffset: Int { 0 }
            static var minimumOffset: Int { 2 }
            @inline(__always) static func quants(_ p: UnsafeRawPointer) -> __m256i { nibbles(p + 4) }
            static var blockBytes: Int { 20 }
            static var isSigned: Bool { false }
            @inline(__always) static func weights(_ p: UnsafeRawPointer) -> (
                values: __m256i, scale: Float, minimum: Float
            ) {
                (nibbles(p + 4), QuantizedDot.half(p, 0), QuantizedDot.half(p, 2))
            }
            @inline(__always) static func accumulate(
                _ p: UnsafeRawPointer, _ y: __m256i, _ dy: Float, _ sy: Float, _ accumulator: inout __m256,
                _ offset: inout Float
            ) {
                accumulator = _mm256_fmadd_ps(
                    _mm256_set1_ps(QuantizedDot.half(p, 0) * dy), unsignedSigned(nibbles(p + 4), y), accumulator)
                offset += QuantizedDot.half(p, 2) * sy
            }
        }

        enum Q5_0: BlockFormat {
            static var scaleOffset: Int { 0 }
            static var minimumOffset: Int { 0 }
            @inline(__always) static func quants(_ p: UnsafeRawPointer) -> __m256i {
                _mm256_sub_epi8(
                    _mm256_or_si256(nibbles(p + 6), fifthBits(p.loadUnaligned(fromByteOffset: 2, as: UInt32.self))),
                    _mm256_set1_epi8(16))
            }
            static var blockBytes: Int { 22 }
            static var isSigned: Bool { true }
            @inline(__always) static func weights(_ p: UnsafeRawPointer) -> (
                values: __m256i, scale: Float, minimum: Float
            ) {
                let high = fifthBits(p.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
                return (
                    _mm256_sub_epi8(_mm256_or_si256(nibbles(p + 6), high), _mm256_set1_epi8(16)),
                    QuantizedDot.half(p, 0), 0
                )
            }
            @inline(__always) static func accumulate(
                _ p: UnsafeRawPointer, _ y: __m256i, _ dy: Float, _ sy: Float, _ accumulator: inout __m256,
                _ offset: inout Float
            ) {
                let high = fifthBits(p.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
                let q = _mm256_sub_epi8(_mm256_or_si256(nibbles(p + 6), high), _mm256_set1_epi8(16))
                accumulator = _mm256_fmadd_ps(
                    _mm256_set1_ps(QuantizedDot.half(p, 0) * dy), signedSigned(q, y), accumulator)
            }
        }

        enum Q5_1: BlockFormat {
            static var scaleOffset: Int { 0 }
            static var minimumOffset: Int { 2 }
            @inline(__always) static func quants(_ p: UnsafeRawPointer) -> __m256i {
                _mm256_or_si256(nibbles(p + 8), fifthBits(p.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
            }
            static var blockBytes: Int { 24 }
            static var isSigned: Bool { false }
            @inline(__always) static func weights(_ p: UnsafeRawPointer) -> (
                values: __m256i, scale: Float, minimum: Float
            ) {
                (
                    _mm256_or_si256(nibbles(p + 8), fifthBits(p.loadUnaligned(fromByteOffset: 4, as: UInt32.self))),
                    QuantizedDot.half(p, 0), QuantizedDot.half(p, 2)
                )
            }
            @inline(__always) static func accumulate(
                _ p: UnsafeRawPointer, _ y: __m256i, _ dy: Float, _ sy: Float, _ accumulator: inout __m256,
                _ offset: inout Float
            ) {
                let q = _mm256_or_si256(nibbles(p + 8), fifthBits(p.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
                accumulator = _mm256_fmadd_ps(
                    _mm256_set1_ps(QuantizedDot.half(p, 0) * dy), unsignedSigned(q, y), accumulator)
                offset += QuantizedDot.half(p, 2) * sy
            }
        }

        /// Dot products of `count` (1...4, or 8) consecutive weight rows with one activation row, the four
        /// rows sharing each activation load and keeping independent accumulators.
        @inline(__always)
        static func rows<F: BlockFormat>(
            _: F.Type, _ w: UnsafeRawPointer, rowBytes: Int, count: Int, blocks: Int, scales: UnsafePointer<Float>,
            sums: UnsafePointer<Float>, values: UnsafePointer<Int8>, into out: UnsafeMutablePointer<Float>, stride: Int,
            ahead: UnsafeRawPointer? = nil
        ) {
            var a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0
            var o0: Float = 0, o1: Float = 0, o2: Float = 0, o3: Float = 0
            if count == 8 {
                rows8(
                    F.self, w, rowBytes: rowBytes, blocks: blocks, scales: scales, sums: sums, values: values,
                    into: out, stride: stride, ahead: ahead)
            } else if count == 4 {
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
                    for b in 0..<blocks {
                        F.accumulate(
                            w + r * rowBytes + b * F.blockBytes, load(values + b * 32), scales[b], sums[b], &a0, &o0)
                    }
                    out[r * stride] = sum(a0) + o0
                }
            }
        }

        /// Keeps the look-ahead loads alive (the compiler may not drop loads whose value is used).
        static let sink = Atomic<Int>(0)

        /// Eight float16 fields `rowBytes` apart, widened together.
        @inline(__always) static func gatherHalves(_ p: UnsafeRawPointer, rowBytes: Int) -> __m256 {
            func h(_ r: Int) -> Int16 {
                Int16(bitPattern: p.loadUnaligned(fromByteOffset: r * rowBytes, as: UInt16.self))
            }
            return _mm256_cvtph_ps(_mm_set_epi16(h(7), h(6), h(5), h(4), h(3), h(2), h(1), h(0)))
        }

        /// Eight weight rows against one activation row (decoding). The eight rows' scales (and
        /// minimums) are widened with one conversion and multiplied with one instruction; every
        /// product and sum is the one the single-row kernel forms.
        @inline(__always)
        static func rows8<F: BlockFormat>(
            _: F.Type, _ w: UnsafeRawPointer, rowBytes: Int, blocks: Int, scales: UnsafePointer<Float>,
            sums: UnsafePointer<Float>, values: UnsafePointer<Int8>, into out: UnsafeMutablePointer<Float>, stride: Int,
            ahead: UnsafeRawPointer?
        ) {
            // Touching the next eight rows (one byte per 64 as the blocks advance) starts their cache
            // misses early: decoding streams the whole weight file and stalls on those loads.
            var touched: UInt8 = 0
            let aheadStep = (8 * rowBytes + blocks - 1) / blocks
            var a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0
            var offsets = _mm256_setzero_ps()
            @inline(__always) func product(_ q: __m256i, _ y: __m256i) -> __m256 {
                F.isSigned ? unsignedSigned(_mm256_sign_epi8(q, q), _mm256_sign_epi8(y, q)) : unsignedSigned(q, y)
            }
            @inline(__always) func lane(_ v: __m256, _ r: Int32) -> __m256 {
                _mm256_permutevar8x32_ps(v, _mm256_set1_epi32(r))
            }
            for b in 0..<blocks {
                if let ahead {
                    var offset = b * aheadStep
                    let end = min(offset + aheadStep, 8 * rowBytes)
                    while offset < end {
                        touched &+= ahead.load(fromByteOffset: offset, as: UInt8.self)
                        offset += 64
                    }
                }
                let y = load(values + b * 32)
                let p = w + b * F.blockBytes
                let d = _mm256_mul_ps(gatherHalves(p + F.scaleOffset, rowBytes: rowBytes), _mm256_set1_ps(scales[b]))
                a0 = _mm256_fmadd_ps(lane(d, 0), product(F.quants(p), y), a0)
                a1 = _mm256_fmadd_ps(lane(d, 1), product(F.quants(p + rowBytes), y), a1)
                a2 = _mm256_fmadd_ps(lane(d, 2), product(F.quants(p + 2 * rowBytes), y), a2)
                a3 = _mm256_fmadd_ps(lane(d, 3), product(F.quants(p + 3 * rowBytes), y), a3)
                a4 = _mm256_fmadd_ps(lane(d, 4), product(F.quants(p + 4 * rowBytes), y), a4)
                a5 = _mm256_fmadd_ps(lane(d, 5), product(F.quants(p + 5 * rowBytes), y), a5)
                a6 = _mm256_fmadd_ps(lane(d, 6), product(F.quants(p + 6 * rowBytes), y), a6)
                a7 = _mm256_fmadd_ps(lane(d, 7), product(F.quants(p + 7 * rowBytes), y), a7)
                if !F.isSigned {
                    offsets = _mm256_add_ps(
                        offsets,
                        _mm256_mul_ps(gatherHalves(p + F.minimumOffset, rowBytes: rowBytes), _mm256_set1_ps(sums[b])))
                }
            }
            let o = offsets
            if touched == 0x5A { Self.sink.wrappingAdd(1, ordering: .relaxed) }
            out[0] = sum(a0) + o[0]
            out[stride] = sum(a1) + o[1]
            out[2 * stride] = sum(a2) + o[2]
            out[3 * stride] = sum(a3) + o[3]
            out[4 * stride] = sum(a4) + o[4]
            out[5 * stride] = sum(a5) + o[5]
            out[6 * stride] = sum(a6) + o[6]
            out[7 * stride] = sum(a7) + o[7]
        }

        /// Four weight rows against two activation rows: each block's weights are unpacked once for
        /// both tokens and each activation block loaded once for the four rows. Results go to
        /// `out[r]` (token 0) and `out[tokenStride + r]` (token 1); every sum is formed exactly as
        /// ``rows(_:_:rowBytes:count:blocks:scales:sums:values:into:stride:)`` forms it.
        @inline(__always)
        static func tile<F: BlockFormat>(
            _: F.Type, _ w: UnsafeRawPointer, rowBytes: Int, blocks: Int, scales: UnsafePointer<Float>,
            sums: UnsafePointer<Float>, values: UnsafePointer<Int8>, tokenBlocks: Int,
            into out: UnsafeMutablePointer<Float>, tokenStride: Int
        ) {
            #if AVX512
                tile512(
                    F.self, w, rowBytes: rowBytes, blocks: blocks, scales: scales, sums: sums, values: values,
                    tokenBlocks: tokenBlocks, into: out, tokenStride: tokenStride)
                return
            #endif
            var a00 = _mm256_setzero_ps(), a10 = a00, a20 = a00, a30 = a00, a01 = a00, a11 = a00, a21 = a00, a31 = a00
            var o0 = SIMD4<Float>(), o1 = SIMD4<Float>()
            let values1 = values + tokenBlocks * 32, scales1 = scales + tokenBlocks, sums1 = sums + tokenBlocks
            @inline(__always) func product(_ q: __m256i, _ y: __m256i) -> __m256 {
                F.isSigned ? unsignedSigned(_mm256_sign_epi8(q, q), _mm256_sign_epi8(y, q)) : unsignedSigned(q, y)
            }
            for b in 0..<blocks {
                let y0 = load(values + b * 32), y1 = load(values1 + b * 32)
                let dy0 = scales[b], dy1 = scales1[b]
                let p = w + b * F.blockBytes
                let w0 = F.weights(p), w1 = F.weights(p + rowBytes), w2 = F.weights(p + 2 * rowBytes),
                    w3 = F.weights(p + 3 * rowBytes)
                a00 = _mm256_fmadd_ps(_mm256_set1_ps(w0.scale * dy0), product(w0.values, y0), a00)
                a01 = _mm256_fmadd_ps(_mm256_set1_ps(w0.scale * dy1), product(w0.values, y1), a01)
                a10 = _mm256_fmadd_ps(_mm256_set1_ps(w1.scale * dy0), product(w1.values, y0), a10)
                a11 = _mm256_fmadd_ps(_mm256_set1_ps(w1.scale * dy1), product(w1.values, y1), a11)
                a20 = _mm256_fmadd_ps(_mm256_set1_ps(w2.scale * dy0), product(w2.values, y0), a20)
                a21 = _mm256_fmadd_ps(_mm256_set1_ps(w2.scale * dy1), product(w2.values, y1), a21)
                a30 = _mm256_fmadd_ps(_mm256_set1_ps(w3.scale * dy0), product(w3.values, y0), a30)
                a31 = _mm256_fmadd_ps(_mm256_set1_ps(w3.scale * dy1), product(w3.values, y1), a31)
                if !F.isSigned {
                    let minimums = SIMD4<Float>(w0.minimum, w1.minimum, w2.minimum, w3.minimum)
                    o0 += minimums * SIMD4(repeating: sums[b])
                    o1 += minimums * SIMD4(repeating: sums1[b])
                }
            }
            out[0] = sum(a00) + o0[0]
            out[1] = sum(a10) + o0[1]
            out[2] = sum(a20) + o0[2]
            out[3] = sum(a30) + o0[3]
            out[tokenStride] = sum(a01) + o1[0]
            out[tokenStride + 1] = sum(a11) + o1[1]
            out[tokenStride + 2] = sum(a21) + o1[2]
            out[tokenStride + 3] = sum(a31) + o1[3]
        }

        /// A tile of four weight rows against `tokens` activation rows (2, or 4 with AVX-512) for a
        /// format given at run time; false for the formats handled elsewhere.
        @inline(__always)
        static func tile(
            _ w: UnsafeRawPointer, type: GGMLType, tokens: Int, rowBytes: Int, blocks: Int,
            scales: UnsafePointer<Float>, sums: UnsafePointer<Float>, values: UnsafePointer<Int8>, tokenBlocks: Int,
            into out: UnsafeMutablePointer<Float>, tokenStride: Int
        ) -> Bool {
            @inline(__always) func run<F: BlockFormat>(_ format: F.Type) {
                #if AVX512
                    if tokens == 4 {
                        tile4(
                            format, w, rowBytes: rowBytes, blocks: blocks, scales: scales, sums: sums, values: values,
                            tokenBlocks: tokenBlocks, into: out, tokenStride: tokenStride)
                        return
                    }
                #endif
                tile(
                    format, w, rowBytes: rowBytes, blocks: blocks, scales: scales, sums: sums, values: values,
                    tokenBlocks: tokenBlocks, into: out, tokenStride: tokenStride)
            }
            switch type {
            case .q8_0: run(Q8_0.self)
            case .q4_0: run(Q4_0.self)
            case .q4_1: run(Q4_1.self)
            case .q5_0: run(Q5_0.self)
            case .q5_1: run(Q5_1.self)
            default: return false
            }
            return true
        }

        /// Dot products of up to four rows of a 32-element block format; false for the formats
        /// handled elsewhere.
        @inline(__always)
        static func rows(
            _ w: UnsafeRawPointer, type: GGMLType, rowBytes: Int, count: Int, blocks: Int, scales: UnsafePointer<Float>,
            sums: UnsafePointer<Float>, values: UnsafePointer<Int8>, into out: UnsafeMutablePointer<Float>, stride: Int,
            ahead: UnsafeRawPointer? = nil
        ) -> Bool {
            switch type {
            case .q8_0:
                rows(
                    Q8_0.self, w, rowBytes: rowBytes, count: count, blocks: blocks, scales: scales, sums: sums,
                    values: values, into: out, stride: stride, ahead: ahead)
            case .q4_0:
                rows(
                    Q4_0.self, w, rowBytes: rowBytes, count: count, blocks: blocks, scales: scales, sums: sums,
                    values: values, into: out, stride: stride, ahead: ahead)
            case .q4_1:
                rows(
                    Q4_1.self, w, rowBytes: rowBytes, count: count, blocks: blocks, scales: scales, sums: sums,
                    values: values, into: out, stride: stride, ahead: ahead)
            case .q5_0:
                rows(
                    Q5_0.self, w, rowBytes: rowBytes, count: count, blocks: blocks, scales: scales, sums: sums,
                    values: values, into: out, stride: stride, ahead: ahead)
            case .q5_1:
                rows(
                    Q5_1.self, w, rowBytes: rowBytes, count: count, blocks: blocks, scales: scales, sums: sums,
                    values: values, into: out, stride: stride, ahead: ahead)
            default: return false
            }
            return true
        }
    }
#endif
