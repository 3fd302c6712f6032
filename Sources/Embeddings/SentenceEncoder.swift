/// One text's encoder input: token ids and token-type (segment) ids of equal length.
public struct EncoderInput: Sendable, Equatable {
    public var ids: [Int]
    public var typeIds: [Int]

    public init(ids: [Int], typeIds: [Int]? = nil) {
        self.ids = ids
        self.typeIds = typeIds ?? [Int](repeating: 0, count: ids.count)
    }
}

/// A text encoder: token ids in, one hidden-state row per token out. Implementations are
/// immutable after load; one instance serves any number of threads.
public protocol SentenceEncoder: Sendable {
    /// Width of each hidden-state row.
    var hiddenSize: Int { get }
    /// Rows of the token embedding table (token ids must be below it).
    var vocabularySize: Int? { get }
    /// The longest input, in tokens, the model accepts (nil: no limit of its own).
    var maxTokens: Int? { get }
    /// Hidden states for each input: `ids.count × hiddenSize` floats, row-major, in input order.
    func hiddenStates(_ batch: [EncoderInput]) throws(EmbeddingError) -> [[Float]]
}

extension SentenceEncoder {
    /// Checks token ids, type ids and lengths against what the model accepts.
    func validate(_ batch: [EncoderInput], typeRows: Int) throws(EmbeddingError) {
        for (index, input) in batch.enumerated() {
            guard !input.ids.isEmpty, input.typeIds.count == input.ids.count else {
                throw .invalidInput(
                    reason: "input \(index) has \(input.ids.count) tokens and \(input.typeIds.count) type ids")
            }
            if let maxTokens, input.ids.count > maxTokens {
                throw .invalidInput(
                    reason: "input \(index) has \(input.ids.count) tokens; the model takes at most \(maxTokens)")
            }
            if let vocabularySize, let bad = input.ids.first(where: { $0 < 0 || $0 >= vocabularySize }) {
                throw .invalidInput(
                    reason: "input \(index) has token id \(bad), outside the vocabulary of \(vocabularySize)")
            }
            if let bad = input.typeIds.first(where: { $0 < 0 || $0 >= typeRows }) {
                throw .invalidInput(reason: "input \(index) has token type \(bad); the model has \(typeRows) types")
            }
        }
    }
}
