import Foundation
import HTTPTypes
import Hummingbird

/// An error answered in OpenAI's shape, `{"error": {"message", "type", "code", "param"}}`, with
/// its HTTP status. Every route's errors, the framework's own (unknown route, body too large)
/// included, reach clients this way.
public struct APIError: Error, HTTPResponseError, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let message: String
    /// OpenAI's error type: `invalid_request_error`, `authentication_error`, `not_found_error`, ...
    public let type: String
    /// A short machine-readable code, when there is one.
    public let code: String?
    /// The request field at fault, when there is one.
    public let param: String?
    /// Extra response headers (`Retry-After` on 429 and 503).
    public let headers: HTTPFields

    public init(
        _ status: HTTPResponse.Status, _ message: String, type: String, code: String? = nil, param: String? = nil,
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers = headers
    }

    public var description: String { "\(status.code) \(message)" }

    /// 400: the request is malformed or asks for something this server does not do.
    static func badRequest(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(.badRequest, message, type: "invalid_request_error", code: code, param: param)
    }

    /// 401: no or a wrong API key.
    static let unauthorized = APIError(
        .unauthorized, "a valid API key is required: send it as 'Authorization: Bearer KEY'",
        type: "authentication_error", code: "invalid_api_key")

    /// 404: no such model.
    static func modelNotFound(_ name: String, available: [String]) -> APIError {
        APIError(
            .notFound,
            "the model '\(name)' does not exist here; models: \(available.isEmpty ? "none of that kind" : available.joined(separator: ", "))",
            type: "invalid_request_error", code: "model_not_found", param: "model")
    }

    /// 429: the queue is full.
    static func busy(_ message: String) -> APIError {
        APIError(
            .tooManyRequests, message, type: "rate_limit_error", code: "queue_full",
            headers: [.retryAfter: "1"])
    }

    /// 503: models are still loading, or the server is shutting down.
    static func unavailable(_ message: String) -> APIError {
        APIError(.serviceUnavailable, message, type: "server_error", code: "unavailable", headers: [.retryAfter: "1"])
    }

    /// 500: the model failed on a valid request.
    static func internalError(_ message: String) -> APIError {
        APIError(.internalServerError, message, type: "server_error", code: "internal_error")
    }

    struct Body: Encodable {
        struct Detail: Encodable {
            let message: String
            let type: String
            let code: String?
            let param: String?

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(message, forKey: .message)
                try container.encode(type, forKey: .type)
                // OpenAI sends null for absent codes and params rather than leaving them out.
                try container.encode(code, forKey: .code)
                try container.encode(param, forKey: .param)
            }

            enum CodingKeys: String, CodingKey { case message, type, code, param }
        }
        let error: Detail
    }

    /// The JSON body of this error.
    var jsonBody: ByteBuffer {
        let body = Body(error: .init(message: message, type: type, code: code, param: param))
        return ByteBuffer(data: (try? JSONEncoder().encode(body)) ?? Data())
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: jsonBody))
    }

    /// The API error for any error a handler or the framework threw.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError: return error
        case let error as HTTPError:
            let message: String
            switch error.status {
            case .notFound: message = "no such route"
            case .contentTooLarge: message = "the request body is larger than the server accepts"
            case .methodNotAllowed: message = "this route does not take that method"
            default: message = error.body ?? error.status.reasonPhrase
            }
            let type = error.status.code == 401 ? "authentication_error" : "invalid_request_error"
            return APIError(error.status, message, type: type, headers: error.headers)
        case let error as any HTTPResponseError:
            return APIError(error.status, "\(error)", type: "invalid_request_error")
        default:
            return internalError("\(error)")
        }
    }
}
