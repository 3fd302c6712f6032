import Foundation
import Generation
import Tokenizers

/// A chat message's content: a string, or a list of parts of which only text is supported.
enum MessageContent: Decodable {
    case text(String)
    case parts([Part])
    case none

    struct Part: Decodable {
        let type: String
        let text: String?
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .none
        } else if let text = try? container.decode(String.self) {
            self = .text(text)
        } else {
            self = .parts(try container.decode([Part].self))
        }
    }

    /// The text, or a 400 naming the message when a part is not text.
    func text(field: String) throws -> String {
        switch self {
        case let .text(text): return text
        case .none: return ""
        case let .parts(parts):
            var text = ""
            for (index, part) in parts.enumerated() {
                guard part.type == "text", let piece = part.text else {
                    throw APIError.badRequest(
                        "\(field)[\(index)] is a '\(part.type)' part; only text parts are supported",
                        param: "\(field)[\(index)].type")
                }
                text += piece
            }
            return text
        }
    }
}

/// The sampling and limit fields that chat and text completions share.
struct CompletionSettings: Decodable {
    var model: String?
    var max_tokens: Int?
    var max_completion_tokens: Int?
    var temperature: Float?
    var top_p: Float?
    var top_k: Int?
    var min_p: Float?
    var seed: Int64?
    var stop: StringOrList?
    var presence_penalty: Float?
    var frequency_penalty: Float?
    var repeat_penalty: Float?
    var repeat_last_n: Int?
    var stream: Bool?
    var stream_options: StreamOptions?
    var n: Int?
    var logprobs: AnyJSON?
    var top_logprobs: AnyJSON?
    var tools: AnyJSON?
    var functions: AnyJSON?
    var tool_choice: AnyJSON?
    var logit_bias: AnyJSON?
    var response_format: ResponseFormat?
    var echo: Bool?
    var best_of: Int?
    var suffix: String?

    struct StreamOptions: Decodable {
        var include_usage: Bool?
    }

    struct ResponseFormat: Decodable {
        var type: String
    }

    /// Refuses what this server does not do, naming the field.
    func checkSupported() throws {
        if let n, n != 1 { throw APIError.badRequest("n must be 1: one choice per request is supported", param: "n") }
        if let best_of, best_of != 1 { throw APIError.badRequest("best_of must be 1", param: "best_of") }
        if logprobs?.isSet == true {
            throw APIError.badRequest("logprobs are not supported", param: "logprobs")
        }
        if top_logprobs?.isSet == true {
            throw APIError.badRequest("top_logprobs are not supported", param: "top_logprobs")
        }
        if tools?.isSet == true { throw APIError.badRequest("tools are not supported", param: "tools") }
        if functions?.isSet == true { throw APIError.badRequest("functions are not supported", param: "functions") }
        if tool_choice?.isSet == true {
            throw APIError.badRequest("tool_choice is not supported", param: "tool_choice")
        }
        if logit_bias?.isSet == true { throw APIError.badRequest("logit_bias is not supported", param: "logit_bias") }
        if let format = response_format, format.type != "text" {
            throw APIError.badRequest(
                "response_format '\(format.type)' is not supported (only 'text')", param: "response_format")
        }
        if echo == true { throw APIError.badRequest("echo is not supported", param: "echo") }
        if suffix?.isEmpty == false { throw APIError.badRequest("suffix is not supported", param: "suffix") }
    }

    /// Applies the settings to `request`: llama.cpp's sampling defaults where a field is absent,
    /// a random seed unless one is given, no token limit but the context unless one is given.
    func apply(to request: inout GenerationRequest) throws {
        try checkSupported()
        let limit = max_completion_tokens ?? max_tokens
        if let limit, limit < 0 {
            throw APIError.badRequest(
                "\(max_completion_tokens != nil ? "max_completion_tokens" : "max_tokens") must be 0 or more, got \(limit)",
                param: max_completion_tokens != nil ? "max_completion_tokens" : "max_tokens")
        }
        request.maxTokens = limit ?? Int.max
        if let temperature { request.sampling.temperature = temperature }
        if let top_p { request.sampling.topP = top_p }
        if let top_k { request.sampling.topK = top_k }
        if let min_p { request.sampling.minP = min_p }
        if let presence_penalty { request.sampling.presencePenalty = presence_penalty }
        if let frequency_penalty { request.sampling.frequencyPenalty = frequency_penalty }
        if let repeat_penalty { request.sampling.repeatPenalty = repeat_penalty }
        if let repeat_last_n { request.sampling.repeatLastN = repeat_last_n }
        request.sampling.seed = seed.map { UInt64(bitPattern: $0) } ?? UInt64.random(in: 0...UInt64.max)
        let stops = stop?.values ?? []
        guard stops.count <= 16 else {
            throw APIError.badRequest("at most 16 stop strings are accepted", param: "stop")
        }
        request.stop = stops
    }

