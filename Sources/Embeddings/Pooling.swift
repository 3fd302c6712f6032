/// How token states become one vector per text (sentence-transformers' pooling modes).
public enum Pooling: String, Sendable, CaseIterable {
    /// The average of every token's state (sentence-transformers' `mean_tokens`).
    case mean
    /// The first token's state (`[CLS]`).
    case cls
    /// The last token's state.
    case last
    /// The element-wise maximum over tokens.
    case max
    /// No pooling: every token's state.
    case none

    /// Pools `tokens` rows of `width` floats.
    func apply(_ states: [Float], tokens: Int, width: Int) -> [Float] {
        switch self {
        case .none: return states
        case .cls: return Array(states[0..<width])
        case .last: return Array(states[((tokens - 1) * width)..<(tokens * width)])
        case .mean:
            var sum = [Float](repeating: 0, count: width)
            for t in 0..<tokens {
                for j in 0..<width { sum[j] += states[t * width + j] }
            }
            let scale = 1 / Float(tokens)
            return sum.map { $0 * scale }
        case .max:
            var best = [Float](repeating: -.infinity, count: width)
            for t in 0..<tokens {
                for j in 0..<width { best[j] = Swift.max(best[j], states[t * width + j]) }
            }
            return best
        }
    }

    /// Scales each `width`-float row of `values` to unit Euclidean length (rows of zeros stay zero).
    static func normalize(_ values: inout [Float], width: Int) {
        for start in stride(from: 0, to: values.count, by: width) {
            var squares: Double = 0
            for j in start..<(start + width) { squares += Double(values[j]) * Double(values[j]) }
            let scale = Float(1 / Swift.max(squares.squareRoot(), 1e-12))
            for j in start..<(start + width) { values[j] *= scale }
        }
    }
}
