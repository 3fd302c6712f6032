import Foundation
import Hummingbird

/// Reading JSON bodies: bounded in size, and decoded with errors that name the field at fault.
enum JSONBody {
    /// `T` decoded from the request body, which may hold at most `limit` bytes (else 413).
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError(
                .contentTooLarge, "the request body is \(length) bytes; the server accepts at most \(limit)",
                type: "invalid_request_error", code: "body_too_large")
        }
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: limit) } catch let error as HTTPError
            where error.status == .contentTooLarge
        {
            throw APIError(
                .contentTooLarge, "the request body is larger than the server accepts (\(limit) bytes)",
                type: "invalid_request_error", code: "body_too_large")
        }
        return try decode(type, from: Data(buffer.readableBytesView))
    }

    /// `T` decoded from `data`; a 400 naming the field and what it should be otherwise.
    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        guard !data.isEmpty else { throw APIError.badRequest("the request body is empty; send a JSON object") }
        let depth = nestingDepth(data)
        guard depth <= maximumNesting else {
            throw APIError.badRequest("the JSON nests \(depth) levels deep; at most \(maximumNesting) are accepted")
        }
        do { return try JSONDecoder().decode(T.self, from: data) } catch let error as DecodingError {
            throw describe(error)
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.badRequest("the request body is not valid JSON: \(error)")
        }
    }

    /// The deepest nesting a request may have (requests are flat; this bounds the decoder's recursion).
    static let maximumNesting = 64

    /// How deeply arrays and objects nest in `data` (brackets inside strings do not count).
    static func nestingDepth(_ data: Data) -> Int {
        var depth = 0, deepest = 0, inString = false, escaped = false
        for byte in data {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return deepest
    }

    /// A dotted path like `messages[0].content` for a coding path.
    static func path(_ keys: [any CodingKey]) -> String {
        var path = ""
        for key in keys {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return path
    }

    private static func describe(_ error: DecodingError) -> APIError {
        switch error {
        case let .typeMismatch(type, context):
            let field = path(context.codingPath)
            return .badRequest(
                field.isEmpty
                    ? "the request body must be a JSON object" : "field '\(field)' must be \(describe(type))",
                param: field.isEmpty ? nil : field)
        case let .valueNotFound(type, context):
            let field = path(context.codingPath)
            return .badRequest("field '\(field)' must be \(describe(type)), not null", param: field)
        case let .keyNotFound(key, context):
            let field = path(context.codingPath + [key])
            return .badRequest("missing required field '\(field)'", param: field)
        case let .dataCorrupted(context):
            let field = path(context.codingPath)
            if field.isEmpty { return .badRequest("the request body is not valid JSON") }
            return .badRequest("field '\(field)': \(context.debugDescription)", param: field)
        @unknown default:
            return .badRequest("the request body does not match the expected shape")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "a boolean"
        case is Int.Type, is Int64.Type, is UInt64.Type, is Int32.Type: return "an integer"
        case is Float.Type, is Double.Type: return "a number"
        case is [Any].Type: return "an array"
        default:
            let name = "\(type)"
            return name.hasPrefix("Array") ? "an array" : name.hasPrefix("Dictionary") ? "an object" : "a \(name)"
        }
    }

    /// A JSON response of `value` with status 200.
    static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(data: try encoder.encode(value))))
    }
}

/// A string or a list of strings (OpenAI's `stop` and `prompt`).
enum StringOrList: Decodable {
    case one(String)
    case many([String])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let one = try? container.decode(String.self) {
            self = .one(one)
        } else if let many = try? container.decode([String].self) {
            self = .many(many)
        } else {
            throw DecodingError.typeMismatch(
                String.self,
                .init(codingPath: decoder.codingPath, debugDescription: "expected a string or a list of strings"))
        }
    }

    var values: [String] {
        switch self {
        case let .one(value): return [value]
        case let .many(values): return values
        }
    }
}

/// Any JSON value, kept only to tell whether a field was sent (and not empty).
enum AnyJSON: Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([AnyJSON])
    case object([String: AnyJSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([AnyJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: AnyJSON].self))
        }
    }

    /// Whether the value says something: not null, false, empty or "none".
    var isSet: Bool {
        switch self {
        case .null: return false
        case let .bool(value): return value
        case let .array(values): return !values.isEmpty
        case let .object(values): return !values.isEmpty
        case let .string(value): return value != "none"
        case .number: return true
        }
    }
}
