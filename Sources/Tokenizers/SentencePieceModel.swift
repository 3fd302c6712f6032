/// llama.cpp's SentencePiece-style tokenizer for `tokenizer.ggml.model = llama`: the text's UTF-8
/// characters are merged pairwise, always taking the adjacent pair whose concatenation is the
/// highest-scoring vocabulary entry (leftmost on ties); pieces left outside the vocabulary become
/// their `<0xXX>` byte tokens (or unknown).
final class SentencePieceModel: Sendable {
    let vocab: [[UInt8]: Int]
    let scores: [Float]
    let unknownId: Int?
    private let byteTokens: [Int?]

    init(vocab: [[UInt8]: Int], scores: [Float], unknownId: Int?) {
        self.vocab = vocab
        self.scores = scores
        self.unknownId = unknownId
        byteTokens = (0..<256).map { byte in vocab[Array(("<0x" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2) + ">").utf8)] }
    }

    /// Ids for `scalars`, each with the range of scalars it covers.
    func encode(_ scalars: [Unicode.Scalar]) -> [(id: Int, range: Range<Int>)] {
        guard !scalars.isEmpty else { return [] }
        struct Symbol { var bytes: [UInt8]; var range: Range<Int>; var previous: Int; var next: Int; var alive: Bool }
        var symbols = scalars.enumerated().map { index, scalar in
            Symbol(bytes: Array(String(scalar).utf8), range: index..<(index + 1), previous: index - 1,
                   next: index + 1 < scalars.count ? index + 1 : -1, alive: true)
        }
        // Candidates: (score, left index, combined length); stale entries are skipped when popped.
        var heap = CandidateHeap()
        func consider(_ left: Int, _ right: Int) {
            guard left >= 0, right >= 0 else { return }
            let merged = symbols[left].bytes + symbols[right].bytes
            guard let id = vocab[merged] else { return }
            heap.push(.init(score: id < scores.count ? scores[id] : 0, left: left, length: merged.count))
        }
        for index in 1..<symbols.count { consider(index - 1, index) }
        while let best = heap.pop() {
            let left = best.left
            let right = symbols[left].next
            guard symbols[left].alive, right >= 0, symbols[left].bytes.count + symbols[right].bytes.count == best.length else { continue }
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
                    if let id = byteTokens[Int(byte)] { result.append((id, symbol.range)) } else if let unknownId { result.append((unknownId, symbol.range)) }
                }
            }
            index = symbol.next
        }
        return result
    }
}

/// A max-heap of merge candidates: highest score first, then the leftmost.
struct CandidateHeap {
    struct Candidate { var score: Float; var left: Int; var length: Int }
    private var items: [Candidate] = []

    @inline(__always) private static func before(_ a: Candidate, _ b: Candidate) -> Bool {
        a.score > b.score || (a.score == b.score && a.left < b.left)
    }

    mutating func push(_ candidate: Candidate) {
        items.append(candidate)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard CandidateHeap.before(items[child], items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Candidate? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var best = parent
                if left < items.count && CandidateHeap.before(items[left], items[best]) { best = left }
                if right < items.count && CandidateHeap.before(items[right], items[best]) { best = right }
                guard best != parent else { break }
                items.swapAt(parent, best)
                parent = best
            }
        }
        return top
    }
}
