/// One split of the text on its way to the model: normalised text with origins, and either the
/// added token it already is or nothing yet.
struct Split: Sendable {
    var text: NormalizedText
    /// Where this split starts in the original text (`tokenizers`' `offsets_original().0`).
    var originalStart: Int
    /// The added token this split was matched as (its id), if any.
    var addedTokenId: Int?
}

/// How a split pattern's matches are kept (`tokenizers`' `SplitDelimiterBehavior`).
enum SplitBehavior: String, Sendable {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"

    /// The ranges to keep from `runs` (alternating matches and non-matches).
    func apply(_ runs: [(range: Range<Int>, isMatch: Bool)]) -> [Range<Int>] {
        switch self {
        case .removed: return runs.filter { !$0.isMatch }.map(\.range)
        case .isolated: return runs.map(\.range)
        case .contiguous:
            var kept: [Range<Int>] = []
            var previous = false
            for run in runs {
                if run.isMatch == previous, let last = kept.last {
                    kept[kept.count - 1] = last.lowerBound..<run.range.upperBound
                } else {
                    kept.append(run.range)
                }
                previous = run.isMatch
            }
            return kept
        case .mergedWithPrevious:
            var kept: [Range<Int>] = []
            var previous = false
            for run in runs {
                if run.isMatch, !previous, let last = kept.last {
                    kept[kept.count - 1] = last.lowerBound..<run.range.upperBound
                } else {
                    kept.append(run.range)
                }
                previous = run.isMatch
            }
            return kept
        case .mergedWithNext:
            var kept: [Range<Int>] = []
            var previous = false
            for run in runs.reversed() {
                if run.isMatch, !previous, let last = kept.last {
                    kept[kept.count - 1] = run.range.lowerBound..<last.upperBound
                } else {
                    kept.append(run.range)
                }
                previous = run.isMatch
            }
            return kept.reversed()
        }
    }
}

/// When Metaspace puts a replacement character in front of a split.
enum PrependScheme: String, Sendable {
    case always, first, never
}

