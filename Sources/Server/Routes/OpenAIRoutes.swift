import Foundation
import Generation
import Hummingbird

extension Routes {
    /// `GET /v1/models`, `POST /v1/chat/completions`, `POST /v1/completions`.
    func addOpenAI(to router: Router<InferRequestContext>) {
        let routes = self
        router.get("/v1/models") { _, _ -> Response in
            guard routes.registry.isReady else { throw APIError.unavailable("the models are still loading") }
            let text = routes.registry.textModels.map {
                ModelList.Model(id: $0.name, created: $0.created, owned_by: "infer")
            }
            let onnx = routes.registry.onnxModels.map {
                ModelList.Model(id: $0.name, created: $0.created, owned_by: "infer")
            }
            let embedding = routes.registry.embeddingModels.map {
                ModelList.Model(id: $0.name, created: $0.created, owned_by: "infer")
            }
            return try JSONBody.response(ModelList(data: text + onnx + embedding))
        }
        router.post("/v1/chat/completions") { request, context -> Response in
            let body = try await routes.body(ChatCompletionRequest.self, request)
            let model = try routes.registry.textModel(body.settings.model)
            var generation = GenerationRequest(messages: try body.chatMessages())
            try body.settings.apply(to: &generation)
            return try routes.complete(generation, settings: body.settings, model: model, chat: true, context: context)
        }
        router.post("/v1/completions") { request, context -> Response in
            let body = try await routes.body(TextCompletionRequest.self, request)
            let model = try routes.registry.textModel(body.settings.model)
            var generation = GenerationRequest(prompt: try body.text)
            try body.settings.apply(to: &generation)
            return try routes.complete(generation, settings: body.settings, model: model, chat: false, context: context)
        }
    }

    /// Submits `request` to the model's scheduler and answers with the whole completion, or with
    /// its SSE stream.
    private func complete(
        _ request: GenerationRequest, settings: CompletionSettings, model: TextModel, chat: Bool,
        context: InferRequestContext
    ) throws -> Response {
        let generation: ScheduledGeneration
        do {
            generation = try model.scheduler.submit(request, deadline: .now + configuration.timeout)
        } catch {
            throw Routes.apiError(error)
        }
        let reply = ReplyShape(
            id: (chat ? "chatcmpl-" : "cmpl-") + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased(),
            created: Int(Date().timeIntervalSince1970), model: model.name, chat: chat)
        let metrics = self.metrics, usage = context.usage, started = ContinuousClock.now
        @Sendable func record(_ summary: GenerationSummary) {
            metrics.promptTokens.increment(by: summary.promptTokens)
            metrics.generatedTokens.increment(by: summary.completionTokens)
            if let first = summary.timeToFirstToken { metrics.timeToFirstToken(seconds: first) }
            metrics.inference(model: reply.model, seconds: started.duration(to: .now).seconds)
            usage.record(summary.promptTokens + summary.completionTokens)
        }
        if settings.streaming {
            return streamingResponse(generation, reply: reply, includeUsage: settings.includeUsage, record: record)
        }
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody { writer in
                // The body is produced only when the framework writes it, so the status is sent
                // first; a generation failing after that ends the body with an error object.
                var text = ""
                for await event in generation.events {
                    switch event {
                    case let .text(piece): text += piece
                    case let .finished(summary):
                        record(summary)
                        try await writer.write(ByteBuffer(data: try reply.complete(text: text, summary: summary)))
                    case let .failed(error):
                        try await writer.write(Routes.apiError(error).jsonBody)
                    }
                }
                try await writer.finish(nil)
            })
    }

    /// The SSE response: a role chunk, one chunk per text piece, the finish chunk, the usage
    /// chunk when asked, then `data: [DONE]`. A write that fails (the client went away) cancels
    /// the generation, which frees its slot at the next step.
    private func streamingResponse(
        _ generation: ScheduledGeneration, reply: ReplyShape, includeUsage: Bool,
        record: @escaping @Sendable (GenerationSummary) -> Void
    ) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                func send(_ data: Data) async throws {
                    var buffer = ByteBuffer(string: "data: ")
                    buffer.writeBytes(data)
                    buffer.writeString("\n\n")
                    try await writer.write(buffer)
                }
                do {
                    if reply.chat {
                        try await send(reply.chunk(role: "assistant", text: "", includeUsage: includeUsage))
                    }
                    for await event in generation.events {
                        switch event {
                        case let .text(piece):
                            try await send(reply.chunk(text: piece, includeUsage: includeUsage))
                        case let .finished(summary):
                            record(summary)
                            try await send(
                                reply.chunk(finish: summary.finishReason.openAIName, includeUsage: includeUsage))
                            if includeUsage { try await send(reply.usageChunk(summary)) }
                        case let .failed(error):
                            try await send(Data(Routes.apiError(error).jsonBody.readableBytesView))
                        }
                    }
                    var done = ByteBuffer(string: "data: [DONE]\n\n")
                    try await writer.write(done)
                    done.clear()
                    try await writer.finish(nil)
                } catch {
                    generation.cancel()
                    throw error
                }
            })
    }

    /// The HTTP error for a scheduler's refusal.
    static func apiError(_ error: SchedulerError) -> APIError {
        switch error {
        case .queueFull: return .busy("\(error); retry later")
        case .shuttingDown: return .unavailable("the server is shutting down")
        case let .invalidRequest(generationError):
            switch generationError {
            case let .invalidSamplingParameter(field, value, accepted):
                return .badRequest("\(field.openAIName) is \(value); accepted: \(accepted)", param: field.openAIName)
            case .invalidMaxTokens: return .badRequest(generationError.description, param: "max_tokens")
            case .promptTooLong:
                return .badRequest(generationError.description, code: "context_length_exceeded")
            case .emptyPrompt: return .badRequest(generationError.description, param: "prompt")
            case .tokenizer: return .badRequest(generationError.description, param: "messages")
            default: return .internalError(generationError.description)
            }
        }
    }
}

