import GGUF
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
    case template(String)
    /// The prompt gives no tokens (and the model adds none).
    case emptyPrompt
    /// A token id outside the model's vocabulary.
    case tokenOutOfRange(Int, vocabulary: Int)

    public var description: String {
        switch self {
        case let .file(error): return error.description
        case let .tokenizer(error): return error.description
        case let .invalidMetadata(key, reason): return "metadata '\(key)' \(reason)"
        case let .unsupportedArchitecture(name, supported):
            return "architecture '\(name)' is not supported (supported: \(supported.joined(separator: ", ")))"
        case let .unsupportedTensorType(tensor, type): return "tensor '\(tensor)' has type \(type), which matmuls do not support"
        case let .wrongTensorShape(tensor, expected, found): return "tensor '\(tensor)' has dimensions \(found), expected \(expected)"
        case let .promptTooLong(tokens, context):
            return "the prompt is \(tokens) tokens, longer than the context of \(context) (use --truncate to keep its last tokens)"
        case let .template(message): return "chat template: \(message)"
        case .emptyPrompt: return "the prompt is empty: it gives no tokens and the model adds no BOS"
        case let .tokenOutOfRange(id, vocabulary): return "token id \(id) is outside the vocabulary of \(vocabulary)"
        }
    }
}
