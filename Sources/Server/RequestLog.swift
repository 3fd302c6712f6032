import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// The per-request context: Hummingbird's core storage plus what the handler reports for the
/// log line (tokens processed).
public struct InferRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Filled by generation handlers, read by the log middleware once the response is written.
    let usage = RequestUsage()

    public init(source: Source) {
        coreContext = .init(source: source)
    }
}

/// Tokens a request processed (prompt + generated), set by its handler, possibly while the
/// response streams.
final class RequestUsage: Sendable {
    private let tokens = Mutex<Int?>(nil)
    func record(_ count: Int) { tokens.withLock { $0 = count } }
    var count: Int? { tokens.withLock { $0 } }
}

/// Turns every error into OpenAI's error shape, records `infer_requests_total` and the duration
/// histogram, and writes one line per request to stderr (method, path, status, milliseconds,
/// tokens) once the response body has been written.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = InferRequestContext
    let metrics: ServerMetrics

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        do { response = try await next(request, context) } catch {
            let apiError = APIError.from(error)
            response = try apiError.response(from: request, context: context)
        }
        let route = context.endpointPath ?? "unmatched"
        let status = response.status.code
        let method = request.method.rawValue, path = request.uri.path
        let usage = context.usage, metrics = self.metrics
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            func log() {
                let elapsed = start.duration(to: .now)
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                metrics.request(route: route, status: status, seconds: seconds)
                let tokens = usage.count.map { " tokens=\($0)" } ?? ""
                let line = "\(method) \(path) \(status) \(String(format: "%.1f", seconds * 1000))ms\(tokens)\n"
                FileHandle.standardError.write(Data(line.utf8))
            }
            do {
                try await body.write(writer)
                log()
            } catch {
                log()
                throw error
            }
        }
        return response
    }
}

/// Requires `Authorization: Bearer KEY` with one of the configured keys on every route but the
/// health probes.
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = InferRequestContext
    let keys: Set<String>
    static let openPaths: Set<String> = ["/health", "/healthz", "/readyz", "/v2/health/live", "/v2/health/ready"]

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard !keys.isEmpty, !APIKeyMiddleware.openPaths.contains(request.uri.path) else {
            return try await next(request, context)
        }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            keys.contains(String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces))
        else { throw APIError.unauthorized }
        return try await next(request, context)
    }
}
