import Foundation
import GGUF
import TensorCore

/// A Llama-family decoder (Llama 2/3, Mistral, SmolLM2; Qwen2 with its biases and NeoX RoPE) run
/// from a GGUF file: weights stay in their block formats in the mapped file, activations are
/// quantized before each matmul as ggml does, keys and values are cached as float16.
///
/// The model is immutable and shared: every sequence brings its own ``KVCache``.
public final class LlamaModel: CausalLanguageModel {
    public let architecture: ArchitectureSpec
    public let hyperparameters: TransformerHyperparameters
    private let blocks: TransformerBlocks
    private let embedding: GGUFTensorInfo
    private let attentionLayers: [AttentionWeights]
    private let feedForwardLayers: [FeedForwardWeights]
    private let outputNorm: [Float]
    private let output: QuantizedMatrix
    private let ropeFactors: [Float]?

    /// Builds the model of `file` as `architecture` describes it (by default, the built-in
    /// description of the file's `general.architecture`).
    public init(file: GGUFFile, architecture: ArchitectureSpec? = nil) throws(GenerationError) {
        let p = try TransformerHyperparameters(file: file)
        guard let spec = architecture ?? ArchitectureSpec.builtIn[p.architecture] else {
            throw .unsupportedArchitecture(p.architecture, supported: LanguageModels.supportedArchitectures)
        }
        self.architecture = spec
        hyperparameters = p
        blocks = TransformerBlocks(spec: spec, p: p, file: file)
        let weights = WeightReader(file: file)
        let names = spec.tensorNames
        let e = p.embeddingLength, f = p.feedForwardLength
        embedding = try weights.info(names.tokenEmbedding)
        guard embedding.dimensions == [e, p.vocabularySize] else {
            throw .wrongTensorShape(
                tensor: names.tokenEmbedding, expected: [e, p.vocabularySize], found: embedding.dimensions)
        }
        var attentionLayers: [AttentionWeights] = []
        var feedForwardLayers: [FeedForwardWeights] = []
        for i in 0..<p.layerCount {
            func name(_ pattern: String) -> String { ArchitectureSpec.TensorNames.layer(pattern, i) }
            func bias(_ pattern: String, _ count: Int) throws(GenerationError) -> [Float]? {
                spec.attentionBiases ? try weights.vector(name(pattern), count: count, optional: true) : nil
            }
            attentionLayers.append(
                AttentionWeights(
                    norm: try weights.vector(name(names.attentionNorm), count: e) ?? [],
                    query: try weights.matrix(name(names.query), columns: e, rows: p.queryWidth),
                    key: try weights.matrix(name(names.key), columns: e, rows: p.keyValueWidth),
                    value: try weights.matrix(name(names.value), columns: e, rows: p.keyValueWidth),
                    output: try weights.matrix(name(names.attentionOutput), columns: p.queryWidth, rows: e),
                    queryBias: try bias(names.queryBias, p.queryWidth),
                    keyBias: try bias(names.keyBias, p.keyValueWidth),
                    valueBias: try bias(names.valueBias, p.keyValueWidth)))
            feedForwardLayers.append(
                FeedForwardWeights(
                    norm: try weights.vector(name(names.feedForwardNorm), count: e) ?? [],
                    gate: try weights.matrix(name(names.gate), columns: e, rows: f),
                    up: try weights.matrix(name(names.up), columns: e, rows: f),
                    down: try weights.matrix(name(names.down), columns: f, rows: e)))
        }
        self.attentionLayers = attentionLayers
        self.feedForwardLayers = feedForwardLayers
        outputNorm = try weights.vector(names.outputNorm, count: e) ?? []
        // Without an output tensor the head is tied to the token embedding.
        let head = file.tensorInfo(names.output) != nil ? names.output : names.tokenEmbedding
        output = try weights.matrix(head, columns: e, rows: p.vocabularySize)
        ropeFactors = try weights.vector(names.ropeFrequencies, count: p.ropeDimensions / 2, optional: true)
    }

