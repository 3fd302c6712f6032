/// Dot products of one quantized weight row with one quantized activation row, as ggml computes
/// them: integer dot products per block, scaled by the two block scales (plus the min/sum terms of
/// the formats with an offset).
public enum QuantizedDot {
    /// The activation format ggml pairs with weights of `type` (nil: float activations).
    public static func activationFormat(for type: GGMLType) -> GGMLType? {
        switch type {
        case .q4_0, .q5_0, .q8_0: return .q8_0
        case .q4_1, .q5_1: return .q8_1
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K: return .q8_K
        default: return nil
        }
    }

    @inline(__always) static func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    /// The 32 values of one block of a 32-element format, in element order.
    @inline(__always) static func blockValues(_ type: GGMLType, _ p: UnsafeRawPointer) -> SIMD32<Int16> {
        var q = SIMD32<Int16>()
        switch type {
        case .q8_0:
            q = SIMD32<Int16>(truncatingIfNeeded: (p + 2).loadUnaligned(as: SIMD32<Int8>.self))
        case .q4_0, .q4_1, .q5_0, .q5_1:
            let start = type == .q4_0 ? 2 : type == .q4_1 ? 4 : type == .q5_0 ? 6 : 8
            let packed = SIMD16<Int16>(truncatingIfNeeded: (p + start).loadUnaligned(as: SIMD16<UInt8>.self))
            q = SIMD32(lowHalf: packed & 0x0F, highHalf: packed &>> 4)
            if type == .q5_0 || type == .q5_1 {
                let high = p.loadUnaligned(fromByteOffset: type == .q5_0 ? 2 : 4, as: UInt32.self)
                for j in 0..<32 { q[j] |= Int16((high &>> UInt32(j)) & 1) &<< 4 }
            }
            if type == .q4_0 { q &-= 8 }
            if type == .q5_0 { q &-= 16 }
        default:
            break
        }
        return q
    }

    /// Σ q·a of a block as eight lanes of four consecutive products each: the partial sums the
    /// AVX2 kernels form with `vpmaddubsw` and `vpmaddwd`, so that the float accumulation that
    /// follows rounds exactly as theirs (and ggml's) does.
    @inline(__always) static func laneSums(_ q: SIMD32<Int16>, _ a: UnsafePointer<Int8>) -> SIMD8<Float> {
        let activations = SIMD32<Int32>(truncatingIfNeeded: UnsafeRawPointer(a).loadUnaligned(as: SIMD32<Int8>.self))
        let products = SIMD32<Int32>(truncatingIfNeeded: q) &* activations
        let pairs = products.evenHalf &+ products.oddHalf
        return SIMD8<Float>(pairs.evenHalf &+ pairs.oddHalf)
    }

    /// The eight lanes summed in ggml's `hsum_float_8` order: upper plus lower half, then lanes
    /// (0+2) and (1+3), then those two.
    @inline(__always) static func laneTotal(_ v: SIMD8<Float>) -> Float {
        let four = v.highHalf + v.lowHalf
        return (four[0] + four[2]) + (four[1] + four[3])
    }

    @inline(__always) static func bytes(_ p: UnsafeRawPointer, _ offset: Int) -> UnsafePointer<UInt8> {
        (p + offset).assumingMemoryBound(to: UInt8.self)
    }
    @inline(__always) static func signed(_ p: UnsafeRawPointer, _ offset: Int) -> UnsafePointer<Int8> {
        (p + offset).assumingMemoryBound(to: Int8.self)
    }

    /// Dot product of weight row `w` (`blocks` blocks of `type`) with activation row `row` of `a`.
    @inlinable
    public static func dot(_ w: UnsafeRawPointer, type: GGMLType, _ a: borrowing ActivationBlocks, row: Int) -> Float {
        let blocks = a.blocksPerRow
        let first = row * blocks
        let scales = a.scales.baseAddress!, sums = a.sums.baseAddress!, values = a.values.baseAddress!
        return dotRow(
            w, type: type, blocks: blocks, scales: scales + first,
            sums: sums + (type.blockElements == 256 ? first * 16 : first),
            values: values + first * a.format.blockElements)
    }

