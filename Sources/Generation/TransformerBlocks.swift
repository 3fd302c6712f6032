import GGUF
import TensorCore

/// The weights of one attention block.
struct AttentionWeights: Sendable {
    var norm: [Float]
    var query, key, value, output: QuantizedMatrix
    var queryBias, keyBias, valueBias: [Float]?
}

/// The weights of one gated feed-forward block.
struct FeedForwardWeights: Sendable {
    var norm: [Float]
    var gate, up, down: QuantizedMatrix
}

/// One sequence's rows in a batched forward pass: `count` new tokens from row `row` on, appended
/// to `cache` at positions `start..<start + count`.
struct SequenceRows {
    let row: Int
    let count: Int
    let cache: KVCache
    let start: Int
}

/// Activations of one forward pass over `tokens` rows (the new tokens of every sequence in the
/// batch, one after another); owned by that pass.
struct ForwardBuffers {
    let tokens: Int
    let sequences: [SequenceRows]
    let hidden, normed, query, key, value, attention, projected, gate, up, activated, ropeTables: Buffer

    init(sequences: [SequenceRows], _ p: TransformerHyperparameters) {
        let n = sequences.reduce(0) { $0 + $1.count }
        tokens = n
        self.sequences = sequences
        hidden = Buffer(n * p.embeddingLength)
        normed = Buffer(n * p.embeddingLength)
        query = Buffer(n * p.queryWidth)
        key = Buffer(n * p.keyValueWidth)
        value = Buffer(n * p.keyValueWidth)
        attention = Buffer(n * p.queryWidth)
        projected = Buffer(n * p.embeddingLength)
        gate = Buffer(n * p.feedForwardLength)
        up = Buffer(n * p.feedForwardLength)
        activated = Buffer(n * p.feedForwardLength)
        ropeTables = Buffer(n * p.ropeDimensions)
    }
}

/// The named blocks a decoder's forward pass is composed of (llama.cpp's `build_norm`,
/// `build_attn`, `build_ffn`), computed in the order and precision ggml uses.
struct TransformerBlocks: Sendable {
    let spec: ArchitectureSpec
    let p: TransformerHyperparameters
    /// Keeps the mapped weights alive while a block reads them.
    let file: GGUFFile

    /// Token embeddings (dequantized rows of the table) into `out`, one row per token.
    func embed(_ tokens: [Int], table: GGUFTensorInfo, into out: Buffer) {
        let width = p.embeddingLength
        file.withMapping {
            let rows = file.bytes(of: table)
            let rowBytes = table.type.rowBytes(width) ?? 0
            for (t, token) in tokens.enumerated() {
                let row = UnsafeRawBufferPointer(rebasing: rows[(token * rowBytes)..<((token + 1) * rowBytes)])
                GGMLDequantize.values(
                    row, type: table.type,
                    into: UnsafeMutableBufferPointer(start: out.pointer + t * width, count: width))
            }
        }
        if spec.embeddingScale == .squareRootOfWidth {
            let scale = Float(width).squareRoot()
            for i in 0..<(tokens.count * width) { out.pointer[i] *= scale }
        }
    }

    /// RoPE cos/sin tables for every row: each sequence's rows at its own next positions.
    func ropeTables(_ b: ForwardBuffers, factors: [Float]?) {
        factors.withOptionalPointer { factors in
            for sequence in b.sequences {
                for t in 0..<sequence.count {
                    TransformerKernels.ropeTable(
                        position: sequence.start + t, dimensions: p.ropeDimensions, base: p.ropeFrequencyBase,
                        frequencyScale: p.ropeFrequencyScale, factors: factors,
                        into: b.ropeTables.pointer + (sequence.row + t) * p.ropeDimensions)
                }
            }
        }
    }

    /// The normalisation of `rows` rows of `x` with `weight`.
    func normalize(_ x: UnsafePointer<Float>, rows: Int, weight: [Float], into out: UnsafeMutablePointer<Float>) {
        let e = p.embeddingLength
        switch spec.normalization {
        case .rms:
            weight.withUnsafeBufferPointer { weight in
                guard let weight = weight.baseAddress else { return }
                for t in 0..<rows {
                    TransformerKernels.rmsNorm(
                        x + t * e, weight: weight, count: e, epsilon: p.rmsEpsilon, into: out + t * e)
                }
            }
        }
    }