    public func makeCache(contextLength: Int) throws(GenerationError) -> KVCache {
        try KVCache(layers: hyperparameters.layerCount, capacity: contextLength, width: hyperparameters.keyValueWidth)
    }

    public func forward(_ tokens: [Int], cache: KVCache) throws(GenerationError) -> [Float] {
        guard !tokens.isEmpty else { return [] }
        return try forward(batch: [SequenceStep(tokens: tokens, cache: cache)])[0]
    }

    public func forward(batch steps: [SequenceStep]) throws(GenerationError) -> [[Float]] {
        let p = hyperparameters
        var sequences: [SequenceRows] = []
        var row = 0
        for step in steps {
            let cache = step.cache
            guard cache.layers == p.layerCount, cache.width == p.keyValueWidth else {
                throw .cacheMismatch(
                    layers: cache.layers, width: cache.width, expectedLayers: p.layerCount,
                    expectedWidth: p.keyValueWidth)
            }
            guard !step.tokens.isEmpty else { throw .emptyPrompt }
            guard step.tokens.count <= cache.remaining else {
                throw .promptTooLong(tokens: cache.count + step.tokens.count, context: cache.capacity)
            }
            for token in step.tokens where token < 0 || token >= p.vocabularySize {
                throw .tokenOutOfRange(token, vocabulary: p.vocabularySize)
            }
            guard !sequences.contains(where: { $0.cache === cache }) else { throw .cacheSharedInBatch }
            sequences.append(SequenceRows(row: row, count: step.tokens.count, cache: cache, start: cache.count))
            row += step.tokens.count
        }
        guard !sequences.isEmpty else { return [] }
        let buffers = ForwardBuffers(sequences: sequences, p)
        blocks.embed(steps.flatMap(\.tokens), table: embedding, into: buffers.hidden)
        blocks.ropeTables(buffers, factors: ropeFactors)
        for layer in 0..<p.layerCount {
            blocks.attention(attentionLayers[layer], layer: layer, buffers)
            blocks.feedForward(feedForwardLayers[layer], buffers)
        }
        for sequence in sequences { sequence.cache.advance(by: sequence.count) }
        // Only each sequence's last position's logits are needed.
        return blocks.head(buffers, norm: outputNorm, output: output)
    }
}

/// Reads named weights of a GGUF file, checking their shapes; errors name the tensor.
struct WeightReader {
    let file: GGUFFile

    func info(_ name: String) throws(GenerationError) -> GGUFTensorInfo {
        guard let info = file.tensorInfo(name) else { throw .file(.missingTensor(path: file.path, tensor: name)) }
        return info
    }

    /// A float vector of `count` values (any float or block format, dequantized); nil when
    /// `optional` and the file has no such tensor.
    func vector(_ name: String, count: Int, optional: Bool = false) throws(GenerationError) -> [Float]? {
        if optional && file.tensorInfo(name) == nil { return nil }
        let tensorInfo = try info(name)
        guard tensorInfo.elementCount == count else {
            throw .wrongTensorShape(tensor: name, expected: [count], found: tensorInfo.dimensions)
        }
        do { return try file.floatTensor(name).scalars(as: Float.self) } catch {
            throw .file(.invalidTensor(path: file.path, tensor: name, reason: "\(error)"))
        }
    }

    /// A weight matrix of `rows` rows of `columns` values, kept in its block format.
    func matrix(_ name: String, columns: Int, rows: Int) throws(GenerationError) -> QuantizedMatrix {
        let tensorInfo = try info(name)
        guard tensorInfo.dimensions == [columns, rows] else {
            throw .wrongTensorShape(tensor: name, expected: [columns, rows], found: tensorInfo.dimensions)
        }
        guard let base = file.bytes(of: tensorInfo).baseAddress,
            let matrix = QuantizedMatrix(type: tensorInfo.type, rows: rows, columns: columns, bytes: base)
        else {
            throw .unsupportedTensorType(tensor: name, type: tensorInfo.type.name)
        }
        return matrix
    }
}
