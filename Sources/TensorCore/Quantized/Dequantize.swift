/// Scalar dequantization of every ggml block format, written from the formats' definitions; the
/// reference the SIMD dot products are tested against, and the path for embedding rows.
public enum GGMLDequantize {
    /// Decodes `source` (whole blocks of `type`) into `destination` (one float per element; as many
    /// as fit in both).
    public static func values(
        _ source: UnsafeRawBufferPointer, type: GGMLType, into destination: UnsafeMutableBufferPointer<Float>
    ) {
        guard let base = source.baseAddress, let out = destination.baseAddress else { return }
        let blocks = min(source.count / type.blockBytes, destination.count / type.blockElements)
        for block in 0..<blocks {
            decode(base + block * type.blockBytes, type: type, into: out + block * type.blockElements)
        }
    }

    @inline(__always) static func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    @inline(__always) static func byte(_ p: UnsafeRawPointer, _ offset: Int) -> UInt8 {
        p.load(fromByteOffset: offset, as: UInt8.self)
    }

    /// Scale and minimum `j` (0..<8) of the 12 packed 6-bit pairs of Q4_K and Q5_K.
    @inline(__always) public static func scaleMinK4(_ j: Int, _ q: UnsafeRawPointer) -> (scale: UInt8, min: UInt8) {
        if j < 4 { return (byte(q, j) & 63, byte(q, j + 4) & 63) }
        return ((byte(q, j + 4) & 0xF) | ((byte(q, j - 4) >> 6) << 4), (byte(q, j + 4) >> 4) | ((byte(q, j) >> 6) << 4))
    }

    /// Signed 6-bit scale `i` (0..<16) of a Q3_K block, stored biased by 32 in 12 bytes at `packed`.
    @inline(__always) public static func q3KScale(_ i: Int, _ packed: UnsafeRawPointer) -> Int8 {
        let low = i < 8 ? (byte(packed, i) & 0xF) : (byte(packed, i - 8) >> 4)
        let high = (byte(packed, 8 + i % 4) >> UInt8(2 * (i / 4))) & 3
        return Int8(bitPattern: low | (high << 4)) &- 32
    }

