/// The narrow storage formats: 8- and 4-bit floats as bit patterns, 4- and 2-bit integers
/// unpacked one per byte. Conversions follow ONNX (and ml_dtypes): round to nearest, ties to
/// even; with `saturate`, out-of-range values and infinities clamp to the largest finite value,
/// otherwise they become infinity (E5M2) or NaN; integers keep their low bits.
enum NarrowFormat {
    struct FloatLayout {
        let exponentBits: Int
        let mantissaBits: Int
        let bias: Int
        let maxFinite: Double
    }

    static func layout(_ dtype: DType) -> FloatLayout? {
        switch dtype {
        case .float8e4m3fn: return FloatLayout(exponentBits: 4, mantissaBits: 3, bias: 7, maxFinite: 448)
        case .float8e4m3fnuz: return FloatLayout(exponentBits: 4, mantissaBits: 3, bias: 8, maxFinite: 240)
        case .float8e5m2: return FloatLayout(exponentBits: 5, mantissaBits: 2, bias: 15, maxFinite: 57344)
        case .float8e5m2fnuz: return FloatLayout(exponentBits: 5, mantissaBits: 2, bias: 16, maxFinite: 57344)
        case .float4e2m1: return FloatLayout(exponentBits: 2, mantissaBits: 1, bias: 1, maxFinite: 6)
        default: return nil
        }
    }

    /// The value of a narrow float bit pattern.
    static func decode(_ code: UInt8, _ dtype: DType) -> Double {
        guard let f = layout(dtype) else { return 0 }
        let width = 1 + f.exponentBits + f.mantissaBits
        let negative = (code >> (width - 1)) & 1 == 1
        let exponent = Int(code >> f.mantissaBits) & ((1 << f.exponentBits) - 1)
        let mantissa = Int(code) & ((1 << f.mantissaBits) - 1)
        switch dtype {
        case .float8e4m3fn where exponent == 15 && mantissa == 7: return .nan
        case .float8e4m3fnuz, .float8e5m2fnuz: if code == 0x80 { return .nan }
        case .float8e5m2 where exponent == 31: return mantissa == 0 ? (negative ? -.infinity : .infinity) : .nan
        default: break
        }
        let magnitude =
            exponent == 0
            ? Double(mantissa) * pow2(1 - f.bias - f.mantissaBits)
            : (1 + Double(mantissa) / Double(1 << f.mantissaBits)) * pow2(exponent - f.bias)
        return negative ? -magnitude : magnitude
    }

    /// The bit pattern nearest `value` (ties to even).
    static func encode(_ value: Double, _ dtype: DType, saturate: Bool) -> UInt8 {
        guard let f = layout(dtype) else { return 0 }
        let width = 1 + f.exponentBits + f.mantissaBits
        let signBit: UInt8 = value.sign == .minus ? UInt8(1 << (width - 1)) : 0
        let nan: UInt8
        switch dtype {
        case .float8e4m3fn: nan = 0x7F | signBit
        case .float8e5m2: nan = 0x7F | signBit
        case .float4e2m1: nan = signBit  // no NaN: ml_dtypes gives (signed) zero
        default: nan = 0x80
        }
        if value.isNaN { return dtype == .float4e2m1 ? 0x08 : nan }
        let overflow: UInt8 = {
            if saturate || dtype == .float4e2m1 { return encodeFinite(f.maxFinite, f) | signBit }
            return dtype == .float8e5m2 ? (0x7C | signBit) : nan
        }()
        let magnitude = abs(value)
        if magnitude.isInfinite { return overflow }
        if magnitude == 0 { return isUnsignedZero(dtype) ? 0 : signBit }
        // Quantise on the format's grid: the quantum is 2^(e - mantissaBits), e clamped to the subnormal range.
        let exponent = max(Int(magnitude.exponent), 1 - f.bias)
        let quantum = pow2(exponent - f.mantissaBits)
        let rounded = (magnitude / quantum).rounded(.toNearestOrEven) * quantum
        if rounded > f.maxFinite { return overflow }
        if rounded == 0 { return isUnsignedZero(dtype) ? 0 : signBit }
        return encodeFinite(rounded, f) | signBit
    }