    var streaming: Bool { stream ?? false }
    var includeUsage: Bool { stream_options?.include_usage ?? false }
}

/// `POST /v1/chat/completions`.
struct ChatCompletionRequest: Decodable {
    struct Message: Decodable {
        var role: String
        var content: MessageContent?
    }
    var messages: [Message]
    var settings: CompletionSettings

    enum CodingKeys: String, CodingKey { case messages }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        messages = try container.decode([Message].self, forKey: .messages)
        settings = try CompletionSettings(from: decoder)
    }

    /// The conversation, with OpenAI's `developer` role read as `system`.
    func chatMessages() throws -> [ChatMessage] {
        guard !messages.isEmpty else {
            throw APIError.badRequest("messages must hold at least one message", param: "messages")
        }
        return try messages.enumerated().map { index, message in
            let field = "messages[\(index)]"
            let role = message.role == "developer" ? "system" : message.role
            guard ["system", "user", "assistant"].contains(role) else {
                throw APIError.badRequest(
                    "\(field).role is '\(message.role)'; accepted: system, developer, user, assistant",
                    param: "\(field).role")
            }
            return ChatMessage(role: role, content: try (message.content ?? .none).text(field: "\(field).content"))
        }
    }
}

/// `POST /v1/completions`.
struct TextCompletionRequest: Decodable {
    var prompt: StringOrList
    var settings: CompletionSettings

    enum CodingKeys: String, CodingKey { case prompt }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        prompt = try container.decode(StringOrList.self, forKey: .prompt)
        settings = try CompletionSettings(from: decoder)
    }

    var text: String {
        get throws {
            let prompts = prompt.values
            guard prompts.count == 1 else {
                throw APIError.badRequest("prompt must be one string (got \(prompts.count))", param: "prompt")
            }
            return prompts[0]
        }
    }
}

/// Token counts, as OpenAI reports them.
struct Usage: Encodable {
    let prompt_tokens: Int
    let completion_tokens: Int
    let total_tokens: Int

    init(_ summary: GenerationSummary) {
        prompt_tokens = summary.promptTokens
        completion_tokens = summary.completionTokens
        total_tokens = summary.promptTokens + summary.completionTokens
    }
}

extension FinishReason {
    /// OpenAI's name: an end-of-generation token or a stop string is `stop`.
    var openAIName: String { self == .length ? "length" : "stop" }
}

/// Encodes `nil` as JSON null (OpenAI sends `"finish_reason": null`, `"usage": null`, ...).
struct Nullable<Value: Encodable>: Encodable {
    let value: Value?
    init(_ value: Value?) { self.value = value }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let value { try container.encode(value) } else { try container.encodeNil() }
    }
}

struct ChatCompletion: Encodable {
    struct Choice: Encodable {
        struct Message: Encodable {
            let role: String
            let content: String
        }
        let index: Int
        let message: Message
        let logprobs: Nullable<String>
        let finish_reason: String
    }
    let id: String
    let object = "chat.completion"
    let created: Int
    let model: String
    let system_fingerprint: String
    let choices: [Choice]
    let usage: Usage
}

struct ChatCompletionChunk: Encodable {
    struct Choice: Encodable {
        struct Delta: Encodable {
            var role: String?
            var content: String?
        }
        let index: Int
        let delta: Delta
        let logprobs: Nullable<String>
        let finish_reason: Nullable<String>
    }
    let id: String
    let object = "chat.completion.chunk"
    let created: Int
    let model: String
    let system_fingerprint: String
    let choices: [Choice]
    let usage: Nullable<Usage>?
}

struct TextCompletion: Encodable {
    struct Choice: Encodable {
        let text: String
        let index: Int
        let logprobs: Nullable<String>
        let finish_reason: Nullable<String>
    }
    let id: String
    let object = "text_completion"
    let created: Int
    let model: String
    let system_fingerprint: String
    let choices: [Choice]
    let usage: Nullable<Usage>?
}

struct ModelList: Encodable {
    struct Model: Encodable {
        let id: String
        let object = "model"
        let created: Int
        let owned_by: String
    }
    let object = "list"
    let data: [Model]
}
