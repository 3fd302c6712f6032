/// One encoded text (or pair): ids, token strings, offsets in Unicode scalars of the original
/// text, and the masks models take, as Hugging Face `tokenizers` reports them.
public struct Encoding: Sendable, Equatable {
    public var ids: [Int] = []
    public var tokens: [String] = []
    /// `[start, end)` per token, in Unicode scalar indices of its own input text; template and
    /// padding tokens get (0, 0).
    public var offsets: [(Int, Int)] = []
    public var typeIds: [Int] = []
    /// 1 for tokens the post-processor or padding added, 0 for tokens of the text.
    public var specialTokensMask: [Int] = []
    /// 0 for padding, 1 otherwise.
    public var attentionMask: [Int] = []
    /// Which input each token belongs to (0 or 1), nil for added template and padding tokens.
    public var sequenceIds: [Int?] = []
    /// The pieces truncation cut off, each post-processed and padded like this one.
    public var overflowing: [Encoding] = []

    public init() {}

    public var count: Int { ids.count }

    public static func == (a: Encoding, b: Encoding) -> Bool {
        a.ids == b.ids && a.tokens == b.tokens && a.offsets.map { [$0.0, $0.1] } == b.offsets.map { [$0.0, $0.1] }
            && a.typeIds == b.typeIds && a.specialTokensMask == b.specialTokensMask
            && a.attentionMask == b.attentionMask
            && a.sequenceIds == b.sequenceIds && a.overflowing == b.overflowing
    }

    mutating func append(id: Int, token: String, offsets: (Int, Int), typeId: Int, special: Bool, sequence: Int?) {
        ids.append(id)
        tokens.append(token)
        self.offsets.append(offsets)
        typeIds.append(typeId)
        specialTokensMask.append(special ? 1 : 0)
        attentionMask.append(1)
        sequenceIds.append(sequence)
    }

    /// Tokens `range` (no overflow).
    func slice(_ range: Range<Int>) -> Encoding {
        var part = Encoding()
        part.ids = Array(ids[range])
        part.tokens = Array(tokens[range])
        part.offsets = Array(offsets[range])
        part.typeIds = Array(typeIds[range])
        part.specialTokensMask = Array(specialTokensMask[range])
        part.attentionMask = Array(attentionMask[range])
        part.sequenceIds = Array(sequenceIds[range])
        return part
    }

    /// This encoding followed by `other`, overflows combined as `tokenizers`' `merge_with` does.
    func merged(with other: Encoding) -> Encoding {
        var overflows: [Encoding] = []
        for mine in overflowing {
            overflows.append(mine.concatenated(other))
            for theirs in other.overflowing { overflows.append(mine.concatenated(theirs)) }
        }
        for theirs in other.overflowing { overflows.append(concatenated(theirs)) }
        var result = concatenated(other)
        result.overflowing = overflows
        return result
    }

    private func concatenated(_ other: Encoding) -> Encoding {
        var result = self
        result.ids += other.ids
        result.tokens += other.tokens
        result.offsets += other.offsets
        result.typeIds += other.typeIds
        result.specialTokensMask += other.specialTokensMask
        result.attentionMask += other.attentionMask
        result.sequenceIds += other.sequenceIds
        result.overflowing = []
        return result
    }

    /// Keeps `maxLength` tokens and moves the rest into `overflowing`, in windows that overlap by
    /// `stride` tokens.
    mutating func truncate(to maxLength: Int, stride: Int, direction: Truncation.Direction) {
        let length = ids.count
        guard maxLength < length else { return }
        if maxLength == 0 {
            var whole = self
            whole.overflowing = []
            self = Encoding()
            overflowing = [whole]
            return
        }
        let step = max(1, maxLength - min(stride, maxLength - 1))
        var windows: [Range<Int>] = []
        switch direction {
        case .right:
            var start = 0
            while true {
                let stop = min(start + maxLength, length)
                windows.append(start..<stop)
                if stop == length { break }
                start += step
            }
        case .left:
            var stop = length
            while stop > 0 {
                let start = max(0, stop - maxLength)
                windows.append(start..<stop)
                if start == 0 { break }
                stop -= step
            }
        }
        var kept = slice(windows[0])
        kept.overflowing = windows.dropFirst().map { slice($0) }
        self = kept
    }

