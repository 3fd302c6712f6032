#if canImport(Glibc)
    import Glibc
#endif

/// Arithmetic of two tensors with numpy broadcasting; the result has their common type.
public enum BinaryOp: String, Sendable, CaseIterable {
    case add, sub, mul, div, pow, max, min
    /// Remainder with the sign of the divisor (Python `%`, ONNX Mod with fmod = 0).
    case mod
    /// Remainder with the sign of the dividend (C `fmod`, ONNX Mod with fmod = 1).
    case fmod
    case bitwiseAnd, bitwiseOr, bitwiseXor, shiftLeft, shiftRight

    /// Whether the op is defined on integers only.
    public var isBitwise: Bool {
        switch self {
        case .bitwiseAnd, .bitwiseOr, .bitwiseXor, .shiftLeft, .shiftRight: return true
        default: return false
        }
    }
}

/// Comparisons of two tensors with numpy broadcasting; the result is bool.
public enum CompareOp: String, Sendable, CaseIterable {
    case equal, less, lessOrEqual, greater, greaterOrEqual
}

/// Logical operations on two bool tensors with numpy broadcasting.
public enum LogicalOp: String, Sendable, CaseIterable {
    case and, or, xor
}

extension Tensor {
    /// `lhs op rhs` elementwise with numpy broadcasting. Both operands must have the same type.
    /// Integer division or remainder by zero gives 0 (it never traps); integer arithmetic wraps.
    public static func binary(_ op: BinaryOp, _ lhs: Tensor, _ rhs: Tensor) throws(TensorError) -> Tensor {
        let name = op.rawValue
        guard lhs.dtype == rhs.dtype else { throw .dtypeMismatch(op: name, dtypes: [lhs.dtype, rhs.dtype]) }
        if lhs.dtype.isFloatingPoint && op.isBitwise { throw .unsupportedDType(op: name, dtype: lhs.dtype) }
        switch lhs.dtype {
        case .float32: return try binaryFloat32(op, lhs, rhs)
        case .float64: return try binaryFloating(Double.self, op, lhs, rhs)
        case .float16, .bfloat16:
            return try binaryFloat32(op, lhs.cast(to: .float32), rhs.cast(to: .float32)).cast(to: lhs.dtype)
        case .int8: return try binaryInteger(Int8.self, op, lhs, rhs)
        case .int16: return try binaryInteger(Int16.self, op, lhs, rhs)
        case .int32: return try binaryInteger(Int32.self, op, lhs, rhs)
        case .int64: return try binaryInteger(Int64.self, op, lhs, rhs)
        case .uint8: return try binaryInteger(UInt8.self, op, lhs, rhs)
        case .uint16: return try binaryInteger(UInt16.self, op, lhs, rhs)
        case .uint32: return try binaryInteger(UInt32.self, op, lhs, rhs)
        case .uint64: return try binaryInteger(UInt64.self, op, lhs, rhs)
        default: throw .unsupportedDType(op: name, dtype: lhs.dtype)
        }
    }

