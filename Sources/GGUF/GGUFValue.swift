/// One metadata value of a GGUF file.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8)
    case int8(Int8)
    case uint16(UInt16)
    case int16(Int16)
    case uint32(UInt32)
    case int32(Int32)
    case uint64(UInt64)
    case int64(Int64)
    case float32(Float)
    case float64(Double)
    case bool(Bool)
    case string(String)
    /// An array; `elementType` is the GGUF type code of its elements (arrays may nest).
    case array(elementType: UInt32, [GGUFValue])

    /// The value as an integer, for any integer type (nil otherwise or when it does not fit).
    public var int: Int? {
        switch self {
        case let .uint8(v): return Int(v)
        case let .int8(v): return Int(v)
        case let .uint16(v): return Int(v)
        case let .int16(v): return Int(v)
        case let .uint32(v): return Int(v)
        case let .int32(v): return Int(v)
        case let .uint64(v): return Int(exactly: v)
        case let .int64(v): return Int(v)
        case let .bool(v): return v ? 1 : 0
        default: return nil
        }
    }

    /// The value as a floating-point number, for any numeric type.
    public var double: Double? {
        switch self {
        case let .float32(v): return Double(v)
        case let .float64(v): return v
        default: return int.map(Double.init)
        }
    }

    public var string: String? { if case let .string(s) = self { return s } else { return nil } }
    public var bool: Bool? { if case let .bool(b) = self { return b } else { return nil } }
    public var array: [GGUFValue]? { if case let .array(_, a) = self { return a } else { return nil } }

    /// A short rendering for listings: arrays longer than `limit` are summarised.
    public func summary(limit: Int = 8) -> String {
        switch self {
        case let .string(s): return s.count > 120 ? "\"\(s.prefix(117))...\" (\(s.count) chars)" : "\"\(s)\""
        case let .array(_, items):
            let shown = items.prefix(limit).map { $0.summary(limit: limit) }.joined(separator: ", ")
            return items.count > limit ? "[\(shown), ...] (\(items.count) items)" : "[\(shown)]"
        case let .bool(b): return String(b)
        case let .float32(v): return String(v)
        case let .float64(v): return String(v)
        default: return int.map(String.init) ?? "?"
        }
    }
}
