import GGUF
import TensorCore

/// A float32 matrix or vector the encoder reads: a view over the mapped weight file when the file
/// holds contiguous float32, else one float32 copy made at load.
// @unchecked Sendable: `pointer` addresses the bytes of `tensor`'s storage, which this value keeps
// alive and nobody writes after load (mapped read-only or owned here alone).
struct FloatWeight: @unchecked Sendable {
    let tensor: Tensor
    let pointer: UnsafePointer<Float>
    /// Rows (the output features of a linear layer) and columns (its input features).
    let rows: Int
    let columns: Int

    init(_ source: Tensor, name: String, path: String, shape expected: [Int]) throws(EmbeddingError) {
        guard source.shape == expected || (expected.count == 1 && source.shape == [1, expected[0]]) else {
            throw .invalidWeight(path: path, tensor: name, reason: "has shape \(source.shape), expected \(expected)")
        }
        var tensor = source
        if tensor.dtype != .float32 {
            do { tensor = try tensor.cast(to: .float32) } catch {
                throw .invalidWeight(path: path, tensor: name, reason: "cannot be read as float32: \(error)")
            }
        }
        tensor = tensor.contiguous()
        guard let base = tensor.baseAddress else {
            throw .invalidWeight(path: path, tensor: name, reason: "is empty")
        }
        self.tensor = tensor
        pointer = base.assumingMemoryBound(to: Float.self)
        rows = expected[0]
        columns = expected.count > 1 ? expected[1] : 1
    }
}

/// `y = x · weightᵀ + bias`, a dense layer stored as PyTorch stores it (`[out, in]`), with the
/// weight repacked for the matrix kernel.
struct LinearWeights: Sendable {
    let weight: FloatWeight
    let bias: FloatWeight
    let packed: PackedWeights

    init(weight: FloatWeight, bias: FloatWeight) {
        self.weight = weight
        self.bias = bias
        packed = PackedWeights(
            weights: weight.pointer, outputs: weight.rows, inputs: weight.columns, owner: weight.tensor)
    }
}

/// LayerNorm's scale and shift.
struct NormWeights: Sendable {
    let weight: FloatWeight
    let bias: FloatWeight
}

/// One post-norm encoder block.
struct EncoderLayerWeights: Sendable {
    let query: LinearWeights
    let key: LinearWeights
    let value: LinearWeights
    let attentionOutput: LinearWeights
    let attentionNorm: NormWeights
    let intermediate: LinearWeights
    let output: LinearWeights
    let outputNorm: NormWeights
}

/// Every weight of a BERT-style encoder.
struct EncoderWeights: Sendable {
    let wordEmbeddings: FloatWeight
    let positionEmbeddings: FloatWeight
    let tokenTypeEmbeddings: FloatWeight?
    let embeddingNorm: NormWeights
    let layers: [EncoderLayerWeights]

    /// Names a weight by its role; each file format maps roles to its own tensor names.
    enum Role {
        case wordEmbeddings, positionEmbeddings, tokenTypeEmbeddings
        case embeddingNorm(bias: Bool)
        case query(Int, bias: Bool)
        case key(Int, bias: Bool)
        case value(Int, bias: Bool)
        case attentionOutput(Int, bias: Bool)
        case attentionNorm(Int, bias: Bool)
        case intermediate(Int, bias: Bool)
        case output(Int, bias: Bool)
        case outputNorm(Int, bias: Bool)
    }