    /// `lhs op rhs` elementwise with numpy broadcasting, as a bool tensor.
    public static func compare(_ op: CompareOp, _ lhs: Tensor, _ rhs: Tensor) throws(TensorError) -> Tensor {
        let name = op.rawValue
        guard lhs.dtype == rhs.dtype else { throw .dtypeMismatch(op: name, dtypes: [lhs.dtype, rhs.dtype]) }
        switch lhs.dtype {
        case .float32: return try compareTyped(Float.self, op, lhs, rhs)
        case .float64: return try compareTyped(Double.self, op, lhs, rhs)
        case .float16, .bfloat16:
            return try compareTyped(Float.self, op, lhs.cast(to: .float32), rhs.cast(to: .float32))
        case .int8: return try compareTyped(Int8.self, op, lhs, rhs)
        case .int16: return try compareTyped(Int16.self, op, lhs, rhs)
        case .int32: return try compareTyped(Int32.self, op, lhs, rhs)
        case .int64: return try compareTyped(Int64.self, op, lhs, rhs)
        case .uint8: return try compareTyped(UInt8.self, op, lhs, rhs)
        case .uint16: return try compareTyped(UInt16.self, op, lhs, rhs)
        case .uint32: return try compareTyped(UInt32.self, op, lhs, rhs)
        case .uint64: return try compareTyped(UInt64.self, op, lhs, rhs)
        case .bool:
            return try compareTyped(UInt8.self, op, lhs.cast(to: .uint8), rhs.cast(to: .uint8))
        case .string:
            guard op == .equal else { throw .unsupportedDType(op: name, dtype: .string) }
            let shape = try Shape.broadcast([lhs.shape, rhs.shape], op: name)
            let left = try lhs.broadcast(to: shape).contiguous().stringScalars()
            let right = try rhs.broadcast(to: shape).contiguous().stringScalars()
            return try Tensor(shape: shape, scalars: zip(left, right).map { $0 == $1 })
        default:
            // Narrow formats: compare bit patterns for equality only.
            guard op == .equal else { throw .unsupportedDType(op: name, dtype: lhs.dtype) }
            return try compareTyped(UInt8.self, op, lhs.reinterpreted(as: .uint8), rhs.reinterpreted(as: .uint8))
        }
    }

    /// `lhs op rhs` on bool tensors with numpy broadcasting.
    public static func logical(_ op: LogicalOp, _ lhs: Tensor, _ rhs: Tensor) throws(TensorError) -> Tensor {
        let name = op.rawValue
        guard lhs.dtype == .bool else { throw .unsupportedDType(op: name, dtype: lhs.dtype) }
        guard rhs.dtype == .bool else { throw .unsupportedDType(op: name, dtype: rhs.dtype) }
        return try zipRows(lhs, rhs, Bool.self, Bool.self, to: Bool.self, op: name) { a, sa, b, sb, o, n in
            switch op {
            case .and: scalarZip(a, sa, b, sb, o, n) { $0 && $1 }
            case .or: scalarZip(a, sa, b, sb, o, n) { $0 || $1 }
            case .xor: scalarZip(a, sa, b, sb, o, n) { $0 != $1 }
            }
        }
    }

    private static func compareTyped<T: Comparable & TensorElement>(
        _ type: T.Type, _ op: CompareOp, _ lhs: Tensor, _ rhs: Tensor
    ) throws(TensorError) -> Tensor {
        try zipRows(lhs, rhs, T.self, T.self, to: Bool.self, op: op.rawValue) { a, sa, b, sb, o, n in
            switch op {
            case .equal: scalarZip(a, sa, b, sb, o, n) { $0 == $1 }
            case .less: scalarZip(a, sa, b, sb, o, n) { $0 < $1 }
            case .lessOrEqual: scalarZip(a, sa, b, sb, o, n) { $0 <= $1 }
            case .greater: scalarZip(a, sa, b, sb, o, n) { $0 > $1 }
            case .greaterOrEqual: scalarZip(a, sa, b, sb, o, n) { $0 >= $1 }
            }
        }
    }