    /// Self-attention of layer `index` with its residual: normalise, project to queries, keys and
    /// values (every sequence's rows in one product), rotate, append keys and values to each
    /// sequence's cache, attend each over its own cache, project back and add.
    func attention(_ w: AttentionWeights, layer index: Int, _ b: ForwardBuffers) {
        let n = b.tokens, e = p.embeddingLength, qWidth = p.queryWidth, kvWidth = p.keyValueWidth
        normalize(b.hidden.pointer, rows: n, weight: w.norm, into: b.normed.pointer)
        multiply([(w.query, b.query), (w.key, b.key), (w.value, b.value)], input: b.normed, tokens: n)
        add(w.queryBias, to: b.query, tokens: n)
        add(w.keyBias, to: b.key, tokens: n)
        add(w.valueBias, to: b.value, tokens: n)
        let neoX = spec.ropeStyle == .halves
        for sequence in b.sequences {
            for t in sequence.row..<(sequence.row + sequence.count) {
                let table = b.ropeTables.pointer + t * p.ropeDimensions
                TransformerKernels.rope(
                    b.query.pointer + t * qWidth, heads: p.headCount, headDimension: p.headDimension,
                    dimensions: p.ropeDimensions, neoX: neoX, table: table)
                TransformerKernels.rope(
                    b.key.pointer + t * kvWidth, heads: p.kvHeadCount, headDimension: p.headDimension,
                    dimensions: p.ropeDimensions, neoX: neoX, table: table)
                let position = sequence.start + t - sequence.row
                let keys = sequence.cache.keys(layer: index, position: position)
                let values = sequence.cache.values(layer: index, position: position)
                for i in 0..<kvWidth {
                    keys[i] = Float16(b.key.pointer[t * kvWidth + i])
                    values[i] = Float16(b.value.pointer[t * kvWidth + i])
                }
            }
        }
        attend(layer: index, b)
        file.withMapping { w.output.multiply(b.attention.pointer, tokens: n, into: b.projected.pointer) }
        for i in 0..<(n * e) { b.hidden.pointer[i] += b.projected.pointer[i] }
    }

    /// The gated feed-forward block of one layer with its residual.
    func feedForward(_ w: FeedForwardWeights, _ b: ForwardBuffers) {
        let n = b.tokens, e = p.embeddingLength
        normalize(b.hidden.pointer, rows: n, weight: w.norm, into: b.normed.pointer)
        multiply([(w.gate, b.gate), (w.up, b.up)], input: b.normed, tokens: n)
        switch spec.feedForward {
        case .siluGated:
            TransformerKernels.swiGLU(
                b.gate.pointer, b.up.pointer, count: n * p.feedForwardLength, into: b.activated.pointer)
        }
        file.withMapping { w.down.multiply(b.activated.pointer, tokens: n, into: b.projected.pointer) }
        for i in 0..<(n * e) { b.hidden.pointer[i] += b.projected.pointer[i] }
    }

    /// The logits after each sequence's last row: final norm, then the output head (one product
    /// for all sequences).
    func head(_ b: ForwardBuffers, norm: [Float], output: QuantizedMatrix) -> [[Float]] {
        let e = p.embeddingLength, vocabulary = p.vocabularySize, count = b.sequences.count
        let last = Buffer(count * e)
        for (index, sequence) in b.sequences.enumerated() {
            normalize(
                b.hidden.pointer + (sequence.row + sequence.count - 1) * e, rows: 1, weight: norm,
                into: last.pointer + index * e)
        }
        let logits = Buffer(count * vocabulary)
        file.withMapping { output.multiply(last.pointer, tokens: count, into: logits.pointer) }
        return (0..<count).map {
            Array(UnsafeBufferPointer(start: logits.pointer + $0 * vocabulary, count: vocabulary))
        }
    }

    /// Several products of the same input: the activations are quantized once when the matrices
    /// share a block format.
    private func multiply(_ products: [(QuantizedMatrix, Buffer)], input: Buffer, tokens: Int) {
        file.withMapping {
            let first = products[0].0
            if let format = QuantizedDot.activationFormat(for: first.type),
                products.allSatisfy({ $0.0.type == first.type })
            {
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

    /// Attention of every query head of every new token over its sequence's cache; sequences and
    /// heads in parallel. A sequence with several new tokens (a prompt) takes ggml's batched dot
    /// product, one with a single token the decoding one, whatever else is in the batch, so a
    /// sequence's numbers do not depend on its neighbours.
    private func attend(layer: Int, _ b: ForwardBuffers) {
        let p = self.p
        let group = p.headCount / p.kvHeadCount, kvWidth = p.keyValueWidth, qWidth = p.queryWidth
        let scale = 1 / Float(p.headDimension).squareRoot()
        let sequences = b.sequences
        let capacity = sequences.map { $0.start + $0.count }.max() ?? 1
        let queryPointer = b.query.pointer, outPointer = b.attention.pointer
        ComputePool.parallelFor(sequences.count * p.headCount) { task in
            let sequence = sequences[task / p.headCount], head = task % p.headCount
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
            let accumulators = UnsafeMutablePointer<Float>.allocate(capacity: 64 * p.headDimension)
            let query16 = UnsafeMutablePointer<Float16>.allocate(capacity: p.headDimension)
            defer {
                scratch.deallocate()
                accumulators.deallocate()
                query16.deallocate()
            }
            let kvHead = head / group
            let keys = sequence.cache.keys(layer: layer, position: 0)
            let values = sequence.cache.values(layer: layer, position: 0)
            for t in 0..<sequence.count {
                let row = sequence.row + t
                TransformerKernels.attend(
                    query: queryPointer + row * qWidth + head * p.headDimension,
                    keys: keys + kvHead * p.headDimension, values: values + kvHead * p.headDimension,
                    stride: kvWidth, last: sequence.start + t, headDimension: p.headDimension, scale: scale,
                    batched: sequence.count > 1, scratch: scratch, query16: query16, accumulators: accumulators,
                    into: outPointer + row * qWidth + head * p.headDimension)
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
