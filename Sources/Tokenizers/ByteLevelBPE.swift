/// GPT-2's byte-level alphabet: every byte maps to a printable character, so byte sequences are
/// ordinary strings for the BPE model.
enum ByteLevelAlphabet {
    /// The character for each byte.
    static let characters: [Unicode.Scalar] = {
        var printable = Array(33...126) + Array(161...172) + Array(174...255)
        var codes = printable
        var next = 0
        for byte in 0..<256 where !printable.contains(byte) {
            printable.append(byte)
            codes.append(256 + next)
            next += 1
        }
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        for (byte, code) in zip(printable, codes) { table[byte] = Unicode.Scalar(UInt32(code)) ?? " " }
        return table
    }()

    /// The byte for each alphabet character.
    static let bytes: [UInt32: UInt8] = {
        var table: [UInt32: UInt8] = [:]
        for (byte, scalar) in characters.enumerated() { table[scalar.value] = UInt8(byte) }
        return table
    }()
}

/// The GPT-2 pre-tokenisation pattern, matched on Unicode scalars as the Rust regex engines do.
enum GPT2Split {
    // A constant pattern, known to compile: the `try!` cannot fail on input.
    nonisolated(unsafe) static let pattern: Regex<AnyRegexOutput> =
        try! Regex(#"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#).matchingSemantics(.unicodeScalar)

    /// Scalar ranges (relative to `scalars`) of the pieces.
    static func split(_ scalars: ArraySlice<Unicode.Scalar>) -> [Range<Int>] {
        let text = String(String.UnicodeScalarView(scalars))
        var pieces: [Range<Int>] = []
        var cursor = text.unicodeScalars.startIndex
        var offset = 0
        for match in text.matches(of: pattern) {
            let start = offset + text.unicodeScalars.distance(from: cursor, to: match.range.lowerBound)
            let length = text.unicodeScalars.distance(from: match.range.lowerBound, to: match.range.upperBound)
            pieces.append(start..<(start + length))
            cursor = match.range.upperBound
            offset = start + length
        }
        return pieces
    }
}

/// Byte-pair encoding over ids: merge ranks keyed by the pair of ids.
final class BPEModel: Sendable {
    let vocab: [String: Int]
    private let merges: [UInt64: (rank: Int, result: Int)]

    init(vocab: [String: Int], merges: [(String, String)]) throws(TokenizerError) {
        self.vocab = vocab
        var table: [UInt64: (Int, Int)] = [:]
        table.reserveCapacity(merges.count)
        for (rank, (left, right)) in merges.enumerated() {
            guard let a = vocab[left], let b = vocab[right], let merged = vocab[left + right] else {
                throw .invalidField(jsonPath: "$.model.merges[\(rank)]", reason: "'\(left) \(right)' uses tokens missing from the vocabulary")
            }
            let key = UInt64(UInt32(truncatingIfNeeded: a)) << 32 | UInt64(UInt32(truncatingIfNeeded: b))
            if table[key] == nil { table[key] = (rank, merged) }
        }
        self.merges = table
    }

    /// Ids for one pre-token given as alphabet characters (-1 for a character outside the vocabulary).
    func encode(_ word: String) -> [Int] {
        var ids = word.unicodeScalars.map { vocab[String($0)] ?? -1 }
        while ids.count > 1 {
            var best: (rank: Int, position: Int, result: Int)?
            for i in 0..<(ids.count - 1) {
                let key = UInt64(UInt32(truncatingIfNeeded: ids[i])) << 32 | UInt64(UInt32(truncatingIfNeeded: ids[i + 1]))
                if let merge = merges[key], merge.rank < (best?.rank ?? Int.max) { best = (merge.rank, i, merge.result) }
            }
            guard let best else { break }
            ids[best.position] = best.result
            ids.remove(at: best.position + 1)
        }
        return ids
    }
}
