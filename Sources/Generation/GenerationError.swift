import GGUF
import TensorCore
import Tokenizers

/// Why a language model could not be built or run.
public enum GenerationError: Error, CustomStringConvertible {
    case file(GGUFError)
    case tokenizer(TokenizerError)
    case invalidMetadata(key: String, reason: String)
    /// `general.architecture` names a model family this library does not build.
    case unsupportedArchitecture(String, supported: [String])
    case unsupportedTensorType(tensor: String, type: String)
    case wrongTensorShape(tensor: String, expected: [Int], found: [Int])
    /// The prompt does not fit the context window.
    case promptTooLong(tokens: Int, context: Int)
    /// The prompt gives no tokens (and the model adds none).
    case emptyPrompt
    /// A token id outside the model's vocabulary.
    case tokenOutOfRange(Int, vocabulary: Int)
    /// A key/value cache of this many positions overflows or exceeds the byte limit.
    case cacheTooLarge(positions: Int, limitBytes: Int)
    /// A sampling setting outside its accepted range.
    case invalidSamplingParameter(SamplingParameters.Field, value: String, accepted: String)
    /// A token limit below zero.
    case invalidMaxTokens(Int)
    /// A context length outside `1...maximum`.
    case invalidContextLength(Int, maximum: Int)
    /// A cache made for another model's shape.
    case cacheMismatch(layers: Int, width: Int, expectedLayers: Int, expectedWidth: Int)
    /// Two steps of one batched pass extend the same cache.
    case cacheSharedInBatch

    public var description: String {
        switch self {
        case let .file(error): return error.description
        case let .tokenizer(error): return error.description
        case let .invalidMetadata(key, reason): return "metadata '\(key)' \(reason)"
        case let .unsupportedArchitecture(name, supported):
            return "architecture '\(name)' is not supported (supported: \(supported.joined(separator: ", ")))"
        case let .unsupportedTensorType(tensor, type):
            return "tensor '\(tensor)' has type \(type), which matmuls do not support"
        case let .wrongTensorShape(tensor, expected, found):
            return "tensor '\(tensor)' has dimensions \(found), expected \(expected)"
        case let .promptTooLong(tokens, context):
            return "the prompt is \(tokens) tokens, longer than the context of \(context)"
        case .emptyPrompt: return "the prompt is empty: it gives no tokens and the model adds no BOS"
        case let .tokenOutOfRange(id, vocabulary): return "token id \(id) is outside the vocabulary of \(vocabulary)"
        case let .cacheTooLarge(positions, limit):
            return
                "a key/value cache of \(positions) positions is larger than the memory budget of \(MemoryBudget.describe(limit))"
        case let .invalidSamplingParameter(field, value, accepted):
            return "sampling parameter \(field.rawValue) is \(value); accepted: \(accepted)"
        case let .invalidMaxTokens(count): return "the token limit is \(count); accepted: 0 or more"
        case let .invalidContextLength(length, maximum):
            return "a context of \(length) positions is outside 1...\(maximum)"
        case let .cacheMismatch(layers, width, expectedLayers, expectedWidth):
            return
                "the cache has \(layers) layers of width \(width); the model needs \(expectedLayers) of width \(expectedWidth)"
        case .cacheSharedInBatch: return "two sequences of one batched step share a key/value cache"
        }
    }
}
