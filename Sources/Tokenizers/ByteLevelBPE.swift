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

/// The pre-tokenisation splits of byte-level BPE vocabularies, matched on Unicode scalars as the
/// Rust regex engines (and llama.cpp's splitter) do.
public enum GPT2Split {
    /// A split pattern family (GGUF `tokenizer.ggml.pre` values map onto these).
    public enum Family: Sendable, Equatable {
        /// GPT-2's pattern.
        case gpt2
        /// Every numeric character on its own, then GPT-2's pattern (StarCoder, SmolLM).
        case digitsThenGPT2
        /// Llama 3's pattern: case-insensitive contractions, digit runs of at most three.
        case llama3
        /// Qwen2's pattern: Llama 3's with single digits.
        case qwen2
    }

    // Constant patterns, known to compile: the `try!` cannot fail on input.
    nonisolated(unsafe) static let gpt2Pattern: Regex<AnyRegexOutput> =
        try! Regex(#"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#).matchingSemantics(.unicodeScalar)
    nonisolated(unsafe) static let llama3Pattern: Regex<AnyRegexOutput> =
        try! Regex(#"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#).matchingSemantics(.unicodeScalar)
    nonisolated(unsafe) static let qwen2Pattern: Regex<AnyRegexOutput> =
        try! Regex(#"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#).matchingSemantics(.unicodeScalar)

    /// Scalar ranges (relative to `scalars`) of the pieces of `family`'s split.
    static func split(_ scalars: ArraySlice<Unicode.Scalar>, family: Family) -> [Range<Int>] {
        switch family {
        case .gpt2: return split(scalars, pattern: gpt2Pattern)
        case .llama3: return split(scalars, pattern: llama3Pattern)
        case .qwen2: return split(scalars, pattern: qwen2Pattern)
        case .digitsThenGPT2:
            let base = scalars.startIndex
            return Tokenizer.isolateDigits(Array(scalars)).flatMap { section in
                split(scalars[(base + section.lowerBound)..<(base + section.upperBound)], pattern: gpt2Pattern)
                    .map { ($0.lowerBound + section.lowerBound)..<($0.upperBound + section.lowerBound) }
            }
        }
    }

    static func split(_ scalars: ArraySlice<Unicode.Scalar>, pattern: Regex<AnyRegexOutput>) -> [Range<Int>] {
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
    let vocab: [[UInt8]: Int]
    private let merges: [UInt64: (rank: Int, result: Int)]
    /// Characters missing from the vocabulary become their UTF-8 bytes as `<0xHH>` tokens.
    let byteFallback: Bool
    /// The id for anything else unknown (nil: dropped).
    let unknownId: Int?
    /// Runs of unknown characters become one unknown token.
    let fuseUnknown: Bool
    /// A word that is itself in the vocabulary is one token, whatever the merges would give (Llama 3).
    let ignoreMerges: Bool

    init(vocab: [[UInt8]: Int], merges: [([UInt8], [UInt8])], byteFallback: Bool = false, unknownId: Int? = nil, fuseUnknown: Bool = false,
         ignoreMerges: Bool = false) throws(TokenizerError) {
        self.vocab = vocab
        self.ignoreMerges = ignoreMerges
        self.byteFallback = byteFallback
        self.unknownId = unknownId
        self.fuseUnknown = fuseUnknown
        var table: [UInt64: (Int, Int)] = [:]
        table.reserveCapacity(merges.count)
        for (rank, (left, right)) in merges.enumerated() {
            guard let a = vocab[left], let b = vocab[right], let merged = vocab[left + right] else {
                let text = String(decoding: left, as: UTF8.self) + " " + String(decoding: right, as: UTF8.self)
                throw .invalidField(jsonPath: "$.model.merges[\(rank)]", reason: "'\(text)' uses tokens missing from the vocabulary")
            }
            let key = UInt64(UInt32(truncatingIfNeeded: a)) << 32 | UInt64(UInt32(truncatingIfNeeded: b))
            if table[key] == nil { table[key] = (rank, merged) }
        }
        self.merges = table
    }

    /// Token ids for one word, each with the range of the word's scalars it covers.
    func encode(_ word: [Unicode.Scalar]) -> [(id: Int, range: Range<Int>)] {
        if ignoreMerges, let id = vocab[Array(String(String.UnicodeScalarView(word)).utf8)] { return [(id, 0..<word.count)] }
        var symbols: [(id: Int, range: Range<Int>, known: Bool)] = []
        for (index, scalar) in word.enumerated() {
            if let id = vocab[Array(String(scalar).utf8)] {
                symbols.append((id, index..<(index + 1), true))
                continue
            }
            if byteFallback {
                let bytes = Array(String(scalar).utf8)
                let ids = bytes.compactMap { vocab[Array(("<0x" + String($0, radix: 16, uppercase: true).leftPadded(to: 2) + ">").utf8)] }
                if ids.count == bytes.count {
                    for id in ids { symbols.append((id, index..<(index + 1), false)) }
                    continue
                }
            }
            guard let unknownId else { continue }
            if fuseUnknown, let last = symbols.last, last.id == unknownId, !last.known, last.range.upperBound == index {
                symbols[symbols.count - 1].range = last.range.lowerBound..<(index + 1)
            } else {
                symbols.append((unknownId, index..<(index + 1), false))
            }
        }
        while symbols.count > 1 {
            var best: (rank: Int, position: Int, result: Int)?
            for i in 0..<(symbols.count - 1) {
                let key = UInt64(UInt32(truncatingIfNeeded: symbols[i].id)) << 32 | UInt64(UInt32(truncatingIfNeeded: symbols[i + 1].id))
                if let merge = merges[key], merge.rank < (best?.rank ?? Int.max) { best = (merge.rank, i, merge.result) }
            }
            guard let best else { break }
            let left = symbols[best.position], right = symbols[best.position + 1]
            symbols[best.position] = (best.result, left.range.lowerBound..<right.range.upperBound, true)
            symbols.remove(at: best.position + 1)
        }
        return symbols.map { ($0.id, $0.range) }
    }
}

extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
