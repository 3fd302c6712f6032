/// A pattern for the Replace normalizer and the Split pre-tokenizer: a literal string or a regular
/// expression, matched on Unicode scalars.
enum TextPattern: @unchecked Sendable {
    case literal([Unicode.Scalar])
    /// The source (for messages) and the compiled expression.
    case regex(String, Regex<AnyRegexOutput>)
    /// A byte-level family's split pattern, matched by its hand-written scanner.
    case scanner(GPT2Split.Family)
    /// Every scalar for which the predicate holds is a match of its own.
    case scalar(@Sendable (Unicode.Scalar) -> Bool)

    /// Compiles `source`; `jsonPath` names where it came from in errors.
    static func compile(regex source: String, jsonPath: String) throws(TokenizerError) -> TextPattern {
        if let family = GPT2Split.patterns[source] { return .scanner(family) }
        do {
            return .regex(source, try Regex(source).matchingSemantics(.unicodeScalar))
        } catch {
            throw .invalidField(jsonPath: jsonPath, reason: "the regular expression '\(source)' does not compile: \(error)")
        }
    }

    /// The text cut into alternating runs, each flagged when it is a match (offsets relative to the
    /// slice's start), as `tokenizers`' `find_matches`: an empty text is one empty non-match.
    func matches(in text: ArraySlice<Unicode.Scalar>) -> [(range: Range<Int>, isMatch: Bool)] {
        if text.isEmpty { return [(0..<0, false)] }
        var found: [Range<Int>] = []
        switch self {
        case let .literal(needle):
            if needle.isEmpty { return [(0..<text.count, false)] }
            let scalars = Array(text)
            var position = 0
            while position + needle.count <= scalars.count {
                if scalars[position] == needle[0], scalars[position..<(position + needle.count)].elementsEqual(needle) {
                    found.append(position..<(position + needle.count))
                    position += needle.count
                } else {
                    position += 1
                }
            }
        case let .scalar(predicate):
            for (offset, scalar) in text.enumerated() where predicate(scalar) { found.append(offset..<(offset + 1)) }
        case let .regex(_, expression):
            found = TextPattern.regexMatches(expression, in: text)
        case let .scanner(family):
            found = GPT2Split.split(text, family: family)
        }
        var runs: [(range: Range<Int>, isMatch: Bool)] = []
        runs.reserveCapacity(found.count * 2 + 1)
        var previous = 0
        for match in found {
            if previous != match.lowerBound { runs.append((previous..<match.lowerBound, false)) }
            runs.append((match, true))
            previous = match.upperBound
        }
        if previous != text.count { runs.append((previous..<text.count, false)) }
        return runs
    }

    /// Non-overlapping matches of `expression` in scalar offsets.
    static func regexMatches(_ expression: Regex<AnyRegexOutput>, in text: ArraySlice<Unicode.Scalar>) -> [Range<Int>] {
        let string = String(String.UnicodeScalarView(text))
        var found: [Range<Int>] = []
        var cursor = string.unicodeScalars.startIndex
        var offset = 0
        for match in string.matches(of: expression) {
            let start = offset + string.unicodeScalars.distance(from: cursor, to: match.range.lowerBound)
            let length = string.unicodeScalars.distance(from: match.range.lowerBound, to: match.range.upperBound)
            found.append(start..<(start + length))
            cursor = match.range.upperBound
            offset = start + length
        }
        return found
    }
}
