import Foundation

/// BertNormalizer: clean text, pad CJK ideographs with spaces, strip accents, lowercase.
struct BertNormalizer {
    var cleanText = true
    var handleChineseChars = true
    var stripAccents: Bool? = nil
    var lowercase = true

    func normalize(_ text: inout NormalizedText) {
        if cleanText {
            text.transform { scalar in
                if scalar.value == 0 || scalar.value == 0xFFFD || BertNormalizer.isControl(scalar) { return [] }
                return BertNormalizer.isWhitespace(scalar) ? [" "] : [scalar]
            }
        }
        if handleChineseChars {
            text.transform { BertNormalizer.isChinese($0) ? [" ", $0, " "] : [$0] }
        }
        if stripAccents ?? lowercase {
            text.transform { scalar in
                let decomposed = String(scalar).decomposedStringWithCanonicalMapping.unicodeScalars
                return decomposed.filter { $0.properties.generalCategory != .nonspacingMark }
            }
        }
        if lowercase {
            text.transform { scalar in Array(scalar.properties.lowercaseMapping.unicodeScalars) }
        }
    }

    /// Tab, newline and carriage return, or Unicode White_Space.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\t" || scalar == "\n" || scalar == "\r" || scalar.properties.isWhitespace
    }

    /// Control, format and private-use characters, except tab, newline and carriage return. (Code
    /// points unassigned in Unicode stay: HF's category tables leave noncharacters such as U+FFFF in.)
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "\t" || scalar == "\n" || scalar == "\r" { return false }
        switch scalar.properties.generalCategory {
        case .control, .format, .privateUse: return true
        default: return false
        }
    }

    /// The CJK Unified Ideograph blocks BERT pads with spaces.
    static func isChinese(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F: return true
        default: return false
        }
    }
}

/// BertPreTokenizer: splits on whitespace (dropped) and punctuation (each mark its own piece).
enum BertPreTokenizer {
    /// Ranges of `text` that become words.
    static func split(_ text: NormalizedText) -> [Range<Int>] {
        var words: [Range<Int>] = []
        var start: Int?
        for (i, scalar) in text.scalars.enumerated() {
            if scalar.properties.isWhitespace || scalar == "\t" || scalar == "\n" || scalar == "\r" {
                if let s = start { words.append(s..<i); start = nil }
            } else if isPunctuation(scalar) {
                if let s = start { words.append(s..<i); start = nil }
                words.append(i..<(i + 1))
            } else if start == nil {
                start = i
            }
        }
        if let s = start { words.append(s..<text.scalars.count) }
        return words
    }

    /// ASCII punctuation (symbols included) or any Unicode punctuation category.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation: return true
        default: return false
        }
    }
}

/// WordPiece: greedy longest-match-first sub-words, continuation pieces prefixed.
struct WordPiece {
    let vocab: [[UInt8]: Int]
    let unknownToken: String
    let continuingPrefix: String
    let maxInputCharsPerWord: Int

    /// Tokens of one word as (id, token, scalar range within the word).
    func tokenize(_ word: ArraySlice<Unicode.Scalar>) -> [(Int, String, Range<Int>)] {
        let unknown = [(vocab[Array(unknownToken.utf8)] ?? 0, unknownToken, 0..<word.count)]
        if word.count > maxInputCharsPerWord { return unknown }
        var pieces: [(Int, String, Range<Int>)] = []
        let scalars = Array(word)
        var start = 0
        while start < scalars.count {
            var end = scalars.count
            var found: (Int, String)?
            while end > start {
                var candidate = String(String.UnicodeScalarView(scalars[start..<end]))
                if start > 0 { candidate = continuingPrefix + candidate }
                if let id = vocab[Array(candidate.utf8)] {
                    found = (id, candidate)
                    break
                }
                end -= 1
            }
            guard let (id, token) = found else { return unknown }
            pieces.append((id, token, start..<end))
            start = end
        }
        return pieces
    }
}
