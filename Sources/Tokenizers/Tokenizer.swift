import Foundation
import GGUF

/// What went wrong loading a tokenizer or decoding ids.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    case cannotRead(path: String)
    case malformedJSON(path: String, reason: String)
    /// A component `type` this library does not know, at a JSON path such as `$.normalizer`.
    case unsupportedComponent(jsonPath: String, type: String)
    case invalidField(jsonPath: String, reason: String)
    case unknownId(Int)
    /// A GGUF vocabulary setting (`tokenizer.ggml.model`, `tokenizer.ggml.pre`) this library does not implement.
    case unsupportedGGUF(key: String, value: String, supported: [String])
    /// The GGUF file holding the vocabulary could not be read.
    case file(GGUFError)
    /// A chat template that does not compile or fails while rendering.
    case chatTemplate(String)

    public var description: String {
        switch self {
        case let .cannotRead(path): return "cannot read \(path)"
        case let .malformedJSON(path, reason): return "\(path) is not valid JSON: \(reason)"
        case let .unsupportedComponent(jsonPath, type): return "\(jsonPath): unknown component type '\(type)'"
        case let .invalidField(jsonPath, reason): return "\(jsonPath): \(reason)"
        case let .unknownId(id): return "token id \(id) is not in the vocabulary"
        case let .unsupportedGGUF(key, value, supported):
            return "\(key) = '\(value)' is not supported (supported: \(supported.joined(separator: ", ")))"
        case let .file(error): return error.description
        case let .chatTemplate(message): return "chat template: \(message)"
        }
    }
}

/// A tokenizer that encodes and decodes exactly as Hugging Face `tokenizers` does with the same
/// `tokenizer.json` (normalizer, pre-tokenizer, model, post-processor, decoder, added tokens,
/// truncation and padding), or as llama.cpp does with a GGUF vocabulary.
public struct Tokenizer: Sendable {
    let normalizer: Normalizer?
    let preTokenizer: PreTokenizer?
    let model: TokenizerModel
    let postProcessor: PostProcessor
    /// Empty: decoded tokens are joined with spaces.
    let decoder: [Decoder]
    let added: AddedVocabulary
    /// Token text by id: added tokens (normalised ones as the normaliser writes them), then the model's.
    let vocabulary: [String?]
    /// The model's own token text by id (what encodings report for model tokens).
    let modelVocabulary: [String?]
    let specialIds: Set<Int>
    /// Set when the pipeline is plain byte-level BPE (no normaliser, a ByteLevel split, BPE): such
    /// text goes straight through ``BPEModel/encodeByteLevel``.
    let byteLevelFamily: GPT2Split.Family?
    /// The pre-tokenizer only cuts text into words (no rewriting), so words are ranges of a split.
    let preTokenizerCutsOnly: Bool
    /// Truncation applied by `encode` (nil: none). Loaded from `tokenizer.json`.
    public var truncation: Truncation?
    /// Padding applied by `encode` and `encodeBatch` (nil: none). Loaded from `tokenizer.json`.
    public var padding: Padding?
    /// The beginning-of-sequence token's text, when the tokenizer's configuration names one.
    public internal(set) var bosToken: String?
    /// The end-of-sequence token's text, when the tokenizer's configuration names one.
    public internal(set) var eosToken: String?
    /// The model's chat template: from GGUF metadata, or `tokenizer_config.json` beside a `tokenizer.json`.
    public internal(set) var chatTemplate: ChatTemplate?
    /// Why the model's chat template could not be compiled, when it could not.
    var chatTemplateProblem: String?
    /// Ids by token text, built on first use.
    let index = TokenIndex()

    init(
        normalizer: Normalizer?, preTokenizer: PreTokenizer?, model: TokenizerModel, postProcessor: PostProcessor,
        decoder: [Decoder],
        addedTokens: [AddedToken], vocabulary: [String?], truncation: Truncation? = nil, padding: Padding? = nil
    ) {
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.model = model
        self.postProcessor = postProcessor
        self.decoder = decoder
        added = AddedVocabulary(tokens: addedTokens, normalizer: normalizer)
        modelVocabulary = vocabulary
        var table = vocabulary
        for token in addedTokens where token.id >= 0 {
            if token.id >= table.count { table += [String?](repeating: nil, count: token.id + 1 - table.count) }
            table[token.id] = added.normalizedContents[token.id] ?? token.content
        }
        self.vocabulary = table
        specialIds = Set(addedTokens.filter(\.special).map(\.id))
        byteLevelFamily = Tokenizer.byteLevelFamily(normalizer: normalizer, preTokenizer: preTokenizer, model: model)
        preTokenizerCutsOnly = preTokenizer?.cutsOnly ?? true
        self.truncation = truncation
        self.padding = padding
    }

