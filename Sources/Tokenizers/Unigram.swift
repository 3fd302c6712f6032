/// The Unigram model: the segmentation with the highest total piece score (Viterbi over every
/// vocabulary piece that starts at each position). A character no single piece covers is unknown,
/// scored `min score - 10`; adjacent unknown characters fuse into one token that keeps their text;
/// with byte fallback, text outside the vocabulary becomes `<0xHH>` tokens instead.
struct Unigram: Sendable {
    let pieces: VocabularyTable
    let scores: [Double]
    let unknownId: Int?
    let byteFallback: Bool
    private let unknownScore: Double
    private let trie: PieceTrie
    private let byteIds: [Int?]

    init(pieces: [(piece: String, score: Double)], unknownId: Int?, byteFallback: Bool) {
        var table = VocabularyTable(capacity: pieces.count)
        var trie = PieceTrie()
        for (id, entry) in pieces.enumerated() {
            let bytes = Array(entry.piece.utf8)
            table.insert(bytes, id: id)
            trie.insert(Array(entry.piece.unicodeScalars), id: id)
        }
        self.pieces = table
        scores = pieces.map(\.score)
        self.unknownId = unknownId
        self.byteFallback = byteFallback
        unknownScore = (scores.min() ?? 0) - 10
        self.trie = trie
        byteIds = (0..<256).map { table[ByteFallback.token(for: UInt8($0))] }
    }

    func tokenize(_ word: ArraySlice<Unicode.Scalar>, into tokens: inout [ModelToken]) {
        guard !word.isEmpty else { return }
        let scalars = Array(word)
        let count = scalars.count
        // best[end]: the best path's score up to `end`, where its last piece starts, and its id.
        var score = [Double](repeating: 0, count: count + 1)
        var startOf = [Int](repeating: -1, count: count + 1)
        var idOf = [Int](repeating: -1, count: count + 1)
        for start in 0..<count where start == 0 || startOf[start] >= 0 {
            let base = score[start]
            var hasSingle = false
            trie.forEachPrefix(of: scalars, from: start) { length, id in
                let end = start + length
                let candidate = scores[id] + base
                if startOf[end] < 0 || candidate > score[end] {
                    score[end] = candidate
                    startOf[end] = start
                    idOf[end] = id
                }
                if length == 1 { hasSingle = true }
            }
            if !hasSingle {
                let candidate = unknownScore + base
                if startOf[start + 1] < 0 || candidate > score[start + 1] {
                    score[start + 1] = candidate
                    startOf[start + 1] = start
                    idOf[start + 1] = unknownId ?? -1
                }
            }
        }
        // Walk back, fusing runs of unknown pieces.
        // Each piece keeps the id the lattice chose (-1 for a fused run of unknowns, looked up by text).
        var pieces: [(range: Range<Int>, id: Int)] = []
        var end = count
        var fused: Range<Int>?
        while end > 0 {
            let start = max(0, startOf[end])
            if let unknownId, idOf[end] == unknownId {
                fused = start..<(fused?.upperBound ?? end)
            } else {
                if let run = fused {
                    pieces.append((run, -1))
                    fused = nil
                }
                pieces.append((start..<end, idOf[end]))
            }
            end = start
        }
        if let run = fused { pieces.append((run, -1)) }
        for (range, id) in pieces.reversed() {
            if id >= 0 {
                tokens.append(ModelToken(id: id, range: range))
                continue
            }
            let text = String(String.UnicodeScalarView(scalars[range]))
            let bytes = Array(text.utf8)
            if let id = self.pieces[bytes] {
                tokens.append(ModelToken(id: id, range: range))
            } else if byteFallback, bytes.allSatisfy({ byteIds[Int($0)] != nil }) {
                for byte in bytes { if let id = byteIds[Int(byte)] { tokens.append(ModelToken(id: id, range: range)) } }
            } else if let unknownId {
                tokens.append(ModelToken(id: unknownId, value: text, range: range))
            }
        }
    }
}

/// A trie over Unicode scalars: one hash table from (node, scalar) to the child node.
struct PieceTrie: Sendable {
    private var children = MergeTable(capacity: 64)
    private var ids: [Int32] = [-1]

    mutating func insert(_ scalars: [Unicode.Scalar], id: Int) {
        var node = 0
        for scalar in scalars {
            let key = UInt64(node) << 21 | UInt64(scalar.value)
            if let child = children[key] {
                node = Int(child.rank)
            } else {
                ids.append(-1)
                children.insert(key, (rank: Int32(ids.count - 1), result: 0))
                node = ids.count - 1
            }
        }
        if ids[node] < 0 { ids[node] = Int32(id) }
    }

    /// Calls `body(length, id)` for every piece that starts `scalars` at `start`, shortest first.
    func forEachPrefix(of scalars: [Unicode.Scalar], from start: Int, _ body: (Int, Int) -> Void) {
        var node = 0
        var position = start
        while position < scalars.count, let child = children[UInt64(node) << 21 | UInt64(scalars[position].value)] {
            node = Int(child.rank)
            position += 1
            if ids[node] >= 0 { body(position - start, Int(ids[node])) }
        }
    }
}