    /// Loads every role through `lookup` (which returns nil for an absent tensor) and checks shapes.
    init(
        configuration c: EncoderConfiguration, path: String,
        lookup: (Role) throws(EmbeddingError) -> (name: String, tensor: Tensor?)
    ) throws(EmbeddingError) {
        func load(_ role: Role, _ shape: [Int]) throws(EmbeddingError) -> FloatWeight {
            let (name, tensor) = try lookup(role)
            guard let tensor else { throw .invalidWeight(path: path, tensor: name, reason: "is missing") }
            return try FloatWeight(tensor, name: name, path: path, shape: shape)
        }
        func table(_ role: Role) throws(EmbeddingError) -> FloatWeight {
            let (name, tensor) = try lookup(role)
            guard let tensor else { throw .invalidWeight(path: path, tensor: name, reason: "is missing") }
            guard tensor.rank == 2, tensor.shape[0] > 0, tensor.shape[1] == c.hiddenSize else {
                throw .invalidWeight(
                    path: path, tensor: name, reason: "has shape \(tensor.shape), expected [rows, \(c.hiddenSize)]")
            }
            return try FloatWeight(tensor, name: name, path: path, shape: tensor.shape)
        }
        let h = c.hiddenSize, i = c.intermediateSize
        wordEmbeddings = try table(.wordEmbeddings)
        positionEmbeddings = try table(.positionEmbeddings)
        guard positionEmbeddings.rows >= c.maxPositions else {
            throw .invalidWeight(
                path: path, tensor: try lookup(.positionEmbeddings).name,
                reason: "has \(positionEmbeddings.rows) rows, fewer than max_position_embeddings \(c.maxPositions)")
        }
        tokenTypeEmbeddings = try lookup(.tokenTypeEmbeddings).tensor == nil ? nil : try table(.tokenTypeEmbeddings)
        embeddingNorm = NormWeights(
            weight: try load(.embeddingNorm(bias: false), [h]), bias: try load(.embeddingNorm(bias: true), [h]))
        var layers: [EncoderLayerWeights] = []
        for l in 0..<c.layers {
            func linear(_ role: (Int, Bool) -> Role, _ out: Int, _ input: Int) throws(EmbeddingError) -> LinearWeights {
                LinearWeights(weight: try load(role(l, false), [out, input]), bias: try load(role(l, true), [out]))
            }
            func norm(_ role: (Int, Bool) -> Role) throws(EmbeddingError) -> NormWeights {
                NormWeights(weight: try load(role(l, false), [h]), bias: try load(role(l, true), [h]))
            }
            layers.append(
                EncoderLayerWeights(
                    query: try linear({ .query($0, bias: $1) }, h, h), key: try linear({ .key($0, bias: $1) }, h, h),
                    value: try linear({ .value($0, bias: $1) }, h, h),
                    attentionOutput: try linear({ .attentionOutput($0, bias: $1) }, h, h),
                    attentionNorm: try norm({ .attentionNorm($0, bias: $1) }),
                    intermediate: try linear({ .intermediate($0, bias: $1) }, i, h),
                    output: try linear({ .output($0, bias: $1) }, h, i),
                    outputNorm: try norm({ .outputNorm($0, bias: $1) })
                ))
        }
        self.layers = layers
    }
}

extension EncoderWeights {
    /// The tensor names Hugging Face's `BertModel`/`RobertaModel` use, after `prefix` (`""`,
    /// `bert.` or `roberta.`).
    static func huggingFaceName(_ role: Role, prefix: String) -> String {
        func suffix(_ bias: Bool) -> String { bias ? "bias" : "weight" }
        let layer = "\(prefix)encoder.layer."
        switch role {
        case .wordEmbeddings: return "\(prefix)embeddings.word_embeddings.weight"
        case .positionEmbeddings: return "\(prefix)embeddings.position_embeddings.weight"
        case .tokenTypeEmbeddings: return "\(prefix)embeddings.token_type_embeddings.weight"
        case let .embeddingNorm(bias): return "\(prefix)embeddings.LayerNorm.\(suffix(bias))"
        case let .query(l, bias): return "\(layer)\(l).attention.self.query.\(suffix(bias))"
        case let .key(l, bias): return "\(layer)\(l).attention.self.key.\(suffix(bias))"
        case let .value(l, bias): return "\(layer)\(l).attention.self.value.\(suffix(bias))"
        case let .attentionOutput(l, bias): return "\(layer)\(l).attention.output.dense.\(suffix(bias))"
        case let .attentionNorm(l, bias): return "\(layer)\(l).attention.output.LayerNorm.\(suffix(bias))"
        case let .intermediate(l, bias): return "\(layer)\(l).intermediate.dense.\(suffix(bias))"
        case let .output(l, bias): return "\(layer)\(l).output.dense.\(suffix(bias))"
        case let .outputNorm(l, bias): return "\(layer)\(l).output.LayerNorm.\(suffix(bias))"
        }
    }

    /// The tensor names llama.cpp's converter writes for `bert` GGUF files.
    static func ggufName(_ role: Role) -> String {
        func suffix(_ bias: Bool) -> String { bias ? "bias" : "weight" }
        switch role {
        case .wordEmbeddings: return "token_embd.weight"
        case .positionEmbeddings: return "position_embd.weight"
        case .tokenTypeEmbeddings: return "token_types.weight"
        case let .embeddingNorm(bias): return "token_embd_norm.\(suffix(bias))"
        case let .query(l, bias): return "blk.\(l).attn_q.\(suffix(bias))"
        case let .key(l, bias): return "blk.\(l).attn_k.\(suffix(bias))"
        case let .value(l, bias): return "blk.\(l).attn_v.\(suffix(bias))"
        case let .attentionOutput(l, bias): return "blk.\(l).attn_output.\(suffix(bias))"
        case let .attentionNorm(l, bias): return "blk.\(l).attn_output_norm.\(suffix(bias))"
        case let .intermediate(l, bias): return "blk.\(l).ffn_up.\(suffix(bias))"
        case let .output(l, bias): return "blk.\(l).ffn_down.\(suffix(bias))"
        case let .outputNorm(l, bias): return "blk.\(l).layer_output_norm.\(suffix(bias))"
        }
    }
}