    /// The split family when byte-level BPE can take the direct path.
    static func byteLevelFamily(normalizer: Normalizer?, preTokenizer: PreTokenizer?, model: TokenizerModel)
        -> GPT2Split.Family?
    {
        guard normalizer == nil, case let .bpe(bpe) = model, !bpe.byteFallback, bpe.continuingPrefix.isEmpty,
            bpe.endOfWordSuffix.isEmpty,
            let preTokenizer
        else { return nil }
        switch preTokenizer {
        case let .byteLevel(false, family?): return family
        case let .sequence(steps) where steps.count == 2:
            switch (steps[0], steps[1]) {
            case (.digits(individual: true), .byteLevel(false, .gpt2?)): return .digitsThenGPT2
            case let (.split(.scanner(family), .isolated, invert: false), .byteLevel(false, nil)): return family
            default: return nil
            }
        default: return nil
        }
    }

    /// The number of ids (the largest id plus one).
    public var vocabularySize: Int { vocabulary.count }

    /// The text of token `id`, if it exists.
    public func token(for id: Int) -> String? { id >= 0 && id < vocabulary.count ? vocabulary[id] : nil }

    /// The id of the token spelled `token` (as ``token(for:)`` spells it), if there is one.
    public func id(for token: String) -> Int? { index.id(for: token, in: vocabulary) }

    /// Ids of the special tokens (added tokens marked special).
    public var specialTokenIds: Set<Int> { specialIds }

    /// The added tokens (special and not), as loaded.
    public var addedTokens: [AddedToken] { added.tokens }

    // MARK: Encoding

    /// Encodes `text` (and `pair`, when given) with the post-processor's template when
    /// `addSpecialTokens`, then truncates and pads as configured. `parseSpecial: false` reads
    /// special tokens written in the text as plain text (llama.cpp's `parse_special`).
    public func encode(_ text: String, pair: String? = nil, addSpecialTokens: Bool = true, parseSpecial: Bool = true)
        -> Encoding
    {
        var encoding = postProcess(
            encodeSequence(text, typeId: 0, parseSpecial: parseSpecial),
            pair.map { encodeSequence($0, typeId: 1, parseSpecial: parseSpecial) },
            addSpecialTokens: addSpecialTokens)
        if let padding {
            var batch = [encoding]
            padding.apply(&batch)
            encoding = batch[0]
        }
        return encoding
    }

    /// Encodes every text (or `(text, pair)`) on all cores; padding (when configured) brings the
    /// whole batch to one length.
    public func encodeBatch(_ texts: [String], pairs: [String]? = nil, addSpecialTokens: Bool = true) -> [Encoding] {
        var results = [Encoding](repeating: Encoding(), count: texts.count)
        let chunk = max(1, texts.count / (ProcessInfo.processInfo.activeProcessorCount * 4))
        let chunks = (texts.count + chunk - 1) / chunk
        results.withUnsafeMutableBufferPointer { buffer in
            // nonisolated(unsafe): each iteration writes its own range of indices of a buffer that
            // outlives the concurrentPerform call.
            nonisolated(unsafe) let output = buffer
            DispatchQueue.concurrentPerform(iterations: chunks) { part in
                for index in (part * chunk)..<min(texts.count, (part + 1) * chunk) {
                    output[index] = postProcess(
                        encodeSequence(texts[index], typeId: 0, parseSpecial: true),
                        pairs.flatMap {
                            index < $0.count ? encodeSequence($0[index], typeId: 1, parseSpecial: true) : nil
                        },
                        addSpecialTokens: addSpecialTokens)
                }
            }
        }
        padding?.apply(&results)
        return results
    }

