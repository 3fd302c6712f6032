import Foundation

/// What went wrong loading a tokenizer or decoding ids.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    case cannotRead(path: String)
    case malformedJSON(path: String, reason: String)
    /// A component this library does not implement yet, at a JSON path such as `$.normalizer`.
    case unsupportedComponent(jsonPath: String, type: String)
    case invalidField(jsonPath: String, reason: String)
    case unknownId(Int)
    /// A GGUF vocabulary setting (`tokenizer.ggml.model`, `tokenizer.ggml.pre`) this library does not implement.
    case unsupportedGGUF(key: String, value: String, supported: [String])

    public var description: String {
        switch self {
        case let .cannotRead(path): return "cannot read \(path)"
        case let .malformedJSON(path, reason): return "\(path) is not valid JSON: \(reason)"
        case let .unsupportedComponent(jsonPath, type): return "\(jsonPath): component type '\(type)' is not supported"
        case let .invalidField(jsonPath, reason): return "\(jsonPath): \(reason)"
        case let .unknownId(id): return "token id \(id) is not in the vocabulary"
        case let .unsupportedGGUF(key, value, supported):
            return "\(key) = '\(value)' is not supported (supported: \(supported.joined(separator: ", ")))"
        }
    }
}

/// One encoded text: ids, token strings, offsets in Unicode scalars of the original text.
public struct Encoding: Sendable, Equatable {
    public var ids: [Int] = []
    public var tokens: [String] = []
    /// `[start, end)` per token, in Unicode scalar indices of the input; template tokens get (0, 0).
    public var offsets: [(Int, Int)] = []
    public var typeIds: [Int] = []
    public var specialTokensMask: [Int] = []
    public var attentionMask: [Int] { ids.map { _ in 1 } }

    public static func == (a: Encoding, b: Encoding) -> Bool {
        a.ids == b.ids && a.tokens == b.tokens && a.offsets.map { [$0.0, $0.1] } == b.offsets.map { [$0.0, $0.1] }
    }
}

/// A Hugging Face `tokenizer.json` tokenizer. Implemented so far: the BERT pipeline
/// (BertNormalizer, BertPreTokenizer, WordPiece, WordPiece decoder) and the GPT-2 byte-level one
/// (ByteLevel pre-tokenizer, BPE, ByteLevel decoder), TemplateProcessing, and added tokens; other
/// component types are load errors naming their JSON path.
public final class Tokenizer: @unchecked Sendable {
    enum PreTokenizer: Equatable {
        case none, bert
        /// A GPT-2-style split (for `digitsThenGPT2`, a Sequence of Digits(individual_digits: true)
        /// and ByteLevel) and the byte mapping.
        case byteLevel(GPT2Split.Family)
        /// llama.cpp's SentencePiece preparation: spaces become U+2581, and one is prepended to each
        /// run of text when `addSpacePrefix`.
        case sentencePiece(addSpacePrefix: Bool)
        /// Spaces become `replacement`; one is prepended ("always", or "first": only to the text's
        /// first section); with `split`, words start at each replacement.
        case metaspace(replacement: Unicode.Scalar, prependScheme: String, split: Bool)
    }
    enum Model {
        case wordPiece(WordPiece)
        case bpe(BPEModel)
        case sentencePiece(SentencePieceModel)
    }
    /// Decoding steps, applied in order to the list of token strings, then joined.
    enum DecoderStep {
        case wordPiece(prefix: String, cleanup: Bool)
        case byteLevel
        case replace(pattern: String, content: String)
        case byteFallback
        case fuse
        case strip(content: Character, start: Int, stop: Int)
        case metaspace(replacement: String, prependScheme: String)
    }

