import Foundation
import GGUF
import Tokenizers

/// One generation job.
public struct GenerationRequest: Sendable {
    public var prompt: String
    /// Render the prompt through the model's chat template (as one user message).
    public var chat: Bool = false
    /// The system message for chat prompts (nil: the template's default).
    public var system: String?
    /// Most tokens to generate.
    public var maxTokens: Int = 128
    public var sampling = SamplingParameters()
    /// Stop as soon as the text contains any of these (the stop string is not included).
    public var stop: [String] = []
    /// Keep the last tokens of a prompt longer than the context instead of failing.
    public var truncatePrompt: Bool = false

    public init(prompt: String) { self.prompt = prompt }
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
    public var ids: [Int]
    public var text: String
    public var finishReason: FinishReason
    public var prefillTokensPerSecond: Double
    public var decodeTokensPerSecond: Double
}

/// Generates text with a GGUF model: tokenizes (optionally through the chat template), runs the
/// prompt as one batch, then samples token by token, streaming the text.
public final class TextGenerator: @unchecked Sendable {
    public let file: GGUFFile
    public let model: LlamaModel
    public let tokenizer: Tokenizer
    /// Tokens that end generation, found as llama.cpp finds them.
    public let endOfGenerationIds: Set<Int>
    /// The model's `tokenizer.chat_template`, if any.
    public let chatTemplate: String?
    private let bosText: String
    private let eosText: String

    /// Loads the model and tokenizer of the GGUF file at `path`.
    public init(path: String, contextLength: Int? = nil) throws(GenerationError) {
        do { file = try GGUFFile(path: path) } catch { throw .file(error) }
        model = try LlamaModel(file: file, contextLength: contextLength)
        tokenizer = try Tokenizer.load(gguf: file)
        let vocabulary = try GGUFVocabulary(file: file)
        endOfGenerationIds = TextGenerator.endOfGeneration(vocabulary, file: file)
        chatTemplate = file["tokenizer.chat_template"]?.string
        bosText = vocabulary.bosId.map { String(decoding: vocabulary.tokens[$0], as: UTF8.self) } ?? ""
        eosText = vocabulary.eosId.map { String(decoding: vocabulary.tokens[$0], as: UTF8.self) } ?? ""
    }

    /// llama.cpp's end-of-generation set: EOS/EOT/EOM ids, tokens spelled like known end markers,
    /// and the fill-in-the-middle pad/repository/separator tokens.
    static func endOfGeneration(_ vocabulary: GGUFVocabulary, file: GGUFFile) -> Set<Int> {
        var ids = Set([vocabulary.eosId].compactMap { $0 })
        for key in ["tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"] {
            if let id = file[key]?.int, id >= 0, id < vocabulary.tokens.count { ids.insert(id) }
        }
        let markers: Set<String> = ["<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
                                    "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>",
                                    "<end_of_utterance>", "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>",
                                    "<|file_sep|>", "<|fim_pad|>", "<fim-pad>", "<PAD>"]
        for (id, token) in vocabulary.tokens.enumerated() where markers.contains(String(decoding: token, as: UTF8.self)) {
            ids.insert(id)
        }
        return ids
    }

    /// The text the model sees for `request`: the prompt, or the chat template's rendering.
    public func renderedPrompt(_ request: GenerationRequest) throws(GenerationError) -> String {
        guard request.chat else { return request.prompt }
        guard let chatTemplate else { throw .template("the model has no tokenizer.chat_template") }
        var messages: [JinjaValue] = []
        if let system = request.system { messages.append(.dictionary(["role": .string("system"), "content": .string(system)])) }
        messages.append(.dictionary(["role": .string("user"), "content": .string(request.prompt)]))
        do {
            let template = try JinjaTemplate(chatTemplate)
            return try template.render([
                "messages": .array(messages), "add_generation_prompt": .bool(true),
                "bos_token": .string(bosText), "eos_token": .string(eosText),
            ])
        } catch {
            throw .template("\(error)")
        }
    }

