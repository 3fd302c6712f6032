import TensorCore

/// TfIdfVectorizer: counts the pool's n-grams (sizes `min_gram_length...max_gram_length`, items up
/// to `max_skip_count` apart; unigrams once) in each row of int or string tokens, then weights the
/// counts (TF: counts; IDF: the weight, or 1, where present; TFIDF: weight x count).
func registerTfIdfVectorizer(_ registry: inout OperatorRegistry) {
    registry.register("TfIdfVectorizer", since: [9]) { attributes in
        let minimum = attributes.int("min_gram_length", default: 1),
            maximum = attributes.int("max_gram_length", default: 1)
        let maxSkip = attributes.int("max_skip_count", default: 0)
        let mode = attributes.string("mode", default: "TF")
        guard let starts = attributes.ints("ngram_counts"), let columns = attributes.ints("ngram_indexes"),
            !columns.isEmpty
        else {
            throw attributes.error("ngram_counts and ngram_indexes are required")
        }
        let weights = attributes.floats("weights") ?? []
        guard ["TF", "IDF", "TFIDF"].contains(mode), minimum >= 1, maximum >= minimum, maxSkip >= 0 else {
            throw attributes.error(
                "mode must be TF, IDF or TFIDF, and 1 <= min_gram_length <= max_gram_length, max_skip_count >= 0")
        }
        let width = (columns.max() ?? 0) + 1
        guard columns.allSatisfy({ $0 >= 0 }), weights.isEmpty || weights.count >= width else {
            throw attributes.error("ngram_indexes must be non-negative and weights cover every output column")
        }
        let integers = attributes.node.attributes["pool_int64s"].map { _ in attributes.ints("pool_int64s") ?? [] }
        let strings: [String]? = {
            guard case let .strings(values)? = attributes.node.attributes["pool_strings"] else { return nil }
            return values.map { String(decoding: $0, as: UTF8.self) }
        }()
        guard (integers == nil) != (strings == nil) else {
            throw attributes.error("exactly one of pool_int64s and pool_strings is required")
        }
        let poolSize = integers?.count ?? strings?.count ?? 0
        // Output column of each pool n-gram, keyed by its items (as text), per n-gram size.
        var table: [[String]: Int] = [:]
        var ngram = 0
        for (position, start) in starts.enumerated() {
            let size = position + 1, end = position + 1 < starts.count ? starts[position + 1] : poolSize
            guard start >= 0, end <= poolSize, start <= end else {
                throw attributes.error("ngram_counts \(starts) do not fit the pool of \(poolSize)")
            }
            for first in stride(from: start, to: end - size + 1, by: size) {
                defer { ngram += 1 }
                guard (minimum...maximum).contains(size), ngram < columns.count else { continue }
                let key = (first..<(first + size)).map { index in
                    integers.map { String($0[index]) } ?? strings?[index] ?? ""
                }
                table[key] = columns[ngram]
            }
        }
        let ngrams = table
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            guard x.rank <= 2 else {
                throw TensorError.invalidArgument(op: inputs.op, reason: "input must be 1-D or 2-D, got \(x.shape)")
            }
            let tokens: [String]
            switch x.dtype {
            case .string: tokens = try x.stringScalars()
            case .int32, .int64: tokens = try x.intValues(inputs.op).map { String($0) }
            default: throw TensorError.unsupportedDType(op: inputs.op, dtype: x.dtype)
            }
            let rows = x.rank == 2 ? x.shape[0] : 1, length = x.rank == 0 ? 1 : (x.shape.last ?? 1)
            var counts = [Float](repeating: 0, count: rows * width)
            for row in 0..<rows {
                let items = Array(tokens[(row * length)..<((row + 1) * length)])
                var smallest = minimum
                for distance in 1...(maxSkip + 1) {
                    if smallest > maximum { break }
                    for start in 0..<items.count {
                        for size in smallest...maximum {
                            let last = start + (size - 1) * distance
                            guard last < items.count else { break }
                            let key = (0..<size).map { items[start + $0 * distance] }
                            if let column = ngrams[key] { counts[row * width + column] += 1 }
                        }
                    }
                    // Unigrams do not depend on the distance: count them once.
                    if smallest == 1 { smallest = 2 }
                }
            }
            let values: [Float] = counts.enumerated().map { index, count in
                let weight = weights.isEmpty ? 1 : weights[index % width]
                switch mode {
                case "TF": return count
                case "IDF": return count > 0 ? weight : 0
                default: return weight * count
                }
            }
            return [try Tensor(shape: x.rank == 2 ? [rows, width] : [width], scalars: values)]
        }
    }
}