    let normalizer: BertNormalizer?
    let preTokenizer: PreTokenizer
    let model: Model
    let decoder: [DecoderStep]
    let vocab: [[UInt8]: Int]
    let vocabulary: [Int: String]
    /// Added tokens matched in the raw text before normalisation, longest first (`special` ones only
    /// when encoding parses special tokens).
    let addedTokens: [(content: String, scalars: [Unicode.Scalar], id: Int, special: Bool)]
    let specialIds: Set<Int>
    let template: [(token: String?, typeId: Int)]

    /// Loads `tokenizer.json` from `path`.
    public convenience init(path: String) throws(TokenizerError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw .cannotRead(path: path) }
        try self.init(root: try JSONReader.parse(Array(data), name: path))
    }

    /// Builds a tokenizer from a parsed `tokenizer.json` given as Foundation objects.
    public convenience init(json: [String: Any]) throws(TokenizerError) {
        guard let data = try? JSONSerialization.data(withJSONObject: json) else {
            throw .malformedJSON(path: "<json>", reason: "not serialisable")
        }
        try self.init(root: try JSONReader.parse(Array(data), name: "<json>"))
    }

    init(root: JSONValue) throws(TokenizerError) {
        guard root.members != nil else { throw .malformedJSON(path: "tokenizer.json", reason: "the top level is not an object") }
        func component(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> (String, JSONValue)? {
            guard let value, !value.isNull else { return nil }
            guard let type = value["type"]?.string else { throw .invalidField(jsonPath: path, reason: "expected an object with a \"type\"") }
            return (type, value)
        }
        // Normalizer.
        if let (kind, object) = try component(root["normalizer"], "$.normalizer") {
            guard kind == "BertNormalizer" else { throw .unsupportedComponent(jsonPath: "$.normalizer", type: kind) }
            normalizer = BertNormalizer(cleanText: object["clean_text"]?.bool ?? true, handleChineseChars: object["handle_chinese_chars"]?.bool ?? true,
                                        stripAccents: object["strip_accents"]?.bool, lowercase: object["lowercase"]?.bool ?? true)
        } else {
            normalizer = nil
        }
        switch try component(root["pre_tokenizer"], "$.pre_tokenizer") {
        case nil: preTokenizer = .none
        case ("BertPreTokenizer", _)?: preTokenizer = .bert
        case let ("ByteLevel", object)?:
            guard object["add_prefix_space"]?.bool != true, object["use_regex"]?.bool != false else {
                throw .unsupportedComponent(jsonPath: "$.pre_tokenizer", type: "ByteLevel with add_prefix_space or without use_regex")
            }
            preTokenizer = .byteLevel(.gpt2)
        case let ("Sequence", object)?:
            let steps = object["pretokenizers"]?.array ?? []
            guard steps.count == 2, steps[0]["type"]?.string == "Digits", steps[0]["individual_digits"]?.bool == true,
                  steps[1]["type"]?.string == "ByteLevel", steps[1]["add_prefix_space"]?.bool != true, steps[1]["use_regex"]?.bool != false else {
                throw .unsupportedComponent(jsonPath: "$.pre_tokenizer", type: "Sequence other than [Digits(individual), ByteLevel]")
            }
            preTokenizer = .byteLevel(.digitsThenGPT2)
        case let ("Metaspace", object)?:
            guard let replacement = object["replacement"]?.string?.unicodeScalars.first else {
                throw .invalidField(jsonPath: "$.pre_tokenizer.replacement", reason: "expected one character")
            }
            preTokenizer = .metaspace(replacement: replacement, prependScheme: object["prepend_scheme"]?.string ?? "always",
                                      split: object["split"]?.bool ?? true)
        case let (kind, _)?: throw .unsupportedComponent(jsonPath: "$.pre_tokenizer", type: kind)
        }
        // Model.
        guard let (modelKind, model) = try component(root["model"], "$.model") else { throw .invalidField(jsonPath: "$.model", reason: "missing") }
        guard modelKind == "WordPiece" || modelKind == "BPE" else { throw .unsupportedComponent(jsonPath: "$.model", type: modelKind) }
        guard let entries = model["vocab"]?.members else { throw .invalidField(jsonPath: "$.model.vocab", reason: "expected an object of token ids") }
        var vocab: [[UInt8]: Int] = [:]
        vocab.reserveCapacity(entries.count)
        var byId: [Int: String] = [:]
        byId.reserveCapacity(entries.count)
        for (token, id) in entries {
            guard let number = id.int else { throw .invalidField(jsonPath: "$.model.vocab[\"\(String(decoding: token, as: UTF8.self))\"]", reason: "not an integer id") }
            vocab[token] = number
            byId[number] = String(decoding: token, as: UTF8.self)
        }
        self.vocab = vocab
        if modelKind == "WordPiece" {
            self.model = .wordPiece(WordPiece(vocab: vocab, unknownToken: model["unk_token"]?.string ?? "[UNK]",
                                              continuingPrefix: model["continuing_subword_prefix"]?.string ?? "##",
                                              maxInputCharsPerWord: model["max_input_chars_per_word"]?.int ?? 100))
        } else {
            if model["ignore_merges"]?.bool == true { throw .unsupportedComponent(jsonPath: "$.model.ignore_merges", type: "true") }
            for field in ["continuing_subword_prefix", "end_of_word_suffix"] {
                if let value = model[field]?.string, !value.isEmpty { throw .unsupportedComponent(jsonPath: "$.model.\(field)", type: value) }
            }
            var pairs: [([UInt8], [UInt8])] = []
            for (index, entry) in (model["merges"]?.array ?? []).enumerated() {
                if let text = entry.bytes, let space = text.firstIndex(of: 0x20) {
                    pairs.append((Array(text[..<space]), Array(text[(space + 1)...])))
                } else if let pair = entry.array, pair.count == 2, let left = pair[0].bytes, let right = pair[1].bytes {
                    pairs.append((left, right))
                } else {
                    throw .invalidField(jsonPath: "$.model.merges[\(index)]", reason: "expected \"a b\" or [\"a\", \"b\"]")
                }
            }
            let unknown = model["unk_token"]?.bytes.flatMap { vocab[$0] }
            self.model = .bpe(try BPEModel(vocab: vocab, merges: pairs, byteFallback: model["byte_fallback"]?.bool ?? false,
                                           unknownId: unknown, fuseUnknown: model["fuse_unk"]?.bool ?? false))
        }
        // Added tokens.
        var added: [(String, [Unicode.Scalar], Int, Bool)] = []
        for (index, entry) in (root["added_tokens"]?.array ?? []).enumerated() {
            guard let content = entry["content"]?.string, let id = entry["id"]?.int else {
                throw .invalidField(jsonPath: "$.added_tokens[\(index)]", reason: "needs content and id")
            }
            for flag in ["lstrip", "rstrip", "single_word", "normalized"] where entry[flag]?.bool == true {
                throw .unsupportedComponent(jsonPath: "$.added_tokens[\(index)].\(flag)", type: "true")
            }
            added.append((content, Array(content.unicodeScalars), id, entry["special"]?.bool ?? false))
            byId[id] = content
        }
        addedTokens = added.sorted { $0.1.count > $1.1.count }.map { (content: $0.0, scalars: $0.1, id: $0.2, special: $0.3) }
        specialIds = Set(added.filter(\.3).map(\.2))
        vocabulary = byId
        // Post-processor.
        var template: [(String?, Int)] = [(nil, 0)]
        if let (kind, object) = try component(root["post_processor"], "$.post_processor") {
            guard kind == "TemplateProcessing", let single = object["single"]?.array else {
                throw .unsupportedComponent(jsonPath: "$.post_processor", type: kind)
            }
            template = []
            for (index, piece) in single.enumerated() {
                if let special = piece["SpecialToken"], let id = special["id"]?.string {
                    template.append((id, special["type_id"]?.int ?? 0))
                } else if let sequence = piece["Sequence"] {
                    template.append((nil, sequence["type_id"]?.int ?? 0))
                } else {
                    throw .invalidField(jsonPath: "$.post_processor.single[\(index)]", reason: "expected SpecialToken or Sequence")
                }
            }
        }
        self.template = template
        // Decoder.
        func step(_ kind: String, _ object: JSONValue, _ path: String) throws(TokenizerError) -> [DecoderStep] {
            switch kind {
            case "WordPiece": return [.wordPiece(prefix: object["prefix"]?.string ?? "##", cleanup: object["cleanup"]?.bool ?? true)]
            case "ByteLevel": return [.byteLevel]
            case "ByteFallback": return [.byteFallback]
            case "Fuse": return [.fuse]
            case "Replace":
                guard let pattern = object["pattern"]?["String"]?.string, let content = object["content"]?.string else {
                    throw .unsupportedComponent(jsonPath: path, type: "Replace with a regex pattern")
                }
                return [.replace(pattern: pattern, content: content)]
            case "Strip":
                guard let content = object["content"]?.string?.first else { throw .invalidField(jsonPath: path, reason: "content must be one character") }
                return [.strip(content: content, start: object["start"]?.int ?? 0, stop: object["stop"]?.int ?? 0)]
            case "Metaspace":
                return [.metaspace(replacement: object["replacement"]?.string ?? "\u{2581}", prependScheme: object["prepend_scheme"]?.string ?? "always")]
            case "Sequence":
                var steps: [DecoderStep] = []
                for (index, inner) in (object["decoders"]?.array ?? []).enumerated() {
                    guard let innerKind = inner["type"]?.string else { throw .invalidField(jsonPath: "\(path).decoders[\(index)]", reason: "no type") }
                    steps += try step(innerKind, inner, "\(path).decoders[\(index)]")
                }
                return steps
            default: throw .unsupportedComponent(jsonPath: path, type: kind)
            }
        }
        if let (kind, object) = try component(root["decoder"], "$.decoder") {
            decoder = try step(kind, object, "$.decoder")
        } else {
            decoder = []
        }
    }

    /// Builds the tokenizer llama.cpp would use for a GGUF vocabulary: `gpt2` (byte-level BPE with the
    /// split named by `tokenizer.ggml.pre`) or `llama` (SentencePiece with byte fallback). Control
    /// tokens (type 3) are matched in text only when encoding parses special tokens; user-defined
    /// ones (type 4) always.
    public init(gguf source: GGUFVocabulary) throws(TokenizerError) {
        guard source.tokenTypes.isEmpty || source.tokenTypes.count == source.tokens.count,
              source.scores.isEmpty || source.scores.count == source.tokens.count else {
            throw .invalidField(jsonPath: "tokenizer.ggml.token_type", reason: "has \(source.tokenTypes.count) entries for \(source.tokens.count) tokens")
        }
        var vocab: [[UInt8]: Int] = [:]
        vocab.reserveCapacity(source.tokens.count)
        var byId: [Int: String] = [:]
        byId.reserveCapacity(source.tokens.count)
        var added: [(content: String, scalars: [Unicode.Scalar], id: Int, special: Bool)] = []
        for (id, token) in source.tokens.enumerated() {
            if vocab[token] == nil { vocab[token] = id }
            let text = String(decoding: token, as: UTF8.self)
            byId[id] = text
            let type = id < source.tokenTypes.count ? source.tokenTypes[id] : 1
            if type == 3 || type == 4, !token.isEmpty { added.append((text, Array(text.unicodeScalars), id, type == 3)) }
        }
        self.vocab = vocab
        vocabulary = byId
        normalizer = nil
        addedTokens = added.sorted { $0.scalars.count > $1.scalars.count }
        specialIds = Set(added.filter(\.special).map(\.id) + [source.bosId, source.eosId].compactMap { $0 }.filter { id in
            id < source.tokenTypes.count && source.tokenTypes[id] == 3
        })
        switch source.model {
        case "gpt2":
            guard let family = GGUFVocabulary.supportedPreTokenizers[source.pre] else {
                throw .unsupportedGGUF(key: "tokenizer.ggml.pre", value: source.pre, supported: GGUFVocabulary.supportedPreTokenizers.keys.sorted())
            }
            var pairs: [([UInt8], [UInt8])] = []
            pairs.reserveCapacity(source.merges.count)
            for (index, merge) in source.merges.enumerated() {
                guard let space = merge.firstIndex(of: 0x20) else {
                    throw .invalidField(jsonPath: "tokenizer.ggml.merges[\(index)]", reason: "expected \"left right\"")
                }
                pairs.append((Array(merge[..<space]), Array(merge[(space + 1)...])))
            }
            preTokenizer = .byteLevel(family)
            model = .bpe(try BPEModel(vocab: vocab, merges: pairs, ignoreMerges: family == .llama3))
            decoder = [.byteLevel]
        case "llama":
            preTokenizer = .sentencePiece(addSpacePrefix: source.addSpacePrefix)
            model = .sentencePiece(SentencePieceModel(vocab: vocab, scores: source.scores, unknownId: source.unknownId))
            decoder = [.replace(pattern: "\u{2581}", content: " "), .byteFallback, .fuse] + (source.addSpacePrefix ? [.strip(content: " ", start: 1, stop: 0)] : [])
        default:
            throw .unsupportedGGUF(key: "tokenizer.ggml.model", value: source.model, supported: ["gpt2", "llama"])
        }
        var template: [(String?, Int)] = [(nil, 0)]
        if source.addBOS, let id = source.bosId, let text = byId[id] { template.insert((text, 0), at: 0) }
        if source.addEOS, let id = source.eosId, let text = byId[id] { template.append((text, 0)) }
        self.template = template
    }

    /// Encodes `text`; `addSpecialTokens` applies the post-processor's template (for a GGUF
    /// vocabulary: BOS/EOS as its metadata asks); `parseSpecial: false` reads special tokens
    /// written in the text as plain text (llama.cpp's `parse_special`).
    public func encode(_ text: String, addSpecialTokens: Bool = true, parseSpecial: Bool = true) -> Encoding {
        let scalars = Array(text.unicodeScalars)
        var body = Encoding()
        var segmentStart = 0
        var position = 0
        func flush(upTo end: Int) {
            guard end > segmentStart else { return }
            var normalized = NormalizedText(scalars[segmentStart..<end], startingAt: segmentStart)
            normalizer?.normalize(&normalized)
            switch (preTokenizer, model) {
            case let (.sentencePiece(addSpacePrefix), .sentencePiece(model)):
                normalized.transform { $0 == " " ? ["\u{2581}"] : [$0] }
                if addSpacePrefix, let origin = normalized.origins.first {
                    normalized = NormalizedText(scalars: ["\u{2581}"] + normalized.scalars, origins: [origin] + normalized.origins)
                }
                for (id, range) in model.encode(normalized.scalars) {
                    body.ids.append(id)
                    body.tokens.append(vocabulary[id] ?? "")
                    body.offsets.append(normalized.originalSpan(range))
                }
            case (_, .sentencePiece):
                break
            case let (.byteLevel(family), .bpe(bpe)):
                for piece in GPT2Split.split(normalized.scalars[...], family: family) {
                    // Each byte becomes an alphabet character; remember which scalar it came from.
                    var characters = String.UnicodeScalarView()
                    var sources: [Int] = []
                    for index in piece {
                        for byte in String(normalized.scalars[index]).utf8 {
                            characters.append(ByteLevelAlphabet.characters[Int(byte)])
                            sources.append(index)
                        }
                    }
                    for (id, range) in bpe.encode(Array(characters)) where !range.isEmpty {
                        let first = sources[range.lowerBound], last = sources[range.upperBound - 1]
                        body.ids.append(id)
                        body.tokens.append(vocabulary[id] ?? "")
                        body.offsets.append(normalized.originalSpan(first..<(last + 1)))
                    }
                }
            case let (_, .wordPiece(wordPiece)):
                let words = preTokenizer == .bert ? BertPreTokenizer.split(normalized) : [0..<normalized.scalars.count]
                for word in words {
                    for (id, token, range) in wordPiece.tokenize(normalized.scalars[word]) {
                        let span = normalized.originalSpan((word.lowerBound + range.lowerBound)..<(word.lowerBound + range.upperBound))
                        body.ids.append(id)
                        body.tokens.append(token)
                        body.offsets.append(span)
                    }
                }
            case let (_, .bpe(bpe)):
                var words = [0..<normalized.scalars.count]
                if case let .metaspace(replacement, scheme, split) = preTokenizer {
                    normalized.transform { $0 == " " ? [replacement] : [$0] }
                    let first = segmentStart == 0
                    if (scheme == "always" || (scheme == "first" && first)), normalized.scalars.first != replacement, let origin = normalized.origins.first {
                        normalized = NormalizedText(scalars: [replacement] + normalized.scalars, origins: [origin] + normalized.origins)
                    }
                    words = split ? Tokenizer.splitBefore(replacement, normalized.scalars) : [0..<normalized.scalars.count]
                }
                for word in words where !word.isEmpty {
                    for (id, range) in bpe.encode(Array(normalized.scalars[word])) {
                        body.ids.append(id)
                        body.tokens.append(vocabulary[id] ?? "")
                        body.offsets.append(normalized.originalSpan((word.lowerBound + range.lowerBound)..<(word.lowerBound + range.upperBound)))
                    }
                }
            }
        }
        // Added tokens are matched in the raw text, leftmost and then longest first.
        while position < scalars.count {
            if let match = addedTokens.first(where: { token in
                (parseSpecial || !token.special) && token.scalars.count <= scalars.count - position && scalars[position..<(position + token.scalars.count)].elementsEqual(token.scalars)
            }) {
                flush(upTo: position)
                body.ids.append(match.id)
                body.tokens.append(match.content)
                body.offsets.append((position, position + match.scalars.count))
                position += match.scalars.count
                segmentStart = position
            } else {
                position += 1
            }
        }
        flush(upTo: scalars.count)
        body.typeIds = body.ids.map { _ in 0 }
        body.specialTokensMask = body.ids.map { _ in 0 }
        guard addSpecialTokens else { return body }
        var result = Encoding()
        for (token, typeId) in template {
            if let token {
                let id = addedTokens.first { $0.content == token }?.id ?? vocab[Array(token.utf8)] ?? 0
                result.ids.append(id)
                result.tokens.append(token)
                result.offsets.append((0, 0))
                result.typeIds.append(typeId)
                result.specialTokensMask.append(1)
            } else {
                result.ids += body.ids
                result.tokens += body.tokens
                result.offsets += body.offsets
                result.typeIds += body.ids.map { _ in typeId }
                result.specialTokensMask += body.ids.map { _ in 0 }
            }
        }
        return result
    }

    /// Text for `ids` through the decoder; `skipSpecialTokens` drops special added tokens.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = true) throws(TokenizerError) -> String {
        var tokens: [String] = []
        for id in ids {
            guard let token = vocabulary[id] else { throw .unknownId(id) }
            if skipSpecialTokens && specialIds.contains(id) { continue }
            tokens.append(token)
        }
        for step in decoder { tokens = Tokenizer.apply(step, to: tokens) }
        return decoder.isEmpty ? tokens.joined(separator: " ") : tokens.joined()
    }

    /// One decoding step over the token strings.
    static func apply(_ step: DecoderStep, to tokens: [String]) -> [String] {
        switch step {
        case .byteLevel:
            var bytes: [UInt8] = []
            for token in tokens {
                for scalar in token.unicodeScalars {
                    if let byte = ByteLevelAlphabet.bytes[scalar.value] { bytes.append(byte) } else { bytes += Array(String(scalar).utf8) }
                }
            }
            return [String(decoding: bytes, as: UTF8.self)]
        case let .wordPiece(prefix, cleanup):
            let prefixScalars = Array(prefix.unicodeScalars)
            return tokens.enumerated().map { index, token in
                var piece = token
                if index != 0 {
                    // Compare scalars, not Characters: a combining mark after "##" joins its grapheme.
                    if piece.unicodeScalars.starts(with: prefixScalars) {
                        piece = String(String.UnicodeScalarView(piece.unicodeScalars.dropFirst(prefixScalars.count)))
                    } else {
                        piece = " " + piece
                    }
                }
                return cleanup ? Tokenizer.cleanup(piece) : piece
            }
        case let .replace(pattern, content):
            return tokens.map { $0.replacingOccurrences(of: pattern, with: content) }
        case .byteFallback:
            var result: [String] = []
            var pending: [UInt8] = []
            func flush() {
                guard !pending.isEmpty else { return }
                if let text = String(validating: pending, as: UTF8.self) { result.append(text) } else {
                    result.append(String(repeating: "\u{FFFD}", count: pending.count))
                }
                pending = []
            }
            for token in tokens {
                let scalars = Array(token.unicodeScalars)
                if scalars.count == 6, token.hasPrefix("<0x"), token.hasSuffix(">"),
                   let byte = UInt8(String(String.UnicodeScalarView(scalars[3..<5])), radix: 16) {
                    pending.append(byte)
                } else {
                    flush()
                    result.append(token)
                }
            }
            flush()
            return result
        case .fuse:
            return [tokens.joined()]
        case let .strip(content, start, stop):
            return tokens.map { token in
                var characters = Array(token.unicodeScalars)
                var removed = 0
                while removed < start, let first = characters.first, Character(first) == content { characters.removeFirst(); removed += 1 }
                removed = 0
                while removed < stop, let last = characters.last, Character(last) == content { characters.removeLast(); removed += 1 }
                return String(String.UnicodeScalarView(characters))
            }
        case let .metaspace(replacement, scheme):
            return tokens.enumerated().map { index, token in
                var text = token.replacingOccurrences(of: replacement, with: " ")
                if index == 0, scheme != "never", text.hasPrefix(" ") { text.removeFirst() }
                return text
            }
        }
    }

    /// Ranges with every numeric character (Unicode N*) on its own, the runs between kept whole.
    static func isolateDigits(_ scalars: [Unicode.Scalar]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        for (index, scalar) in scalars.enumerated() {
            switch scalar.properties.generalCategory {
            case .decimalNumber, .letterNumber, .otherNumber:
                if index > start { ranges.append(start..<index) }
                ranges.append(index..<(index + 1))
                start = index + 1
            default: break
            }
        }
        if start < scalars.count { ranges.append(start..<scalars.count) }
        return ranges
    }

    /// Word ranges that each start at an occurrence of `marker` (Metaspace with split).
    static func splitBefore(_ marker: Unicode.Scalar, _ scalars: [Unicode.Scalar]) -> [Range<Int>] {
        var words: [Range<Int>] = []
        var start = 0
        for (index, scalar) in scalars.enumerated() where scalar == marker && index > start {
            words.append(start..<index)
            start = index
        }
        if start < scalars.count { words.append(start..<scalars.count) }
        return words
    }

    /// The WordPiece decoder's cleanup of spaces before punctuation and English contractions.
    static func cleanup(_ text: String) -> String {
        var result = text
        for (from, to) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
                           (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
            result = result.replacingOccurrences(of: from, with: to)
        }
        return result
    }

    /// The number of entries in the vocabulary.
    public var vocabularySize: Int { vocabulary.count }
}