    /// Dot products of `count` consecutive rows (`rowBytes` apart) with one activation row, written to
    /// `out[0]`, `out[stride]`, ...
    @inline(__always)
    static func dotRows(
        _ w: UnsafeRawPointer, type: GGMLType, rowBytes: Int, count: Int, blocks: Int, scales: UnsafePointer<Float>,
        sums: UnsafePointer<Float>, values: UnsafePointer<Int8>, into out: UnsafeMutablePointer<Float>, stride: Int,
        ahead: UnsafeRawPointer? = nil
    ) {
        #if arch(x86_64) && AVX2
            if QuantizedDotAVX2.rows(
                w, type: type, rowBytes: rowBytes, count: count, blocks: blocks, scales: scales, sums: sums,
                values: values,
                into: out, stride: stride, ahead: ahead)
            {
                return
            }
        #endif
        for r in 0..<count {
            out[r * stride] = portableDotRow(
                w + r * rowBytes, type: type, blocks: blocks, scales: scales, sums: sums, values: values)
        }
    }

    /// The row dot product: the AVX2 kernels on x86-64 where they exist, else ``portableDotRow``.
    @usableFromInline
    static func dotRow(
        _ w: UnsafeRawPointer, type: GGMLType, blocks: Int, scales: UnsafePointer<Float>, sums: UnsafePointer<Float>,
        values: UnsafePointer<Int8>
    ) -> Float {
        #if arch(x86_64) && AVX2
            var result: Float = 0
            if QuantizedDotAVX2.rows(
                w, type: type, rowBytes: 0, count: 1, blocks: blocks, scales: scales, sums: sums, values: values,
                into: &result, stride: 1)
            {
                return result
            }
        #endif
        return portableDotRow(w, type: type, blocks: blocks, scales: scales, sums: sums, values: values)
    }

