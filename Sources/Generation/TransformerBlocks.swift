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

/// Activations of one forward pass over `tokens` positions; owned by that pass.
struct ForwardBuffers {
    let tokens: Int
    let hidden, normed, query, key, value, attention, projected, gate, up, activated, ropeTables: Buffer

    init(tokens n: Int, _ p: TransformerHyperparameters) {
        tokens = n
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

    /// Token embeddings (dequantized rows of the table) into `out`.
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

    /// RoPE cos/sin tables for positions `start..<start + tokens`.
    func ropeTables(start: Int, tokens: Int, factors: [Float]?, into out: Buffer) {
        for t in 0..<tokens {
            factors.withOptionalPointer { factors in
                TransformerKernels.ropeTable(
                    position: start + t, dimensions: p.ropeDimensions, base: p.ropeFrequencyBase,
                    frequencyScale: p.ropeFrequencyScale, factors: factors, into: out.pointer + t * p.ropeDimensions)
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
    /// values, rotate, append keys and values to the cache, attend over it, project back and add.
    func attention(_ w: AttentionWeights, layer index: Int, cache: KVCache, _ b: ForwardBuffers) {
        let n = b.tokens, e = p.embeddingLength, qWidth = p.queryWidth, kvWidth = p.keyValueWidth
        let start = cache.count
        normalize(b.hidden.pointer, rows: n, weight: w.norm, into: b.normed.pointer)
        multiply([(w.query, b.query), (w.key, b.key), (w.value, b.value)], input: b.normed, tokens: n)
        add(w.queryBias, to: b.query, tokens: n)
        add(w.keyBias, to: b.key, tokens: n)
        add(w.valueBias, to: b.value, tokens: n)
        let neoX = spec.ropeStyle == .halves
        for t in 0..<n {
            let table = b.ropeTables.pointer + t * p.ropeDimensions
            TransformerKernels.rope(
                b.query.pointer + t * qWidth, heads: p.headCount, headDimension: p.headDimension,
                dimensions: p.ropeDimensions, neoX: neoX, table: table)
            TransformerKernels.rope(
                b.key.pointer + t * kvWidth, heads: p.kvHeadCount, headDimension: p.headDimension,
                dimensions: p.ropeDimensions, neoX: neoX, table: table)
            let keys = cache.keys(layer: index, position: start + t)
            let values = cache.values(layer: index, position: start + t)
            for i in 0..<kvWidth {
                keys[i] = Float16(b.key.pointer[t * kvWidth + i])
                values[i] = Float16(b.value.pointer[t * kvWidth + i])
            }
        }
        attend(layer: index, cache: cache, queries: b.query, tokens: n, into: b.attention)
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

    /// The logits of the last row of `hidden`: final norm, then the output head.
    func head(_ hidden: Buffer, tokens n: Int, norm: [Float], output: QuantizedMatrix) -> [Float] {
        let last = Buffer(p.embeddingLength)
        normalize(hidden.pointer + (n - 1) * p.embeddingLength, rows: 1, weight: norm, into: last.pointer)
        var logits = [Float](repeating: 0, count: p.vocabularySize)
        file.withMapping {
            logits.withUnsafeMutableBufferPointer { logits in
                guard let base = logits.baseAddress else { return }
                output.multiply(last.pointer, tokens: 1, into: base)
            }
        }
        return logits
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

    /// Attention of every query head of every new token over the cache, heads in parallel.
    private func attend(layer: Int, cache: KVCache, queries: Buffer, tokens: Int, into out: Buffer) {
        let p = self.p
        let group = p.headCount / p.kvHeadCount, kvWidth = p.keyValueWidth, qWidth = p.queryWidth
        let scale = 1 / Float(p.headDimension).squareRoot()
        let start = cache.count, capacity = cache.count + tokens
        let keys = cache.keys(layer: layer, position: 0), values = cache.values(layer: layer, position: 0)
        let queryPointer = queries.pointer, outPointer = out.pointer
        let batched = tokens > 1
        ComputePool.parallelFor(p.headCount) { head in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
            let accumulators = UnsafeMutablePointer<Float>.allocate(capacity: 64 * p.headDimension)
            let query16 = UnsafeMutablePointer<Float16>.allocate(capacity: p.headDimension)
            defer {
                scratch.deallocate()
                accumulators.deallocate()
                query16.deallocate()
            }
            let kvHead = head / group
            for t in 0..<tokens {
                TransformerKernels.attend(
                    query: queryPointer + t * qWidth + head * p.headDimension,
                    keys: keys + kvHead * p.headDimension, values: values + kvHead * p.headDimension,
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
