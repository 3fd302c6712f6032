/// The bfloat16 format: the upper 16 bits of an IEEE-754 binary32.
///
/// Conversion from `Float` and `Double` rounds to nearest, ties to even; NaN stays NaN
/// (quietened, sign kept) and infinities stay infinite.
@frozen
public struct BFloat16: Sendable, Hashable, CustomStringConvertible {
    /// The raw bit pattern.
    public var bitPattern: UInt16

    /// A value from its raw bit pattern.
    @inlinable public init(bitPattern: UInt16) { self.bitPattern = bitPattern }

    /// The nearest bfloat16 to `value` (ties to even).
    @inlinable public init(_ value: Float) {
        let bits = value.bitPattern
        if value.isNaN {
            bitPattern = UInt16(truncatingIfNeeded: bits >> 16) | 0x0040
        } else {
            let lsb = (bits >> 16) & 1
            bitPattern = UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ lsb) >> 16)
        }
    }

    /// The nearest bfloat16 to `value`, rounded once (no double rounding through `Float`).
    @inlinable public init(_ value: Double) {
        self.init(Float.roundedToOdd(value))
    }

    /// The nearest bfloat16 to an integer, rounded once.
    @inlinable public init<I: BinaryInteger>(_ value: I) {
        self.init(Double.roundedToOdd(value))
    }

    public static var zero: BFloat16 { BFloat16(bitPattern: 0) }

    public var description: String { Float(self).description }
}

extension Float {
    /// The exact value of a bfloat16.
    @inlinable public init(_ value: BFloat16) {
        self.init(bitPattern: UInt32(value.bitPattern) << 16)
    }

    /// `value` rounded to `Float` with round-to-odd: a later rounding to a narrower format
    /// (bfloat16) then gives the correctly rounded result, as if rounded once.
    @inlinable static func roundedToOdd(_ value: Double) -> Float {
        let nearest = Float(value)
        guard nearest.isFinite, Double(nearest) != value, nearest.bitPattern & 1 == 0 else { return nearest }
        return Double(nearest) < value ? nearest.nextUp : nearest.nextDown
    }
}

extension Double {
    /// An integer rounded to `Double` with round-to-odd (see `Float.roundedToOdd`).
    @inlinable static func roundedToOdd<I: BinaryInteger>(_ value: I) -> Double {
        let nearest = Double(value)
        guard let back = I(exactly: nearest), back != value, nearest.bitPattern & 1 == 0 else { return nearest }
        return back < value ? nearest.nextUp : nearest.nextDown
    }
}
