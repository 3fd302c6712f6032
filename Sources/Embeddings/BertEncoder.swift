import Foundation
import GGUF
import TensorCore

/// A BERT-style encoder (BERT, RoBERTa, XLM-R) run natively on float32 weights read straight
/// from a `model.safetensors` or a `bert` GGUF file.
///
/// A batch runs as one forward pass without padding: every text's tokens are rows of one
/// activation matrix, so each dense layer is one matrix product over the batch's real tokens,
/// and attention runs per text and head over that text's own rows. This gives the results of
/// padding to the longest text under an attention mask, without computing the padding.
public final class BertEncoder: SentenceEncoder {
    public let configuration: EncoderConfiguration
    let weights: EncoderWeights

    public var hiddenSize: Int { configuration.hiddenSize }
    public var vocabularySize: Int? { weights.wordEmbeddings.rows }
    public var maxTokens: Int? { configuration.maxTokens }

    init(configuration: EncoderConfiguration, weights: EncoderWeights) {
        self.configuration = configuration
        self.weights = weights
    }

    /// Loads a Hugging Face model directory: `config.json` and `model.safetensors` (memory-mapped).
    public convenience init(directory: String) throws(EmbeddingError) {
        let configPath = directory + "/config.json", weightsPath = directory + "/model.safetensors"
        guard FileManager.default.fileExists(atPath: configPath) else {
            throw .missingFile(
                directory: directory, file: "config.json", reason: "the encoder's hyperparameters are read from it")
        }
        guard FileManager.default.fileExists(atPath: weightsPath) else {
            let reason =
                FileManager.default.fileExists(atPath: directory + "/pytorch_model.bin")
                ? "only pytorch_model.bin is present; save the model with safetensors (save_pretrained(safe_serialization=True))"
                : "the weights are read from it"
            throw .missingFile(directory: directory, file: "model.safetensors", reason: reason)
        }
        let configuration = try EncoderConfiguration(configFile: configPath)
        let file: SafetensorsFile
        do { file = try SafetensorsFile(path: weightsPath) } catch {
            throw .invalidWeight(path: weightsPath, tensor: "(header)", reason: "\(error)")
        }
        let prefix = ["", "bert.", "roberta.", "model."].first {
            file.entries[EncoderWeights.huggingFaceName(.wordEmbeddings, prefix: $0)] != nil
        }
        guard let prefix else {
            throw .invalidWeight(
                path: weightsPath, tensor: "embeddings.word_embeddings.weight",
                reason: "is missing (this is not a BERT-style encoder's weight file)")
        }
        let weights = try EncoderWeights(configuration: configuration, path: weightsPath) {
            role throws(EmbeddingError) in
            let name = EncoderWeights.huggingFaceName(role, prefix: prefix)
            guard file.entries[name] != nil else { return (name, nil) }
            do { return (name, try file.tensor(name)) } catch {
                throw .invalidWeight(path: weightsPath, tensor: name, reason: "\(error)")
            }
        }
        self.init(configuration: configuration, weights: weights)
    }

    /// Loads a GGUF file whose `general.architecture` is `bert` (as llama.cpp's converter writes
    /// BERT-style embedding models). Quantised or float16 weights are widened to float32 once; the
    /// activation is GELU as ggml computes it, so the vectors are llama.cpp's.
    public convenience init(gguf file: GGUFFile) throws(EmbeddingError) {
        let path = file.path
        let architecture = file["general.architecture"]?.string ?? "(none)"
        guard architecture == "bert" else { throw .notAnEncoder(path: path, architecture: architecture) }
        func integer(_ key: String) throws(EmbeddingError) -> Int {
            guard let value = file["bert." + key]?.int, value > 0, value <= 1 << 24 else {
                throw .invalidConfiguration(path: path, key: "bert." + key, reason: "must be a positive integer")
            }
            return value
        }
        let epsilon = file["bert.attention.layer_norm_epsilon"]?.double ?? 1e-12
        let configuration = EncoderConfiguration(
            family: .bert, hiddenSize: try integer("embedding_length"), layers: try integer("block_count"),
            heads: try integer("attention.head_count"), intermediateSize: try integer("feed_forward_length"),
            layerNormEpsilon: Float(epsilon), maxPositions: try integer("context_length"), activation: .geluGGML)
        try configuration.validate(path: path)
        let weights = try EncoderWeights(configuration: configuration, path: path) { role throws(EmbeddingError) in
            let name = EncoderWeights.ggufName(role)
            guard file.tensorInfo(name) != nil else { return (name, nil) }
            do { return (name, try file.floatTensor(name)) } catch {
                throw .invalidWeight(path: path, tensor: name, reason: "\(error)")
            }
        }
        self.init(configuration: configuration, weights: weights)
    }

