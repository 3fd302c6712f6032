/// One message of a conversation, as chat templates read it (`message.role`, `message.content`).
public struct ChatMessage: Sendable, Equatable, Codable {
    /// `system`, `user`, `assistant`, or any role the template knows.
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    /// A system message.
    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: "system", content: content) }
    /// A user message.
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: "user", content: content) }
    /// An assistant message (a previous reply).
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: "assistant", content: content) }
}

/// A model's chat template (its own Jinja text), compiled once and rendered for any list of
/// messages exactly as Python's jinja2 renders it for Hugging Face and llama.cpp.
public struct ChatTemplate: Sendable {
    /// The template's Jinja source.
    public let source: String
    /// The `bos_token` and `eos_token` variables the template sees.
    public let bosToken: String?
    public let eosToken: String?
    private let template: JinjaTemplate

    /// Compiles `source`; a syntax error names the line.
    public init(_ source: String, bosToken: String? = nil, eosToken: String? = nil) throws(TokenizerError) {
        self.source = source
        self.bosToken = bosToken
        self.eosToken = eosToken
        do { template = try JinjaTemplate(source) } catch { throw .chatTemplate(error.description) }
    }

    /// The prompt text for `messages`; `addGenerationPrompt` opens the assistant's turn.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) throws(TokenizerError) -> String {
        let list = messages.map { JinjaValue.dictionary(["role": .string($0.role), "content": .string($0.content)]) }
        do {
            return try template.render([
                "messages": .array(list), "add_generation_prompt": .bool(addGenerationPrompt),
                "bos_token": .string(bosToken ?? ""), "eos_token": .string(eosToken ?? ""),
            ])
        } catch {
            throw .chatTemplate(error.description)
        }
    }
}

extension Tokenizer {
    /// The ids of `messages` rendered through ``chatTemplate``: special tokens written by the
    /// template are parsed, and BOS is added unless the rendering already starts with it.
    public func applyChatTemplate(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) throws(TokenizerError)
        -> [Int]
    {
        guard let chatTemplate else { throw .chatTemplate(chatTemplateProblem ?? "the tokenizer has no chat template") }
        let text = try chatTemplate.render(messages, addGenerationPrompt: addGenerationPrompt)
        let startsWithBOS = bosToken.map { !$0.isEmpty && text.hasPrefix($0) } ?? false
        return encode(text, addSpecialTokens: !startsWithBOS, parseSpecial: true).ids
    }
}