    private static func binaryFloat32(_ op: BinaryOp, _ lhs: Tensor, _ rhs: Tensor) throws(TensorError) -> Tensor {
        let name = op.rawValue
        return try zipRows(lhs, rhs, Float.self, Float.self, to: Float.self, op: name) { a, sa, b, sb, o, n in
            switch op {
            case .add: simdZip(a, sa, b, sb, o, n, { $0 + $1 }, { $0 + $1 })
            case .sub: simdZip(a, sa, b, sb, o, n, { $0 - $1 }, { $0 - $1 })
            case .mul: simdZip(a, sa, b, sb, o, n, { $0 * $1 }, { $0 * $1 })
            case .div: simdZip(a, sa, b, sb, o, n, { $0 / $1 }, { $0 / $1 })
            // Lane selects, not pointwiseMax/Min (which the standard library lowers lane by lane);
            // NaN in either operand propagates.
            case .max:
                simdZip(
                    a, sa, b, sb, o, n,
                    { x, y in
                        x.replacing(with: y, where: x .< y).replacing(with: x + y, where: (x .!= x) .| (y .!= y))
                    }, floatMax)
            case .min:
                simdZip(
                    a, sa, b, sb, o, n,
                    { x, y in
                        x.replacing(with: y, where: y .< x).replacing(with: x + y, where: (x .!= x) .| (y .!= y))
                    }, floatMin)
            case .pow: scalarZip(a, sa, b, sb, o, n) { powf($0, $1) }
            case .mod: scalarZip(a, sa, b, sb, o, n) { floatMod($0, $1) }
            case .fmod: scalarZip(a, sa, b, sb, o, n) { fmodf($0, $1) }
            case .bitwiseAnd, .bitwiseOr, .bitwiseXor, .shiftLeft, .shiftRight: break
            }
        }
    }

    private static func binaryFloating<T: BinaryFloatingPoint & TensorElement>(
        _ type: T.Type, _ op: BinaryOp, _ lhs: Tensor, _ rhs: Tensor
    ) throws(TensorError) -> Tensor {
        try zipRows(lhs, rhs, T.self, T.self, to: T.self, op: op.rawValue) { a, sa, b, sb, o, n in
            switch op {
            case .add: scalarZip(a, sa, b, sb, o, n) { $0 + $1 }
            case .sub: scalarZip(a, sa, b, sb, o, n) { $0 - $1 }
            case .mul: scalarZip(a, sa, b, sb, o, n) { $0 * $1 }
            case .div: scalarZip(a, sa, b, sb, o, n) { $0 / $1 }
            case .max: scalarZip(a, sa, b, sb, o, n) { floatMax($0, $1) }
            case .min: scalarZip(a, sa, b, sb, o, n) { floatMin($0, $1) }
            case .pow: scalarZip(a, sa, b, sb, o, n) { T(Glibc.pow(Double($0), Double($1))) }
            case .mod: scalarZip(a, sa, b, sb, o, n) { T(floatMod(Double($0), Double($1))) }
            case .fmod: scalarZip(a, sa, b, sb, o, n) { T(Glibc.fmod(Double($0), Double($1))) }
            case .bitwiseAnd, .bitwiseOr, .bitwiseXor, .shiftLeft, .shiftRight: break
            }
        }
    }

    private static func binaryInteger<T: FixedWidthInteger & NumericElement>(
        _ type: T.Type, _ op: BinaryOp, _ lhs: Tensor, _ rhs: Tensor
    ) throws(TensorError) -> Tensor {
        try zipRows(lhs, rhs, T.self, T.self, to: T.self, op: op.rawValue) { a, sa, b, sb, o, n in
            switch op {
            case .add: scalarZip(a, sa, b, sb, o, n) { $0 &+ $1 }
            case .sub: scalarZip(a, sa, b, sb, o, n) { $0 &- $1 }
            case .mul: scalarZip(a, sa, b, sb, o, n) { $0 &* $1 }
            case .div: scalarZip(a, sa, b, sb, o, n) { $1 == 0 ? 0 : $0.dividedReportingOverflow(by: $1).partialValue }
            case .max: scalarZip(a, sa, b, sb, o, n) { Swift.max($0, $1) }
            case .min: scalarZip(a, sa, b, sb, o, n) { Swift.min($0, $1) }
            case .pow: scalarZip(a, sa, b, sb, o, n) { integerPower($0, $1) }
            case .mod:
                scalarZip(a, sa, b, sb, o, n) { x, y in
                    guard y != 0 else { return 0 }
                    let r = x.remainderReportingOverflow(dividingBy: y).partialValue
                    return (r != 0 && (r < 0) != (y < 0)) ? r &+ y : r
                }
            case .fmod:
                scalarZip(a, sa, b, sb, o, n) {
                    $1 == 0 ? 0 : $0.remainderReportingOverflow(dividingBy: $1).partialValue
                }
            case .bitwiseAnd: scalarZip(a, sa, b, sb, o, n) { $0 & $1 }
            case .bitwiseOr: scalarZip(a, sa, b, sb, o, n) { $0 | $1 }
            case .bitwiseXor: scalarZip(a, sa, b, sb, o, n) { $0 ^ $1 }
            case .shiftLeft: scalarZip(a, sa, b, sb, o, n) { $1 < 0 || $1 >= T.bitWidth ? 0 : $0 << $1 }
            case .shiftRight:
                scalarZip(a, sa, b, sb, o, n) { $1 < 0 || $1 >= T.bitWidth ? ($0 < 0 ? 0 &- 1 : 0) : $0 >> $1 }
            }
        }
    }

