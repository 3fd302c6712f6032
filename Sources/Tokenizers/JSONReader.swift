/// A JSON value whose strings stay exact UTF-8 bytes: no merging of canonically equivalent
/// keys (as Swift `String` dictionary keys would) and no dropped U+FEFF (as JSONSerialization
/// does), both of which real vocabularies need.
indirect enum JSONValue {
    case null
    case bool(Bool)
    case number(Double)
    /// UTF-8, a slice of the parsed buffer when the string has no escapes.
    case string(ArraySlice<UInt8>)
    case array([JSONValue])
    case object([(key: ArraySlice<UInt8>, value: JSONValue)])
    /// A large member left unparsed (a model's `vocab` object or `merges` array): its byte range,
    /// read later by ``JSONReader/readVocabulary(_:_:name:)`` or ``JSONReader/readMerges(_:_:name:)``.
    case deferred(Range<Int>)

    /// The member `key` of an object.
    subscript(key: String) -> JSONValue? {
        guard case let .object(members) = self else { return nil }
        let bytes = Array(key.utf8)
        return members.first { $0.key.elementsEqual(bytes) }?.value
    }

    var string: String? {
        if case let .string(bytes) = self { return String(decoding: bytes, as: UTF8.self) }
        return nil
    }
    var bytes: ArraySlice<UInt8>? {
        if case let .string(bytes) = self { return bytes }
        return nil
    }
    var bool: Bool? {
        if case let .bool(value) = self { return value }
        return nil
    }
    var int: Int? {
        guard case let .number(value) = self, value.rounded() == value, abs(value) < 9e15 else { return nil }
        return Int(value)
    }
    var double: Double? {
        if case let .number(value) = self { return value }
        return nil
    }
    var array: [JSONValue]? {
        if case let .array(values) = self { return values }
        return nil
    }
    var members: [(key: ArraySlice<UInt8>, value: JSONValue)]? {
        if case let .object(members) = self { return members }
        return nil
    }
    var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

/// A strict JSON parser over bytes; errors name the byte offset.
struct JSONReader {
    private let bytes: [UInt8]
    private var position = 0
    private var depth = 0

    /// Members whose values `parse` leaves as ``JSONValue/deferred(_:)``, with the byte their value
    /// must open with.
    private var deferredKeys: [(key: [UInt8], opening: UInt8)] = []

    /// Parses one JSON document; with `deferring`, the object or array values of members with
    /// those names are only skipped (their syntax is checked when they are read).
    static func parse(_ bytes: [UInt8], name: String, deferring: [(key: String, opening: Character)] = [])
        throws(TokenizerError) -> JSONValue
    {
        var reader = JSONReader(bytes: bytes)
        reader.deferredKeys = deferring.map { (Array($0.key.utf8), $0.opening.asciiValue ?? 0) }
        do throws(JSONFailure) {
            reader.skipWhitespace()
            let value = try reader.value()
            reader.skipWhitespace()
            guard reader.position == bytes.count else { throw reader.failure("unexpected content after the value") }
            return value
        } catch {
            guard case let .at(offset, reason) = error else { throw .malformedJSON(path: name, reason: "unreadable") }
            throw .malformedJSON(path: name, reason: "\(reason) at byte \(offset)")
        }
    }

    private enum JSONFailure: Error { case at(Int, String) }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func failure(_ reason: String) -> JSONFailure { .at(position, reason) }

    private mutating func skipWhitespace() {
        while position < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[position]) { position += 1 }
    }

    private mutating func value() throws(JSONFailure) -> JSONValue {
        guard position < bytes.count else { throw failure("unexpected end of input") }
        depth += 1
        defer { depth -= 1 }
        guard depth < 512 else { throw failure("nesting deeper than 512") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        default: return .number(try number())
        }
    }

    private mutating func literal(_ word: String) throws(JSONFailure) {
        let expected = Array(word.utf8)
        guard bytes.count - position >= expected.count, Array(bytes[position..<(position + expected.count)]) == expected
        else {
            throw failure("invalid literal")
        }
        position += expected.count
    }

    private mutating func object() throws(JSONFailure) -> JSONValue {
        position += 1
        var members: [(key: ArraySlice<UInt8>, value: JSONValue)] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw failure("expected a string key")
            }
            let key = try string()
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw failure("expected ':'") }
            position += 1
            skipWhitespace()
            if !deferredKeys.isEmpty, position < bytes.count,
                deferredKeys.contains(where: { key.elementsEqual($0.key) && bytes[position] == $0.opening })
            {
                let start = position
                try skipValue()
                members.append((key, .deferred(start..<position)))
            } else {
                members.append((key, try value()))
            }
            skipWhitespace()
            guard position < bytes.count else { throw failure("unterminated object") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
                continue
            }
            if bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .object(members)
            }
            throw failure("expected ',' or '}'")
        }
    }

    /// Moves past one object or array, tracking only nesting and strings.
    private mutating func skipValue() throws(JSONFailure) {
        var nesting = 0
        repeat {
            guard position < bytes.count else { throw failure("unexpected end of input") }
            switch bytes[position] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                nesting += 1
                position += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                nesting -= 1
                position += 1
            case UInt8(ascii: "\""):
                // To the closing quote: a backslash always escapes the byte after it.
                position += 1
                while position < bytes.count, bytes[position] != UInt8(ascii: "\"") {
                    position += bytes[position] == UInt8(ascii: "\\") ? 2 : 1
                }
                guard position < bytes.count else { throw failure("unterminated string") }
                position += 1
            default: position += 1
            }
        } while nesting > 0
    }

    /// Reads a deferred `vocab` object of `"token": id` members into a table.
    static func readVocabulary(_ bytes: [UInt8], _ range: Range<Int>, name: String) throws(TokenizerError)
        -> VocabularyTable
    {
        var reader = JSONReader(bytes: bytes)
        reader.position = range.lowerBound
        var table = VocabularyTable(capacity: max(16, range.count / 12))
        var token: [UInt8] = []
        do throws(JSONFailure) {
            try reader.expect(UInt8(ascii: "{"))
            reader.skipWhitespace()
            if reader.peek == UInt8(ascii: "}") { return table }
            while true {
                reader.skipWhitespace()
                guard reader.peek == UInt8(ascii: "\"") else { throw reader.failure("expected a token string") }
                token.removeAll(keepingCapacity: true)
                try reader.string(appendingTo: &token)
                try reader.expect(UInt8(ascii: ":"))
                reader.skipWhitespace()
                let number = try reader.number()
                guard number >= 0, number < 1e9, number.rounded() == number else {
                    throw reader.failure("token ids must be non-negative integers")
                }
                let id = Int(number)
                token.withUnsafeBufferPointer { _ = table.insert($0, id: id) }
                reader.skipWhitespace()
                if reader.peek == UInt8(ascii: ",") {
                    reader.position += 1
                    continue
                }
                try reader.expect(UInt8(ascii: "}"))
                return table
            }
        } catch {
            guard case let .at(offset, reason) = error else { throw .malformedJSON(path: name, reason: "unreadable") }
            throw .malformedJSON(path: name, reason: "\(reason) at byte \(offset) (in $.model.vocab)")
        }
    }

    /// Reads a deferred `merges` array of `"a b"` strings or `["a", "b"]` pairs.
    static func readMerges(_ bytes: [UInt8], _ range: Range<Int>, name: String) throws(TokenizerError) -> MergeList {
        var reader = JSONReader(bytes: bytes)
        reader.position = range.lowerBound
        var pairs = MergeList()
        pairs.bytes.reserveCapacity(range.count)
        pairs.pairs.reserveCapacity(range.count / 10)
        do throws(JSONFailure) {
            try reader.expect(UInt8(ascii: "["))
            reader.skipWhitespace()
            if reader.peek == UInt8(ascii: "]") { return pairs }
            while true {
                reader.skipWhitespace()
                if reader.peek == UInt8(ascii: "[") {
                    reader.position += 1
                    reader.skipWhitespace()
                    guard reader.peek == UInt8(ascii: "\"") else { throw reader.failure("expected a merge string") }
                    let start = pairs.bytes.count
                    try reader.string(appendingTo: &pairs.bytes)
                    let middle = pairs.bytes.count
                    try reader.expect(UInt8(ascii: ","))
                    reader.skipWhitespace()
                    guard reader.peek == UInt8(ascii: "\"") else { throw reader.failure("expected a merge string") }
                    try reader.string(appendingTo: &pairs.bytes)
                    try reader.expect(UInt8(ascii: "]"))
                    pairs.pairs.append((start..<middle, middle..<pairs.bytes.count))
                } else {
                    guard reader.peek == UInt8(ascii: "\"") else {
                        throw reader.failure("expected \"a b\" or [\"a\", \"b\"]")
                    }
                    let start = pairs.bytes.count
                    try reader.string(appendingTo: &pairs.bytes)
                    guard let space = pairs.bytes[start...].firstIndex(of: 0x20) else {
                        throw reader.failure(
                            "merge \"\(String(decoding: pairs.bytes[start...], as: UTF8.self))\" has no space")
                    }
                    pairs.pairs.append((start..<space, (space + 1)..<pairs.bytes.count))
                }
                reader.skipWhitespace()
                if reader.peek == UInt8(ascii: ",") {
                    reader.position += 1
                    continue
                }
                try reader.expect(UInt8(ascii: "]"))
                return pairs
            }
        } catch {
            guard case let .at(offset, reason) = error else { throw .malformedJSON(path: name, reason: "unreadable") }
            throw .malformedJSON(path: name, reason: "\(reason) at byte \(offset) (in $.model.merges)")
        }
    }

    private var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func expect(_ byte: UInt8) throws(JSONFailure) {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == byte else {
            throw failure("expected '\(String(UnicodeScalar(byte)))'")
        }
        position += 1
    }

    private mutating func array() throws(JSONFailure) -> JSONValue {
        position += 1
        var values: [JSONValue] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return .array(values)
        }
        while true {
            skipWhitespace()
            values.append(try value())
            skipWhitespace()
            guard position < bytes.count else { throw failure("unterminated array") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
                continue
            }
            if bytes[position] == UInt8(ascii: "]") {
                position += 1
                return .array(values)
            }
            throw failure("expected ',' or ']'")
        }
    }

    /// Appends the next string's bytes to `out` (no slice of the input is made).
    private mutating func string(appendingTo out: inout [UInt8]) throws(JSONFailure) {
        let start = position + 1
        var index = start
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                for offset in start..<index { out.append(bytes[offset]) }
                position = index + 1
                return
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { break }
            index += 1
        }
        out += try string()
    }

    private mutating func string() throws(JSONFailure) -> ArraySlice<UInt8> {
        position += 1
        // Fast path: no escapes, so the string is a slice of the input.
        let start = position
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                return bytes[start..<(position - 1)]
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { break }
            position += 1
        }
        var out = Array(bytes[start..<position])
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                return out[...]
            }
            if byte < 0x20 { throw failure("control character in a string") }
            if byte != UInt8(ascii: "\\") {
                out.append(byte)
                position += 1
                continue
            }
            position += 1
            guard position < bytes.count else { break }
            let escape = bytes[position]
            position += 1
            switch escape {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800..<0xDC00).contains(code), bytes.count - position >= 6, bytes[position] == UInt8(ascii: "\\"),
                    bytes[position + 1] == UInt8(ascii: "u")
                {
                    position += 2
                    let low = try hex4()
                    if (0xDC00..<0xE000).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        position -= 6
                    }
                }
                // Lone surrogates become U+FFFD, as Rust's serde_json does.
                out += Array(String(Unicode.Scalar(code) ?? "\u{FFFD}").utf8)
            default: throw failure("invalid escape")
            }
        }
        throw failure("unterminated string")
    }

    private mutating func hex4() throws(JSONFailure) -> UInt32 {
        guard bytes.count - position >= 4 else { throw failure("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = UInt32(String(UnicodeScalar(bytes[position])), radix: 16) else {
                throw failure("invalid \\u escape")
            }
            value = value * 16 + digit
            position += 1
        }
        return value
    }

    private mutating func number() throws(JSONFailure) -> Double {
        let start = position
        // Plain integers (every vocabulary id) parse directly; anything else goes through Double.
        var integer = 0, digits = 0
        let negative = position < bytes.count && bytes[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39, digits < 15 {
            integer = integer * 10 + Int(bytes[position] - 0x30)
            digits += 1
            position += 1
        }
        let next = position < bytes.count ? bytes[position] : 0
        if digits > 0, !(next >= 0x30 && next <= 0x39), next != UInt8(ascii: "."), next != UInt8(ascii: "e"),
            next != UInt8(ascii: "E")
        {
            return Double(negative ? -integer : integer)
        }
        position = start
        while position < bytes.count {
            let byte = bytes[position]
            guard
                (0x30...0x39).contains(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
                    || byte == UInt8(ascii: ".")
                    || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
            else { break }
            position += 1
        }
        guard position > start, let value = Double(String(decoding: bytes[start..<position], as: UTF8.self)) else {
            throw failure("invalid number")
        }
        return value
    }
}
