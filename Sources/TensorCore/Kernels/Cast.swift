/// Conversions between every pair of element types.
///
/// Floating → floating rounds to nearest, ties to even, once (no double rounding), keeping
/// NaN and infinities. Floating → integer truncates toward zero and saturates at the target's
/// range, NaN giving 0 (never undefined, never a trap). Integer → integer keeps the low bits
/// (two's complement wrap, as C and numpy do). Anything → bool is `value != 0`; bool → number
/// is 0 or 1. Strings parse (`"1.5"`, `"-3"`, `"inf"`, `"NaN"`, `"true"`) or print; a string
/// that is not a number of the target type is an ``TensorError/invalidCast(from:to:reason:)``.
extension Tensor {
    /// This tensor's elements converted to `target`. `saturate` applies to 8-bit float targets:
    /// out-of-range values clamp to the largest finite value instead of becoming infinity or NaN.
    public func cast(to target: DType, saturate: Bool = true) throws(TensorError) -> Tensor {
        if target == dtype { return self }
        if dtype.isNarrow || target.isNarrow {
            if dtype == .string { return try cast(to: .float64).castNarrow(to: target, saturate: saturate) }
            if target == .string { return try castNarrow(to: .float64, saturate: saturate).cast(to: .string) }
            return try castNarrow(to: target, saturate: saturate)
        }
        if dtype == .string { return try castFromStrings(to: target) }
        if target == .string { return try castToStrings() }
        switch dtype {
        case .float32: return try castElements(Float.self, to: target)
        case .float16: return try castElements(Float16.self, to: target)
        case .bfloat16: return try castElements(BFloat16.self, to: target)
        case .float64: return try castElements(Double.self, to: target)
        case .int8: return try castElements(Int8.self, to: target)
        case .uint8: return try castElements(UInt8.self, to: target)
        case .int16: return try castElements(Int16.self, to: target)
        case .uint16: return try castElements(UInt16.self, to: target)
        case .int32: return try castElements(Int32.self, to: target)
        case .uint32: return try castElements(UInt32.self, to: target)
        case .int64: return try castElements(Int64.self, to: target)
        case .uint64: return try castElements(UInt64.self, to: target)
        case .bool: return try castElements(Bool.self, to: target)
        default: throw .invalidCast(from: dtype, to: target, reason: "handled by the string and narrow paths")
        }
    }

    private func castElements<S: CastSource>(_ source: S.Type, to target: DType) throws(TensorError) -> Tensor {
        switch target {
        case .float32: return try castLoop(S.self, Float.self)
        case .float16: return try castLoop(S.self, Float16.self)
        case .bfloat16: return try castLoop(S.self, BFloat16.self)
        case .float64: return try castLoop(S.self, Double.self)
        case .int8: return try castLoop(S.self, Int8.self)
        case .uint8: return try castLoop(S.self, UInt8.self)
        case .int16: return try castLoop(S.self, Int16.self)
        case .uint16: return try castLoop(S.self, UInt16.self)
        case .int32: return try castLoop(S.self, Int32.self)
        case .uint32: return try castLoop(S.self, UInt32.self)
        case .int64: return try castLoop(S.self, Int64.self)
        case .uint64: return try castLoop(S.self, UInt64.self)
        case .bool: return try castLoop(S.self, Bool.self)
        case .string: return try castToStrings()
        default: throw .invalidCast(from: dtype, to: target, reason: "handled by the narrow path")
        }
    }

    private func castLoop<S: CastSource, D: CastTarget>(_ source: S.Type, _ target: D.Type) throws(TensorError)
        -> Tensor
    {
        try mapRows(S.self, to: D.self, op: "cast") { input, stride, output, count in
            Tensor.scalarMap(input, stride, output, count) { $0.converted(to: D.self) }
        }
    }

    private func castToStrings() throws(TensorError) -> Tensor {
        let values: [String]
        switch dtype {
        case .bool: values = try scalars(as: Bool.self).map { $0 ? "true" : "false" }
        case .float32: values = try scalars(as: Float.self).map(Tensor.formatFloat)
        case .float16: values = try scalars(as: Float16.self).map { Tensor.formatFloat(Float($0)) }
        case .bfloat16: values = try scalars(as: BFloat16.self).map { Tensor.formatFloat(Float($0)) }
        case .float64: values = try scalars(as: Double.self).map(Tensor.formatFloat)
        case .int8: values = try scalars(as: Int8.self).map(String.init)
        case .uint8: values = try scalars(as: UInt8.self).map(String.init)
        case .int16: values = try scalars(as: Int16.self).map(String.init)
        case .uint16: values = try scalars(as: UInt16.self).map(String.init)
        case .int32: values = try scalars(as: Int32.self).map(String.init)
        case .uint32: values = try scalars(as: UInt32.self).map(String.init)
        case .int64: values = try scalars(as: Int64.self).map(String.init)
        case .uint64: values = try scalars(as: UInt64.self).map(String.init)
        case .string: return self
        default: throw .invalidCast(from: dtype, to: .string, reason: "handled by the narrow path")
        }
        return try Tensor(shape: shape, strings: values)
    }

