import Foundation

/// A tiny random-weight Llama-architecture GGUF with a byte-level GPT-2 vocabulary (256 byte tokens
/// plus `<|im_start|>`, `<|im_end|>` and `<|endoftext|>`) and a ChatML chat template: a model that
/// loads, tokenizes any text and generates in milliseconds, for tests of the generation machinery
/// (sessions, concurrency) rather than of numerics.
public enum TinyModelFile {
    public static let embedding = 32, layers = 2, heads = 2, kvHeads = 1, headSize = 16, feedForward = 64
    public static let chatTemplate = """
        {% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}\
        {% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}
        """

    /// GPT-2's printable stand-in for each byte.
    static func byteToken(_ byte: Int) -> String {
        let printable = Array(33...126) + Array(161...172) + Array(174...255)
        if printable.contains(byte) { return String(UnicodeScalar(UInt8(byte))) }
        let index = (0..<256).filter { !printable.contains($0) }.firstIndex(of: byte) ?? 0
        return String(UnicodeScalar(UInt32(256 + index))!)
    }

    /// Writes the model to a new temporary file and returns its path; `epsilon` is the RMS norm's
    /// (hostile values test the loader).
    public static func write(seed: UInt64 = 1, epsilon: Float = 1e-5) throws -> String {
        let tokens = (0..<256).map(byteToken) + ["<|im_start|>", "<|im_end|>", "<|endoftext|>"]
        let vocabulary = tokens.count
        var w = GGUFWriter()
        var tensors: [(name: String, dims: [Int])] = [
            ("token_embd.weight", [embedding, vocabulary]), ("output_norm.weight", [embedding]),
        ]
        for i in 0..<layers {
            tensors += [
                ("blk.\(i).attn_norm.weight", [embedding]), ("blk.\(i).attn_q.weight", [embedding, heads * headSize]),
                ("blk.\(i).attn_k.weight", [embedding, kvHeads * headSize]),
                ("blk.\(i).attn_v.weight", [embedding, kvHeads * headSize]),
                ("blk.\(i).attn_output.weight", [heads * headSize, embedding]),
                ("blk.\(i).ffn_norm.weight", [embedding]),
                ("blk.\(i).ffn_gate.weight", [embedding, feedForward]),
                ("blk.\(i).ffn_up.weight", [embedding, feedForward]),
                ("blk.\(i).ffn_down.weight", [feedForward, embedding]),
            ]
        }
        let integers: [(String, UInt32)] = [
            ("llama.block_count", UInt32(layers)), ("llama.embedding_length", UInt32(embedding)),
            ("llama.feed_forward_length", UInt32(feedForward)), ("llama.attention.head_count", UInt32(heads)),
            ("llama.attention.head_count_kv", UInt32(kvHeads)), ("llama.context_length", 256),
            ("tokenizer.ggml.eos_token_id", UInt32(vocabulary - 1)),
        ]
        let strings: [(String, String)] = [
            ("general.architecture", "llama"), ("tokenizer.ggml.model", "gpt2"), ("tokenizer.ggml.pre", "gpt2"),
            ("tokenizer.chat_template", chatTemplate),
        ]
        w.header(tensors: UInt64(tensors.count), metadata: UInt64(integers.count + strings.count + 4))
        for (key, value) in integers {
            w.string(key)
            w.u32(4)
            w.u32(value)
        }
        for (key, value) in strings {
            w.string(key)
            w.u32(8)
            w.string(value)
        }
        w.string("llama.attention.layer_norm_rms_epsilon")
        w.u32(6)
        w.u32(epsilon.bitPattern)
        w.string("tokenizer.ggml.tokens")
        w.u32(9)
        w.u32(8)
        w.u64(UInt64(vocabulary))
        for token in tokens { w.string(token) }
        w.string("tokenizer.ggml.token_type")
        w.u32(9)
        w.u32(5)
        w.u64(UInt64(vocabulary))
        for id in 0..<vocabulary { w.u32(id < 256 ? 1 : 3) }
        w.string("tokenizer.ggml.merges")
        w.u32(9)
        w.u32(8)
        w.u64(0)
        var offset = 0
        for tensor in tensors {
            w.string(tensor.name)
            w.u32(UInt32(tensor.dims.count))
            for d in tensor.dims { w.u64(UInt64(d)) }
            w.u32(0)  // F32
            w.u64(UInt64(offset))
            offset += (tensor.dims.reduce(1, *) * 4 + 31) / 32 * 32
        }
        w.pad(to: 32)
        var state = seed
        for tensor in tensors {
            let count = tensor.dims.reduce(1, *)
            let isNorm = tensor.dims.count == 1
            for _ in 0..<count {
                // SplitMix64, scaled to about ±0.25 (norm weights around 1).
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                let unit = Float(Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)) - 0.5
                w.u32((isNorm ? 1 + unit * 0.2 : unit * 0.5).bitPattern)
            }
            w.pad(to: 32)
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tiny-llama-\(UUID().uuidString).gguf")
            .path
        try Data(w.bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}
