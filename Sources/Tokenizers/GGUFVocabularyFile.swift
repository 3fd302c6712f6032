import GGUF

extension GGUFVocabulary {
    /// Reads `tokenizer.ggml.*` from a GGUF file.
    public init(file: GGUFFile) throws(TokenizerError) {
        func strings(_ key: String) throws(TokenizerError) -> [[UInt8]] {
            guard let items = file[key]?.array else { return [] }
            var result: [[UInt8]] = []
            result.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                guard let text = item.string else {
                    throw .invalidField(jsonPath: "\(key)[\(index)]", reason: "is not a string")
                }
                result.append(Array(text.utf8))
            }
            return result
        }
        guard let model = file["tokenizer.ggml.model"]?.string else {
            throw .invalidField(jsonPath: "tokenizer.ggml.model", reason: "is missing: the file carries no tokenizer")
        }
        let tokens = try strings("tokenizer.ggml.tokens")
        guard !tokens.isEmpty else {
            throw .invalidField(jsonPath: "tokenizer.ggml.tokens", reason: "is missing or empty")
        }
        let scores = (file["tokenizer.ggml.scores"]?.array ?? []).map { Float($0.double ?? 0) }
        let types = (file["tokenizer.ggml.token_type"]?.array ?? []).map { $0.int ?? 1 }
        func id(_ key: String) -> Int? {
            guard let value = file[key]?.int, value >= 0, value < tokens.count else { return nil }
            return value
        }
        self.init(
            model: model, pre: file["tokenizer.ggml.pre"]?.string ?? "default", tokens: tokens, scores: scores,
            tokenTypes: types,
            merges: try strings("tokenizer.ggml.merges"), bosId: id("tokenizer.ggml.bos_token_id"),
            eosId: id("tokenizer.ggml.eos_token_id"), unknownId: id("tokenizer.ggml.unknown_token_id"),
            addBOS: file["tokenizer.ggml.add_bos_token"]?.bool ?? (model == "llama" || model == "bert"),
            addEOS: file["tokenizer.ggml.add_eos_token"]?.bool ?? false,
            addSpacePrefix: file["tokenizer.ggml.add_space_prefix"]?.bool ?? (model == "llama"),
            lowercase: file["tokenizer.ggml.normalizer.lowercase"]?.bool ?? true,
            stripAccents: file["tokenizer.ggml.normalizer.strip_accents"]?.bool ?? file[
                "tokenizer.ggml.normalizer.lowercase"]?.bool ?? true,
            separatorId: id("tokenizer.ggml.seperator_token_id") ?? id("tokenizer.ggml.separator_token_id"))
    }
}

extension Tokenizer {
    /// The tokenizer of a GGUF file, behaving as llama.cpp's does with the same file, with the
    /// file's chat template (`tokenizer.chat_template`) and BOS/EOS tokens.
    public init(gguf file: GGUFFile) throws(TokenizerError) {
        let vocabulary = try GGUFVocabulary(file: file)
        try self.init(gguf: vocabulary)
        func text(_ id: Int?) -> String? { id.map { String(decoding: vocabulary.tokens[$0], as: UTF8.self) } }
        bosToken = text(vocabulary.bosId)
        eosToken = text(vocabulary.eosId)
        if let source = file["tokenizer.chat_template"]?.string {
            setChatTemplate(source)
        }
    }
}
