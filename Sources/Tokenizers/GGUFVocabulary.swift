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
    /// WordPiece (`bert`): lowercase, and strip accents (NFD, marks dropped).
    public var lowercase: Bool
    public var stripAccents: Bool
    /// WordPiece (`bert`): the separator appended after the text (`[SEP]`).
    public var separatorId: Int?

    public init(
        model: String, pre: String, tokens: [[UInt8]], scores: [Float], tokenTypes: [Int], merges: [[UInt8]],
        bosId: Int?, eosId: Int?, unknownId: Int?, addBOS: Bool, addEOS: Bool, addSpacePrefix: Bool,
        lowercase: Bool = true, stripAccents: Bool = true, separatorId: Int? = nil
    ) {
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
        self.lowercase = lowercase
        self.stripAccents = stripAccents
        self.separatorId = separatorId
    }

    /// How a `gpt2` vocabulary's text is split before byte-level BPE: one of the scanned families,
    /// or regular expressions applied in turn (each match and each gap a piece), as llama.cpp does.
    public enum Split: Sendable {
        case family(GPT2Split.Family)
        case expressions([String])
    }

    /// The `tokenizer.ggml.pre` values this library implements, with llama.cpp's split for each.
    public static let supportedPreTokenizers: [String: Split] = {
        var table: [String: Split] = [:]
        for name in [
            "default", "gpt-2", "gpt2", "phi-2", "jina-es", "jina-de", "roberta-bpe", "jina-v1-en", "jina-v2-es",
            "jina-v2-de",
            "jina-v2-code", "olmo", "mpt", "gigachat", "mellum", "modern-bert", "trillion", "granite-docling",
            "a.x-4.0",
        ] {
            table[name] = .family(.gpt2)
        }
        for name in ["smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b", "mellum2"] {
            table[name] = .family(.digitsThenGPT2)
        }
        for name in [
            "llama-bpe", "llama3", "llama-v3", "dbrx", "smaug-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0",
            "lfm2", "chatglm-bpe",
            "glm4", "glm5", "jina-v5-nano",
        ] {
            table[name] = .family(.llama3)
        }
        for name in ["qwen2", "deepseek-r1-qwen", "megrez", "stablelm2", "hunyuan", "kormo", "f2llmv2", "solar-open"] {
            table[name] = .family(.qwen2)
        }
        let gpt2 = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
        table["falcon"] = .expressions([#"[\p{P}\$\+<=>\^~\|`]+"#, gpt2, "[0-9][0-9][0-9]"])
        table["deepseek-coder"] = .expressions([
            "[\r\n]", #"\s?\p{L}+"#, #"\s?\p{P}+"#, "[\u{4E00}-\u{9FA5}\u{0800}-\u{4E00}\u{AC00}-\u{D7FF}]+", #"\p{N}"#,
        ])
        table["deepseek-llm"] = .expressions([
            "[\r\n]",
            #"\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-ΐῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+"#,
            #"\s?[!-/:-~！-／：-～‘-‟　-。]+"#,
            #"\s+\z"#,
            "[一-龥ࠀ-一가-퟿]+",
            #"\p{N}+"#,
        ])
        table["qwen35"] = .expressions([
            #"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        ])
        return table
    }()
}