    static func formatFloat<F: BinaryFloatingPoint & LosslessStringConvertible>(_ value: F) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-INF" : "INF" }
        return value.description
    }

    private func castFromStrings(to target: DType) throws(TensorError) -> Tensor {
        let texts = try stringScalars()
        func parsed<T: TensorElement>(_ type: T.Type, _ parse: (String) -> T?) throws(TensorError) -> Tensor {
            var values = [T]()
            values.reserveCapacity(texts.count)
            for (index, text) in texts.enumerated() {
                guard let value = parse(text.trimmingASCIIWhitespace()) else {
                    throw .invalidCast(
                        from: .string, to: target,
                        reason: "element \(index) \"\(text.prefix(40))\" is not a valid \(target) value")
                }
                values.append(value)
            }
            return try Tensor(shape: shape, scalars: values)
        }
        switch target {
        case .float32: return try parsed(Float.self) { Float($0) ?? Tensor.parseFloating($0).map { Float($0) } }
        case .float64: return try parsed(Double.self, Tensor.parseFloating)
        case .float16: return try parsed(Float16.self) { Tensor.parseFloating($0).map { Float16($0) } }
        case .bfloat16: return try parsed(BFloat16.self) { Tensor.parseFloating($0).map { BFloat16($0) } }
        case .int8: return try parsed(Int8.self) { Tensor.parseInteger($0) }
        case .uint8: return try parsed(UInt8.self) { Tensor.parseInteger($0) }
        case .int16: return try parsed(Int16.self) { Tensor.parseInteger($0) }
        case .uint16: return try parsed(UInt16.self) { Tensor.parseInteger($0) }
        case .int32: return try parsed(Int32.self) { Tensor.parseInteger($0) }
        case .uint32: return try parsed(UInt32.self) { Tensor.parseInteger($0) }
        case .int64: return try parsed(Int64.self) { Tensor.parseInteger($0) }
        case .uint64: return try parsed(UInt64.self) { Tensor.parseInteger($0) }
        case .bool:
            return try parsed(Bool.self) { text in
                switch text.lowercased() {
                case "true", "1": return true
                case "false", "0": return false
                default: return Tensor.parseFloating(text).map { $0 != 0 }
                }
            }
        case .string: return self
        default: throw .invalidCast(from: .string, to: target, reason: "handled by the narrow path")
        }
    }

    /// A decimal integer, or a floating-point literal with an integral value in range ("3.0").
    static func parseInteger<I: FixedWidthInteger>(_ text: String) -> I? {
        if let value = I(text) { return value }
        guard let value = Double(text), value.rounded(.towardZero) == value else { return nil }
        return I(exactly: value)
    }

    /// A decimal or special ("inf", "-INF", "NaN", case-insensitive) floating-point literal.
    static func parseFloating(_ text: String) -> Double? {
        switch text.lowercased() {
        case "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        case "nan", "+nan", "-nan": return .nan
        default: return Double(text)
        }
    }
}

extension String {
    func trimmingASCIIWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}

/// A type elements can be converted from (see ``Tensor/cast(to:saturate:)`` for the rules).
public protocol CastSource: TensorElement {
    /// This value converted to `T`.
    func converted<T: CastTarget>(to type: T.Type) -> T
}

/// A type elements can be converted to (see ``Tensor/cast(to:saturate:)`` for the rules).
public protocol CastTarget: TensorElement {
    init(castingFloat value: Float)
    init(castingDouble value: Double)
    init<I: FixedWidthInteger>(castingInteger value: I)
    init(castingBool value: Bool)
}

extension Float: CastSource {
    @inlinable public func converted<T: CastTarget>(to type: T.Type) -> T { T(castingFloat: self) }
}
extension Float16: CastSource {
    @inlinable public func converted<T: CastTarget>(to type: T.Type) -> T { T(castingFloat: Float(self)) }
}
extension BFloat16: CastSource {
    @inlinable public func converted<T: CastTarget>(to type: T.Type) -> T { T(castingFloat: Float(self)) }
}
extension Double: CastSource {
    @inlinable public func converted<T: CastTarget>(to type: T.Type) -> T { T(castingDouble: self) }
}
extension Bool: CastSource {
    @inlinable public func converted<T: CastTarget>(to type: T.Type) -> T { T(castingBool: self) }
}
extension Int8: CastSource {}
extension UInt8: CastSource {}
extension Int16: CastSource {}
extension UInt16: CastSource {}
extension Int32: CastSource {}
extension UInt32: CastSource {}
extension Int64: CastSource {}
extension UInt64: CastSource {}

