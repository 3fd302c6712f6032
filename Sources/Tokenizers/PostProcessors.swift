/// One element of a post-processing template: a sequence (`$A`/`$B`) or a special token.
enum TemplatePiece: Sendable {
    case sequence(index: Int, typeId: Int)
    case special(ids: [Int], tokens: [String], typeId: Int)
}

/// A `tokenizer.json` post-processor: adds template tokens around the encoded sequence(s).
/// BertProcessing and RobertaProcessing are loaded as their templates.
indirect enum PostProcessor: Sendable {
    case template(single: [TemplatePiece], pair: [TemplatePiece])
    /// ByteLevel offset trimming: offsets leave out leading and trailing spaces of each token.
    case trimOffsets(addPrefixSpace: Bool)
    case sequence([PostProcessor])

    /// How many tokens the template adds to one sequence or a pair.
    func addedTokenCount(pair: Bool) -> Int {
        switch self {
        case let .template(single, pairTemplate):
            return (pair ? pairTemplate : single).reduce(0) { count, piece in
                if case let .special(ids, _, _) = piece { return count + ids.count }
                return count
            }
        case .trimOffsets: return 0
        case let .sequence(steps): return steps.reduce(0) { $0 + $1.addedTokenCount(pair: pair) }
        }
    }

    /// Processes the encodings of the sequences into the list of parts that are merged in order.
    func process(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        switch self {
        case let .template(single, pair):
            let template = encodings.count > 1 ? pair : single
            var parts: [Encoding] = []
            for piece in template {
                switch piece {
                case let .sequence(index, typeId):
                    guard index < encodings.count else { continue }
                    var part = encodings[index]
                    part.typeIds = part.ids.map { _ in typeId }
                    part.sequenceIds = part.ids.map { _ in index }
                    parts.append(part)
                case let .special(ids, tokens, typeId):
                    guard addSpecialTokens else { continue }
                    var part = Encoding()
                    for (id, token) in zip(ids, tokens) {
                        part.append(id: id, token: token, offsets: (0, 0), typeId: typeId, special: true, sequence: nil)
                    }
                    parts.append(part)
                }
            }
            return parts
        case let .trimOffsets(addPrefixSpace):
            return encodings.map { encoding in
                var trimmed = encoding
                PostProcessor.trim(&trimmed, addPrefixSpace: addPrefixSpace)
                for index in trimmed.overflowing.indices {
                    PostProcessor.trim(&trimmed.overflowing[index], addPrefixSpace: addPrefixSpace)
                }
                return trimmed
            }
        case let .sequence(steps):
            return steps.reduce(encodings) { $1.process($0, addSpecialTokens: addSpecialTokens) }
        }
    }

    /// Moves each token's offsets past its leading spaces and before its trailing ones (`Ġ` or
    /// whitespace), except one leading space of a first token when the prefix space was added.
    static func trim(_ encoding: inout Encoding, addPrefixSpace: Bool) {
        let space = ByteLevelAlphabet.characters[0x20]
        func isSpace(_ scalar: Unicode.Scalar) -> Bool { scalar == space || scalar.properties.isWhitespace }
        for index in encoding.tokens.indices {
            let scalars = Array(encoding.tokens[index].unicodeScalars)
            var leading = scalars.prefix { isSpace($0) }.count
            let trailing = scalars.reversed().prefix { isSpace($0) }.count
            var (start, end) = encoding.offsets[index]
            if leading > 0 {
                if (index == 0 || start == 0) && addPrefixSpace && leading == 1 { leading = 0 }
                start = min(start + leading, end)
            }
            if trailing > 0 && end >= trailing { end = max(end - trailing, start) }
            encoding.offsets[index] = (start, end)
        }
    }
}
