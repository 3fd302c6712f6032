import Foundation

/// A mutable, insertion-ordered mapping (Jinja dicts and `namespace()` objects share it). Made
/// and mutated within one rendering, so it is not `Sendable`.
public final class JinjaObject {
    public private(set) var keys: [String] = []
    private var storage: [String: JinjaValue] = [:]

    public init(_ pairs: [(String, JinjaValue)] = []) { for (key, value) in pairs { self[key] = value } }

    public subscript(key: String) -> JinjaValue? {
        get { storage[key] }
        set {
            if storage[key] == nil, newValue != nil { keys.append(key) }
            if newValue == nil { keys.removeAll { $0 == key } }
            storage[key] = newValue
        }
    }

    var pairs: [(String, JinjaValue)] { keys.compactMap { key in storage[key].map { (key, $0) } } }
}

/// A value in a Jinja template: Python's types as templates see them.
public enum JinjaValue {
    case undefined, none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JinjaValue])
    case object(JinjaObject)
    /// A bound method or global function.
    case function(([JinjaValue], [String: JinjaValue]) throws -> JinjaValue)

    /// A dict value from Swift pairs (keys in the order given).
    public static func dictionary(_ pairs: KeyValuePairs<String, JinjaValue>) -> JinjaValue {
        .object(JinjaObject(pairs.map { ($0.key, $0.value) }))
    }

    /// A dict value from a Swift dictionary (keys sorted, for a stable order).
    public static func dictionary(_ values: [String: JinjaValue]) -> JinjaValue {
        .object(JinjaObject(values.keys.sorted().map { ($0, values[$0] ?? .none) }))
    }

    /// Python truthiness.
    var isTruthy: Bool {
        switch self {
        case .undefined, .none: return false
        case let .bool(b): return b
        case let .int(i): return i != 0
        case let .double(d): return d != 0
        case let .string(s): return !s.isEmpty
        case let .array(a): return !a.isEmpty
        case let .object(o): return !o.keys.isEmpty
        case .function: return true
        }
    }

    /// Whether `target` is this value or inside it (through arrays and objects).
    func reaches(_ target: JinjaObject) -> Bool {
        var visited = Set<ObjectIdentifier>()
        var pending = [self]
        while let value = pending.popLast() {
            switch value {
            case let .array(items): pending += items
            case let .object(object):
                if object === target { return true }
                if visited.insert(ObjectIdentifier(object)).inserted { pending += object.pairs.map(\.1) }
            default: break
            }
        }
        return false
    }

    /// The text `{{ value }}` writes (Python's `str`).
    var rendered: String {
        switch self {
        case .undefined: return ""
        case .none: return "None"
        case let .bool(b): return b ? "True" : "False"
        case let .int(i): return String(i)
        case let .double(d): return JinjaValue.pythonFloat(d)
        case let .string(s): return s
        case .array, .object: return repr
        case .function: return "<function>"
        }
    }

    /// Python's `repr`.
    var repr: String {
        switch self {
        case let .string(s):
            let quote = s.contains("'") && !s.contains("\"") ? "\"" : "'"
            var out = quote
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\t": out += "\\t"
                case "\r": out += "\\r"
                default: out += String(scalar) == quote ? "\\" + quote : String(scalar)
                }
            }
            return out + quote
        case let .array(items): return "[" + items.map(\.repr).joined(separator: ", ") + "]"
        case let .object(object):
            return "{" + object.pairs.map { JinjaValue.string($0.0).repr + ": " + $0.1.repr }.joined(separator: ", ")
                + "}"
        default: return rendered
        }
    }

    static func pythonFloat(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d > 0 ? "inf" : "-inf" }
        if d == d.rounded(), abs(d) < 1e16 { return String(format: "%.1f", d) }
        return "\(d)"
    }

    /// JSON text as `tojson` writes it (`json.dumps` with ensure_ascii=False).
    func json(indent: Int?, level: Int = 0) -> String {
        let newline = indent.map { "\n" + String(repeating: " ", count: $0 * (level + 1)) } ?? ""
        let closing = indent.map { "\n" + String(repeating: " ", count: $0 * level) } ?? ""
        let comma = indent == nil ? ", " : ","
        switch self {
        case .undefined, .none, .function: return "null"
        case let .bool(b): return b ? "true" : "false"
        case let .int(i): return String(i)
        case let .double(d): return JinjaValue.pythonFloat(d)
        case let .string(s):
            var out = "\""
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case "\u{08}": out += "\\b"
                case "\u{0C}": out += "\\f"
                default:
                    if scalar.value < 0x20 {
                        out += String(format: "\\u%04x", scalar.value)
                    } else {
                        out += String(scalar)
                    }
                }
            }
            return out + "\""
        case let .array(items):
            if items.isEmpty { return "[]" }
            return "[" + newline
                + items.map { $0.json(indent: indent, level: level + 1) }.joined(separator: comma + newline) + closing
                + "]"
        case let .object(object):
            if object.keys.isEmpty { return "{}" }
            return "{" + newline
                + object.pairs.map {
                    JinjaValue.string($0.0).json(indent: indent) + ": " + $0.1.json(indent: indent, level: level + 1)
                }
                .joined(separator: comma + newline) + closing + "}"
        }
    }

    var typeName: String {
        switch self {
        case .undefined: return "undefined"
        case .none: return "none"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "float"
        case .string: return "string"
        case .array: return "list"
        case .object: return "dict"
        case .function: return "function"
        }
    }
}

extension JinjaValue: Equatable {
    public static func == (a: JinjaValue, b: JinjaValue) -> Bool {
        switch (a, b) {
        case (.undefined, .undefined), (.none, .none): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.double(x), .double(y)): return x == y
        case let (.int(x), .double(y)), let (.double(y), .int(x)): return Double(x) == y
        case let (.string(x), .string(y)): return x.unicodeScalars.elementsEqual(y.unicodeScalars)
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)): return x === y || (x.keys == y.keys && x.keys.allSatisfy { x[$0] == y[$0] })
        default: return false
        }
    }
}
