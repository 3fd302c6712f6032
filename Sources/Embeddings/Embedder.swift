import Foundation
import GGUF
import Tokenizers

/// One text's embedding.
public struct Embedding: Sendable, Equatable {
    /// The pooled vector, or with ``Pooling/none`` every token's state, row after row.
    public var values: [Float]
    /// Tokens the model saw (special tokens included, after truncation).
    public var tokens: Int
    /// Whether the text was cut to the maximum length.
    public var truncated: Bool
}

/// Sentence embeddings from a BERT-style encoder with its Hugging Face tokenizer: tokenize,
/// truncate as sentence-transformers does, run length-sorted batches, pool, normalise.
///
/// Immutable after load and `Sendable`: one instance serves every thread and request.
public final class Embedder: Sendable {
    /// Overrides for what the model's own configuration files say.
    public struct Options: Sendable {
        public var pooling: Pooling?
        public var normalize: Bool?
        /// Inputs longer than this many tokens (special tokens included) are truncated.
        public var maxLength: Int?
        /// A `tokenizer.json` to use instead of the one beside the model.
        public var tokenizerPath: String?

        public init(
            pooling: Pooling? = nil, normalize: Bool? = nil, maxLength: Int? = nil, tokenizerPath: String? = nil
        ) {
            self.pooling = pooling
            self.normalize = normalize
            self.maxLength = maxLength
            self.tokenizerPath = tokenizerPath
        }
    }

    /// The file format the model came from.
    public enum Format: String, Sendable {
        case safetensors, onnx, gguf
    }

    public let encoder: any SentenceEncoder
    public let tokenizer: Tokenizer
    public let format: Format
    public let pooling: Pooling
    public let normalize: Bool
    /// Inputs are truncated to this many tokens.
    public let maxLength: Int
    /// Width of each pooled vector.
    public var dimension: Int { encoder.hiddenSize }

