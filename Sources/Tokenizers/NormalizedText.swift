/// Text being normalised, each scalar remembering the span of original scalars it came from,
/// so token offsets can always be reported in the original text (Unicode scalar indices).
///
/// Alignment follows Hugging Face `tokenizers`: a rewrite is a stream of `(scalar, change)` read
/// against the current scalars from left to right. `change == 0` replaces the next scalar and
/// inherits its origin; `change < 0` also swallows `-change` following scalars (the origin stays the
/// first one's); `change > 0` inserts a scalar that inherits the origin of the last scalar consumed.
struct NormalizedText: Sendable {
    var scalars: [Unicode.Scalar]
    /// For each scalar, the original scalar range it stands for.
    var origins: [Range<Int>]

    init(_ scalars: ArraySlice<Unicode.Scalar>, startingAt offset: Int) {
        self.scalars = Array(scalars)
        let base = offset - scalars.startIndex
        origins = scalars.indices.map { ($0 + base)..<($0 + base + 1) }
    }

    init(scalars: [Unicode.Scalar], origins: [Range<Int>]) {
        self.scalars = scalars
        self.origins = origins
    }

    var isEmpty: Bool { scalars.isEmpty }

    /// The empty span where this text starts in the original.
    private var startOrigin: Range<Int> { (origins.first?.lowerBound ?? 0)..<(origins.first?.lowerBound ?? 0) }

    /// Rewrites `range` of the text with `stream` (see the type's documentation); `skipped` scalars at
    /// the start of the range are dropped before the stream is read.
    mutating func rewrite(_ range: Range<Int>, with stream: [(Unicode.Scalar, Int)], skipping skipped: Int = 0) {
        var newScalars: [Unicode.Scalar] = []
        var newOrigins: [Range<Int>] = []
        newScalars.reserveCapacity(stream.count)
        newOrigins.reserveCapacity(stream.count)
        var cursor = range.lowerBound + skipped
        for (scalar, change) in stream {
            if change > 0 {
                newOrigins.append(cursor > 0 ? origins[cursor - 1] : startOrigin)
            } else {
                newOrigins.append(cursor < origins.count ? origins[cursor] : startOrigin)
                cursor += 1 - change
            }
            newScalars.append(scalar)
        }
        scalars.replaceSubrange(range, with: newScalars)
        origins.replaceSubrange(range, with: newOrigins)
    }

    /// Replaces every scalar by zero or more scalars: the first inherits its origin, the rest are
    /// insertions after it (an empty replacement deletes it).
    mutating func map(_ body: (Unicode.Scalar) -> [Unicode.Scalar]) {
        var newScalars: [Unicode.Scalar] = []
        var newOrigins: [Range<Int>] = []
        newScalars.reserveCapacity(scalars.count)
        newOrigins.reserveCapacity(scalars.count)
        for (scalar, origin) in zip(scalars, origins) {
            for replacement in body(scalar) {
                newScalars.append(replacement)
                newOrigins.append(origin)
            }
        }
        scalars = newScalars
        origins = newOrigins
    }

    /// Keeps the scalars for which `keep` holds (each keeps its own origin).
    mutating func filter(_ keep: (Unicode.Scalar) -> Bool) {
        var index = 0
        for position in scalars.indices where keep(scalars[position]) {
            scalars[index] = scalars[position]
            origins[index] = origins[position]
            index += 1
        }
        scalars.removeLast(scalars.count - index)
        origins.removeLast(origins.count - index)
    }

    /// Puts `prefix` in front of the text; every added scalar takes the first scalar's origin.
    mutating func prepend(_ prefix: [Unicode.Scalar]) {
        guard let origin = origins.first else { return }
        scalars.insert(contentsOf: prefix, at: 0)
        origins.insert(contentsOf: repeatElement(origin, count: prefix.count), at: 0)
    }

    /// Replaces each match of `pattern` with `content`; the new scalars take the origin of the
    /// match's last scalar.
    mutating func replace(_ pattern: TextPattern, with content: [Unicode.Scalar]) {
        let matches = pattern.matches(in: scalars[...]).filter(\.isMatch)
        guard !matches.isEmpty else { return }
        var newScalars: [Unicode.Scalar] = []
        var newOrigins: [Range<Int>] = []
        newScalars.reserveCapacity(scalars.count)
        newOrigins.reserveCapacity(scalars.count)
        var last = 0
        for match in matches {
            newScalars += scalars[last..<match.range.lowerBound]
            newOrigins += origins[last..<match.range.lowerBound]
            let origin = match.range.upperBound > 0 ? origins[match.range.upperBound - 1] : startOrigin
            newScalars += content
            newOrigins += repeatElement(origin, count: content.count)
            last = match.range.upperBound
        }
        newScalars += scalars[last...]
        newOrigins += origins[last...]
        scalars = newScalars
        origins = newOrigins
    }

    /// A copy of scalars `range`.
    func slice(_ range: Range<Int>) -> NormalizedText {
        NormalizedText(scalars: Array(scalars[range]), origins: Array(origins[range]))
    }

    /// The original span of scalars `range` of this text.
    func originalSpan(_ range: Range<Int>) -> (Int, Int) {
        guard !range.isEmpty else {
            let start =
                range.lowerBound < origins.count
                ? origins[range.lowerBound].lowerBound : (origins.last?.upperBound ?? 0)
            return (start, start)
        }
        return (origins[range.lowerBound].lowerBound, origins[range.upperBound - 1].upperBound)
    }
}
