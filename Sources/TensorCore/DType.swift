/// The element type of a ``Tensor``: every tensor element type ONNX and GGUF activations use.
public enum DType: String, Sendable, CaseIterable, CustomStringConvertible {
    case float32, float16, bfloat16, float64
    case int8, uint8, int16, uint16, int32, uint32, int64, uint64
    case bool
    case string
    /// 8-bit floats (ONNX FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ) and the
    /// 4-bit FLOAT4E2M1: stored as one bit pattern per byte.
    case float8e4m3fn, float8e4m3fnuz, float8e5m2, float8e5m2fnuz, float4e2m1
    /// Sub-byte integers (ONNX INT4, UINT4, INT2, UINT2): stored unpacked, one value per byte
    /// (sign-extended for the signed ones).
    case int4, uint4, int2, uint2

    /// Bytes one element occupies in storage (string elements live in a side array; 0 here).
    public var byteSize: Int {
        switch self {
        case .bool, .int8, .uint8: return 1
        case .float8e4m3fn, .float8e4m3fnuz, .float8e5m2, .float8e5m2fnuz, .float4e2m1, .int4, .uint4, .int2, .uint2:
            return 1
        case .float16, .bfloat16, .int16, .uint16: return 2
        case .float32, .int32, .uint32: return 4
        case .float64, .int64, .uint64: return 8
        case .string: return 0
        }
    }

    /// Whether the type is one of the four floating-point types.
    public var isFloatingPoint: Bool {
        switch self {
        case .float32, .float16, .bfloat16, .float64: return true
        default: return false
        }
    }

    /// Whether the type is a signed or unsigned integer type.
    public var isInteger: Bool {
        switch self {
        case .int8, .uint8, .int16, .uint16, .int32, .uint32, .int64, .uint64: return true
        default: return false
        }
    }

    /// Whether the type is a number (floating point or integer), as opposed to bool or string.
    public var isNumeric: Bool { isFloatingPoint || isInteger }

    /// Whether the type is one of the narrow storage formats (8- and 4-bit floats, 4- and
    /// 2-bit integers): tensors of them can be moved, reshaped and cast, not computed on.
    public var isNarrow: Bool {
        switch self {
        case .float8e4m3fn, .float8e4m3fnuz, .float8e5m2, .float8e5m2fnuz, .float4e2m1, .int4, .uint4, .int2, .uint2:
            return true
        default: return false
        }
    }

    /// Bits per element of a sub-byte type as files pack it (4 or 2), else nil.
    public var packedBits: Int? {
        switch self {
        case .int4, .uint4, .float4e2m1: return 4
        case .int2, .uint2: return 2
        default: return nil
        }
    }

    public var description: String { rawValue }
}
