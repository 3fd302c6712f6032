/// Text being normalised, each scalar remembering the span of original scalars it came from,
/// so token offsets can always be reported in the original text (Unicode scalar indices).
struct NormalizedText {
    var scalars: [Unicode.Scalar]
    /// For each scalar, the original scalar range it stands for.
    var origins: [Range<Int>]

    init(_ scalars: ArraySlice<Unicode.Scalar>, startingAt offset: Int) {
        self.scalars = Array(scalars)
        origins = scalars.indices.map { ($0 - scalars.startIndex + offset)..<($0 - scalars.startIndex + offset + 1) }
    }

    init(scalars: [Unicode.Scalar], origins: [Range<Int>]) {
        self.scalars = scalars
        self.origins = origins
    }

    /// Replaces every scalar by zero or more scalars, which all inherit its origin.
    mutating func transform(_ body: (Unicode.Scalar) -> [Unicode.Scalar]) {
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

    /// The original span of scalars `range` of this text.
    func originalSpan(_ range: Range<Int>) -> (Int, Int) {
        guard !range.isEmpty else { return (origins.first?.lowerBound ?? 0, origins.first?.lowerBound ?? 0) }
        return (origins[range.lowerBound].lowerBound, origins[range.upperBound - 1].upperBound)
    }
}
