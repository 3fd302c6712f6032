/// The tokenizer part of a GGUF file's metadata (`tokenizer.ggml.*`), as plain data, so that this
/// module needs no GGUF parser; `Generation` reads it from a file.
public struct GGUFVocabulary: Sendable {
    /// `tokenizer.ggml.model`: `gpt2` (byte-level BPE), `llama` (SentencePiece) or `bert` (WordPiece).
    public var model: String
    /// `tokenizer.ggml.pre`: which pre-tokenizer split a `gpt2` vocabulary uses.
    public var pre: String
    public var tokens: [[UInt8]]
    public var scores: [Float]
    /// llama.cpp token types: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
    public var tokenTypes: [Int]
    /// `"left right"` per merge (byte-level BPE).
    public var merges: [[UInt8]]
    public var bosId: Int?
    public var eosId: Int?
    public var unknownId: Int?
    public var addBOS: Bool
    public var addEOS: Bool
    /// SentencePiece: prepend a space to the text (and after each special token).
    public var addSpacePrefix: Bool

    public init(model: String, pre: String, tokens: [[UInt8]], scores: [Float], tokenTypes: [Int], merges: [[UInt8]],
                bosId: Int?, eosId: Int?, unknownId: Int?, addBOS: Bool, addEOS: Bool, addSpacePrefix: Bool) {
        self.model = model
        self.pre = pre
        self.tokens = tokens
        self.scores = scores
        self.tokenTypes = tokenTypes
        self.merges = merges
        self.bosId = bosId
        self.eosId = eosId
        self.unknownId = unknownId
        self.addBOS = addBOS
        self.addEOS = addEOS
        self.addSpacePrefix = addSpacePrefix
    }

    /// The `tokenizer.ggml.pre` values whose split this library implements, by split family.
    public static let supportedPreTokenizers: [String: GPT2Split.Family] = [
        "default": .gpt2, "gpt-2": .gpt2, "gpt2": .gpt2, "phi-2": .gpt2, "jina-es": .gpt2, "jina-de": .gpt2, "roberta-bpe": .gpt2,
        "poro-chat": .gpt2, "jina-v2-es": .gpt2, "jina-v2-de": .gpt2, "jina-v2-code": .gpt2, "olmo": .gpt2,
        "smollm": .digitsThenGPT2, "starcoder": .digitsThenGPT2, "refact": .digitsThenGPT2, "command-r": .digitsThenGPT2,
        "codeshell": .digitsThenGPT2, "exaone": .digitsThenGPT2, "minerva-7b": .digitsThenGPT2,
        "llama-bpe": .llama3, "llama3": .llama3, "llama-v3": .llama3, "dbrx": .llama3, "smaug-bpe": .llama3,
        "qwen2": .qwen2, "deepseek-r1-qwen": .qwen2, "megrez": .qwen2,
    ]
}