/// A `tokenizer.json` pre-tokenizer: cuts normalised splits into the words the model sees.
indirect enum PreTokenizer: Sendable {
    case bert
    /// GPT-2 byte level: an optional leading space, the family's split (nil: none), then every
    /// scalar becomes its UTF-8 bytes in the byte alphabet.
    case byteLevel(addPrefixSpace: Bool, split: GPT2Split.Family?)
    /// `\w+|[^\w\s]+`.
    case whitespace
    case whitespaceSplit
    case metaspace(replacement: Unicode.Scalar, prependScheme: PrependScheme, split: Bool)
    case split(TextPattern, SplitBehavior, invert: Bool)
    case punctuation(SplitBehavior)
    case digits(individual: Bool)
    case charDelimiter(Unicode.Scalar)
    case unicodeScripts
    /// llama.cpp's SentencePiece preparation: spaces become U+2581, and one is put in front of each
    /// split when `addSpacePrefix`.
    case sentencePiece(addSpacePrefix: Bool)
    case sequence([PreTokenizer])
    /// llama.cpp's WordPiece words: split at whitespace (dropped); punctuation, ASCII symbols and CJK
    /// ideographs are words of their own.
    case llamaBert
    /// Puts `prefix` in front of every split.
    case prependEach([Unicode.Scalar])

    func apply(to splits: inout [Split]) {
        switch self {
        case .bert:
            PreTokenizer.splitEach(&splits) {
                SplitBehavior.removed.apply(TextPattern.scalar(isWhitespace).matches(in: $0))
            }
            PreTokenizer.splitEach(&splits) {
                SplitBehavior.isolated.apply(TextPattern.scalar(isPunctuation).matches(in: $0))
            }
        case let .byteLevel(addPrefixSpace, family):
            if addPrefixSpace {
                for index in splits.indices
                where splits[index].addedTokenId == nil && splits[index].text.scalars.first != " " {
                    splits[index].text.prepend([" "])
                }
            }
            if let family { PreTokenizer.splitEach(&splits) { GPT2Split.split($0, family: family) } }
            for index in splits.indices where splits[index].addedTokenId == nil {
                Normalizer.byteLevel.normalize(&splits[index].text)
            }
        case .whitespace:
            PreTokenizer.splitEach(&splits) { text in PreTokenizer.wordsAndSymbols(text) }
        case .whitespaceSplit:
            PreTokenizer.splitEach(&splits) {
                SplitBehavior.removed.apply(TextPattern.scalar(isWhitespace).matches(in: $0))
            }
        case let .metaspace(replacement, scheme, split):
            for index in splits.indices where splits[index].addedTokenId == nil {
                splits[index].text.map { $0 == " " ? [replacement] : [$0] }
                let prepend = scheme == .always || (scheme == .first && splits[index].originalStart == 0)
                if prepend, splits[index].text.scalars.first != replacement {
                    splits[index].text.prepend([replacement])
                }
            }
            if split {
                PreTokenizer.splitEach(&splits) {
                    SplitBehavior.mergedWithNext.apply(TextPattern.scalar { $0 == replacement }.matches(in: $0))
                }
            }
        case let .split(pattern, behavior, invert):
            PreTokenizer.splitEach(&splits) { text in
                let runs = pattern.matches(in: text)
                return behavior.apply(invert ? runs.map { ($0.range, !$0.isMatch) } : runs)
            }
        case let .punctuation(behavior):
            PreTokenizer.splitEach(&splits) { behavior.apply(TextPattern.scalar(isPunctuation).matches(in: $0)) }
        case let .digits(individual):
            PreTokenizer.splitEach(&splits) {
                (individual ? SplitBehavior.isolated : .contiguous).apply(TextPattern.scalar(isNumeric).matches(in: $0))
            }
        case let .charDelimiter(delimiter):
            PreTokenizer.splitEach(&splits) {
                SplitBehavior.removed.apply(TextPattern.scalar { $0 == delimiter }.matches(in: $0))
            }
        case .unicodeScripts:
            PreTokenizer.splitEach(&splits) { UnicodeScripts.split($0) }
        case let .sentencePiece(addSpacePrefix):
            for index in splits.indices where splits[index].addedTokenId == nil {
                splits[index].text.map { $0 == " " ? ["\u{2581}"] : [$0] }
                if addSpacePrefix { splits[index].text.prepend(["\u{2581}"]) }
            }
        case let .sequence(steps):
            for step in steps { step.apply(to: &splits) }
        case .llamaBert:
            PreTokenizer.splitEach(&splits) {
                SplitBehavior.removed.apply(TextPattern.scalar(isWhitespace).matches(in: $0))
            }
            PreTokenizer.splitEach(&splits) { text in
                SplitBehavior.isolated.apply(
                    TextPattern.scalar { scalar in
                        if scalar.value < 0x7F { return isPunctuation(scalar) }
                        if BertNormalizer.isChinese(scalar) { return true }
                        switch scalar.properties.generalCategory {
                        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
                            .initialPunctuation,
                            .finalPunctuation, .otherPunctuation:
                            return true
                        default: return false
                        }
                    }.matches(in: text))
            }
        case let .prependEach(prefix):
            for index in splits.indices where splits[index].addedTokenId == nil { splits[index].text.prepend(prefix) }
        }
    }

    /// Whether this pre-tokenizer only cuts text into words, never rewriting it.
    var cutsOnly: Bool {
        switch self {
        case .byteLevel, .metaspace, .sentencePiece, .llamaBert, .prependEach: return false
        case let .sequence(steps): return steps.allSatisfy(\.cutsOnly)
        default: return true
        }
    }

    /// The word ranges of `text` when this pre-tokenizer only cuts text (nil when it rewrites it), so
    /// the words can go to the model without copies.
    func wordRanges(_ text: ArraySlice<Unicode.Scalar>) -> [Range<Int>]? {
        guard cutsOnly else { return nil }
        switch self {
        case .bert: return PreTokenizer.bertWords(text)
        case .whitespace: return PreTokenizer.wordsAndSymbols(text)
        case .whitespaceSplit:
            return SplitBehavior.removed.apply(TextPattern.scalar(isWhitespace).matches(in: text)).filter {
                !$0.isEmpty
            }
        case let .split(pattern, behavior, invert):
            let runs = pattern.matches(in: text)
            return behavior.apply(invert ? runs.map { ($0.range, !$0.isMatch) } : runs).filter { !$0.isEmpty }
        case let .punctuation(behavior):
            return behavior.apply(TextPattern.scalar(isPunctuation).matches(in: text)).filter { !$0.isEmpty }
        case let .digits(individual):
            return (individual ? SplitBehavior.isolated : .contiguous).apply(
                TextPattern.scalar(isNumeric).matches(in: text)
            ).filter { !$0.isEmpty }
        case let .charDelimiter(delimiter):
            return SplitBehavior.removed.apply(TextPattern.scalar { $0 == delimiter }.matches(in: text)).filter {
                !$0.isEmpty
            }
        case .unicodeScripts: return UnicodeScripts.split(text).filter { !$0.isEmpty }
        case let .sequence(steps):
            var ranges = [0..<text.count]
            for step in steps {
                var next: [Range<Int>] = []
                for range in ranges {
                    let base = text.startIndex + range.lowerBound
                    guard let inner = step.wordRanges(text[base..<(base + range.count)]) else { return nil }
                    next += inner.map { ($0.lowerBound + range.lowerBound)..<($0.upperBound + range.lowerBound) }
                }
                ranges = next
            }
            return ranges
        case .byteLevel, .metaspace, .sentencePiece, .llamaBert, .prependEach: return nil
        }
    }

    /// BertPreTokenizer in one pass: whitespace ends a word and is dropped, punctuation is a word of its own.
    static func bertWords(_ text: ArraySlice<Unicode.Scalar>) -> [Range<Int>] {
        var words: [Range<Int>] = []
        words.reserveCapacity(text.count / 4 + 1)
        var start = -1
        for (offset, scalar) in text.enumerated() {
            if isWhitespace(scalar) {
                if start >= 0 {
                    words.append(start..<offset)
                    start = -1
                }
            } else if isPunctuation(scalar) {
                if start >= 0 {
                    words.append(start..<offset)
                    start = -1
                }
                words.append(offset..<(offset + 1))
            } else if start < 0 {
                start = offset
            }
        }
        if start >= 0 { words.append(start..<text.count) }
        return words
    }

    /// Replaces each split that is not an added token by the non-empty pieces `cut` gives (ranges
    /// relative to the split's scalars).
    static func splitEach(_ splits: inout [Split], _ cut: (ArraySlice<Unicode.Scalar>) -> [Range<Int>]) {
        var result: [Split] = []
        result.reserveCapacity(splits.count * 4)
        for split in splits {
            if split.addedTokenId != nil {
                result.append(split)
                continue
            }
            let ranges = cut(split.text.scalars[...])
            if ranges.count == 1, ranges[0] == 0..<split.text.scalars.count {
                if !split.text.isEmpty { result.append(split) }
                continue
            }
            for range in ranges where !range.isEmpty {
                let piece = split.text.slice(range)
                result.append(
                    Split(
                        text: piece, originalStart: piece.origins.first?.lowerBound ?? split.originalStart,
                        addedTokenId: nil))
            }
        }
        splits = result
    }

    /// Runs of word characters and runs of other non-space characters (`\w+|[^\w\s]+`).
    static func wordsAndSymbols(_ text: ArraySlice<Unicode.Scalar>) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = -1
        var startIsWord = false
        for (offset, scalar) in text.enumerated() {
            if isWhitespace(scalar) {
                if start >= 0 {
                    ranges.append(start..<offset)
                    start = -1
                }
                continue
            }
            let word = isWordCharacter(scalar)
            if start >= 0, word != startIsWord {
                ranges.append(start..<offset)
                start = -1
            }
            if start < 0 {
                start = offset
                startIsWord = word
            }
        }
        if start >= 0 { ranges.append(start..<text.count) }
        return ranges
    }
}

