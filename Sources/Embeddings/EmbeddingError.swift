/// Why an embedding model could not be loaded or a text could not be embedded; every case names
/// the file, setting or input at fault.
public enum EmbeddingError: Error, Equatable, CustomStringConvertible {
    /// The path is not a model directory, an `.onnx` file or a `.gguf` file.
    case unrecognizedModel(path: String, reason: String)
    /// A directory lacks a file the model needs (weights, tokenizer, configuration).
    case missingFile(directory: String, file: String, reason: String)
    /// A configuration file is unreadable or holds a wrong value.
    case invalidConfiguration(path: String, key: String, reason: String)
    /// The model is not an encoder this engine runs (a decoder, say).
    case notAnEncoder(path: String, architecture: String)
    /// A weight is missing or has the wrong shape.
    case invalidWeight(path: String, tensor: String, reason: String)
    /// The tokenizer's vocabulary does not fit the model's token embedding table.
    case vocabularyMismatch(tokenizer: String, tokenizerSize: Int, model: String, embeddingRows: Int)
    /// An ONNX encoder's inputs or outputs are not those of a text encoder.
    case unsupportedGraph(path: String, reason: String)
    /// A text's token ids or length fall outside what the model accepts.
    case invalidInput(reason: String)
    /// The ONNX executor failed while running the encoder.
    case executionFailed(reason: String)

    public var description: String {
        switch self {
        case let .unrecognizedModel(path, reason):
            return "\(path) is not an embedding model: \(reason)"
        case let .missingFile(directory, file, reason):
            return "\(directory) has no \(file): \(reason)"
        case let .invalidConfiguration(path, key, reason):
            return "\(path): '\(key)' \(reason)"
        case let .notAnEncoder(path, architecture):
            return
                "\(path) is a '\(architecture)' model, not a text encoder (embed runs BERT, RoBERTa and XLM-RoBERTa encoders)"
        case let .invalidWeight(path, tensor, reason):
            return "\(path): weight '\(tensor)' \(reason)"
        case let .vocabularyMismatch(tokenizer, tokenizerSize, model, embeddingRows):
            return
                "the tokenizer \(tokenizer) has \(tokenizerSize) tokens but \(model) embeds only \(embeddingRows): they do not belong together"
        case let .unsupportedGraph(path, reason):
            return "\(path) is not a text encoder graph: \(reason)"
        case let .invalidInput(reason):
            return reason
        case let .executionFailed(reason):
            return "the encoder failed: \(reason)"
        }
    }
}