    private static func encodeFinite(_ magnitude: Double, _ f: FloatLayout) -> UInt8 {
        let exponent = Int(magnitude.exponent)
        if exponent < 1 - f.bias {
            return UInt8(Int(magnitude / pow2(1 - f.bias - f.mantissaBits)))
        }
        let mantissa = Int(magnitude / pow2(exponent - f.mantissaBits)) - (1 << f.mantissaBits)
        return UInt8(((exponent + f.bias) << f.mantissaBits) | mantissa)
    }

    private static func isUnsignedZero(_ dtype: DType) -> Bool { dtype == .float8e4m3fnuz || dtype == .float8e5m2fnuz }

    private static func pow2(_ exponent: Int) -> Double { Double(sign: .plus, exponent: exponent, significand: 1) }

    /// The low bits of an integer, as a narrow integer type stores it (sign-extended when signed).
    static func wrap(_ value: Int64, _ dtype: DType) -> Int64 {
        let bits = dtype.packedBits ?? 8
        let mask = Int64((1 << bits) - 1)
        let low = value & mask
        let signed = dtype == .int4 || dtype == .int2
        return signed && low >= Int64(1 << (bits - 1)) ? low - Int64(1 << bits) : low
    }
}

extension Tensor {
    /// Casts where either side is a narrow format, through double (floats) or int64 (integers).
    func castNarrow(to target: DType, saturate: Bool) throws(TensorError) -> Tensor {
        // The source as doubles and (for integer sources) exact int64s.
        let doubles: [Double]
        var integers: [Int64]?
        if dtype.isNarrow {
            let bytes = try reinterpreted(as: .uint8).typedScalars(UInt8.self, "cast")
            if NarrowFormat.layout(dtype) != nil {
                doubles = bytes.map { NarrowFormat.decode($0, dtype) }
            } else {
                let values = bytes.map { NarrowFormat.wrap(Int64($0), dtype) }
                integers = values
                doubles = values.map { Double($0) }
            }
        } else if dtype.isInteger || dtype == .bool {
            let values = try cast(to: .int64).typedScalars(Int64.self, "cast")
            integers = values
            doubles = values.map { Double($0) }
        } else {
            doubles = try cast(to: .float64).typedScalars(Double.self, "cast")
        }
        if target.isNarrow {
            let codes: [UInt8]
            if NarrowFormat.layout(target) != nil {
                codes = doubles.map { NarrowFormat.encode($0, target, saturate: saturate) }
            } else {
                // Integers keep their low bits; floats truncate toward zero first (NaN and infinities give 0).
                let whole = integers ?? doubles.map { $0.isFinite ? Int64(castingDoubleSaturating: $0) : 0 }
                codes = whole.map { UInt8(truncatingIfNeeded: NarrowFormat.wrap($0, target)) }
            }
            return try Tensor(shape: shape, scalars: codes).reinterpreted(as: target)
        }
        if let integers { return try Tensor(shape: shape, scalars: integers).cast(to: target) }
        return try Tensor(shape: shape, scalars: doubles).cast(to: target)
    }

    /// Reinterprets one-byte storage as another one-byte dtype (bit patterns unchanged).
    func reinterpreted(as target: DType) -> Tensor {
        let dense = contiguous()
        return Tensor(
            dtype: target, shape: dense.shape, strides: dense.strides, offset: dense.offset, storage: dense.storage)
    }
}

extension Tensor {
    /// One-byte codes (bit patterns or unpacked sub-byte integers) as a tensor of a narrow dtype,
    /// for loaders that decode those formats.
    public func reinterpretedForLoader(as target: DType) throws(TensorError) -> Tensor {
        guard dtype.byteSize == 1, target.byteSize == 1 else {
            throw .invalidCast(from: dtype, to: target, reason: "only one-byte element types can be reinterpreted")
        }
        return reinterpreted(as: target)
    }
}