    /// A float32 row kernel over two operands: 16 lanes at a time for contiguous or scalar
    /// operands, `scalar` elsewhere and in the tail (same results either way).
    @inline(__always)
    static func simdZip(
        _ a: UnsafePointer<Float>, _ sa: Int, _ b: UnsafePointer<Float>, _ sb: Int,
        _ output: UnsafeMutablePointer<Float>, _ count: Int,
        _ vector: (SIMD16<Float>, SIMD16<Float>) -> SIMD16<Float>, _ scalar: (Float, Float) -> Float
    ) {
        var i = 0
        if sa == 1 && sb == 1 {
            while i + 16 <= count {
                let x = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Float>.self)
                let y = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(output + i).storeBytes(of: vector(x, y), as: SIMD16<Float>.self)
                i += 16
            }
        } else if sa == 1 && sb == 0 {
            let y = SIMD16<Float>(repeating: b[0])
            while i + 16 <= count {
                let x = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(output + i).storeBytes(of: vector(x, y), as: SIMD16<Float>.self)
                i += 16
            }
        } else if sa == 0 && sb == 1 {
            let x = SIMD16<Float>(repeating: a[0])
            while i + 16 <= count {
                let y = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(output + i).storeBytes(of: vector(x, y), as: SIMD16<Float>.self)
                i += 16
            }
        }
        while i < count {
            output[i] = scalar(a[i * sa], b[i * sb])
            i += 1
        }
    }
}

/// Maximum that propagates NaN (numpy `maximum`).
@inlinable @inline(__always)
func floatMax<T: FloatingPoint>(_ x: T, _ y: T) -> T { x.isNaN || y.isNaN ? x + y : (x > y ? x : y) }

/// Minimum that propagates NaN (numpy `minimum`).
@inlinable @inline(__always)
func floatMin<T: FloatingPoint>(_ x: T, _ y: T) -> T { x.isNaN || y.isNaN ? x + y : (x < y ? x : y) }

/// Remainder with the sign of the divisor.
@inlinable @inline(__always)
func floatMod<T: FloatingPoint>(_ x: T, _ y: T) -> T {
    let r = x.truncatingRemainder(dividingBy: y)
    return (r != 0 && (r < 0) != (y < 0)) ? r + y : r
}

/// Integer power by squaring, wrapping on overflow; negative exponents give 1/x truncated.
@inlinable
func integerPower<T: FixedWidthInteger>(_ base: T, _ exponent: T) -> T {
    if exponent < 0 {
        if base == 1 { return 1 }
        if T.isSigned && base == 0 &- 1 { return exponent & 1 == 0 ? 1 : base }
        return 0
    }
    var result: T = 1
    var factor = base
    var remaining = exponent
    while remaining > 0 {
        if remaining & 1 == 1 { result = result &* factor }
        factor = factor &* factor
        remaining >>= 1
    }
    return result
}
