import Foundation

/// What distinguishes one decoder-only transformer family from another, as data: the forward pass
/// (``LlamaModel``) reads these choices instead of branching on the architecture's name.
public struct ArchitectureSpec: Sendable, Equatable {
    /// How RoPE pairs the dimensions of a head.
    public enum RopeStyle: Sendable, Equatable {
        /// Adjacent pairs `(2i, 2i + 1)`: the original Llama layout.
        case adjacentPairs
        /// Pairs `(i, i + d/2)`: GPT-NeoX's layout, used by Qwen2.
        case halves
    }

    /// The normalisation before attention, before the feed-forward block and before the head.
    public enum Normalization: Sendable, Equatable {
        /// `x / sqrt(mean(x²) + ε) · weight`.
        case rms
    }

    /// The feed-forward block.
    public enum FeedForward: Sendable, Equatable {
        /// `down(silu(gate(x)) · up(x))` (SwiGLU).
        case siluGated
    }

    /// How token embeddings are scaled before the first block.
    public enum EmbeddingScale: Sendable, Equatable {
        case none
        /// Multiplied by the square root of the embedding width (Gemma).
        case squareRootOfWidth
    }

    /// GGUF tensor names, as llama.cpp's converter writes them; `%d` in a layer name is the block index.
    public struct TensorNames: Sendable, Equatable {
        public var tokenEmbedding = "token_embd.weight"
        /// When the file has no such tensor, the head is tied to ``tokenEmbedding``.
        public var output = "output.weight"
        public var outputNorm = "output_norm.weight"
        /// Per-pair RoPE frequency divisors (Llama 3's `rope_freqs`), optional.
        public var ropeFrequencies = "rope_freqs.weight"
        public var attentionNorm = "blk.%d.attn_norm.weight"
        public var query = "blk.%d.attn_q.weight"
        public var key = "blk.%d.attn_k.weight"
        public var value = "blk.%d.attn_v.weight"
        public var queryBias = "blk.%d.attn_q.bias"
        public var keyBias = "blk.%d.attn_k.bias"
        public var valueBias = "blk.%d.attn_v.bias"
        public var attentionOutput = "blk.%d.attn_output.weight"
        public var feedForwardNorm = "blk.%d.ffn_norm.weight"
        public var gate = "blk.%d.ffn_gate.weight"
        public var up = "blk.%d.ffn_up.weight"
        public var down = "blk.%d.ffn_down.weight"

        public init() {}

        /// `name` with the block index filled in.
        public static func layer(_ name: String, _ index: Int) -> String {
            name.replacingOccurrences(of: "%d", with: String(index))
        }
    }

    /// The `general.architecture` value this describes.
    public var name: String
    public var ropeStyle: RopeStyle
    public var normalization: Normalization = .rms
    public var feedForward: FeedForward = .siluGated
    public var embeddingScale: EmbeddingScale = .none
    /// Whether query/key/value projections may carry biases (read when the file has them).
    public var attentionBiases: Bool
    public var tensorNames = TensorNames()

    public init(name: String, ropeStyle: RopeStyle, attentionBiases: Bool) {
        self.name = name
        self.ropeStyle = ropeStyle
        self.attentionBiases = attentionBiases
    }

    /// Llama 2/3, SmolLM2 and other files llama.cpp loads as `llama`.
    public static let llama = ArchitectureSpec(name: "llama", ropeStyle: .adjacentPairs, attentionBiases: true)
    /// Mistral: Llama's block.
    public static let mistral = ArchitectureSpec(name: "mistral", ropeStyle: .adjacentPairs, attentionBiases: true)
    /// Qwen2: NeoX RoPE and QKV biases.
    public static let qwen2 = ArchitectureSpec(name: "qwen2", ropeStyle: .halves, attentionBiases: true)

    /// The architectures ``LlamaModel`` builds, by `general.architecture`.
    public static let builtIn: [String: ArchitectureSpec] = Dictionary(
        uniqueKeysWithValues: [llama, mistral, qwen2].map { ($0.name, $0) })
}
