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
            var ranges: [Range<Int>] = []
            for section in SplitBehavior.isolated.apply(TextPattern.scalar(isNumeric).matches(in: scalars)) where !section.isEmpty {
                let base = scalars.startIndex + section.lowerBound
                for piece in split(scalars[base..<(base + section.count)], pattern: gpt2Pattern) {
                    ranges.append((piece.lowerBound + section.lowerBound)..<(piece.upperBound + section.lowerBound))
                }
            }
            return ranges
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