    /// Prompt token ids for `request` (special tokens parsed in chat renderings only).
    public func promptIds(_ request: GenerationRequest) throws(GenerationError) -> [Int] {
        let text = try renderedPrompt(request)
        // A rendering that already starts with BOS must not get a second one.
        let addSpecial = !(request.chat && !bosText.isEmpty && text.hasPrefix(bosText))
        var ids = tokenizer.encode(text, addSpecialTokens: addSpecial, parseSpecial: request.chat).ids
        let room = model.contextLength - 1
        if ids.count > room {
            guard request.truncatePrompt else { throw .promptTooLong(tokens: ids.count, context: model.contextLength) }
            ids = Array(ids.suffix(room))
        }
        guard !ids.isEmpty else { throw .emptyPrompt }
        return ids
    }

    /// Runs `request`, calling `onText` with each new piece of text as soon as it is final.
    public func generate(_ request: GenerationRequest, onText: (String) -> Void = { _ in }) throws(GenerationError) -> GenerationResult {
        let promptIds = try promptIds(request)
        var sampler = Sampler(parameters: request.sampling)
        model.reset()
        let prefillStart = DispatchTime.now().uptimeNanoseconds
        var logits = try model.evaluate(promptIds)
        let prefillSeconds = Double(DispatchTime.now().uptimeNanoseconds - prefillStart) / 1e9
        var ids: [Int] = []
        var history = promptIds
        var emitted = 0
        var text = ""
        var finish = FinishReason.length
        var decodeSeconds = 0.0, decodeSteps = 0
        while ids.count < request.maxTokens {
            let next = sampler.sample(logits, history: history)
            ids.append(next)
            history.append(next)
            if endOfGenerationIds.contains(next) {
                finish = .eog
                break
            }
            text = (try? tokenizer.decode(ids)) ?? text
            if let cut = TextGenerator.firstStop(in: text, stops: request.stop) {
                text = String(text[..<cut])
                finish = .stop
                break
            }
            // Emit what can no longer change: hold back an incomplete character and any suffix
            // that could begin a stop string.
            let safe = TextGenerator.stableLength(text, stops: request.stop)
            if safe > emitted {
                let scalars = Array(text.unicodeScalars)
                onText(String(String.UnicodeScalarView(scalars[emitted..<safe])))
                emitted = safe
            }
            guard ids.count < request.maxTokens, model.position < model.contextLength else { break }
            let start = DispatchTime.now().uptimeNanoseconds
            logits = try model.evaluate([next])
            decodeSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            decodeSteps += 1
        }
        if finish != .stop { text = (try? tokenizer.decode(ids)) ?? text }
        let scalars = Array(text.unicodeScalars)
        if scalars.count > emitted { onText(String(String.UnicodeScalarView(scalars[emitted...]))) }
        return GenerationResult(promptIds: promptIds, ids: ids, text: text, finishReason: finish,
                                prefillTokensPerSecond: prefillSeconds > 0 ? Double(promptIds.count) / prefillSeconds : 0,
                                decodeTokensPerSecond: decodeSeconds > 0 ? Double(decodeSteps) / decodeSeconds : 0)
    }

    /// Where the first stop string starts in `text`, if any occurs.
    static func firstStop(in text: String, stops: [String]) -> String.Index? {
        stops.filter { !$0.isEmpty }.compactMap { text.range(of: $0)?.lowerBound }.min()
    }

    /// Scalars of `text` that are final: not a trailing U+FFFD (a character still being completed)
    /// and not a suffix that could start a stop string.
    static func stableLength(_ text: String, stops: [String]) -> Int {
        var scalars = Array(text.unicodeScalars)
        while scalars.last == "\u{FFFD}" { scalars.removeLast() }
        var keep = scalars.count
        for stop in stops where !stop.isEmpty {
            let stopScalars = Array(stop.unicodeScalars)
            for length in stride(from: min(stopScalars.count - 1, scalars.count), to: 0, by: -1)
            where Array(scalars.suffix(length)) == Array(stopScalars.prefix(length)) {
                keep = min(keep, scalars.count - length)
                break
            }
        }
        return keep
    }
}
