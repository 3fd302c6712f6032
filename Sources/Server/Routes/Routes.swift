import Hummingbird

/// The route handlers: thin adapters from HTTP and JSON to the library calls the CLI makes.
struct Routes: Sendable {
    let registry: ModelRegistry
    let metrics: ServerMetrics
    let configuration: ServerConfiguration

    /// Decodes the JSON body of `request` as `T` within the body limit.
    func body<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        try await JSONBody.decode(type, from: request, limit: configuration.maxBodyBytes)
    }
}
