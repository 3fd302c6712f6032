import GGUF

/// The sizes of a decoder-only transformer, read from `{architecture}.*` GGUF metadata.
public struct TransformerHyperparameters: Sendable, Equatable {
    public var architecture: String
    public var layerCount: Int
    public var embeddingLength: Int
    public var feedForwardLength: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var headDimension: Int
    /// The context the model was trained with.
    public var contextLength: Int
    public var rmsEpsilon: Float
    public var ropeFrequencyBase: Float
    /// Number of leading dimensions of each head that RoPE rotates.
    public var ropeDimensions: Int
    /// Position multiplier (1 / linear scaling factor).
    public var ropeFrequencyScale: Float
    public var vocabularySize: Int

    /// Reads and checks the hyperparameters of `file` for the architecture it names.
    public init(file: GGUFFile) throws(GenerationError) {
        guard let architecture = file["general.architecture"]?.string else {
            throw .invalidMetadata(key: "general.architecture", reason: "is missing")
        }
        func integer(_ key: String, default fallback: Int? = nil) throws(GenerationError) -> Int {
            let full = "\(architecture).\(key)"
            guard let value = file[full]?.int ?? fallback else {
                throw .invalidMetadata(key: full, reason: "is missing")
            }
            guard value > 0, value < 1 << 24 else {
                throw .invalidMetadata(key: full, reason: "is \(value), out of range")
            }
            return value
        }
        func real(_ key: String, default fallback: Double) throws(GenerationError) -> Float {
            let full = "\(architecture).\(key)"
            let value = Float(file[full]?.double ?? fallback)
            guard value.isFinite else { throw .invalidMetadata(key: full, reason: "is \(value), not a finite number") }
            return value
        }
        self.architecture = architecture
        layerCount = try integer("block_count")
        embeddingLength = try integer("embedding_length")
        feedForwardLength = try integer("feed_forward_length")
        headCount = try integer("attention.head_count")
        kvHeadCount = try integer("attention.head_count_kv", default: headCount)
        headDimension = try integer("attention.key_length", default: embeddingLength / headCount)
        contextLength = try integer("context_length", default: 2048)
        rmsEpsilon = try real("attention.layer_norm_rms_epsilon", default: 1e-5)
        guard rmsEpsilon >= 0 else {
            throw .invalidMetadata(
                key: "\(architecture).attention.layer_norm_rms_epsilon", reason: "is \(rmsEpsilon), negative")
        }
        ropeFrequencyBase = try real("rope.freq_base", default: 10000)
        guard ropeFrequencyBase > 0 else {
            throw .invalidMetadata(
                key: "\(architecture).rope.freq_base", reason: "is \(ropeFrequencyBase), must be positive")
        }
        ropeDimensions = try integer("rope.dimension_count", default: headDimension)
        let scaling = file["\(architecture).rope.scaling.type"]?.string ?? "none"
        let factor = try real("rope.scaling.factor", default: 1)
        switch scaling {
        case "none": ropeFrequencyScale = 1
        case "linear": ropeFrequencyScale = factor > 0 ? 1 / factor : 1
        default:
            throw .invalidMetadata(
                key: "\(architecture).rope.scaling.type", reason: "'\(scaling)' is not supported (none, linear)")
        }
        vocabularySize = file["\(architecture).vocab_size"]?.int ?? file["tokenizer.ggml.tokens"]?.array?.count ?? 0
        guard headCount % kvHeadCount == 0 else {
            throw .invalidMetadata(
                key: "\(architecture).attention.head_count_kv",
                reason: "(\(kvHeadCount)) does not divide head_count (\(headCount))")
        }
        guard ropeDimensions <= headDimension, ropeDimensions % 2 == 0 else {
            throw .invalidMetadata(
                key: "\(architecture).rope.dimension_count",
                reason: "(\(ropeDimensions)) must be even and at most the head size \(headDimension)")
        }
        guard vocabularySize > 0, vocabularySize < 1 << 24 else {
            throw .invalidMetadata(key: "\(architecture).vocab_size", reason: "is missing or out of range")
        }
    }

    /// Floats per position of the query projection (heads × head size).
    public var queryWidth: Int { headCount * headDimension }
    /// Floats per position of the key and value projections.
    public var keyValueWidth: Int { kvHeadCount * headDimension }
}
