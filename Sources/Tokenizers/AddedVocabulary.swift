/// A token added on top of the model's vocabulary (`tokenizer.json` `added_tokens`).
public struct AddedToken: Sendable, Equatable {
    public var content: String
    public var id: Int
    /// Special tokens are skipped when decoding with `skipSpecialTokens`.
    public var special: Bool
    /// Matches only where no word character touches it on either side.
    public var singleWord: Bool
    /// Also takes the whitespace before it (`lstrip`) or after it (`rstrip`).
    public var leftStrip: Bool
    public var rightStrip: Bool
    /// Matched in the normalised text (as the normaliser writes its content) instead of the raw text.
    public var normalized: Bool

    public init(
        content: String, id: Int, special: Bool, singleWord: Bool = false, leftStrip: Bool = false,
        rightStrip: Bool = false,
        normalized: Bool = false
    ) {
        self.content = content
        self.id = id
        self.special = special
        self.singleWord = singleWord
        self.leftStrip = leftStrip
        self.rightStrip = rightStrip
        self.normalized = normalized
    }
}

/// Finds added tokens in text, leftmost and then longest first, as `tokenizers` does: the raw
/// text is cut at the tokens that are not normalised, each remaining part is normalised, and the
/// normalised ones are then found in it.
struct AddedVocabulary: Sendable {
    let tokens: [AddedToken]
    /// The normaliser's rewrite of each normalised token's content, by id (what `tokenizers`
    /// reports as the token's text).
    let normalizedContents: [Int: String]
    private let rawTrie: PieceTrie
    private let normalizedTrie: PieceTrie
    private let hasRaw: Bool
    private let hasNormalized: Bool

    init(tokens: [AddedToken], normalizer: Normalizer?) {
        self.tokens = tokens
        var raw = PieceTrie(), normalized = PieceTrie()
        var hasRaw = false, hasNormalized = false
        var contents: [Int: String] = [:]
        for (index, token) in tokens.enumerated() where !token.content.isEmpty {
            if token.normalized, let normalizer {
                var text = NormalizedText(Array(token.content.unicodeScalars)[...], startingAt: 0)
                normalizer.normalize(&text)
                guard !text.isEmpty else { continue }
                normalized.insert(text.scalars, id: index)
                hasNormalized = true
                contents[token.id] = String(String.UnicodeScalarView(text.scalars))
            } else {
                raw.insert(Array(token.content.unicodeScalars), id: index)
                hasRaw = true
            }
        }
        rawTrie = raw
        normalizedTrie = normalized
        self.hasRaw = hasRaw
        self.hasNormalized = hasNormalized
        normalizedContents = contents
    }

    /// The runs of `text`: each either an added token (its index in `tokens`) or text between them.
    /// `normalized` selects which tokens are looked for; `parseSpecial: false` ignores special ones.
    func split(_ text: [Unicode.Scalar], normalized: Bool, parseSpecial: Bool) -> [(range: Range<Int>, token: Int?)] {
        guard normalized ? hasNormalized : hasRaw, !text.isEmpty else { return [(0..<text.count, nil)] }
        let trie = normalized ? normalizedTrie : rawTrie
        var runs: [(range: Range<Int>, token: Int?)] = []
        var runStart = 0
        var position = 0
        while position < text.count {
            var longest: (length: Int, index: Int)?
            trie.forEachPrefix(of: text, from: position) { length, index in
                if parseSpecial || !tokens[index].special { longest = (length, index) }
            }
            guard let (length, index) = longest else {
                position += 1
                continue
            }
            var start = position
            var stop = position + length
            position = stop
            let token = tokens[index]
            if token.singleWord {
                let wordBefore = start > 0 && isWordCharacter(text[start - 1])
                let wordAfter = stop < text.count && isWordCharacter(text[stop])
                if wordBefore || wordAfter { continue }
            }
            if token.leftStrip {
                while start > runStart, isWhitespace(text[start - 1]) { start -= 1 }
            }
            if token.rightStrip {
                while stop < text.count, isWhitespace(text[stop]) { stop += 1 }
                position = stop
            }
            if runStart < start { runs.append((runStart..<start, nil)) }
            runs.append((start..<stop, index))
            runStart = stop
        }
        if runStart < text.count { runs.append((runStart..<text.count, nil)) }
        return runs
    }
}
