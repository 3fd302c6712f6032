/// A pattern for the Replace normalizer and the Split pre-tokenizer: a literal string or a regular
/// expression, matched on Unicode scalars.
// @unchecked Sendable: the only non-Sendable payload is a compiled `Regex`, immutable after
// creation (its lazily lowered program is published atomically by the regex library) and only matched.
enum TextPattern: @unchecked Sendable {
    case literal([Unicode.Scalar])
    /// The source (for messages) and the compiled expression.
    case regex(String, Regex<AnyRegexOutput>)
    /// A byte-level family's split pattern, matched by its hand-written scanner.
    case scanner(GPT2Split.Family)
    /// `\s?[class]+` (or `[class]+`) with a class of literal scalars and ranges, matched on scalar
    /// values (Swift's regex parser compares class bounds as characters, which rejects ranges such as
    /// U+1FD0-U+1FD3 whose end is canonically equivalent to a scalar below the start).
    case classRun(leadingWhitespace: Bool, ranges: [ClosedRange<UInt32>])
    /// Every scalar for which the predicate holds is a match of its own.
    case scalar(@Sendable (Unicode.Scalar) -> Bool)

    /// Compiles `source`; `jsonPath` names where it came from in errors.
    static func compile(regex source: String, jsonPath: String) throws(TokenizerError) -> TextPattern {
        if let family = GPT2Split.patterns[source] { return .scanner(family) }
        do {
            return .regex(source, try Regex(oniguruma(source)).matchingSemantics(.unicodeScalar))
        } catch {
            if let run = classRun(source) { return run }
            throw .invalidField(
                jsonPath: jsonPath, reason: "the regular expression '\(source)' does not compile: \(error)")
        }
    }

    /// `source` with Oniguruma's (and `tokenizers`') Unicode `\w` and `\d` spelled out: letters,
    /// marks, numbers and connector punctuation (Swift's `\w` leaves marks out), and decimal digits
    /// only (Swift's `\d` takes other numbers such as `²`).
    static func oniguruma(_ source: String) -> String {
        let word = #"\p{L}\p{M}\p{N}\p{Pc}"#
        var result = ""
        var insideClass = false
        var escaped = false
        for character in source {
            if escaped {
                escaped = false
                switch character {
                case "w": result += insideClass ? word : "[\(word)]"
                case "W" where !insideClass: result += "[^\(word)]"
                case "d": result += #"\p{Nd}"#
                case "D": result += #"\P{Nd}"#
                default: result += "\\" + String(character)
                }
                continue
            }
            switch character {
            case "\\": escaped = true
            case "[":
                insideClass = true
                result.append(character)
            case "]":
                insideClass = false
                result.append(character)
            default: result.append(character)
            }
        }
        if escaped { result += "\\" }
        return result
    }

    /// `\s?[...]+` or `[...]+` with only literal scalars and ranges in the class, as a ``classRun``.
    static func classRun(_ source: String) -> TextPattern? {
        var scalars = Array(source.unicodeScalars)[...]
        let leading = scalars.starts(with: ["\\", "s", "?"])
        if leading { scalars = scalars.dropFirst(3) }
        guard scalars.first == "[", scalars.last == "+", scalars.dropLast().last == "]" else { return nil }
        let body = Array(scalars.dropFirst().dropLast(2))
        guard !body.isEmpty, body.first != "^", !body.contains("\\"), !body.contains("["), !body.contains("]") else {
            return nil
        }
        var ranges: [ClosedRange<UInt32>] = []
        var index = 0
        while index < body.count {
            if index + 2 < body.count, body[index + 1] == "-" {
                guard body[index].value <= body[index + 2].value else { return nil }
                ranges.append(body[index].value...body[index + 2].value)
                index += 3
            } else {
                ranges.append(body[index].value...body[index].value)
                index += 1
            }
        }
        return .classRun(leadingWhitespace: leading, ranges: ranges)
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
        case let .classRun(leadingWhitespace, ranges):
            let scalars = Array(text)
            func inClass(_ scalar: Unicode.Scalar) -> Bool { ranges.contains { $0.contains(scalar.value) } }
            var index = 0
            while index < scalars.count {
                var start = -1
                if inClass(scalars[index]) {
                    start = index
                } else if leadingWhitespace, isWhitespace(scalars[index]), index + 1 < scalars.count,
                    inClass(scalars[index + 1])
                {
                    start = index
                    index += 1
                }
                guard start >= 0 else {
                    index += 1
                    continue
                }
                while index < scalars.count, inClass(scalars[index]) { index += 1 }
                found.append(start..<index)
            }
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