    public func hiddenStates(_ batch: [EncoderInput]) throws(EmbeddingError) -> [[Float]] {
        try validate(batch, typeRows: weights.tokenTypeEmbeddings?.rows ?? 1)
        guard !batch.isEmpty else { return [] }
        var starts: [Int] = []
        var rows = 0
        for input in batch {
            starts.append(rows)
            rows += input.ids.count
        }
        let h = configuration.hiddenSize
        var state = try ForwardState(rows: rows, hidden: h, intermediate: configuration.intermediateSize)
        embed(batch, starts: starts, into: state.hidden)
        for layer in weights.layers {
            block(layer, batch: batch, starts: starts, state: &state)
        }
        return batch.indices.map { index in
            let start = starts[index] * h
            return Array(UnsafeBufferPointer(start: state.hidden + start, count: batch[index].ids.count * h))
        }
    }

    /// Word + position + token-type embeddings, then LayerNorm.
    private func embed(_ batch: [EncoderInput], starts: [Int], into out: UnsafeMutablePointer<Float>) {
        let h = configuration.hiddenSize
        let words = weights.wordEmbeddings.pointer, positions = weights.positionEmbeddings.pointer
        let types = weights.tokenTypeEmbeddings?.pointer
        for (index, input) in batch.enumerated() {
            for (t, id) in input.ids.enumerated() {
                let row = out + (starts[index] + t) * h
                let word = words + id * h, position = positions + (configuration.positionOffset + t) * h
                if let types {
                    let type = types + input.typeIds[t] * h
                    for j in 0..<h { row[j] = word[j] + type[j] + position[j] }
                } else {
                    for j in 0..<h { row[j] = word[j] + position[j] }
                }
            }
        }
        let total = (starts.last ?? 0) + (batch.last?.ids.count ?? 0)
        normalize(out, rows: total, weights.embeddingNorm)
    }

    /// One post-norm block: attention, add & norm, feed-forward, add & norm.
    private func block(_ w: EncoderLayerWeights, batch: [EncoderInput], starts: [Int], state: inout ForwardState) {
        let rows = state.rows
        linear(state.hidden, rows: rows, w.query, into: state.query)
        linear(state.hidden, rows: rows, w.key, into: state.key)
        linear(state.hidden, rows: rows, w.value, into: state.value)
        attend(batch: batch, starts: starts, state)
        linear(state.context, rows: rows, w.attentionOutput, into: state.attended, residual: state.hidden)
        normalize(state.attended, rows: rows, w.attentionNorm)
        let activation = configuration.activation
        linear(state.attended, rows: rows, w.intermediate, into: state.intermediate, gelu: activation == .gelu)
        if activation != .gelu {
            let count = rows * configuration.intermediateSize, intermediate = state.intermediate
            ComputePool.parallelRanges(count, grain: 4096) { range in
                let start = intermediate + range.lowerBound
                if activation == .geluTanh {
                    EncoderKernels.geluTanh(start, count: range.count)
                } else {
                    EncoderKernels.geluGGML(start, count: range.count)
                }
            }
        }
        linear(state.intermediate, rows: rows, w.output, into: state.hidden, residual: state.attended)
        normalize(state.hidden, rows: rows, w.outputNorm)
    }

    /// `out = x · Wᵀ + b (+ residual) (then GELU)` over `rows` rows.
    private func linear(
        _ x: UnsafeMutablePointer<Float>, rows: Int, _ w: LinearWeights, into out: UnsafeMutablePointer<Float>,
        residual: UnsafeMutablePointer<Float>? = nil, gelu: Bool = false
    ) {
        w.packed.multiply(
            x, rows: rows, lda: w.weight.columns, into: out, ldc: w.weight.rows,
            epilogue: PackedWeights.Epilogue(
                bias: w.bias.pointer, residual: residual.map { UnsafePointer($0) }, residualStride: w.weight.rows,
                gelu: gelu))
    }

    /// LayerNorm of each row in place.
    private func normalize(_ x: UnsafeMutablePointer<Float>, rows: Int, _ norm: NormWeights) {
        let h = configuration.hiddenSize, epsilon = configuration.layerNormEpsilon
        let weight = norm.weight.pointer, bias = norm.bias.pointer
        ComputePool.parallelRanges(rows, grain: 32) { range in
            let start = x + range.lowerBound * h
            EncoderKernels.layerNorm(
                start, rows: range.count, width: h, weight: weight, bias: bias, epsilon: epsilon, into: start)
        }
    }

