import GGUF

/// The shape of a Llama-family model, read from `{architecture}.*` GGUF metadata.
public struct LlamaHyperparameters: Sendable, Equatable {
    public var architecture: String
    public var layerCount: Int
    public var embeddingLength: Int
    public var feedForwardLength: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var headDimension: Int
    public var contextLength: Int
    public var rmsEpsilon: Float
    public var ropeFrequencyBase: Float
    /// Number of leading dimensions of each head that RoPE rotates.
    public var ropeDimensions: Int
    /// Position multiplier (1 / linear scaling factor).
    public var ropeFrequencyScale: Float
    /// NeoX-style RoPE rotates (i, i + d/2) pairs; the original style rotates adjacent pairs.
    public var ropeNeoX: Bool
    public var vocabularySize: Int

    /// The architectures this library builds, with their RoPE style.
    public static let supportedArchitectures: [String: Bool] = ["llama": false, "mistral": false, "qwen2": true]

    /// Reads and checks the hyperparameters of `file`.
    public init(file: GGUFFile) throws(GenerationError) {
        guard let architecture = file["general.architecture"]?.string else {
            throw .invalidMetadata(key: "general.architecture", reason: "is missing")
        }
        guard let neoX = LlamaHyperparameters.supportedArchitectures[architecture] else {
            throw .unsupportedArchitecture(architecture, supported: LlamaHyperparameters.supportedArchitectures.keys.sorted())
        }
        func integer(_ key: String, default fallback: Int? = nil) throws(GenerationError) -> Int {
            let full = "\(architecture).\(key)"
            guard let value = file[full]?.int ?? fallback else { throw .invalidMetadata(key: full, reason: "is missing") }
            guard value > 0, value < 1 << 24 else { throw .invalidMetadata(key: full, reason: "is \(value), out of range") }
            return value
        }
        func real(_ key: String, default fallback: Double) -> Float { Float(file["\(architecture).\(key)"]?.double ?? fallback) }
        self.architecture = architecture
        layerCount = try integer("block_count")
        embeddingLength = try integer("embedding_length")
        feedForwardLength = try integer("feed_forward_length")
        headCount = try integer("attention.head_count")
        kvHeadCount = try integer("attention.head_count_kv", default: headCount)
        headDimension = try integer("attention.key_length", default: embeddingLength / headCount)
        contextLength = try integer("context_length", default: 2048)
        rmsEpsilon = real("attention.layer_norm_rms_epsilon", default: 1e-5)
        ropeFrequencyBase = real("rope.freq_base", default: 10000)
        ropeDimensions = try integer("rope.dimension_count", default: headDimension)
        let scaling = file["\(architecture).rope.scaling.type"]?.string ?? "none"
        let factor = real("rope.scaling.factor", default: 1)
        switch scaling {
        case "none": ropeFrequencyScale = 1
        case "linear": ropeFrequencyScale = factor > 0 ? 1 / factor : 1
        default: throw .invalidMetadata(key: "\(architecture).rope.scaling.type", reason: "'\(scaling)' is not supported (none, linear)")
        }
        ropeNeoX = neoX
        vocabularySize = file["\(architecture).vocab_size"]?.int ?? file["tokenizer.ggml.tokens"]?.array?.count ?? 0
        guard headCount % kvHeadCount == 0 else {
            throw .invalidMetadata(key: "\(architecture).attention.head_count_kv", reason: "(\(kvHeadCount)) does not divide head_count (\(headCount))")
        }
        guard ropeDimensions <= headDimension, ropeDimensions % 2 == 0 else {
            throw .invalidMetadata(key: "\(architecture).rope.dimension_count", reason: "(\(ropeDimensions)) must be even and at most the head size \(headDimension)")
        }
        guard vocabularySize > 0 else { throw .invalidMetadata(key: "\(architecture).vocab_size", reason: "is missing") }
    }
}
