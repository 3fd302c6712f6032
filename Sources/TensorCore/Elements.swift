/// A Swift type that can be the element of a ``Tensor``; ties the type to its ``DType``.
public protocol TensorElement: Sendable {
    /// The dtype tensors of this element carry.
    static var dtype: DType { get }
    /// The value a freshly allocated tensor holds.
    static var zero: Self { get }
}

/// A numeric element whose values convert losslessly enough through `Double` for kernels
/// that dispatch once and compute in a wider type.
public protocol NumericElement: TensorElement {
    /// The value as a `Double` (exact for every type but 64-bit integers beyond 2^53).
    var doubleValue: Double { get }
}

extension Float: NumericElement {
    public static var dtype: DType { .float32 }
    @inlinable public var doubleValue: Double { Double(self) }
}
extension Double: NumericElement {
    public static var dtype: DType { .float64 }
    @inlinable public var doubleValue: Double { self }
}
extension Float16: NumericElement {
    public static var dtype: DType { .float16 }
    @inlinable public var doubleValue: Double { Double(self) }
}
extension Int8: NumericElement {
    public static var dtype: DType { .int8 }
    @inlinable public var doubleValue: Double { Double(self) }
}
extension UInt8: NumericElement {
    public static var dtype: DType { .uint8 }
    @inlinable public var doubleValue: Double { Double(self) }
}
extension Int16: NumericElement {
    public static var dtype: DType { .int16 }
    @inlinable public var doubleValue: Double { Double(self) }
}
extension UInt16: NumericElement {
    public static var dtype: DType { .uint16 }
    @inlinable public var doubleValue: Double { Double(self) }
}
extension Int32: NumericElement {
    public static var dtype: DType { .int32 }
    @inlinable public var doubleValue: Double { Double(self) }
}
extension UInt32: NumericElement {
    public static var dtype: DType { .uint32 }
    @inlinable public var doubleValue: Double { Double(self) }
}
extension Int64: NumericElement {
    public static var dtype: DType { .int64 }
    @inlinable public var doubleValue: Double { Double(self) }
}
extension UInt64: NumericElement {
    public static var dtype: DType { .uint64 }
    @inlinable public var doubleValue: Double { Double(self) }
}
extension Bool: TensorElement {
    public static var dtype: DType { .bool }
    public static var zero: Bool { false }
}
extension BFloat16: NumericElement {
    public static var dtype: DType { .bfloat16 }
    @inlinable public var doubleValue: Double { Double(Float(self)) }
}
