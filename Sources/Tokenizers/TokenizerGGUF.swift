/// Tokenizers built from GGUF vocabulary metadata, following llama.cpp.
extension Tokenizer {
    /// Builds the tokenizer llama.cpp would use for a GGUF vocabulary: `gpt2` (byte-level BPE with the
    /// split named by `tokenizer.ggml.pre`), `llama` (SentencePiece with byte fallback) or `bert`
    /// (WordPiece over words that start with U+2581, as llama.cpp converts them). Control
    /// tokens (type 3) are matched in text only when encoding parses special tokens; user-defined
    /// ones (type 4) always.
    public init(gguf source: GGUFVocabulary) throws(TokenizerError) {
        guard source.tokenTypes.isEmpty || source.tokenTypes.count == source.tokens.count,
            source.scores.isEmpty || source.scores.count == source.tokens.count
        else {
            throw .invalidField(
                jsonPath: "tokenizer.ggml.token_type",
                reason: "has \(source.tokenTypes.count) entries for \(source.tokens.count) tokens")
        }
        var vocab = VocabularyTable(capacity: source.tokens.count)
        var byId: [String?] = []
        byId.reserveCapacity(source.tokens.count)
        var added: [AddedToken] = []
        for (id, token) in source.tokens.enumerated() {
            vocab.insert(token, id: id)
            let text = String(decoding: token, as: UTF8.self)
            byId.append(text)
            let type = id < source.tokenTypes.count ? source.tokenTypes[id] : 1
            if type == 3 || type == 4, !token.isEmpty {
                added.append(AddedToken(content: text, id: id, special: type == 3))
            }
        }
        var normalizer: Normalizer?
        let preTokenizer: PreTokenizer
        let model: TokenizerModel
        let decoder: [Decoder]
        switch source.model {
        case "gpt2":
            guard let split = GGUFVocabulary.supportedPreTokenizers[source.pre] else {
                throw .unsupportedGGUF(
                    key: "tokenizer.ggml.pre", value: source.pre,
                    supported: GGUFVocabulary.supportedPreTokenizers.keys.sorted())
            }
            let pairs = try Tokenizer.mergeList(source.merges)
            switch split {
            case let .family(family):
                preTokenizer =
                    family == .digitsThenGPT2
                    ? .sequence([.digits(individual: true), .byteLevel(addPrefixSpace: false, split: .gpt2)])
                    : .byteLevel(addPrefixSpace: false, split: family)
            case let .expressions(sources):
                var steps: [PreTokenizer] = []
                for (index, expression) in sources.enumerated() {
                    steps.append(
                        .split(
                            try TextPattern.compile(regex: expression, jsonPath: "tokenizer.ggml.pre[\(index)]"),
                            .isolated, invert: false))
                }
                preTokenizer = .sequence(steps + [.byteLevel(addPrefixSpace: false, split: nil)])
            }
            if case .family(.llama3) = split {
                model = .bpe(try BPEModel(vocab: vocab, merges: pairs, ignoreMerges: true))
            } else {
                model = .bpe(try BPEModel(vocab: vocab, merges: pairs))
            }
            decoder = [.byteLevel]
        case "llama":
            preTokenizer = .sentencePiece(addSpacePrefix: source.addSpacePrefix)
            model = .sentencePiece(SentencePieceModel(vocab: vocab, scores: source.scores, unknownId: source.unknownId))
            decoder =
                [.replace(.literal(["\u{2581}"]), with: [" "]), .byteFallback, .fuse]
                + (source.addSpacePrefix ? [.strip(content: " ", start: 1, stop: 0)] : [])
        case "gemma4":
            // SentencePiece-style BPE over raw UTF-8: spaces become U+2581, lines and newline runs are
            // the words, newline runs whole when in the vocabulary, bytes as <0xXX> tokens.
            preTokenizer = .sequence([
                .sentencePiece(addSpacePrefix: false),
                .split(
                    try TextPattern.compile(regex: "[^\n]+|[\n]+", jsonPath: "tokenizer.ggml.pre"), .isolated,
                    invert: false),
            ])
            model = .bpe(
                try BPEModel(
                    vocab: vocab, merges: try Tokenizer.mergeList(source.merges), byteFallback: true,
                    wholeNewlineRuns: true))
            decoder = [.replace(.literal(["\u{2581}"]), with: [" "]), .byteFallback, .fuse]
        case "bert":
            normalizer = .llamaBert(lowercase: source.lowercase, stripAccents: source.stripAccents)
            preTokenizer = .sequence([.llamaBert, .prependEach(["\u{2581}"])])
            model = .wordPiece(
                WordPiece(vocab: vocab, unknownId: source.unknownId, continuingPrefix: [], maxInputCharsPerWord: .max))
            decoder = [.replace(.literal(["\u{2581}"]), with: [" "]), .fuse, .strip(content: " ", start: 1, stop: 0)]
        default:
            throw .unsupportedGGUF(
                key: "tokenizer.ggml.model", value: source.model, supported: ["bert", "gemma4", "gpt2", "llama"])
        }
        var single: [TemplatePiece] = [.sequence(index: 0, typeId: 0)]
        // llama.cpp always adds BOS for Gemma 4, and for WordPiece (`bert`) always BOS ([CLS]) and
        // the separator ([SEP]) whatever the add_bos/add_eos flags say.
        let wordPiece = source.model == "bert"
        if source.addBOS || wordPiece || source.model == "gemma4", let id = source.bosId, id < byId.count,
            let text = byId[id]
        {
            single.insert(.special(ids: [id], tokens: [text], typeId: 0), at: 0)
        }
        if source.addEOS, !wordPiece, let id = source.eosId, id < byId.count, let text = byId[id] {
            single.append(.special(ids: [id], tokens: [text], typeId: 0))
        }
        if wordPiece, let id = source.separatorId, id < byId.count, let text = byId[id] {
            single.append(.special(ids: [id], tokens: [text], typeId: 0))
        }
        self.init(
            normalizer: normalizer, preTokenizer: preTokenizer, model: model,
            postProcessor: .template(single: single, pair: single + [.sequence(index: 1, typeId: 1)]),
            decoder: decoder, addedTokens: added, vocabulary: byId)
    }

    /// GGUF merge rules, `"left right"` each, split at the first space after the first byte (so a
    /// left token may itself start with a space), as llama.cpp reads them.
    static func mergeList(_ merges: [[UInt8]]) throws(TokenizerError) -> MergeList {
        var pairs = MergeList()
        pairs.pairs.reserveCapacity(merges.count)
        for (index, merge) in merges.enumerated() {
            guard merge.count > 1, let space = merge.dropFirst().firstIndex(of: 0x20) else {
                throw .invalidField(jsonPath: "tokenizer.ggml.merges[\(index)]", reason: "expected \"left right\"")
            }
            pairs.append(left: merge[..<space], right: merge[(space + 1)...])
        }
        return pairs
    }
}