    /// Truncation, then the post-processor's template (when `addSpecialTokens`), merged into one.
    func postProcess(_ first: Encoding, _ second: Encoding?, addSpecialTokens: Bool) -> Encoding {
        var first = first, second = second
        if let truncation {
            let added = addSpecialTokens ? postProcessor.addedTokenCount(pair: second != nil) : 0
            truncation.apply(&first, &second, maxLength: max(0, truncation.maxLength - added))
        }
        let parts = postProcessor.process(second.map { [first, $0] } ?? [first], addSpecialTokens: addSpecialTokens)
        guard var merged = parts.first else { return Encoding() }
        for part in parts.dropFirst() { merged = merged.merged(with: part) }
        return merged
    }

    /// One sequence through added tokens, normaliser, pre-tokenizer and model.
    func encodeSequence(_ text: String, typeId: Int, parseSpecial: Bool) -> Encoding {
        let scalars = Array(text.unicodeScalars)
        var splits: [Split] = []
        if let family = byteLevelFamily, case let .bpe(bpe) = model {
            var encoding = Encoding()
            encoding.ids.reserveCapacity(scalars.count / 3)
            for (range, token) in added.split(scalars, normalized: false, parseSpecial: parseSpecial)
            where !range.isEmpty {
                if let token {
                    encoding.append(
                        id: added.tokens[token].id, token: String(String.UnicodeScalarView(scalars[range])),
                        offsets: (range.lowerBound, range.upperBound), typeId: typeId, special: false, sequence: 0)
                } else {
                    bpe.encodeByteLevel(
                        scalars[range], family: family, origin: range.lowerBound, typeId: typeId,
                        vocabulary: modelVocabulary, into: &encoding)
                }
            }
            return encoding
        }
        let original = NormalizedText(scalars[...], startingAt: 0)
        for (range, token) in added.split(scalars, normalized: false, parseSpecial: parseSpecial) where !range.isEmpty {
            if let token {
                splits.append(
                    Split(
                        text: original.slice(range), originalStart: range.lowerBound,
                        addedTokenId: added.tokens[token].id))
                continue
            }
            var piece = range.count == scalars.count ? original : original.slice(range)
            normalizer?.normalize(&piece)
            let parts = added.split(piece.scalars, normalized: true, parseSpecial: parseSpecial)
            for (part, normalizedToken) in parts where !part.isEmpty {
                let start = part.lowerBound == 0 ? range.lowerBound : piece.origins[part.lowerBound].lowerBound
                splits.append(
                    Split(
                        text: parts.count == 1 ? piece : piece.slice(part), originalStart: start,
                        addedTokenId: normalizedToken.map { added.tokens[$0].id }))
            }
        }
        // A pre-tokenizer that only cuts text gives word ranges; one that rewrites it gives new splits.
        let cutsOnly = preTokenizerCutsOnly
        if !cutsOnly { preTokenizer?.apply(to: &splits) }
        var encoding = Encoding()
        encoding.ids.reserveCapacity(scalars.count / 3)
        var tokens: [ModelToken] = []
        for split in splits where !split.text.isEmpty {
            if let id = split.addedTokenId {
                encoding.append(
                    id: id, token: String(String.UnicodeScalarView(split.text.scalars)),
                    offsets: split.text.originalSpan(0..<split.text.scalars.count), typeId: typeId, special: false,
                    sequence: 0)
                continue
            }
            let words =
                cutsOnly
                ? (preTokenizer?.wordRanges(split.text.scalars[...]) ?? [0..<split.text.scalars.count])
                : [0..<split.text.scalars.count]
            for word in words where !word.isEmpty {
                tokens.removeAll(keepingCapacity: true)
                model.tokenize(split.text.scalars[word], into: &tokens)
                for token in tokens {
                    let range = (word.lowerBound + token.range.lowerBound)..<(word.lowerBound + token.range.upperBound)
                    encoding.append(
                        id: token.id,
                        token: token.value ?? (token.id < modelVocabulary.count ? modelVocabulary[token.id] : nil)
                            ?? "",
                        offsets: split.text.originalSpan(range), typeId: typeId, special: false, sequence: 0)
                }
            }
        }
        return encoding
    }

    // MARK: Decoding

    /// Text for `ids` through the decoder; `skipSpecialTokens` drops special added tokens.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = true) throws(TokenizerError) -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            guard let token = token(for: id) else { throw .unknownId(id) }
            if skipSpecialTokens && specialIds.contains(id) { continue }
            tokens.append(token)
        }
        if decoder.isEmpty { return tokens.joined(separator: " ") }
        for step in decoder { tokens = step.decode(tokens) }
        return tokens.joined()
    }
}