    /// Decodes one block at `p` into `y`.
    public static func decode(_ p: UnsafeRawPointer, type: GGMLType, into y: UnsafeMutablePointer<Float>) {
        switch type {
        case .f32: y[0] = p.loadUnaligned(as: Float.self)
        case .f16: y[0] = half(p, 0)
        case .bf16: y[0] = Float(bitPattern: UInt32(p.loadUnaligned(as: UInt16.self)) << 16)
        case .f64: y[0] = Float(p.loadUnaligned(as: Double.self))
        case .i8: y[0] = Float(p.load(as: Int8.self))
        case .i16: y[0] = Float(p.loadUnaligned(as: Int16.self))
        case .i32: y[0] = Float(p.loadUnaligned(as: Int32.self))
        case .i64: y[0] = Float(p.loadUnaligned(as: Int64.self))
        case .q4_0:
            let d = half(p, 0)
            for j in 0..<16 {
                let q = byte(p, 2 + j)
                y[j] = Float(Int(q & 0xF) - 8) * d
                y[j + 16] = Float(Int(q >> 4) - 8) * d
            }
        case .q4_1:
            let d = half(p, 0), m = half(p, 2)
            for j in 0..<16 {
                let q = byte(p, 4 + j)
                y[j] = Float(q & 0xF) * d + m
                y[j + 16] = Float(q >> 4) * d + m
            }
        case .q5_0:
            let d = half(p, 0)
            let high = p.loadUnaligned(fromByteOffset: 2, as: UInt32.self)
            for j in 0..<16 {
                let q = byte(p, 6 + j)
                let h0 = UInt8(truncatingIfNeeded: (high >> UInt32(j)) << 4) & 0x10
                let h1 = UInt8(truncatingIfNeeded: high >> UInt32(j + 12)) & 0x10
                y[j] = Float(Int((q & 0xF) | h0) - 16) * d
                y[j + 16] = Float(Int((q >> 4) | h1) - 16) * d
            }
        case .q5_1:
            let d = half(p, 0), m = half(p, 2)
            let high = p.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
            for j in 0..<16 {
                let q = byte(p, 8 + j)
                let h0 = UInt8(truncatingIfNeeded: (high >> UInt32(j)) << 4) & 0x10
                let h1 = UInt8(truncatingIfNeeded: high >> UInt32(j + 12)) & 0x10
                y[j] = Float((q & 0xF) | h0) * d + m
                y[j + 16] = Float((q >> 4) | h1) * d + m
            }
        case .q8_0, .q8_1:
            let d = half(p, 0)
            let start = type == .q8_0 ? 2 : 4
            for j in 0..<32 { y[j] = Float(p.load(fromByteOffset: start + j, as: Int8.self)) * d }
        case .q2_K:
            // scales[16], qs[64], d, dmin
            let d = half(p, 80), dmin = half(p, 82)
            var index = 0, scaleIndex = 0
            for half128 in 0..<2 {
                let q = 16 + half128 * 32
                for shift in stride(from: 0, to: 8, by: 2) {
                    for part in 0..<2 {
                        let sc = byte(p, scaleIndex)
                        scaleIndex += 1
                        let dl = d * Float(sc & 0xF), ml = dmin * Float(sc >> 4)
                        for l in 0..<16 {
                            y[index] = dl * Float((byte(p, q + part * 16 + l) >> UInt8(shift)) & 3) - ml
                            index += 1
                        }
                    }
                }
            }
        case .q3_K:
            // hmask[32], qs[64], scales[12], d
            let d = half(p, 108)
            var index = 0, scaleIndex = 0
            var mask: UInt8 = 1
            for half128 in 0..<2 {
                let q = 32 + half128 * 32
                for shift in stride(from: 0, to: 8, by: 2) {
                    for part in 0..<2 {
                        let dl = d * Float(q3KScale(scaleIndex, p + 96))
                        scaleIndex += 1
                        for l in 0..<16 {
                            let low = Int((byte(p, q + part * 16 + l) >> UInt8(shift)) & 3)
                            let high = byte(p, part * 16 + l) & mask != 0 ? 0 : 4
                            y[index] = dl * Float(low - high)
                            index += 1
                        }
                    }
                    mask <<= 1
                }
            }
        case .q4_K:
            // d, dmin, scales[12], qs[128]
            let d = half(p, 0), dmin = half(p, 2)
            for group in 0..<4 {
                let (s1, m1) = scaleMinK4(2 * group, p + 4), (s2, m2) = scaleMinK4(2 * group + 1, p + 4)
                let d1 = d * Float(s1), min1 = dmin * Float(m1), d2 = d * Float(s2), min2 = dmin * Float(m2)
                for l in 0..<32 {
                    let q = byte(p, 16 + group * 32 + l)
                    y[group * 64 + l] = d1 * Float(q & 0xF) - min1
                    y[group * 64 + 32 + l] = d2 * Float(q >> 4) - min2
                }
            }
        case .q5_K:
            // d, dmin, scales[12], qh[32], qs[128]
            let d = half(p, 0), dmin = half(p, 2)
            for group in 0..<4 {
                let (s1, m1) = scaleMinK4(2 * group, p + 4), (s2, m2) = scaleMinK4(2 * group + 1, p + 4)
                let d1 = d * Float(s1), min1 = dmin * Float(m1), d2 = d * Float(s2), min2 = dmin * Float(m2)
                let bit1 = UInt8(1) << UInt8(2 * group), bit2 = UInt8(2) << UInt8(2 * group)
                for l in 0..<32 {
                    let q = byte(p, 48 + group * 32 + l), h = byte(p, 16 + l)
                    y[group * 64 + l] = d1 * Float((q & 0xF) + (h & bit1 != 0 ? 16 : 0)) - min1
                    y[group * 64 + 32 + l] = d2 * Float((q >> 4) + (h & bit2 != 0 ? 16 : 0)) - min2
                }
            }
        case .q6_K:
            // ql[128], qh[64], scales[16] (int8), d
            let d = half(p, 208)
            for half128 in 0..<2 {
                let ql = half128 * 64, qh = 128 + half128 * 32, sc = 192 + half128 * 8, out = half128 * 128
                for l in 0..<32 {
                    let s = l / 16
                    let low0 = byte(p, ql + l), low1 = byte(p, ql + 32 + l), h = byte(p, qh + l)
                    let q1 = Int((low0 & 0xF) | ((h & 3) << 4)) - 32
                    let q2 = Int((low1 & 0xF) | (((h >> 2) & 3) << 4)) - 32
                    let q3 = Int((low0 >> 4) | (((h >> 4) & 3) << 4)) - 32
                    let q4 = Int((low1 >> 4) | (((h >> 6) & 3) << 4)) - 32
                    func scale(_ k: Int) -> Float { d * Float(p.load(fromByteOffset: sc + s + k, as: Int8.self)) }
                    y[out + l] = scale(0) * Float(q1)
                    y[out + 32 + l] = scale(2) * Float(q2)
                    y[out + 64 + l] = scale(4) * Float(q3)
                    y[out + 96 + l] = scale(6) * Float(q4)
                }
            }
        case .q8_K:
            let d = p.loadUnaligned(as: Float.self)
            for j in 0..<256 { y[j] = d * Float(p.load(fromByteOffset: 4 + j, as: Int8.self)) }
        }
    }
}
