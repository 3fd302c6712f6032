import Foundation

/// Loading `tokenizer.json`: every component is read by its `type`; errors name the JSON path.
extension Tokenizer {
    /// Builds a tokenizer from a parsed `tokenizer.json` given as Foundation objects.
    public init(json: [String: Any]) throws(TokenizerError) {
        guard let data = try? JSONSerialization.data(withJSONObject: json) else {
            throw .malformedJSON(path: "<json>", reason: "not serialisable")
        }
        try self.init(source: [UInt8](data), name: "<json>")
    }

    /// Parses `source`; the model's vocabulary and merges, most of a large file, are read straight
    /// into their tables instead of through a JSON tree.
    init(source: [UInt8], name: String) throws(TokenizerError) {
        let root = try JSONReader.parse(source, name: name, deferring: [("vocab", "{"), ("merges", "[")])
        guard root.members != nil else {
            throw .malformedJSON(path: "tokenizer.json", reason: "the top level is not an object")
        }
        let normalizer = try TokenizerJSON.normalizer(root["normalizer"], "$.normalizer")
        let preTokenizer = try TokenizerJSON.preTokenizer(root["pre_tokenizer"], "$.pre_tokenizer")
        guard let modelValue = root["model"], modelValue.members != nil else {
            throw .invalidField(jsonPath: "$.model", reason: "missing")
        }
        let (model, vocabulary) = try TokenizerJSON.model(modelValue, "$.model", source: source, name: name)
        var addedTokens: [AddedToken] = []
        if let entries = root["added_tokens"], !entries.isNull {
            guard let list = entries.array else {
                throw .invalidField(jsonPath: "$.added_tokens", reason: "expected an array")
            }
            for (index, entry) in list.enumerated() {
                let path = "$.added_tokens[\(index)]"
                guard let content = entry["content"]?.string, let id = entry["id"]?.int, id >= 0 else {
                    throw .invalidField(jsonPath: path, reason: "needs a \"content\" string and a non-negative \"id\"")
                }
                let special = entry["special"]?.bool ?? false
                addedTokens.append(
                    AddedToken(
                        content: content, id: id, special: special, singleWord: entry["single_word"]?.bool ?? false,
                        leftStrip: entry["lstrip"]?.bool ?? false, rightStrip: entry["rstrip"]?.bool ?? false,
                        normalized: entry["normalized"]?.bool ?? !special))
            }
        }
        let postProcessor =
            try TokenizerJSON.postProcessor(root["post_processor"], "$.post_processor")
            ?? .template(
                single: [.sequence(index: 0, typeId: 0)],
                pair: [.sequence(index: 0, typeId: 0), .sequence(index: 1, typeId: 1)])
        let decoder = try TokenizerJSON.decoder(root["decoder"], "$.decoder")
        self.init(
            normalizer: normalizer, preTokenizer: preTokenizer, model: model, postProcessor: postProcessor,
            decoder: decoder,
            addedTokens: addedTokens, vocabulary: vocabulary,
            truncation: try TokenizerJSON.truncation(root["truncation"]),
            padding: try TokenizerJSON.padding(root["padding"]))
    }
}