extension SamplingParameters.Field {
    /// The request field that sets this parameter.
    var openAIName: String {
        switch self {
        case .temperature: return "temperature"
        case .topP: return "top_p"
        case .minP: return "min_p"
        case .repeatPenalty: return "repeat_penalty"
        case .repeatLastN: return "repeat_last_n"
        case .frequencyPenalty: return "frequency_penalty"
        case .presencePenalty: return "presence_penalty"
        }
    }
}

/// The fixed parts of one completion's responses (id, time, model, chat or text).
struct ReplyShape: Sendable {
    let id: String
    let created: Int
    let model: String
    let chat: Bool
    static let fingerprint = "infer-0.1.0"

    private func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    func complete(text: String, summary: GenerationSummary) throws -> Data {
        let finish = summary.finishReason.openAIName
        if chat {
            return try encode(
                ChatCompletion(
                    id: id, created: created, model: model, system_fingerprint: ReplyShape.fingerprint,
                    choices: [
                        .init(
                            index: 0, message: .init(role: "assistant", content: text), logprobs: Nullable(nil),
                            finish_reason: finish)
                    ], usage: Usage(summary)))
        }
        return try encode(
            TextCompletion(
                id: id, created: created, model: model, system_fingerprint: ReplyShape.fingerprint,
                choices: [.init(text: text, index: 0, logprobs: Nullable(nil), finish_reason: Nullable(finish))],
                usage: Nullable(Usage(summary))))
    }

    func chunk(role: String? = nil, text: String? = nil, finish: String? = nil, includeUsage: Bool) throws -> Data {
        let usage: Nullable<Usage>? = includeUsage ? Nullable(nil) : nil
        if chat {
            return try encode(
                ChatCompletionChunk(
                    id: id, created: created, model: model, system_fingerprint: ReplyShape.fingerprint,
                    choices: [
                        .init(
                            index: 0, delta: .init(role: role, content: finish == nil ? text : nil),
                            logprobs: Nullable(nil), finish_reason: Nullable(finish))
                    ], usage: usage))
        }
        return try encode(
            TextCompletion(
                id: id, created: created, model: model, system_fingerprint: ReplyShape.fingerprint,
                choices: [.init(text: text ?? "", index: 0, logprobs: Nullable(nil), finish_reason: Nullable(finish))],
                usage: usage))
    }

    /// The last chunk when usage was asked for: no choices, the token counts.
    func usageChunk(_ summary: GenerationSummary) throws -> Data {
        if chat {
            return try encode(
                ChatCompletionChunk(
                    id: id, created: created, model: model, system_fingerprint: ReplyShape.fingerprint, choices: [],
                    usage: Nullable(Usage(summary))))
        }
        return try encode(
            TextCompletion(
                id: id, created: created, model: model, system_fingerprint: ReplyShape.fingerprint, choices: [],
                usage: Nullable(Usage(summary))))
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
