/// A `tokenizer.json` decoder step: rewrites the list of token strings; the decoded text is the
/// final list joined.
enum Decoder: Sendable {
    case byteLevel
    case wordPiece(prefix: String, cleanup: Bool)
    case metaspace(replacement: Unicode.Scalar, prependScheme: PrependScheme)
    /// Replaces `suffix` by a space (nothing on the last token).
    case bpe(suffix: String)
    case byteFallback
    case fuse
    case strip(content: Unicode.Scalar, start: Int, stop: Int)
    case replace(TextPattern, with: [Unicode.Scalar])
    case ctc(padToken: String, wordDelimiter: String, cleanup: Bool)

    func decode(_ tokens: [String]) -> [String] {
        switch self {
        case .byteLevel:
            var bytes: [UInt8] = []
            for token in tokens {
                for scalar in token.unicodeScalars {
                    if let byte = ByteLevelAlphabet.bytes[scalar.value] {
                        bytes.append(byte)
                    } else {
                        bytes += Array(String(scalar).utf8)
                    }
                }
            }
            return [String(decoding: bytes, as: UTF8.self)]
        case let .wordPiece(prefix, cleanup):
            let prefixScalars = Array(prefix.unicodeScalars)
            return tokens.enumerated().map { index, token in
                var piece = token
                if index != 0 {
                    if piece.unicodeScalars.starts(with: prefixScalars) {
                        piece = String(String.UnicodeScalarView(piece.unicodeScalars.dropFirst(prefixScalars.count)))
                    } else {
                        piece = " " + piece
                    }
                }
                return cleanup ? Decoder.cleanup(piece) : piece
            }
        case let .metaspace(replacement, scheme):
            return tokens.enumerated().map { index, token in
                var text = String.UnicodeScalarView()
                for scalar in token.unicodeScalars {
                    if scalar != replacement {
                        text.append(scalar)
                    } else if index != 0 || scheme == .never {
                        text.append(" ")
                    }
                }
                return String(text)
            }
        case let .bpe(suffix):
            return tokens.enumerated().map { index, token in
                token.replacingScalars(suffix, with: index == tokens.count - 1 ? "" : " ")
            }
        case .byteFallback:
            var result: [String] = []
            var pending: [UInt8] = []
            func flush() {
                guard !pending.isEmpty else { return }
                if let text = String(validating: pending, as: UTF8.self) {
                    result.append(text)
                } else {
                    result.append(String(repeating: "\u{FFFD}", count: pending.count))
                }
                pending = []
            }
            for token in tokens {
                if let byte = ByteFallback.byte(of: token) {
                    pending.append(byte)
                } else {
                    flush()
                    result.append(token)
                }
            }
            flush()
            return result
        case .fuse:
            return [tokens.joined()]
        case let .strip(content, start, stop):
            return tokens.map { token in
                var scalars = token.unicodeScalars[...]
                var removed = 0
                while removed < start, scalars.first == content {
                    scalars = scalars.dropFirst()
                    removed += 1
                }
                removed = 0
                while removed < stop, scalars.last == content {
                    scalars = scalars.dropLast()
                    removed += 1
                }
                return String(String.UnicodeScalarView(scalars))
            }
        case let .replace(pattern, content):
            return tokens.map { token in
                var text = NormalizedText(Array(token.unicodeScalars)[...], startingAt: 0)
                text.replace(pattern, with: content)
                return String(String.UnicodeScalarView(text.scalars))
            }
        case let .ctc(padToken, wordDelimiter, cleanup):
            var result: [String] = []
            var previous: String?
            for token in tokens {
                defer { previous = token }
                if token == previous { continue }
                var text = token.replacingScalars(padToken, with: "")
                if cleanup { text = Decoder.cleanup(text).replacingScalars(wordDelimiter, with: " ") }
                if !text.isEmpty { result.append(text) }
            }
            return result
        }
    }

    /// The WordPiece decoder's cleanup of spaces before punctuation and English contractions.
    static func cleanup(_ text: String) -> String {
        var result = text
        for (from, to) in [
            (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
            (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
        ] {
            result = result.replacingScalars(from, with: to)
        }
        return result
    }
}

extension String {
    /// Every occurrence of `target` replaced, comparing Unicode scalars exactly (no canonical
    /// equivalence, no grapheme boundaries).
    func replacingScalars(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty, unicodeScalars.count >= target.unicodeScalars.count else { return self }
        var text = NormalizedText(Array(unicodeScalars)[...], startingAt: 0)
        text.replace(.literal(Array(target.unicodeScalars)), with: Array(replacement.unicodeScalars))
        return String(String.UnicodeScalarView(text.scalars))
    }
}
