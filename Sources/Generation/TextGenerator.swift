import Foundation
import GGUF
import Tokenizers

/// One generation job.
public struct GenerationRequest: Sendable {
    /// What the model continues.
    public enum Prompt: Sendable, Equatable {
        /// Raw text, tokenized with the tokenizer's own special tokens (BOS where it adds one).
        case text(String)
        /// A conversation rendered through the model's chat template, opening the assistant's turn.
        case messages([ChatMessage])
    }

    public var prompt: Prompt
    /// Most tokens to generate.
    public var maxTokens: Int = 128
    public var sampling = SamplingParameters()
    /// Stop as soon as the text contains any of these (the stop string is not included).
    public var stop: [String] = []
    /// Keep the last tokens of a prompt longer than the context instead of failing.
    public var truncatePrompt: Bool = false

    /// A request to continue `prompt` as raw text.
    public init(prompt: String) { self.prompt = .text(prompt) }

    /// A request to answer the conversation `messages`.
    public init(messages: [ChatMessage]) { prompt = .messages(messages) }
}

/// Why generation ended.
public enum FinishReason: String, Sendable {
    /// An end-of-generation token (EOS, EOT, ...), included in the ids.
    case eog
    /// A stop string.
    case stop
    /// The token limit, or the end of the context.
    case length
}

/// The outcome of one generation.
public struct GenerationResult: Sendable {
    public var promptIds: [Int]
    /// Leading prompt ids whose keys and values the session already held (not computed again).
    public var reusedPromptTokens: Int
    public var ids: [Int]
    public var text: String
    public var finishReason: FinishReason
    public var prefillTokensPerSecond: Double
    public var decodeTokensPerSecond: Double
}

/// Generates text with a causal language model and its tokenizer: tokenizes (through the chat
/// template for conversations), runs the prompt as one batch, then samples token by token,
/// streaming the text. The generator is immutable and can be shared by concurrent tasks; each call
/// runs in its own ``GenerationSession`` (a fresh one unless the caller passes one to continue).
public final class TextGenerator: Sendable {
    public let model: any CausalLanguageModel
    public let tokenizer: Tokenizer
    /// Tokens that end generation, found as llama.cpp finds them.
    public let endOfGenerationIds: Set<Int>
    /// The context length of sessions made by ``makeSession(contextLength:)`` without one.
    public let contextLength: Int

    /// Loads the model and tokenizer of the GGUF file at `path`; sessions get `contextLength`
    /// positions (default: the model's own context, at most 4096).
    public convenience init(path: String, contextLength: Int? = nil) throws(GenerationError) {
        let file: GGUFFile
        do { file = try GGUFFile(path: path) } catch { throw .file(error) }
        let model = try LanguageModels.load(file)
        let vocabulary: GGUFVocabulary, tokenizer: Tokenizer
        do {
            vocabulary = try GGUFVocabulary(file: file)
            tokenizer = try Tokenizer(gguf: file)
        } catch { throw .tokenizer(error) }
        try self.init(
            model: model, tokenizer: tokenizer,
            endOfGenerationIds: TextGenerator.endOfGeneration(vocabulary, file: file),
            contextLength: contextLength ?? min(model.hyperparameters.contextLength, 4096))
    }

    /// A generator over an already loaded model and tokenizer.
    public init(model: any CausalLanguageModel, tokenizer: Tokenizer, endOfGenerationIds: Set<Int>, contextLength: Int)
        throws(GenerationError)
    {
        guard contextLength >= 1, contextLength <= 1 << 20 else {
            throw .invalidContextLength(contextLength, maximum: 1 << 20)
        }
        self.model = model
        self.tokenizer = tokenizer
        self.endOfGenerationIds = endOfGenerationIds
        self.contextLength = contextLength
    }

    /// A new, empty session of `contextLength` positions (default: ``contextLength``).
    public func makeSession(contextLength: Int? = nil) throws(GenerationError) -> GenerationSession {
        let length = contextLength ?? self.contextLength
        guard length >= 1, length <= 1 << 20 else { throw .invalidContextLength(length, maximum: 1 << 20) }
        return GenerationSession(cache: try model.makeCache(contextLength: length))
    }

