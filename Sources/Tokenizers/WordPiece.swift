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
        if word.count > maxInputCharsPerWord {
            if let unknownId { tokens.append(ModelToken(id: unknownId, range: 0..<word.count)) }
            return
        }
        let first = tokens.count
        let prefixLength = continuingPrefix.count
        let found = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: word.count * 4) { bytes in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: prefixLength + word.count * 4) { candidate in
                withUnsafeTemporaryAllocation(of: Int.self, capacity: word.count + 1) { starts in
                    // The word's UTF-8, with starts[i] where scalar i begins.
                    var length = 0
                    for (index, scalar) in word.enumerated() {
                        starts[index] = length
                        if scalar.value < 0x80 {
                            bytes[length] = UInt8(truncatingIfNeeded: scalar.value)
                            length += 1
                        } else {
                            for byte in String(scalar).utf8 {
                                bytes[length] = byte
                                length += 1
                            }
                        }
                    }
                    starts[word.count] = length
                    for (offset, byte) in continuingPrefix.enumerated() { candidate[offset] = byte }
                    let longest = vocab.longestKey
                    var start = 0
                    while start < word.count {
                        var end = word.count
                        // Pieces longer than every entry cannot match: start from the longest that could,
                        // which keeps long words linear.
                        let budget = starts[start] + longest - (start > 0 ? prefixLength : 0)
                        if starts[end] > budget {
                            var low = start + 1, high = end
                            while low < high {
                                let middle = (low + high + 1) / 2
                                if starts[middle] <= budget { low = middle } else { high = middle - 1 }
                            }
                            end = low
                        }
                        var match: Int?
                        while end > start {
                            let from = starts[start], to = starts[end]
                            if start == 0 {
                                match = vocab.lookup(UnsafeBufferPointer(rebasing: bytes[from..<to]))
                            } else {
                                for offset in 0..<(to - from) {
                                    candidate[prefixLength + offset] = bytes[from + offset]
                                }
                                match = vocab.lookup(
                                    UnsafeBufferPointer(rebasing: candidate[0..<(prefixLength + to - from)]))
                            }
                            if match != nil { break }
                            end -= 1
                        }
                        guard let id = match else { return false }
                        tokens.append(ModelToken(id: id, range: start..<end))
                        start = end
                    }
                    return true
                }
            }
        }
        if !found {
            tokens.removeSubrange(first...)
            if let unknownId { tokens.append(ModelToken(id: unknownId, range: 0..<word.count)) }
        }
    }
}