    /// Loads a sentence-transformers / Hugging Face model directory (`model.safetensors`), an
    /// ONNX encoder (a `.onnx` file, or a directory holding `model.onnx`, with `tokenizer.json`
    /// beside it) or a `bert` GGUF file.
    public init(path: String, options: Options = Options()) throws(EmbeddingError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .unrecognizedModel(path: path, reason: "no such file or directory")
        }
        var settings: EmbeddingSettings
        let directory: String
        if isDirectory.boolValue {
            directory = path
            settings = try EmbeddingSettings(directory: path)
            if FileManager.default.fileExists(atPath: path + "/model.safetensors")
                || !FileManager.default.fileExists(atPath: path + "/model.onnx")
            {
                encoder = try BertEncoder(directory: path)
                format = .safetensors
            } else {
                encoder = try OnnxEncoder(path: path + "/model.onnx")
                format = .onnx
            }
            tokenizer = try Self.tokenizer(options.tokenizerPath ?? path + "/tokenizer.json", directory: directory)
        } else if path.hasSuffix(".onnx") {
            directory = (path as NSString).deletingLastPathComponent
            settings = try EmbeddingSettings(directory: directory.isEmpty ? "." : directory)
            tokenizer = try Self.tokenizer(
                options.tokenizerPath ?? (directory.isEmpty ? "." : directory) + "/tokenizer.json",
                directory: directory)
            let pad = tokenizer.padding?.id ?? tokenizer.id(for: "[PAD]") ?? tokenizer.id(for: "<pad>") ?? 0
            encoder = try OnnxEncoder(path: path, padId: pad)
            format = .onnx
        } else {
            let file: GGUFFile
            do { file = try GGUFFile(path: path) } catch {
                throw .unrecognizedModel(
                    path: path, reason: "expected a model directory, a .onnx file or a .gguf file (\(error))")
            }
            let bert = try BertEncoder(gguf: file)
            encoder = bert
            format = .gguf
            if let tokenizerPath = options.tokenizerPath {
                tokenizer = try Self.tokenizer(tokenizerPath, directory: (path as NSString).deletingLastPathComponent)
            } else {
                do { tokenizer = try Tokenizer(gguf: file) } catch {
                    throw .invalidConfiguration(path: path, key: "tokenizer.ggml.*", reason: "\(error)")
                }
            }
            // llama.cpp's pooling_type: 0 none, 1 mean, 2 cls, 3 last; its embeddings are normalised.
            let poolingTypes: [Int: Pooling] = [0: .none, 1: .mean, 2: .cls, 3: .last]
            let code = file["bert.pooling_type"]?.int ?? 1
            guard let mode = poolingTypes[code] else {
                throw .invalidConfiguration(
                    path: path, key: "bert.pooling_type",
                    reason: "is \(code); embed pools with 0-3 (none, mean, cls, last)")
            }
            settings = EmbeddingSettings(pooling: mode, normalize: true, maxLength: bert.configuration.maxTokens)
        }
        pooling = options.pooling ?? settings.pooling
        normalize = options.normalize ?? settings.normalize
        let modelLimit = encoder.maxTokens ?? Int.max
        let length = options.maxLength ?? min(settings.maxLength ?? modelLimit, modelLimit)
        guard length >= 1, length <= modelLimit, length < 1 << 24 else {
            throw .invalidConfiguration(
                path: path, key: "max length",
                reason: "is \(length); the model takes 1 to \(modelLimit == .max ? 1 << 24 : modelLimit) tokens")
        }
        maxLength = length
        if let rows = encoder.vocabularySize, tokenizer.vocabularySize > rows {
            throw .vocabularyMismatch(
                tokenizer: options.tokenizerPath ?? "(beside the model)", tokenizerSize: tokenizer.vocabularySize,
                model: path, embeddingRows: rows)
        }
    }

    private static func tokenizer(_ path: String, directory: String) throws(EmbeddingError) -> Tokenizer {
        guard FileManager.default.fileExists(atPath: path) else {
            throw .missingFile(
                directory: directory.isEmpty ? "." : directory, file: (path as NSString).lastPathComponent,
                reason: "texts are tokenized with it (give another with --tokenizer)")
        }
        do {
            var tokenizer = try Tokenizer(path: path)
            tokenizer.padding = nil
            tokenizer.truncation = nil
            return tokenizer
        } catch {
            throw .invalidConfiguration(path: path, key: "(tokenizer)", reason: "\(error)")
        }
    }

    /// The encoder input for `text`, truncated to ``maxLength`` as Hugging Face tokenizers
    /// truncate (the text's tokens are cut, the special tokens kept), and whether it was cut.
    public func input(for text: String) -> (input: EncoderInput, truncated: Bool) {
        var truncating = tokenizer
        truncating.truncation = Truncation(maxLength: maxLength)
        let encoding = truncating.encode(text)
        return (EncoderInput(ids: encoding.ids, typeIds: encoding.typeIds), !encoding.overflowing.isEmpty)
    }

    /// Embeds `texts`, sorted by length into batches of `batchSize` (each one forward pass);
    /// results come back in input order.
    public func embed(_ texts: [String], batchSize: Int = 32) throws(EmbeddingError) -> [Embedding] {
        var truncating = tokenizer
        truncating.truncation = Truncation(maxLength: maxLength)
        let encodings = truncating.encodeBatch(texts)
        let inputs = encodings.map { EncoderInput(ids: $0.ids, typeIds: $0.typeIds) }
        let order = inputs.indices.sorted { inputs[$0].ids.count > inputs[$1].ids.count }
        var results = [Embedding?](repeating: nil, count: texts.count)
        let width = encoder.hiddenSize
        for start in stride(from: 0, to: order.count, by: max(1, batchSize)) {
            let members = Array(order[start..<min(order.count, start + max(1, batchSize))])
            let states = try encoder.hiddenStates(members.map { inputs[$0] })
            for (position, index) in members.enumerated() {
                let tokens = inputs[index].ids.count
                var values = pooling.apply(states[position], tokens: tokens, width: width)
                if normalize { Pooling.normalize(&values, width: width) }
                results[index] = Embedding(
                    values: values, tokens: tokens, truncated: !encodings[index].overflowing.isEmpty)
            }
        }
        return results.map { $0! }
    }
}