extension CastSource where Self: FixedWidthInteger {
    @inlinable public func converted<T: CastTarget>(to type: T.Type) -> T { T(castingInteger: self) }
}

extension Float: CastTarget {
    @inlinable public init(castingFloat value: Float) { self = value }
    @inlinable public init(castingDouble value: Double) { self = Float(value) }
    @inlinable public init<I: FixedWidthInteger>(castingInteger value: I) { self = Float(value) }
    @inlinable public init(castingBool value: Bool) { self = value ? 1 : 0 }
}
extension Double: CastTarget {
    @inlinable public init(castingFloat value: Float) { self = Double(value) }
    @inlinable public init(castingDouble value: Double) { self = value }
    @inlinable public init<I: FixedWidthInteger>(castingInteger value: I) { self = Double(value) }
    @inlinable public init(castingBool value: Bool) { self = value ? 1 : 0 }
}
extension Float16: CastTarget {
    @inlinable public init(castingFloat value: Float) { self = Float16(value) }
    @inlinable public init(castingDouble value: Double) { self = Float16(value) }
    @inlinable public init<I: FixedWidthInteger>(castingInteger value: I) { self = Float16(value) }
    @inlinable public init(castingBool value: Bool) { self = value ? 1 : 0 }
}
extension BFloat16: CastTarget {
    @inlinable public init(castingFloat value: Float) { self = BFloat16(value) }
    @inlinable public init(castingDouble value: Double) { self = BFloat16(value) }
    @inlinable public init<I: FixedWidthInteger>(castingInteger value: I) { self = BFloat16(value) }
    @inlinable public init(castingBool value: Bool) { self = BFloat16(bitPattern: value ? 0x3F80 : 0) }
}
extension Bool: CastTarget {
    @inlinable public init(castingFloat value: Float) { self = value != 0 }
    @inlinable public init(castingDouble value: Double) { self = value != 0 }
    @inlinable public init<I: FixedWidthInteger>(castingInteger value: I) { self = value != 0 }
    @inlinable public init(castingBool value: Bool) { self = value }
}

/// Integer targets: saturating truncation from floating point, bit truncation from integers.
public protocol IntegerCastTarget: CastTarget, FixedWidthInteger {}

extension IntegerCastTarget {
    @inlinable public init(castingFloat value: Float) { self.init(castingDouble: Double(value)) }
    @inlinable public init(castingDouble value: Double) { self.init(castingDoubleSaturating: value) }
    @inlinable public init<I: FixedWidthInteger>(castingInteger value: I) { self.init(truncatingIfNeeded: value) }
    @inlinable public init(castingBool value: Bool) { self = value ? 1 : 0 }
}

extension Int8: IntegerCastTarget {}
extension UInt8: IntegerCastTarget {}
extension Int16: IntegerCastTarget {}
extension UInt16: IntegerCastTarget {}
extension Int32: IntegerCastTarget {}
extension UInt32: IntegerCastTarget {}
extension Int64: IntegerCastTarget {}
extension UInt64: IntegerCastTarget {}

/// Reads one element of any numeric or bool type as `Double`.
enum ElementCodec {
    static func loadDouble(_ pointer: UnsafeRawPointer, dtype: DType) -> Double {
        switch dtype {
        case .float32: return Double(pointer.load(as: Float.self))
        case .float16: return Double(pointer.load(as: Float16.self))
        case .bfloat16: return Double(Float(pointer.load(as: BFloat16.self)))
        case .float64: return pointer.load(as: Double.self)
        case .int8: return Double(pointer.load(as: Int8.self))
        case .uint8: return Double(pointer.load(as: UInt8.self))
        case .int16: return Double(pointer.load(as: Int16.self))
        case .uint16: return Double(pointer.load(as: UInt16.self))
        case .int32: return Double(pointer.load(as: Int32.self))
        case .uint32: return Double(pointer.load(as: UInt32.self))
        case .int64: return Double(pointer.load(as: Int64.self))
        case .uint64: return Double(pointer.load(as: UInt64.self))
        case .bool: return pointer.load(as: Bool.self) ? 1 : 0
        case .string: return .nan
        case .int4, .int2: return Double(pointer.load(as: Int8.self))
        case .uint4, .uint2: return Double(pointer.load(as: UInt8.self))
        default: return NarrowFormat.decode(pointer.load(as: UInt8.self), dtype)
        }
    }
}
