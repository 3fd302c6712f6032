import GGUF

/// A decoder-only language model: immutable weights that any number of sequences share. Each
/// sequence owns its ``KVCache``; ``forward(_:cache:)`` appends the tokens' keys and values to that
/// cache and returns the logits after the last token.
public protocol CausalLanguageModel: Sendable {
    /// The family's description (RoPE style, norms, biases, activation, tensor names).
    var architecture: ArchitectureSpec { get }
    /// The model's sizes.
    var hyperparameters: TransformerHyperparameters { get }

    /// A cache for one sequence of up to `contextLength` positions.
    func makeCache(contextLength: Int) throws(GenerationError) -> KVCache

    /// Runs `tokens` at the cache's next positions (a prompt runs as one batch) and returns the
    /// logits after the last one (`vocabularySize` floats).
    func forward(_ tokens: [Int], cache: KVCache) throws(GenerationError) -> [Float]

    /// One step for several sequences together: each step's tokens run at its cache's next
    /// positions, and the result holds the logits after each step's last token, in order. Weights
    /// are read once for the whole batch; each sequence's numbers are the same as when it runs
    /// alone. Every step needs its own cache and at least one token.
    func forward(batch: [SequenceStep]) throws(GenerationError) -> [[Float]]
}

/// One sequence's part of a batched forward pass: new tokens and the cache they extend.
public struct SequenceStep {
    public var tokens: [Int]
    public var cache: KVCache

    /// `tokens` to run after what `cache` holds.
    public init(tokens: [Int], cache: KVCache) {
        self.tokens = tokens
        self.cache = cache
    }
}

extension CausalLanguageModel {
    /// Runs the steps one after another (for models without a batched pass).
    public func forward(batch: [SequenceStep]) throws(GenerationError) -> [[Float]] {
        var logits: [[Float]] = []
        for step in batch { logits.append(try forward(step.tokens, cache: step.cache)) }
        return logits
    }

    /// Ids the model accepts: `0..<vocabularySize`.
    public var vocabularySize: Int { hyperparameters.vocabularySize }
}

/// Builds the model a GGUF file describes, choosing the type by `general.architecture`.
public enum LanguageModels {
    /// The architectures this library builds.
    public static var supportedArchitectures: [String] { ArchitectureSpec.builtIn.keys.sorted() }

    /// The model in `file`; an architecture this library does not build is an error naming it.
    public static func load(_ file: GGUFFile) throws(GenerationError) -> any CausalLanguageModel {
        guard let name = file["general.architecture"]?.string else {
            throw .invalidMetadata(key: "general.architecture", reason: "is missing")
        }
        guard let spec = ArchitectureSpec.builtIn[name] else {
            throw .unsupportedArchitecture(name, supported: supportedArchitectures)
        }
        return try LlamaModel(file: file, architecture: spec)
    }
}