    /// llama.cpp's end-of-generation set: EOS/EOT/EOM ids, tokens spelled like known end markers,
    /// and the fill-in-the-middle pad/repository/separator tokens.
    static func endOfGeneration(_ vocabulary: GGUFVocabulary, file: GGUFFile) -> Set<Int> {
        var ids = Set([vocabulary.eosId].compactMap { $0 })
        for key in ["tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"] {
            if let id = file[key]?.int, id >= 0, id < vocabulary.tokens.count { ids.insert(id) }
        }
        let markers: Set<String> = [
            "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
            "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>",
            "<end_of_utterance>", "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>",
            "<|file_sep|>", "<|fim_pad|>", "<fim-pad>", "<PAD>",
        ]
        for (id, token) in vocabulary.tokens.enumerated() where markers.contains(String(decoding: token, as: UTF8.self))
        {
            ids.insert(id)
        }
        return ids
    }

    /// The text the model sees for `request`: the raw prompt, or the chat template's rendering.
    public func renderedPrompt(_ request: GenerationRequest) throws(GenerationError) -> String {
        switch request.prompt {
        case let .text(text): return text
        case let .messages(messages):
            guard let template = tokenizer.chatTemplate else {
                throw .tokenizer(.chatTemplate("the model has no chat template"))
            }
            do { return try template.render(messages) } catch { throw .tokenizer(error) }
        }
    }

    /// Prompt token ids for `request` in a context of `contextLength` positions (special tokens
    /// are parsed in chat renderings only).
    public func promptIds(_ request: GenerationRequest, contextLength: Int? = nil) throws(GenerationError) -> [Int] {
        var ids: [Int]
        switch request.prompt {
        case let .text(text): ids = tokenizer.encode(text, addSpecialTokens: true, parseSpecial: false).ids
        case let .messages(messages):
            do { ids = try tokenizer.applyChatTemplate(messages) } catch { throw .tokenizer(error) }
        }
        let context = contextLength ?? self.contextLength
        let room = context - 1
        if ids.count > room {
            guard request.truncatePrompt else { throw .promptTooLong(tokens: ids.count, context: context) }
            ids = Array(ids.suffix(room))
        }
        guard !ids.isEmpty else { throw .emptyPrompt }
        return ids
    }

    /// Runs `request`, calling `onText` with each new piece of text as soon as it is final. With a
    /// `session`, the prompt continues what the session holds (its shared prefix is reused);
    /// without one, a fresh session is made for this call.
    public func generate(
        _ request: GenerationRequest, session continued: GenerationSession? = nil, onText: (String) -> Void = { _ in }
    ) throws(GenerationError) -> GenerationResult {
        try request.sampling.validate()
        guard request.maxTokens >= 0 else { throw .invalidMaxTokens(request.maxTokens) }
        let session: GenerationSession
        if let continued { session = continued } else { session = try makeSession() }
        let promptIds = try promptIds(request, contextLength: session.contextLength)
        let reused = session.reusablePrefix(of: promptIds)
        session.rewind(to: reused)
        let prefillStart = DispatchTime.now().uptimeNanoseconds
        var logits = try session.forward(Array(promptIds[reused...]), model: model)
        let prefillSeconds = Double(DispatchTime.now().uptimeNanoseconds - prefillStart) / 1e9
        var stream = TokenStream(generator: self, request: request, promptIds: promptIds)
        var decodeSeconds = 0.0, decodeSteps = 0
        while stream.finishReason == nil {
            let piece = stream.accept(logits, roomInContext: session.cache.remaining > 0)
            if !piece.isEmpty { onText(piece) }
            guard stream.finishReason == nil, let next = stream.lastId else { break }
            let start = DispatchTime.now().uptimeNanoseconds
            logits = try session.forward([next], model: model)
            decodeSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            decodeSteps += 1
        }
        let prefilled = promptIds.count - reused
        return GenerationResult(
            promptIds: promptIds, reusedPromptTokens: reused, ids: stream.ids, text: stream.text,
            finishReason: stream.finishReason ?? .length,
            prefillTokensPerSecond: prefillSeconds > 0 ? Double(prefilled) / prefillSeconds : 0,
            decodeTokensPerSecond: decodeSeconds > 0 ? Double(decodeSteps) / decodeSeconds : 0)
    }
}
