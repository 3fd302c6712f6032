import Foundation

/// The hyperparameters of a BERT-style encoder, from a Hugging Face `config.json` or a GGUF
/// file's `bert.*` metadata.
public struct EncoderConfiguration: Sendable, Equatable {
    /// The position-id scheme: BERT counts from 0; RoBERTa and XLM-R from `padding id + 1`.
    public enum Family: String, Sendable {
        case bert, roberta
    }

    /// The feed-forward activation.
    public enum Activation: String, Sendable {
        /// `x/2 · (1 + erf(x/√2))`, Hugging Face's `gelu`.
        case gelu
        /// `x/2 · (1 + tanh(√(2/π)(x + 0.044715x³)))`, Hugging Face's `gelu_new`.
        case geluTanh
        /// The tanh form as ggml computes it for llama.cpp: input and output rounded to float16
        /// (a 65,536-entry table), 0 below −10 and the identity above 10.
        case geluGGML
    }

    public var family: Family
    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    public var intermediateSize: Int
    public var layerNormEpsilon: Float
    /// Rows of the position embedding table.
    public var maxPositions: Int
    /// First position id (0 for BERT, `pad_token_id + 1` for RoBERTa).
    public var positionOffset: Int
    public var activation: Activation

    /// The longest input the position table allows.
    public var maxTokens: Int { maxPositions - positionOffset }

    /// Reads `config.json`; refuses architectures that are not BERT-style encoders.
    public init(configFile path: String) throws(EmbeddingError) {
        let object: [String: Any]
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard let parsed = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw EmbeddingError.invalidConfiguration(path: path, key: "(root)", reason: "is not a JSON object")
            }
            object = parsed
        } catch let error as EmbeddingError {
            throw error
        } catch {
            throw .invalidConfiguration(path: path, key: "(root)", reason: "is not readable JSON: \(error)")
        }
        let modelType = object["model_type"] as? String ?? "bert"
        switch modelType {
        case "bert": family = .bert
        case "roberta", "xlm-roberta", "camembert": family = .roberta
        default: throw .notAnEncoder(path: path, architecture: modelType)
        }
        func integer(_ key: String, default fallback: Int? = nil) throws(EmbeddingError) -> Int {
            if let number = object[key] as? NSNumber, let value = Int(exactly: number.doubleValue), value > 0,
                value <= 1 << 24
            {
                return value
            }
            if object[key] == nil, let fallback { return fallback }
            throw .invalidConfiguration(path: path, key: key, reason: "must be a positive integer up to 2^24")
        }
        hiddenSize = try integer("hidden_size")
        layers = try integer("num_hidden_layers")
        heads = try integer("num_attention_heads")
        intermediateSize = try integer("intermediate_size")
        maxPositions = try integer("max_position_embeddings", default: 512)
        let epsilon = (object["layer_norm_eps"] as? NSNumber)?.doubleValue ?? 1e-12
        guard epsilon > 0, epsilon < 1 else {
            throw .invalidConfiguration(path: path, key: "layer_norm_eps", reason: "must lie in (0, 1)")
        }
        layerNormEpsilon = Float(epsilon)
        let padding = (object["pad_token_id"] as? NSNumber)?.intValue ?? 1
        positionOffset = family == .roberta ? padding + 1 : 0
        let activation = object["hidden_act"] as? String ?? "gelu"
        switch activation {
        case "gelu": self.activation = .gelu
        case "gelu_new", "gelu_pytorch_tanh": self.activation = .geluTanh
        default:
            throw .invalidConfiguration(
                path: path, key: "hidden_act", reason: "is '\(activation)'; gelu and gelu_new are supported")
        }
        try validate(path: path)
    }

    /// Builds a configuration from explicit values (GGUF metadata, tests).
    public init(
        family: Family, hiddenSize: Int, layers: Int, heads: Int, intermediateSize: Int, layerNormEpsilon: Float,
        maxPositions: Int, positionOffset: Int = 0, activation: Activation = .gelu
    ) {
        self.family = family
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.heads = heads
        self.intermediateSize = intermediateSize
        self.layerNormEpsilon = layerNormEpsilon
        self.maxPositions = maxPositions
        self.positionOffset = positionOffset
        self.activation = activation
    }

    /// Checks that heads divide the hidden size and that the position table is usable.
    func validate(path: String) throws(EmbeddingError) {
        guard hiddenSize % heads == 0 else {
            throw .invalidConfiguration(
                path: path, key: "num_attention_heads", reason: "(\(heads)) does not divide hidden_size \(hiddenSize)")
        }
        guard positionOffset >= 0, maxTokens >= 2 else {
            throw .invalidConfiguration(
                path: path, key: "max_position_embeddings",
                reason: "(\(maxPositions)) leaves no room after position offset \(positionOffset)")
        }
    }
}
