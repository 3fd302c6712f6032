/// WordPiece: greedy longest-match-first sub-words, continuation pieces prefixed; a word longer
/// than `maxInputCharsPerWord` scalars, or with a part no entry matches, is the unknown token.
struct WordPiece: Sendable {
    let vocab: VocabularyTable
    let unknownId: Int?
    let continuingPrefix: [UInt8]
    let maxInputCharsPerWord: Int

    /// Appends the tokens of one word (`tokens` ranges are relative to the word's start).
    func tokenize(_ word: ArraySlice<Unicode.Scalar>, into tokens: inout [ModelToken]) {
        guard !word.isEmpty else { return }
        func unknown(_ tokens: inout [ModelToken]) {
            if let unknownId { tokens.append(ModelToken(id: unknownId, range: 0..<word.count)) }
        }
        if word.count > maxInputCharsPerWord { return unknown(&tokens) }
        // UTF-8 of the word with the byte offset where each scalar starts.
        var bytes: [UInt8] = []
        var starts: [Int] = []
        bytes.reserveCapacity(word.count)
        starts.reserveCapacity(word.count + 1)
        for scalar in word {
            starts.append(bytes.count)
            if scalar.value < 0x80 { bytes.append(UInt8(truncatingIfNeeded: scalar.value)) } else { bytes += Array(String(scalar).utf8) }
        }
        starts.append(bytes.count)
        let first = tokens.count
        var start = 0
        var candidate: [UInt8] = []
        candidate.reserveCapacity(bytes.count + continuingPrefix.count)
        while start < word.count {
            var end = word.count
            var found: Int?
            while end > start {
                candidate.removeAll(keepingCapacity: true)
                if start > 0 { candidate += continuingPrefix }
                candidate += bytes[starts[start]..<starts[end]]
                if let id = vocab[candidate] { found = id; break }
                end -= 1
            }
            guard let found else {
                tokens.removeSubrange(first...)
                return unknown(&tokens)
            }
            tokens.append(ModelToken(id: found, range: start..<end))
            start = end
        }
    }
}
