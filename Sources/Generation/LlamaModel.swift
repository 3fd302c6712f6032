import Foundation
import GGUF
import TensorCore

/// A Llama-family decoder (Llama 2/3, Mistral, SmolLM2; Qwen2 with its biases and NeoX RoPE) run
/// from a GGUF file: weights stay in their block formats in the mapped file, activations are
/// quantized before each matmul as ggml does, keys and values are cached as float16.
public final class LlamaModel: @unchecked Sendable {
    public let hyperparameters: LlamaHyperparameters
    /// The context window (positions the cache holds).
    public let contextLength: Int
    /// Number of positions already in the cache.
    public private(set) var position = 0

    struct Layer {
        var attentionNorm: [Float]
        var query, key, value, attentionOutput: QuantizedMatrix
        var queryBias, keyBias, valueBias: [Float]?
        var feedForwardNorm: [Float]
        var gate, up, down: QuantizedMatrix
    }

    private let file: GGUFFile
    private let embedding: GGUFTensorInfo
    private let layers: [Layer]
    private let outputNorm: [Float]
    private let output: QuantizedMatrix
    private let ropeFactors: [Float]?
    private let cache: KVCache

    /// Builds the model of `file`, with a cache of `contextLength` positions (default: the model's
    /// own context, at most 4096).
    public init(file: GGUFFile, contextLength: Int? = nil) throws(GenerationError) {
        let p = try LlamaHyperparameters(file: file)
        hyperparameters = p
        self.file = file
        self.contextLength = max(1, min(contextLength ?? min(p.contextLength, 4096), 1 << 20))
        func info(_ name: String) throws(GenerationError) -> GGUFTensorInfo {
            guard let info = file.tensorInfo(name) else { throw .file(.missingTensor(path: file.path, tensor: name)) }
            return info
        }
        func vector(_ name: String, count: Int, optional: Bool = false) throws(GenerationError) -> [Float]? {
            if optional && file.tensorInfo(name) == nil { return nil }
            let tensorInfo = try info(name)
            guard tensorInfo.elementCount == count else { throw .wrongTensorShape(tensor: name, expected: [count], found: tensorInfo.dimensions) }
            do { return try file.floatTensor(name).scalars(as: Float.self) } catch { throw .file(.invalidTensor(path: file.path, tensor: name, reason: "\(error)")) }
        }
        func matrix(_ name: String, columns: Int, rows: Int) throws(GenerationError) -> QuantizedMatrix {
            let tensorInfo = try info(name)
            guard tensorInfo.dimensions == [columns, rows] else {
                throw .wrongTensorShape(tensor: name, expected: [columns, rows], found: tensorInfo.dimensions)
            }
            guard let base = file.bytes(of: tensorInfo).baseAddress,
                  let matrix = QuantizedMatrix(type: tensorInfo.type, rows: rows, columns: columns, bytes: base) else {
                throw .unsupportedTensorType(tensor: name, type: tensorInfo.type.name)
            }
            return matrix
        }
        let e = p.embeddingLength, qWidth = p.headCount * p.headDimension, kvWidth = p.kvHeadCount * p.headDimension
        embedding = try info("token_embd.weight")
        guard embedding.dimensions == [e, p.vocabularySize] else {
            throw .wrongTensorShape(tensor: "token_embd.weight", expected: [e, p.vocabularySize], found: embedding.dimensions)
        }
        var layers: [Layer] = []
        for i in 0..<p.layerCount {
            let prefix = "blk.\(i)."
            layers.append(Layer(
                attentionNorm: try vector(prefix + "attn_norm.weight", count: e) ?? [],
                query: try matrix(prefix + "attn_q.weight", columns: e, rows: qWidth),
                key: try matrix(prefix + "attn_k.weight", columns: e, rows: kvWidth),
                value: try matrix(prefix + "attn_v.weight", columns: e, rows: kvWidth),
                attentionOutput: try matrix(prefix + "attn_output.weight", columns: qWidth, rows: e),
                queryBias: try vector(prefix + "attn_q.bias", count: qWidth, optional: true),
                keyBias: try vector(prefix + "attn_k.bias", count: kvWidth, optional: true),
                valueBias: try vector(prefix + "attn_v.bias", count: kvWidth, optional: true),
                feedForwardNorm: try vector(prefix + "ffn_norm.weight", count: e) ?? [],
                gate: try matrix(prefix + "ffn_gate.weight", columns: e, rows: p.feedForwardLength),
                up: try matrix(prefix + "ffn_up.weight", columns: e, rows: p.feedForwardLength),
                down: try matrix(prefix + "ffn_down.weight", columns: p.feedForwardLength, rows: e)))
        }
        self.layers = layers
        outputNorm = try vector("output_norm.weight", count: e) ?? []
        // Without `output.weight` the head is tied to the token embedding.
        output = try matrix(file.tensorInfo("output.weight") != nil ? "output.weight" : "token_embd.weight", columns: e, rows: p.vocabularySize)
        ropeFactors = try vector("rope_freqs.weight", count: p.ropeDimensions / 2, optional: true)
        cache = KVCache(layers: p.layerCount, capacity: self.contextLength, width: kvWidth)
    }