/// Rust's `char::is_whitespace` (Unicode White_Space).
@inline(__always) func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
    if scalar.value < 0x80 { return scalar == " " || (scalar.value >= 0x09 && scalar.value <= 0x0D) }
    return scalar.properties.isWhitespace
}

/// Rust's `char::is_numeric`: general categories Nd, Nl and No.
@inline(__always) func isNumeric(_ scalar: Unicode.Scalar) -> Bool {
    if scalar.value < 0x80 { return scalar.value >= 0x30 && scalar.value <= 0x39 }
    switch scalar.properties.generalCategory {
    case .decimalNumber, .letterNumber, .otherNumber: return true
    default: return false
    }
}

/// ASCII punctuation (symbols included) or any Unicode punctuation category, as BERT defines it.
@inline(__always) func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
    let v = scalar.value
    if v < 0x80 {
        return (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v)
    }
    switch scalar.properties.generalCategory {
    case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
        .finalPunctuation, .otherPunctuation:
        return true
    default: return false
    }
}

/// Regex `\w` with Unicode semantics: alphabetic, marks, decimal digits, connector punctuation, joiners.
@inline(__always) func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
    let v = scalar.value
    if v < 0x80 { return (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A) || v == 0x5F }
    if v == 0x200C || v == 0x200D { return true }
    let properties = scalar.properties
    if properties.isAlphabetic { return true }
    switch properties.generalCategory {
    case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
    default: return false
    }
}
