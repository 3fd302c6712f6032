import Embeddings
import Foundation
import Hummingbird

/// The body of `POST /v1/embeddings`, as OpenAI's API takes it.
struct EmbeddingRequest: Decodable {
    let model: String?
    let input: StringOrList
    /// `float` (default) or `base64` (little-endian float32 bytes, what the official clients ask for).
    let encoding_format: String?
    let dimensions: Int?
    let user: String?
}

/// The answer of `POST /v1/embeddings`.
struct EmbeddingResponse: Encodable {
    struct Item: Encodable {
        let object = "embedding"
        let index: Int
        let embedding: Vector
    }
    /// A vector as floats or as base64 text.
    enum Vector: Encodable {
        case floats([Float])
        case base64(String)

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case let .floats(values): try container.encode(values)
            case let .base64(text): try container.encode(text)
            }
        }
    }
    struct Usage: Encodable {
        let prompt_tokens: Int
        let total_tokens: Int
    }
    let object = "list"
    let data: [Item]
    let model: String
    let usage: Usage
}

extension Routes {
    /// Most texts one request may embed (OpenAI's limit).
    static let maximumEmbeddingInputs = 2048

    /// `POST /v1/embeddings`: sentence embeddings from an embedding model (`embed`'s library call).
    func addEmbeddings(to router: Router<InferRequestContext>) {
        let routes = self
        router.post("/v1/embeddings") { request, context -> Response in
            let body = try await routes.body(EmbeddingRequest.self, request)
            let model = try routes.registry.embeddingModel(body.model)
            let texts = body.input.values
            guard !texts.isEmpty, texts.count <= Self.maximumEmbeddingInputs else {
                throw APIError.badRequest(
                    "'input' must hold 1 to \(Self.maximumEmbeddingInputs) texts, got \(texts.count)", param: "input")
            }
            let format = body.encoding_format ?? "float"
            guard format == "float" || format == "base64" else {
                throw APIError.badRequest(
                    "'encoding_format' must be float or base64, got '\(format)'", param: "encoding_format")
            }
            if let dimensions = body.dimensions, dimensions != model.embedder.dimension {
                throw APIError.badRequest(
                    "'dimensions' must be \(model.embedder.dimension) for \(model.name) (it cannot be shortened)",
                    param: "dimensions")
            }
            guard model.embedder.pooling != .none else {
                throw APIError.badRequest(
                    "\(model.name) gives token states, not one vector per text", param: "model")
            }
            let started = ContinuousClock.now
            let embeddings = try await model.queue.run {
                do { return try model.embedder.embed(texts) } catch {
                    throw APIError.badRequest("\(error)", param: "input")
                }
            }
            let tokens = embeddings.reduce(0) { $0 + $1.tokens }
            routes.metrics.promptTokens.increment(by: tokens)
            routes.metrics.inference(model: model.name, seconds: started.duration(to: .now).seconds)
            context.usage.record(tokens)
            let items = embeddings.enumerated().map { index, embedding in
                EmbeddingResponse.Item(
                    index: index,
                    embedding: format == "float"
                        ? .floats(embedding.values)
                        : .base64(embedding.values.withUnsafeBytes { Data($0).base64EncodedString() }))
            }
            return try JSONBody.response(
                EmbeddingResponse(
                    data: items, model: model.name, usage: .init(prompt_tokens: tokens, total_tokens: tokens)))
        }
    }
}