    /// Bytes of the key/value cache at full context.
    public var cacheByteCount: Int { cache.byteCount }

    /// Forgets every cached position.
    public func reset() { position = 0 }

    /// Drops cached positions from `newPosition` on (to reuse a shared prompt prefix).
    public func rewind(to newPosition: Int) { position = max(0, min(position, newPosition)) }

    /// Runs `tokens` at the next positions (prompt batches are processed together) and returns the
    /// logits after the last one.
    public func evaluate(_ tokens: [Int]) throws(GenerationError) -> [Float] {
        let p = hyperparameters
        guard !tokens.isEmpty else { return [] }
        guard position + tokens.count <= contextLength else { throw .promptTooLong(tokens: position + tokens.count, context: contextLength) }
        for token in tokens where token < 0 || token >= p.vocabularySize {
            throw .tokenOutOfRange(token, vocabulary: p.vocabularySize)
        }
        let n = tokens.count, e = p.embeddingLength, f = p.feedForwardLength
        let qWidth = p.headCount * p.headDimension, kvWidth = p.kvHeadCount * p.headDimension
        let x = Buffer(n * e), normed = Buffer(n * e), q = Buffer(n * qWidth), k = Buffer(n * kvWidth), v = Buffer(n * kvWidth)
        let attention = Buffer(n * qWidth), projected = Buffer(n * e), gate = Buffer(n * f), up = Buffer(n * f), hidden = Buffer(n * f)
        let ropeTables = Buffer(n * p.ropeDimensions)
        file.withMapping {
            let rows = file.bytes(of: embedding)
            let rowBytes = embedding.type.rowBytes(e) ?? 0
            for (t, token) in tokens.enumerated() {
                let row = UnsafeRawBufferPointer(rebasing: rows[(token * rowBytes)..<((token + 1) * rowBytes)])
                GGMLDequantize.values(row, type: embedding.type, into: UnsafeMutableBufferPointer(start: x.pointer + t * e, count: e))
            }
        }
        for t in 0..<n {
            ropeFactors.withOptionalPointer { factors in
                TransformerKernels.ropeTable(position: position + t, dimensions: p.ropeDimensions, base: p.ropeFrequencyBase,
                                             frequencyScale: p.ropeFrequencyScale, factors: factors, into: ropeTables.pointer + t * p.ropeDimensions)
            }
        }
        for (index, layer) in layers.enumerated() {
            layer.attentionNorm.withUnsafeBufferPointer { weight in
                for t in 0..<n {
                    TransformerKernels.rmsNorm(x.pointer + t * e, weight: weight.baseAddress!, count: e, epsilon: p.rmsEpsilon, into: normed.pointer + t * e)
                }
            }
            multiply([(layer.query, q), (layer.key, k), (layer.value, v)], input: normed, tokens: n)
            add(layer.queryBias, to: q, tokens: n)
            add(layer.keyBias, to: k, tokens: n)
            add(layer.valueBias, to: v, tokens: n)
            for t in 0..<n {
                let table = ropeTables.pointer + t * p.ropeDimensions
                TransformerKernels.rope(q.pointer + t * qWidth, heads: p.headCount, headDimension: p.headDimension, dimensions: p.ropeDimensions, neoX: p.ropeNeoX, table: table)
                TransformerKernels.rope(k.pointer + t * kvWidth, heads: p.kvHeadCount, headDimension: p.headDimension, dimensions: p.ropeDimensions, neoX: p.ropeNeoX, table: table)
                let keys = cache.keys(layer: index, position: position + t), values = cache.values(layer: index, position: position + t)
                for i in 0..<kvWidth {
                    keys[i] = Float16(k.pointer[t * kvWidth + i])
                    values[i] = Float16(v.pointer[t * kvWidth + i])
                }
            }
            attend(layer: index, queries: q, tokens: n, into: attention)

            layer.attentionOutput.multiply(attention.pointer, tokens: n, into: projected.pointer)
            for i in 0..<(n * e) { x.pointer[i] += projected.pointer[i] }
            layer.feedForwardNorm.withUnsafeBufferPointer { weight in
                for t in 0..<n {
                    TransformerKernels.rmsNorm(x.pointer + t * e, weight: weight.baseAddress!, count: e, epsilon: p.rmsEpsilon, into: normed.pointer + t * e)
                }
            }
            multiply([(layer.gate, gate), (layer.up, up)], input: normed, tokens: n)
            TransformerKernels.swiGLU(gate.pointer, up.pointer, count: n * f, into: hidden.pointer)
            layer.down.multiply(hidden.pointer, tokens: n, into: projected.pointer)
            for i in 0..<(n * e) { x.pointer[i] += projected.pointer[i] }
        }
        position += n
        // Only the last position's logits are needed.
        let last = Buffer(e)
        outputNorm.withUnsafeBufferPointer { weight in
            TransformerKernels.rmsNorm(x.pointer + (n - 1) * e, weight: weight.baseAddress!, count: e, epsilon: p.rmsEpsilon, into: last.pointer)
        }
        var logits = [Float](repeating: 0, count: p.vocabularySize)
        file.withMapping {
            logits.withUnsafeMutableBufferPointer { output.multiply(last.pointer, tokens: 1, into: $0.baseAddress!) }
        }
        return logits
    }