/// The readers of each `tokenizer.json` section.
enum TokenizerJSON {
    /// The `type` of a component object, or nil for a missing or null component.
    static func type(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> String? {
        guard let value, !value.isNull else { return nil }
        guard value.members != nil else { throw .invalidField(jsonPath: path, reason: "expected an object") }
        guard let type = value["type"]?.string else { throw .invalidField(jsonPath: "\(path).type", reason: "missing") }
        return type
    }

    static func scalars(_ value: JSONValue?, _ path: String, default fallback: String? = nil) throws(TokenizerError)
        -> [Unicode.Scalar]
    {
        guard let text = value?.string ?? fallback else {
            throw .invalidField(jsonPath: path, reason: "expected a string")
        }
        return Array(text.unicodeScalars)
    }

    static func character(_ value: JSONValue?, _ path: String, default fallback: Unicode.Scalar? = nil)
        throws(TokenizerError) -> Unicode.Scalar
    {
        if value == nil || value?.isNull == true, let fallback { return fallback }
        guard let text = value?.string, text.unicodeScalars.count == 1, let scalar = text.unicodeScalars.first else {
            throw .invalidField(jsonPath: path, reason: "expected a one-character string")
        }
        return scalar
    }

    /// A `{"String": ...}` or `{"Regex": ...}` pattern.
    static func pattern(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> TextPattern {
        if let literal = value?["String"]?.string { return .literal(Array(literal.unicodeScalars)) }
        if let source = value?["Regex"]?.string {
            return try TextPattern.compile(regex: source, jsonPath: "\(path).Regex")
        }
        throw .invalidField(jsonPath: path, reason: "expected {\"String\": ...} or {\"Regex\": ...}")
    }

    static func normalizer(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> Normalizer? {
        guard let kind = try type(value, path), let value else { return nil }
        switch kind {
        case "BertNormalizer":
            return .bert(
                BertNormalizer(
                    cleanText: value["clean_text"]?.bool ?? true,
                    handleChineseChars: value["handle_chinese_chars"]?.bool ?? true,
                    stripAccents: value["strip_accents"]?.bool, lowercase: value["lowercase"]?.bool ?? true))
        case "NFC": return .unicode(.nfc)
        case "NFD": return .unicode(.nfd)
        case "NFKC": return .unicode(.nfkc)
        case "NFKD": return .unicode(.nfkd)
        case "Lowercase": return .lowercase
        case "StripAccents": return .stripAccents
        case "Strip": return .strip(left: value["strip_left"]?.bool ?? true, right: value["strip_right"]?.bool ?? true)
        case "Replace":
            return .replace(
                try pattern(value["pattern"], "\(path).pattern"), with: try scalars(value["content"], "\(path).content")
            )
        case "Prepend": return .prepend(try scalars(value["prepend"], "\(path).prepend"))
        case "Precompiled":
            guard let text = value["precompiled_charsmap"]?.string else {
                // A null map (as some conversions write) normalises nothing.
                return .sequence([])
            }
            return .precompiled(try PrecompiledCharsmap(base64: text, jsonPath: "\(path).precompiled_charsmap"))
        case "ByteLevel": return .byteLevel
        case "Sequence": return .sequence(try steps(value, path, "normalizers", normalizer))
        default: throw .unsupportedComponent(jsonPath: path, type: kind)
        }
    }

    /// The components of a `Sequence` listed under `key`, each read by `read` at its own path.
    static func steps<Step>(
        _ value: JSONValue, _ path: String, _ key: String,
        _ read: (JSONValue?, String) throws(TokenizerError) -> Step?
    ) throws(TokenizerError) -> [Step] {
        guard let list = value[key]?.array else {
            throw .invalidField(jsonPath: "\(path).\(key)", reason: "expected an array")
        }
        var steps: [Step] = []
        for (index, item) in list.enumerated() {
            if let step = try read(item, "\(path).\(key)[\(index)]") { steps.append(step) }
        }
        return steps
    }

    /// Metaspace's `prepend_scheme`, or the legacy `add_prefix_space` (false: never).
    static func prependScheme(_ value: JSONValue, _ path: String) throws(TokenizerError) -> PrependScheme {
        if let text = value["prepend_scheme"]?.string {
            guard let scheme = PrependScheme(rawValue: text) else {
                throw .invalidField(jsonPath: "\(path).prepend_scheme", reason: "unknown scheme '\(text)'")
            }
            return scheme
        }
        return value["add_prefix_space"]?.bool == false ? .never : .always
    }

    static func behavior(_ value: JSONValue?, _ path: String, default fallback: SplitBehavior) throws(TokenizerError)
        -> SplitBehavior
    {
        guard let text = value?.string else { return fallback }
        guard let behavior = SplitBehavior(rawValue: text) else {
            throw .invalidField(jsonPath: path, reason: "unknown behavior '\(text)'")
        }
        return behavior
    }

    static func preTokenizer(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> PreTokenizer? {
        guard let kind = try type(value, path), let value else { return nil }
        switch kind {
        case "BertPreTokenizer": return .bert
        case "ByteLevel":
            return .byteLevel(
                addPrefixSpace: value["add_prefix_space"]?.bool ?? true,
                split: value["use_regex"]?.bool == false ? nil : .gpt2)
        case "Whitespace": return .whitespace
        case "WhitespaceSplit": return .whitespaceSplit
        case "Metaspace":
            return .metaspace(
                replacement: try character(value["replacement"], "\(path).replacement", default: "\u{2581}"),
                prependScheme: try prependScheme(value, path),
                split: value["split"]?.bool ?? true)
        case "Split":
            return .split(
                try pattern(value["pattern"], "\(path).pattern"),
                try behavior(value["behavior"], "\(path).behavior", default: .removed),
                invert: value["invert"]?.bool ?? false)
        case "Punctuation": return .punctuation(try behavior(value["behavior"], "\(path).behavior", default: .isolated))
        case "Digits": return .digits(individual: value["individual_digits"]?.bool ?? false)
        case "CharDelimiterSplit": return .charDelimiter(try character(value["delimiter"], "\(path).delimiter"))
        case "UnicodeScripts": return .unicodeScripts
        case "Sequence": return .sequence(try steps(value, path, "pretokenizers", preTokenizer))
        default: throw .unsupportedComponent(jsonPath: path, type: kind)
        }
    }

    /// The model and its id-to-token table.
    static func model(_ value: JSONValue, _ path: String, source: [UInt8], name: String) throws(TokenizerError) -> (
        TokenizerModel, [String?]
    ) {
        // Old files leave the model's type out; tell the kinds apart by their fields.
        let kind =
            try type(value, path)
            ?? (value["merges"] != nil
                ? "BPE"
                : value["vocab"]?.array != nil
                    ? "Unigram"
                    : value["max_input_chars_per_word"] != nil || value["continuing_subword_prefix"] != nil
                        ? "WordPiece" : "WordLevel")
        if kind == "Unigram" {
            guard let list = value["vocab"]?.array else {
                throw .invalidField(jsonPath: "\(path).vocab", reason: "expected an array of [piece, score]")
            }
            var pieces: [(piece: String, score: Double)] = []
            pieces.reserveCapacity(list.count)
            var byId: [String?] = []
            byId.reserveCapacity(list.count)
            for (index, entry) in list.enumerated() {
                guard let pair = entry.array, pair.count == 2, let piece = pair[0].string, let score = pair[1].double
                else {
                    throw .invalidField(jsonPath: "\(path).vocab[\(index)]", reason: "expected [piece, score]")
                }
                pieces.append((piece, score))
                byId.append(piece)
            }
            let unknownId = value["unk_id"]?.int
            if let unknownId, unknownId < 0 || unknownId >= pieces.count {
                throw .invalidField(
                    jsonPath: "\(path).unk_id", reason: "\(unknownId) is outside the vocabulary of \(pieces.count)")
            }
            return (
                .unigram(
                    Unigram(pieces: pieces, unknownId: unknownId, byteFallback: value["byte_fallback"]?.bool ?? false)),
                byId
            )
        }
        guard ["BPE", "WordPiece", "WordLevel"].contains(kind) else {
            throw .unsupportedComponent(jsonPath: path, type: kind)
        }
        var vocab = VocabularyTable()
        var byId: [String?] = []
        var merges = MergeList()
        if case let .deferred(range) = value["vocab"] {
            // The vocabulary and the merges are read on two threads.
            let mergesRange: Range<Int>? = if case let .deferred(range) = value["merges"] { range } else { nil }
            let results = ConcurrentResults<VocabularyTable, MergeList>()
            DispatchQueue.concurrentPerform(iterations: 2) { part in
                if part == 0 {
                    results.first = Result { () throws(TokenizerError) in
                        try JSONReader.readVocabulary(source, range, name: name)
                    }
                } else if let mergesRange {
                    results.second = Result { () throws(TokenizerError) in
                        try JSONReader.readMerges(source, mergesRange, name: name)
                    }
                }
            }
            vocab = try results.first?.get() ?? VocabularyTable()
            merges = try results.second?.get() ?? MergeList()
        } else if let entries = value["vocab"]?.members {
            for (token, id) in entries {
                guard let number = id.int, number >= 0, number < 1_000_000_000 else {
                    throw .invalidField(
                        jsonPath: "\(path).vocab[\"\(String(decoding: token, as: UTF8.self))\"]",
                        reason: "not a non-negative integer id")
                }
                vocab.insert(token, id: number)
                if number >= byId.count { byId += [String?](repeating: nil, count: number + 1 - byId.count) }
                byId[number] = String(decoding: token, as: UTF8.self)
            }
        } else {
            throw .invalidField(jsonPath: "\(path).vocab", reason: "expected an object of token ids")
        }
        let unknown = value["unk_token"]?.bytes.flatMap { vocab[$0] }
        guard kind == "BPE" else {
            if byId.isEmpty { byId = vocab.names() }
            if kind == "WordLevel" { return (.wordLevel(WordLevel(vocab: vocab, unknownId: unknown)), byId) }
            return (
                .wordPiece(
                    WordPiece(
                        vocab: vocab, unknownId: vocab[Array((value["unk_token"]?.string ?? "[UNK]").utf8)],
                        continuingPrefix: Array((value["continuing_subword_prefix"]?.string ?? "##").utf8),
                        maxInputCharsPerWord: value["max_input_chars_per_word"]?.int ?? 100)), byId
            )
        }
        var pairs = merges
        for (index, entry) in (value["merges"]?.array ?? []).enumerated() {
            if let text = entry.bytes, let space = text.firstIndex(of: 0x20) {
                pairs.append(left: text[..<space], right: text[(space + 1)...])
            } else if let pair = entry.array, pair.count == 2, let left = pair[0].bytes, let right = pair[1].bytes {
                pairs.append(left: left, right: right)
            } else {
                throw .invalidField(jsonPath: "\(path).merges[\(index)]", reason: "expected \"a b\" or [\"a\", \"b\"]")
            }
        }
        let byteFallback = value["byte_fallback"]?.bool ?? false, fuseUnknown = value["fuse_unk"]?.bool ?? false
        let ignoreMerges = value["ignore_merges"]?.bool ?? false
        let prefix = Array(value["continuing_subword_prefix"]?.bytes ?? []),
            suffix = Array(value["end_of_word_suffix"]?.bytes ?? [])
        // The merge table and the id-to-text table are built on two threads.
        let needsNames = byId.isEmpty
        let (table, rules) = (vocab, pairs)
        let results = ConcurrentResults<BPEModel, [String?]>()
        DispatchQueue.concurrentPerform(iterations: 2) { part in
            if part == 0 {
                results.first = Result { () throws(TokenizerError) in
                    try BPEModel(
                        vocab: table, merges: rules, byteFallback: byteFallback, unknownId: unknown,
                        fuseUnknown: fuseUnknown,
                        ignoreMerges: ignoreMerges, continuingPrefix: prefix, endOfWordSuffix: suffix)
                }
            } else if needsNames {
                results.second = .success(table.names())
            }
        }
        if let names = try results.second?.get() { byId = names }
        guard let model = try results.first?.get() else {
            throw .invalidField(jsonPath: path, reason: "the model could not be built")
        }
        return (.bpe(model), byId)
    }

    /// A `[token, id]` pair of BertProcessing/RobertaProcessing.
    static func tokenPair(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> (String, Int) {
        guard let pair = value?.array, pair.count == 2, let token = pair[0].string, let id = pair[1].int else {
            throw .invalidField(jsonPath: path, reason: "expected [token, id]")
        }
        return (token, id)
    }

    static func postProcessor(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> PostProcessor? {
        guard let kind = try type(value, path), let value else { return nil }
        switch kind {
        case "TemplateProcessing":
            var specials: [String: (ids: [Int], tokens: [String])] = [:]
            for (key, entry) in value["special_tokens"]?.members ?? [] {
                guard let ids = entry["ids"]?.array?.compactMap(\.int),
                    let tokens = entry["tokens"]?.array?.compactMap(\.string), ids.count == tokens.count
                else {
                    throw .invalidField(
                        jsonPath: "\(path).special_tokens", reason: "each entry needs ids and tokens of the same length"
                    )
                }
                specials[String(decoding: key, as: UTF8.self)] = (ids, tokens)
            }
            func template(_ name: String) throws(TokenizerError) -> [TemplatePiece]? {
                guard let list = value[name]?.array else { return nil }
                var pieces: [TemplatePiece] = []
                for (index, item) in list.enumerated() {
                    let itemPath = "\(path).\(name)[\(index)]"
                    if let special = item["SpecialToken"], let id = special["id"]?.string {
                        guard let entry = specials[id] else {
                            throw .invalidField(
                                jsonPath: itemPath, reason: "special token '\(id)' is not in special_tokens")
                        }
                        pieces.append(
                            .special(ids: entry.ids, tokens: entry.tokens, typeId: special["type_id"]?.int ?? 0))
                    } else if let sequence = item["Sequence"], let id = sequence["id"]?.string, id == "A" || id == "B" {
                        pieces.append(.sequence(index: id == "A" ? 0 : 1, typeId: sequence["type_id"]?.int ?? 0))
                    } else {
                        throw .invalidField(
                            jsonPath: itemPath,
                            reason: "expected {\"SpecialToken\": ...} or {\"Sequence\": {\"id\": \"A\"|\"B\"}}")
                    }
                }
                return pieces
            }
            let single = try template("single") ?? [.sequence(index: 0, typeId: 0)]
            let pair = try template("pair") ?? single + [.sequence(index: 1, typeId: 1)]
            return .template(single: single, pair: pair)
        case "BertProcessing":
            let (sep, sepId) = try tokenPair(value["sep"], "\(path).sep"),
                (cls, clsId) = try tokenPair(value["cls"], "\(path).cls")
            let clsPiece = TemplatePiece.special(ids: [clsId], tokens: [cls], typeId: 0)
            return .template(
                single: [clsPiece, .sequence(index: 0, typeId: 0), .special(ids: [sepId], tokens: [sep], typeId: 0)],
                pair: [
                    clsPiece, .sequence(index: 0, typeId: 0), .special(ids: [sepId], tokens: [sep], typeId: 0),
                    .sequence(index: 1, typeId: 1), .special(ids: [sepId], tokens: [sep], typeId: 1),
                ])
        case "RobertaProcessing":
            let (sep, sepId) = try tokenPair(value["sep"], "\(path).sep"),
                (cls, clsId) = try tokenPair(value["cls"], "\(path).cls")
            let clsPiece = TemplatePiece.special(ids: [clsId], tokens: [cls], typeId: 0)
            let sepPiece = TemplatePiece.special(ids: [sepId], tokens: [sep], typeId: 0)
            let template = PostProcessor.template(
                single: [clsPiece, .sequence(index: 0, typeId: 0), sepPiece],
                pair: [
                    clsPiece, .sequence(index: 0, typeId: 0), sepPiece, sepPiece, .sequence(index: 1, typeId: 0),
                    sepPiece,
                ])
            guard value["trim_offsets"]?.bool ?? true else { return template }
            return .sequence([.trimOffsets(addPrefixSpace: value["add_prefix_space"]?.bool ?? true), template])
        case "ByteLevel":
            guard value["trim_offsets"]?.bool ?? true else { return .sequence([]) }
            return .trimOffsets(addPrefixSpace: value["add_prefix_space"]?.bool ?? true)
        case "Sequence": return .sequence(try steps(value, path, "processors", postProcessor))
        default: throw .unsupportedComponent(jsonPath: path, type: kind)
        }
    }

    static func decoder(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> [Decoder] {
        guard let kind = try type(value, path), let value else { return [] }
        switch kind {
        case "ByteLevel": return [.byteLevel]
        case "WordPiece":
            return [.wordPiece(prefix: value["prefix"]?.string ?? "##", cleanup: value["cleanup"]?.bool ?? true)]
        case "Metaspace":
            return [
                .metaspace(
                    replacement: try character(value["replacement"], "\(path).replacement", default: "\u{2581}"),
                    prependScheme: try prependScheme(value, path))
            ]
        case "BPEDecoder": return [.bpe(suffix: value["suffix"]?.string ?? "</w>")]
        case "ByteFallback": return [.byteFallback]
        case "Fuse": return [.fuse]
        case "Strip":
            return [
                .strip(
                    content: try character(value["content"], "\(path).content", default: " "),
                    start: value["start"]?.int ?? 0, stop: value["stop"]?.int ?? 0)
            ]
        case "Replace":
            return [
                .replace(
                    try pattern(value["pattern"], "\(path).pattern"),
                    with: try scalars(value["content"], "\(path).content"))
            ]
        case "CTC":
            return [
                .ctc(
                    padToken: value["pad_token"]?.string ?? "<pad>",
                    wordDelimiter: value["word_delimiter_token"]?.string ?? "|",
                    cleanup: value["cleanup"]?.bool ?? true)
            ]
        case "Sequence": return try steps(value, path, "decoders", decoder).flatMap { $0 }
        default: throw .unsupportedComponent(jsonPath: path, type: kind)
        }
    }

    static func truncation(_ value: JSONValue?) throws(TokenizerError) -> Truncation? {
        guard let value, !value.isNull else { return nil }
        guard let maxLength = value["max_length"]?.int, maxLength >= 0 else {
            throw .invalidField(jsonPath: "$.truncation.max_length", reason: "expected a length")
        }
        var settings = Truncation(maxLength: maxLength, stride: max(0, value["stride"]?.int ?? 0))
        if let text = value["strategy"]?.string {
            guard let strategy = Truncation.Strategy(rawValue: text) else {
                throw .invalidField(jsonPath: "$.truncation.strategy", reason: "unknown strategy '\(text)'")
            }
            settings.strategy = strategy
        }
        if let text = value["direction"]?.string {
            guard let direction = Truncation.Direction(rawValue: text) else {
                throw .invalidField(jsonPath: "$.truncation.direction", reason: "unknown direction '\(text)'")
            }
            settings.direction = direction
        }
        return settings
    }

    static func padding(_ value: JSONValue?) throws(TokenizerError) -> Padding? {
        guard let value, !value.isNull else { return nil }
        var settings = Padding()
        if let strategy = value["strategy"], strategy.string != "BatchLongest" {
            guard let length = strategy["Fixed"]?.int, length >= 0 else {
                throw .invalidField(
                    jsonPath: "$.padding.strategy", reason: "expected \"BatchLongest\" or {\"Fixed\": n}")
            }
            guard length <= Padding.maximumLength else {
                throw .invalidField(
                    jsonPath: "$.padding.strategy.Fixed",
                    reason: "\(length) is longer than the longest padding supported (\(Padding.maximumLength) tokens)")
            }
            settings.fixedLength = length
        }
        settings.multipleOf = value["pad_to_multiple_of"]?.int
        if let multiple = settings.multipleOf, !(0...Padding.maximumLength).contains(multiple) {
            throw .invalidField(
                jsonPath: "$.padding.pad_to_multiple_of", reason: "\(multiple) is outside 0...\(Padding.maximumLength)")
        }
        if let text = value["direction"]?.string {
            guard let direction = Padding.Direction(rawValue: text) else {
                throw .invalidField(jsonPath: "$.padding.direction", reason: "unknown direction '\(text)'")
            }
            settings.direction = direction
        }
        settings.id = value["pad_id"]?.int ?? 0
        settings.typeId = value["pad_type_id"]?.int ?? 0
        settings.token = value["pad_token"]?.string ?? "[PAD]"
        return settings
    }
}

/// Results two concurrent tasks write, each to its own field.
// @unchecked Sendable: each of the two tasks writes only its own field, and the fields are read
// after both tasks have finished (the concurrentPerform call returns).
final class ConcurrentResults<First, Second>: @unchecked Sendable {
    var first: Result<First, TokenizerError>?
    var second: Result<Second, TokenizerError>?
}