    /// Plain loops (vectorized by the compiler) for every format: the reference for the SIMD kernels.
    public static func portableDotRow(
        _ w: UnsafeRawPointer, type: GGMLType, blocks: Int, scales: UnsafePointer<Float>, sums: UnsafePointer<Float>,
        values: UnsafePointer<Int8>
    ) -> Float {
        var total: Float = 0
        switch type {
        case .q8_0, .q4_0, .q4_1, .q5_0, .q5_1:
            // Per block: the scale product times the eight lane sums, fused into eight float
            // accumulators; the minimum terms of q4_1/q5_1 summed apart, as the AVX2 kernels do.
            let blockBytes = type.blockBytes, unsigned = type == .q4_1 || type == .q5_1
            var accumulator = SIMD8<Float>(), offset: Float = 0
            for b in 0..<blocks {
                let p = w + b * blockBytes
                let scale = SIMD8<Float>(repeating: half(p, 0) * scales[b])
                accumulator = accumulator.addingProduct(scale, laneSums(blockValues(type, p), values + b * 32))
                if unsigned { offset += half(p, 2) * sums[b] }
            }
            total = laneTotal(accumulator) + offset
        case .q4_K, .q5_K:
            let stride = type == .q4_K ? 144 : 176, quants = type == .q4_K ? 16 : 48
            for b in 0..<blocks {
                let p = w + b * stride
                let a = values + b * 256, groupSums = sums + b * 16
                let d = scales[b] * half(p, 0), dmin = scales[b] * half(p, 2)
                var integer: Int32 = 0, mins: Int32 = 0
                for pair in 0..<4 {
                    let (scale0, min0) = GGMLDequantize.scaleMinK4(2 * pair, p + 4),
                        (scale1, min1) = GGMLDequantize.scaleMinK4(2 * pair + 1, p + 4)
                    let q = bytes(p, quants + pair * 32), x0 = a + pair * 64, x1 = x0 + 32
                    var sum0: Int32 = 0, sum1: Int32 = 0
                    if type == .q4_K {
                        for j in 0..<32 {
                            sum0 &+= Int32(q[j] & 0x0F) &* Int32(x0[j])
                            sum1 &+= Int32(q[j] &>> 4) &* Int32(x1[j])
                        }
                    } else {
                        let high = bytes(p, 16)
                        let shift0 = UInt8(2 * pair), shift1 = UInt8(2 * pair + 1)
                        for j in 0..<32 {
                            sum0 &+= (Int32(q[j] & 0x0F) | Int32((high[j] &>> shift0) & 1) &<< 4) &* Int32(x0[j])
                            sum1 &+= (Int32(q[j] &>> 4) | Int32((high[j] &>> shift1) & 1) &<< 4) &* Int32(x1[j])
                        }
                    }
                    integer &+= Int32(scale0) &* sum0 &+ Int32(scale1) &* sum1
                    mins &+=
                        Int32(min0) &* Int32(groupSums[4 * pair] + groupSums[4 * pair + 1])
                        &+ Int32(min1) &* Int32(groupSums[4 * pair + 2] + groupSums[4 * pair + 3])
                }
                total += d * Float(integer) - dmin * Float(mins)
            }
        case .q6_K:
            for b in 0..<blocks {
                let p = w + b * 210
                let a = values + b * 256
                var integer: Int32 = 0
                for half128 in 0..<2 {
                    let ql = bytes(p, half128 * 64), qh = bytes(p, 128 + half128 * 32),
                        sc = signed(p, 192 + half128 * 8)
                    let x = a + half128 * 128
                    for k in 0..<4 {
                        let low = ql + (k % 2) * 32, shift = UInt8(2 * k), nibbleShift: UInt8 = k < 2 ? 0 : 4
                        var sum0: Int32 = 0, sum1: Int32 = 0
                        for j in 0..<16 {
                            let q0 = Int32((low[j] &>> nibbleShift) & 0x0F | ((qh[j] &>> shift) & 3) &<< 4) &- 32
                            let q1 =
                                Int32((low[j + 16] &>> nibbleShift) & 0x0F | ((qh[j + 16] &>> shift) & 3) &<< 4) &- 32
                            sum0 &+= q0 &* Int32(x[k * 32 + j])
                            sum1 &+= q1 &* Int32(x[k * 32 + 16 + j])
                        }
                        integer &+= Int32(sc[2 * k]) &* sum0 &+ Int32(sc[2 * k + 1]) &* sum1
                    }
                }
                total += scales[b] * half(p, 208) * Float(integer)
            }
        case .q2_K:
            for b in 0..<blocks {
                let p = w + b * 84
                let a = values + b * 256, groupSums = sums + b * 16
                var integer: Int32 = 0, mins: Int32 = 0
                for group in 0..<16 {
                    let sc = p.load(fromByteOffset: group, as: UInt8.self)
                    mins &+= Int32(sc >> 4) &* Int32(groupSums[group])
                    // Group g: half g / 8, bit pair (g % 8) / 2, bytes 16 * (g % 2) of that half.
                    let q = bytes(p, 16 + (group / 8) * 32 + (group % 2) * 16), shift = UInt8(2 * ((group % 8) / 2))
                    let x = a + group * 16
                    var sum: Int32 = 0
                    for j in 0..<16 { sum &+= Int32((q[j] &>> shift) & 3) &* Int32(x[j]) }
                    integer &+= Int32(sc & 0xF) &* sum
                }
                total += scales[b] * half(p, 80) * Float(integer) - scales[b] * half(p, 82) * Float(mins)
            }
        case .q3_K:
            for b in 0..<blocks {
                let p = w + b * 110
                let a = values + b * 256
                var integer: Int32 = 0
                for group in 0..<16 {
                    let half128 = group / 8, step = (group % 8) / 2, part = group % 2
                    let shift = UInt8(2 * step), mask = UInt8(1) << UInt8(half128 * 4 + step)
                    let q = bytes(p, 32 + half128 * 32 + part * 16), highBits = bytes(p, part * 16), x = a + group * 16
                    var sum: Int32 = 0
                    for j in 0..<16 {
                        let value = Int32((q[j] &>> shift) & 3) &- (highBits[j] & mask != 0 ? 0 : 4)
                        sum &+= value &* Int32(x[j])
                    }
                    integer &+= Int32(GGMLDequantize.q3KScale(group, p + 96)) &* sum
                }
                total += scales[b] * half(p, 108) * Float(integer)
            }
        default:
            break
        }
        return total
    }
}