    /// Several products of the same input: the activations are quantized once when the matrices
    /// share a block format.
    private func multiply(_ products: [(QuantizedMatrix, Buffer)], input: Buffer, tokens: Int) {
        file.withMapping {
            let first = products[0].0
            if let format = QuantizedDot.activationFormat(for: first.type), products.allSatisfy({ $0.0.type == first.type }) {
                let activations = ActivationBlocks(format: format, rows: tokens, columns: first.columns)
                activations.quantize(input.pointer)
                for (matrix, out) in products { matrix.multiply(activations, into: out.pointer) }
            } else {
                for (matrix, out) in products { matrix.multiply(input.pointer, tokens: tokens, into: out.pointer) }
            }
        }
    }

    private func add(_ bias: [Float]?, to buffer: Buffer, tokens: Int) {
        guard let bias else { return }
        for t in 0..<tokens {
            for i in 0..<bias.count { buffer.pointer[t * bias.count + i] += bias[i] }
        }
    }

    /// Attention of every query head of every new token over the cache, heads in parallel.
    private func attend(layer: Int, queries: Buffer, tokens: Int, into out: Buffer) {
        let p = hyperparameters
        let group = p.headCount / p.kvHeadCount, kvWidth = p.kvHeadCount * p.headDimension, qWidth = p.headCount * p.headDimension
        let scale = 1 / Float(p.headDimension).squareRoot()
        let start = position, capacity = position + tokens
        let cache = self.cache
        let queryPointer = queries.pointer, outPointer = out.pointer
        let batched = tokens > 1
        ComputePool.parallelFor(p.headCount) { head in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
            let accumulators = UnsafeMutablePointer<Float>.allocate(capacity: 64 * p.headDimension)
            let query16 = UnsafeMutablePointer<Float16>.allocate(capacity: p.headDimension)
            defer { scratch.deallocate(); accumulators.deallocate(); query16.deallocate() }
            let kvHead = head / group
            for t in 0..<tokens {
                TransformerKernels.attend(query: queryPointer + t * qWidth + head * p.headDimension,
                                          keys: cache.keys(layer: layer, position: 0) + kvHead * p.headDimension,
                                          values: cache.values(layer: layer, position: 0) + kvHead * p.headDimension,
                                          stride: kvWidth, last: start + t, headDimension: p.headDimension, scale: scale, batched: batched,
                                          scratch: scratch, query16: query16, accumulators: accumulators,
                                          into: outPointer + t * qWidth + head * p.headDimension)
            }
        }
    }
}

/// A scratch buffer of floats for one forward pass.
final class Buffer {
    let pointer: UnsafeMutablePointer<Float>
    init(_ count: Int) {
        pointer = .allocate(capacity: max(1, count))
        pointer.initialize(repeating: 0, count: max(1, count))
    }
    deinit { pointer.deallocate() }
}

extension Optional where Wrapped == [Float] {
    /// Calls `body` with a pointer to the array's floats, or nil.
    func withOptionalPointer<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        switch self {
        case let .some(array): return array.withUnsafeBufferPointer { body($0.baseAddress) }
        case .none: return body(nil)
        }
    }
}

