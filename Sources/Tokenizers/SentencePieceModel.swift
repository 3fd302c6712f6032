/// llama.cpp's SentencePiece-style tokenizer for `tokenizer.ggml.model = llama`: the text's UTF-8
/// characters are merged pairwise, always taking the adjacent pair whose concatenation is the
/// highest-scoring vocabulary entry (leftmost on ties); pieces left outside the vocabulary become
/// their `<0xXX>` byte tokens (or unknown).
final class SentencePieceModel: Sendable {
    let vocab: VocabularyTable
    let scores: [Float]
    let unknownId: Int?
    private let byteTokens: [Int?]

    init(vocab: VocabularyTable, scores: [Float], unknownId: Int?) {
        self.vocab = vocab
        self.scores = scores
        self.unknownId = unknownId
        byteTokens = (0..<256).map { vocab[ByteFallback.token(for: UInt8($0))] }
    }

    /// Ids for `scalars`, each with the range of scalars it covers.
    func encode(_ scalars: [Unicode.Scalar]) -> [(id: Int, range: Range<Int>)] {
        guard !scalars.isEmpty else { return [] }
        struct Symbol {
            var bytes: [UInt8]
            var range: Range<Int>
            var previous: Int
            var next: Int
            var alive: Bool
        }
        var symbols = scalars.enumerated().map { index, scalar in
            Symbol(
                bytes: Array(String(scalar).utf8), range: index..<(index + 1), previous: index - 1,
                next: index + 1 < scalars.count ? index + 1 : -1, alive: true)
        }
        // Candidates: (score, left index, combined length); stale entries are skipped when popped.
        var heap = PriorityQueue<ScoredCandidate>()
        func consider(_ left: Int, _ right: Int) {
            guard left >= 0, right >= 0 else { return }
            let merged = symbols[left].bytes + symbols[right].bytes
            guard let id = vocab[merged] else { return }
            heap.push(ScoredCandidate(score: id < scores.count ? scores[id] : 0, left: left, length: merged.count))
        }
        for index in 1..<symbols.count { consider(index - 1, index) }
        while let best = heap.pop() {
            let left = best.left
            let right = symbols[left].next
            guard symbols[left].alive, right >= 0, symbols[left].bytes.count + symbols[right].bytes.count == best.length
            else { continue }
            symbols[left].bytes += symbols[right].bytes
            symbols[left].range = symbols[left].range.lowerBound..<symbols[right].range.upperBound
            symbols[left].next = symbols[right].next
            symbols[right].alive = false
            symbols[right].bytes = []
            if symbols[left].next >= 0 { symbols[symbols[left].next].previous = left }
            consider(symbols[left].previous, left)
            consider(left, symbols[left].next)
        }
        var result: [(id: Int, range: Range<Int>)] = []
        var index = 0
        while index >= 0 && index < symbols.count {
            let symbol = symbols[index]
            if let id = vocab[symbol.bytes] {
                result.append((id, symbol.range))
            } else {
                for byte in symbol.bytes {
                    if let id = byteTokens[Int(byte)] {
                        result.append((id, symbol.range))
                    } else if let unknownId {
                        result.append((unknownId, symbol.range))
                    }
                }
            }
            index = symbol.next
        }
        return result
    }
}

/// A merge candidate: the highest score first, then the leftmost.
struct ScoredCandidate: Comparable {
    var score: Float
    var left: Int
    var length: Int

    static func < (a: ScoredCandidate, b: ScoredCandidate) -> Bool {
        a.score > b.score || (a.score == b.score && a.left < b.left)
    }
}