    /// Scaled dot-product attention per text and head over that text's rows. With the panel
    /// kernel (AVX-512 builds, head sizes a multiple of 32) the keys are packed per head and both
    /// products run register-tiled; otherwise through BLAS.
    private func attend(batch: [EncoderInput], starts: [Int], _ state: borrowing ForwardState) {
        let h = configuration.hiddenSize, heads = configuration.heads, d = h / heads
        let scale = 1 / Float(d).squareRoot()
        let lengths = batch.map(\.ids.count)
        let longest = lengths.max() ?? 0
        let panelled = PackedWeights.hasPanelKernel && d % 32 == 0
        let keyPanelFloats = (longest + 31) / 32 * 32 * d
        let query = state.query, key = state.key, value = state.value, context = state.context
        ComputePool.parallelRanges(batch.count * heads, grain: 1) { range in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: longest * longest + keyPanelFloats)
            defer { scores.deallocate() }
            let keyPanels = scores + longest * longest
            for task in range {
                let text = task / heads, head = task % heads
                let length = lengths[text], offset = starts[text] * h + head * d
                if panelled {
                    Self.packKeys(key + offset, length: length, stride: h, headSize: d, into: keyPanels)
                    PackedWeights.panelProduct(
                        query + offset, rows: length, lda: h, k: d, b: keyPanels, ldb: 32, panelStride: 32 * d,
                        columns: length, into: scores, ldc: length)
                } else {
                    EncoderKernels.gemm(
                        transA: false, transB: true, m: length, n: length, k: d, a: query + offset, lda: h,
                        b: key + offset, ldb: h, c: scores, ldc: length)
                }
                EncoderKernels.softmaxRows(scores, rows: length, width: length, scale: scale)
                if panelled {
                    PackedWeights.panelProduct(
                        scores, rows: length, lda: length, k: length, b: value + offset, ldb: h, panelStride: 32,
                        columns: d, into: context + offset, ldc: h)
                } else {
                    EncoderKernels.gemm(
                        transA: false, transB: false, m: length, n: d, k: length, a: scores, lda: length,
                        b: value + offset, ldb: h, c: context + offset, ldc: h)
                }
            }
        }
    }

    /// One head's keys (`length` rows of `headSize`, `stride` apart) as panels of 32 keys, each
    /// `[headSize][32]`, zero-padded past the last key: the transposed key matrix in panel form.
    private static func packKeys(
        _ keys: UnsafePointer<Float>, length: Int, stride: Int, headSize: Int, into panels: UnsafeMutablePointer<Float>
    ) {
        let panelCount = (length + 31) / 32
        for panel in 0..<panelCount {
            let base = panels + panel * 32 * headSize
            for j in 0..<32 {
                let row = panel * 32 + j
                if row < length {
                    let source = keys + row * stride
                    for i in 0..<headSize { base[i * 32 + j] = source[i] }
                } else {
                    for i in 0..<headSize { base[i * 32 + j] = 0 }
                }
            }
        }
    }
}

/// The activations of one forward pass, owned by that call: one block from TensorCore's
/// ``BlockPool``, its row count rounded up to a power of two so that batches of similar size reuse the same block
/// instead of taking fresh (zero-filled) pages from the system every pass.
private struct ForwardState: ~Copyable {
    let rows: Int
    let hidden: UnsafeMutablePointer<Float>
    let query: UnsafeMutablePointer<Float>
    let key: UnsafeMutablePointer<Float>
    let value: UnsafeMutablePointer<Float>
    let context: UnsafeMutablePointer<Float>
    let attended: UnsafeMutablePointer<Float>
    let intermediate: UnsafeMutablePointer<Float>
    private let block: UnsafeMutableRawPointer
    private let byteCount: Int

    init(rows: Int, hidden: Int, intermediate width: Int) throws(EmbeddingError) {
        self.rows = rows
        let capacity = max(256, 1 << (Int.bitWidth - (rows - 1).leadingZeroBitCount))
        let (perRow, overflow) = (6 * hidden).addingReportingOverflow(width)
        let (floats, overflow2) = capacity.multipliedReportingOverflow(by: perRow)
        guard !overflow, !overflow2, floats <= Int.max / 4, let block = BlockPool.allocate(byteCount: floats * 4) else {
            throw .invalidInput(reason: "a batch of \(rows) tokens needs more memory than is available")
        }
        do { try MemoryBudget.check(bytes: floats * 4, op: "encoder activations") } catch {
            BlockPool.release(block, byteCount: floats * 4)
            throw .invalidInput(reason: "\(error)")
        }
        self.block = block
        byteCount = floats * 4
        let base = block.bindMemory(to: Float.self, capacity: floats)
        let size = capacity * hidden
        self.hidden = base
        query = base + size
        key = base + 2 * size
        value = base + 3 * size
        context = base + 4 * size
        attended = base + 5 * size
        intermediate = base + 6 * size
    }

    deinit { BlockPool.release(block, byteCount: byteCount) }
}
