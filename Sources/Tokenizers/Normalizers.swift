/// A `tokenizer.json` normalizer: rewrites text before pre-tokenisation, keeping alignments.
indirect enum Normalizer: Sendable {
    case bert(BertNormalizer)
    case unicode(UnicodeForm)
    case lowercase
    /// Drops combining marks, spacing ones included (apply after a decomposition).
    case stripAccents
    /// Removes leading and/or trailing whitespace.
    case strip(left: Bool, right: Bool)
    case replace(TextPattern, with: [Unicode.Scalar])
    /// Puts the text after a prefix (when the text is not empty).
    case prepend([Unicode.Scalar])
    /// SentencePiece's compiled character map.
    case precompiled(PrecompiledCharsmap)
    /// Every scalar becomes its UTF-8 bytes in GPT-2's byte alphabet.
    case byteLevel
    case sequence([Normalizer])
    /// llama.cpp's WordPiece preparation: NFD and no marks (with `stripAccents`), no NUL, U+FFFD or
    /// control characters, simple lowercase mapping (with `lowercase`).
    case llamaBert(lowercase: Bool, stripAccents: Bool)

    func normalize(_ text: inout NormalizedText) {
        switch self {
        case let .bert(normalizer): normalizer.normalize(&text)
        case let .unicode(form): form.apply(to: &text)
        case .lowercase:
            text.map {
                $0.value < 0x80
                    ? [Unicode.Scalar(UInt8(truncatingIfNeeded: $0.value).lowercasedASCII)]
                    : Array($0.properties.lowercaseMapping.unicodeScalars)
            }
        case .stripAccents:
            text.filter { scalar in
                guard scalar.value >= 0x300 else { return true }
                switch scalar.properties.generalCategory {
                case .nonspacingMark, .spacingMark, .enclosingMark: return false
                default: return true
                }
            }
        case let .strip(left, right):
            var start = 0, end = text.scalars.count
            if left { while start < end, text.scalars[start].properties.isWhitespace { start += 1 } }
            if right { while end > start, text.scalars[end - 1].properties.isWhitespace { end -= 1 } }
            if start > 0 || end < text.scalars.count { text = text.slice(start..<end) }
        case let .replace(pattern, content): text.replace(pattern, with: content)
        case let .prepend(prefix): text.prepend(prefix)
        case let .precompiled(charsmap): charsmap.normalize(&text)
        case .byteLevel:
            text.map { scalar in
                if scalar.value < 0x80 { return [ByteLevelAlphabet.characters[Int(scalar.value)]] }
                return String(scalar).utf8.map { ByteLevelAlphabet.characters[Int($0)] }
            }
        case let .sequence(steps): for step in steps { step.normalize(&text) }
        case let .llamaBert(lowercase, stripAccents):
            // llama.cpp's "NFD" maps each scalar to the first scalar of its canonical decomposition,
            // one for one (é becomes e; a Hangul syllable keeps only its leading consonant).
            if stripAccents, text.scalars.contains(where: { $0.value >= 0xA0 }) {
                text.map { [UnicodeForm.decomposition(of: $0, compatibility: false).first ?? $0] }
            }
            text.filter { scalar in
                if scalar.value == 0 || scalar.value == 0xFFFD { return false }
                if scalar.value < 0x80 {
                    return !(scalar.value < 0x20 && !isWhitespace(scalar)) && scalar.value != 0x7F
                }
                switch scalar.properties.generalCategory {
                case .control, .format, .privateUse, .surrogate: return isWhitespace(scalar)
                case .nonspacingMark, .spacingMark, .enclosingMark: return !stripAccents
                default: return true
                }
            }
            if lowercase {
                text.map { scalar in
                    if scalar.value < 0x80 {
                        return [Unicode.Scalar(UInt8(truncatingIfNeeded: scalar.value).lowercasedASCII)]
                    }
                    // The simple (one-scalar) mapping: the first scalar of the full one.
                    return [scalar.properties.lowercaseMapping.unicodeScalars.first ?? scalar]
                }
            }
        }
    }
}

extension UInt8 {
    var lowercasedASCII: UInt8 { self >= 0x41 && self <= 0x5A ? self + 32 : self }
}

/// BertNormalizer: clean text, pad CJK ideographs with spaces, strip accents, lowercase.
struct BertNormalizer: Sendable {
    var cleanText = true
    var handleChineseChars = true
    var stripAccents: Bool? = nil
    var lowercase = true

    func normalize(_ text: inout NormalizedText) {
        if cleanText {
            text.filter { scalar in !(scalar.value == 0 || scalar.value == 0xFFFD || BertNormalizer.isControl(scalar)) }
            if text.scalars.contains(where: { $0 != " " && BertNormalizer.isWhitespace($0) }) {
                text.map { BertNormalizer.isWhitespace($0) ? [" "] : [$0] }
            }
        }
        if handleChineseChars, text.scalars.contains(where: BertNormalizer.isChinese) {
            text.map { BertNormalizer.isChinese($0) ? [" ", $0, " "] : [$0] }
        }
        if stripAccents ?? lowercase {
            // BERT drops nonspacing marks only.
            UnicodeForm.nfd.apply(to: &text)
            text.filter { $0.value < 0x300 || $0.properties.generalCategory != .nonspacingMark }
        }
        if lowercase { Normalizer.lowercase.normalize(&text) }
    }

    /// Tab, newline and carriage return, or Unicode White_Space.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x80 { return scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" }
        return scalar.properties.isWhitespace
    }

    /// Control, format and private-use characters, except tab, newline and carriage return. (Code
    /// points unassigned in Unicode stay: HF's category tables leave noncharacters such as U+FFFF in.)
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "\t" || scalar == "\n" || scalar == "\r" { return false }
        if scalar.value >= 0x20 && scalar.value < 0x7F { return false }
        switch scalar.properties.generalCategory {
        case .control, .format, .privateUse: return true
        default: return false
        }
    }

    /// The CJK Unified Ideograph blocks BERT pads with spaces.
    static func isChinese(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
            0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default: return false
        }
    }
}