    /// Pads to `length` (and every overflow too).
    mutating func pad(to length: Int, with padding: Padding) {
        for index in overflowing.indices { overflowing[index].pad(to: length, with: padding) }
        guard ids.count < length else { return }
        let count = length - ids.count
        func extend<T>(_ values: inout [T], _ value: T) {
            if padding.direction == .left {
                values.insert(contentsOf: repeatElement(value, count: count), at: 0)
            } else {
                values += repeatElement(value, count: count)
            }
        }
        extend(&ids, padding.id)
        extend(&tokens, padding.token)
        extend(&offsets, (0, 0))
        extend(&typeIds, padding.typeId)
        extend(&specialTokensMask, 1)
        extend(&attentionMask, 0)
        extend(&sequenceIds, nil)
    }
}

/// Truncation settings (`tokenizer.json` `truncation`).
public struct Truncation: Sendable, Equatable {
    public enum Strategy: String, Sendable {
        case longestFirst = "LongestFirst"
        case onlyFirst = "OnlyFirst"
        case onlySecond = "OnlySecond"
    }
    public enum Direction: String, Sendable {
        case left = "Left"
        case right = "Right"
    }
    public var maxLength: Int
    public var stride: Int = 0
    public var strategy: Strategy = .longestFirst
    public var direction: Direction = .right

    public init(maxLength: Int, stride: Int = 0, strategy: Strategy = .longestFirst, direction: Direction = .right) {
        self.maxLength = maxLength
        self.stride = stride
        self.strategy = strategy
        self.direction = direction
    }

    /// Truncates a sequence (and its pair) to `maxLength` tokens in all.
    func apply(_ first: inout Encoding, _ second: inout Encoding?, maxLength: Int) {
        if maxLength == 0 {
            first.truncate(to: 0, stride: stride, direction: direction)
            second?.truncate(to: 0, stride: stride, direction: direction)
            return
        }
        let total = first.count + (second?.count ?? 0)
        guard total > maxLength else { return }
        let excess = total - maxLength
        switch strategy {
        case .longestFirst:
            guard var pair = second else { return first.truncate(to: maxLength, stride: stride, direction: direction) }
            var shorter = min(first.count, pair.count), longer = max(first.count, pair.count)
            longer = shorter > maxLength ? shorter : max(shorter, maxLength - shorter)
            if shorter + longer > maxLength {
                shorter = maxLength / 2
                longer = shorter + maxLength % 2
            }
            let firstIsLonger = first.count > pair.count
            first.truncate(to: firstIsLonger ? longer : shorter, stride: stride, direction: direction)
            pair.truncate(to: firstIsLonger ? shorter : longer, stride: stride, direction: direction)
            second = pair
        case .onlyFirst:
            if first.count > excess { first.truncate(to: first.count - excess, stride: stride, direction: direction) }
        case .onlySecond:
            if var pair = second, pair.count > excess {
                pair.truncate(to: pair.count - excess, stride: stride, direction: direction)
                second = pair
            }
        }
    }
}

/// Padding settings (`tokenizer.json` `padding`).
public struct Padding: Sendable, Equatable {
    public enum Direction: String, Sendable {
        case left = "Left"
        case right = "Right"
    }
    /// The longest padded length accepted from a tokenizer.json (2^20 tokens, some 64 MiB of
    /// encoding per sequence): far beyond any model's context.
    public static let maximumLength = 1 << 20
    /// Pad to this length; nil pads a batch to its longest encoding.
    public var fixedLength: Int?
    public var multipleOf: Int?
    public var direction: Direction = .right
    public var id: Int = 0
    public var typeId: Int = 0
    public var token: String = "[PAD]"

    public init(
        fixedLength: Int? = nil, multipleOf: Int? = nil, direction: Direction = .right, id: Int = 0, typeId: Int = 0,
        token: String = "[PAD]"
    ) {
        self.fixedLength = fixedLength
        self.multipleOf = multipleOf
        self.direction = direction
        self.id = id
        self.typeId = typeId
        self.token = token
    }

    /// Pads every encoding of a batch to the common length.
    func apply(_ encodings: inout [Encoding]) {
        var length = fixedLength ?? encodings.map(\.count).max() ?? 0
        if let multiple = multipleOf, multiple > 0, length % multiple != 0 { length += multiple - length % multiple }
        for index in encodings.indices { encodings[index].pad(to: length, with: self) }
    }
}
