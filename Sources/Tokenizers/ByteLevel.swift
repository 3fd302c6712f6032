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

/// The pre-tokenisation splits of byte-level BPE vocabularies: hand-written scanners with exactly
/// the semantics of their regular expressions (leftmost alternative first, greedy runs, the
/// `\s+(?!\S)` look-ahead), on Unicode scalars.
public enum GPT2Split {
    /// A split pattern family (GGUF `tokenizer.ggml.pre` values map onto these).
    public enum Family: Sendable, Equatable {
        /// GPT-2's `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
        case gpt2
        /// Every numeric character on its own, then GPT-2's pattern (StarCoder, SmolLM).
        case digitsThenGPT2
        /// Llama 3's `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
        case llama3
        /// Qwen2's pattern: Llama 3's with single digits.
        case qwen2
    }

    /// The source text of the patterns the scanners implement, to recognise them in a `Split`.
    static let patterns: [String: Family] = [
        #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#: .gpt2,
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#:
            .llama3,
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#:
            .qwen2,
    ]

    /// Scalar ranges (relative to `scalars`) of the pieces of `family`'s split.
    static func split(_ scalars: ArraySlice<Unicode.Scalar>, family: Family) -> [Range<Int>] {
        var pieces: [Range<Int>] = []
        pieces.reserveCapacity(scalars.count / 4 + 1)
        scalars.withContiguousStorageIfAvailable { buffer in
            switch family {
            case .gpt2: scanGPT2(buffer, 0..<buffer.count, into: &pieces)
            case .llama3: scanLlama3(buffer, digitRun: 3, into: &pieces)
            case .qwen2: scanLlama3(buffer, digitRun: 1, into: &pieces)
            case .digitsThenGPT2:
                var start = 0
                for index in 0..<buffer.count where isNumeric(buffer[index]) {
                    if index > start { scanGPT2(buffer, start..<index, into: &pieces) }
                    pieces.append(index..<(index + 1))
                    start = index + 1
                }
                if start < buffer.count { scanGPT2(buffer, start..<buffer.count, into: &pieces) }
            }
        } ?? { pieces = split(Array(scalars)[...], family: family) }()
        return pieces
    }

    @inline(__always) static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x80 { return (v | 0x20) >= 0x61 && (v | 0x20) <= 0x7A }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    /// Neither whitespace, letter nor number (`[^\s\p{L}\p{N}]`).
    @inline(__always) static func isOther(_ scalar: Unicode.Scalar) -> Bool {
        !isWhitespace(scalar) && !isLetter(scalar) && !isNumeric(scalar)
    }

    /// The end of the whitespace run at `start` as `\s+(?!\S)|\s+` takes it: all of it at the end
    /// of the text, else all but its last scalar (which goes with the next piece) when that leaves one.
    @inline(__always) static func whitespaceEnd(_ text: UnsafeBufferPointer<Unicode.Scalar>, _ start: Int, _ end: Int)
        -> Int
    {
        var run = start
        while run < end, isWhitespace(text[run]) { run += 1 }
        if run == end || run - start < 2 { return max(run, start + 1) }
        return run - 1
    }

    /// GPT-2's pattern over `range` of `text`.
    static func scanGPT2(
        _ text: UnsafeBufferPointer<Unicode.Scalar>, _ range: Range<Int>, into pieces: inout [Range<Int>]
    ) {
        var index = range.lowerBound
        let end = range.upperBound
        while index < end {
            let first = text[index]
            if first == "'", index + 1 < end {
                let second = text[index + 1]
                if second == "s" || second == "t" || second == "m" || second == "d" {
                    pieces.append(index..<(index + 2))
                    index += 2
                    continue
                }
                if index + 2 < end {
                    let third = text[index + 2]
                    if (second == "r" && third == "e") || (second == "v" && third == "e")
                        || (second == "l" && third == "l")
                    {
                        pieces.append(index..<(index + 3))
                        index += 3
                        continue
                    }
                }
            }
            let body = first == " " && index + 1 < end ? index + 1 : index
            let head = text[body]
            var stop = body + 1
            if isLetter(head) {
                while stop < end, isLetter(text[stop]) { stop += 1 }
            } else if isNumeric(head) {
                while stop < end, isNumeric(text[stop]) { stop += 1 }
            } else if !isWhitespace(head) {
                while stop < end, isOther(text[stop]) { stop += 1 }
            } else {
                stop = whitespaceEnd(text, index, end)
            }
            pieces.append(index..<stop)
            index = stop
        }
    }

    /// Llama 3's pattern (`digitRun` 3) or Qwen2's (`digitRun` 1) over all of `text`.
    static func scanLlama3(_ text: UnsafeBufferPointer<Unicode.Scalar>, digitRun: Int, into pieces: inout [Range<Int>])
    {
        var index = 0
        let end = text.count
        @inline(__always) func lower(_ scalar: Unicode.Scalar) -> UInt32 {
            scalar.value < 0x80 ? scalar.value | 0x20 : scalar.value
        }
        @inline(__always) func isNewline(_ scalar: Unicode.Scalar) -> Bool { scalar == "\r" || scalar == "\n" }
        while index < end {
            let first = text[index]
            if first == "'", index + 1 < end {
                let second = lower(text[index + 1])
                if second == 0x73 || second == 0x74 || second == 0x6D || second == 0x64 {
                    pieces.append(index..<(index + 2))
                    index += 2
                    continue
                }
                if index + 2 < end {
                    let third = lower(text[index + 2])
                    if (second == 0x72 && third == 0x65) || (second == 0x76 && third == 0x65)
                        || (second == 0x6C && third == 0x6C)
                    {
                        pieces.append(index..<(index + 3))
                        index += 3
                        continue
                    }
                }
            }
            // [^\r\n\p{L}\p{N}]?\p{L}+
            var letters = -1
            if isLetter(first) {
                letters = index
            } else if !isNewline(first), !isNumeric(first), index + 1 < end, isLetter(text[index + 1]) {
                letters = index + 1
            }
            if letters >= 0 {
                var stop = letters + 1
                while stop < end, isLetter(text[stop]) { stop += 1 }
                pieces.append(index..<stop)
                index = stop
                continue
            }
            // \p{N}{1,digitRun}
            if isNumeric(first) {
                var stop = index + 1
                while stop < end, stop - index < digitRun, isNumeric(text[stop]) { stop += 1 }
                pieces.append(index..<stop)
                index = stop
                continue
            }
            // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
            let body = first == " " && index + 1 < end ? index + 1 : index
            if isOther(text[body]) {
                var stop = body + 1
                while stop < end, isOther(text[stop]) { stop += 1 }
                while stop < end, isNewline(text[stop]) { stop += 1 }
                pieces.append(index..<stop)
                index = stop
                continue
            }
            // \s*[\r\n]+, then \s+(?!\S)|\s+
            var run = index
            var lastNewline = -1
            while run < end, isWhitespace(text[run]) {
                if isNewline(text[run]) { lastNewline = run }
                run += 1
            }
            let stop = lastNewline >= 0 ? lastNewline + 1 : whitespaceEnd(text, index, end)
            pieces.append(index..<stop)
            index = stop
        }
    }
}
