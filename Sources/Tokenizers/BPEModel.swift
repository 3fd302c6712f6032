import Dispatch

/// Merge rules as read from a file: each rule's left and right token bytes are ranges of one store.
struct MergeList: Sendable {
    var bytes: [UInt8] = []
    var pairs: [(left: Range<Int>, right: Range<Int>)] = []

    mutating func append(left: some Collection<UInt8>, right: some Collection<UInt8>) {
        let start = bytes.count
        bytes += left
        let middle = bytes.count
        bytes += right
        pairs.append((start..<middle, middle..<bytes.count))
    }
}

/// Byte-pair encoding over ids: merge ranks keyed by the pair of ids; the lowest rank merges
/// first, the leftmost on ties (Hugging Face `tokenizers`' BPE model).
final class BPEModel: Sendable {
    let vocab: VocabularyTable
    private let merges: MergeTable
    /// Ids of the single-scalar vocabulary entries (the common first lookup).
    private let scalarIds: [UInt32: Int]
    /// Characters missing from the vocabulary become their UTF-8 bytes as `<0xHH>` tokens.
    let byteFallback: Bool
    private let byteIds: [Int?]
    /// The id for anything else unknown (nil: dropped).
    let unknownId: Int?
    /// Runs of unknown characters become one unknown token.
    let fuseUnknown: Bool
    /// A word that is itself in the vocabulary is one token, whatever the merges would give (Llama 3).
    let ignoreMerges: Bool
    /// Only words made of newlines are taken whole when in the vocabulary (llama.cpp's Gemma 4 rule).
    let wholeNewlineRuns: Bool
    /// Put in front of every symbol but a word's first (`##`-style), and after a word's last.
    let continuingPrefix: [UInt8]
    let endOfWordSuffix: [UInt8]
    /// For byte-level vocabularies: the id of each byte's alphabet character (-1 when missing), and
    /// that character's UTF-8.
    let byteLevelIds: [Int32]
    let byteLevelCharacterBytes: [[UInt8]]
    let cache = WordCache()

    init(
        vocab: VocabularyTable, merges: MergeList, byteFallback: Bool = false, unknownId: Int? = nil,
        fuseUnknown: Bool = false,
        ignoreMerges: Bool = false, wholeNewlineRuns: Bool = false, continuingPrefix: [UInt8] = [],
        endOfWordSuffix: [UInt8] = []
    ) throws(TokenizerError) {
        self.vocab = vocab
        self.ignoreMerges = ignoreMerges
        self.wholeNewlineRuns = wholeNewlineRuns
        self.byteFallback = byteFallback
        self.unknownId = unknownId
        self.fuseUnknown = fuseUnknown
        self.continuingPrefix = continuingPrefix
        self.endOfWordSuffix = endOfWordSuffix
        // Resolve each rule's three tokens (in two halves, on two threads), then insert in rank order.
        let prefix = continuingPrefix
        let count = merges.pairs.count
        var resolved = [(key: UInt64, merged: Int32)](repeating: (0, -1), count: count)
        resolved.withUnsafeMutableBufferPointer { output in
            // nonisolated(unsafe): the two halves write disjoint ranks of a buffer that outlives the
            // concurrentPerform call.
            nonisolated(unsafe) let output = output
            DispatchQueue.concurrentPerform(iterations: count > 4096 ? 2 : 1) { half in
                let range = half == 0 ? 0..<(count > 4096 ? count / 2 : count) : (count / 2)..<count
                var joined: [UInt8] = []
                merges.bytes.withUnsafeBufferPointer { store in
                    for rank in range {
                        let (left, right) = merges.pairs[rank]
                        let leftBytes = UnsafeBufferPointer(rebasing: store[left]),
                            rightBytes = UnsafeBufferPointer(rebasing: store[right])
                        joined.removeAll(keepingCapacity: true)
                        joined.append(contentsOf: leftBytes)
                        joined.append(
                            contentsOf: rightBytes.starts(with: prefix)
                                ? UnsafeBufferPointer(rebasing: rightBytes[prefix.count...]) : rightBytes)
                        guard let a = vocab.lookup(leftBytes), let b = vocab.lookup(rightBytes),
                            let merged = joined.withUnsafeBufferPointer({ vocab.lookup($0) })
                        else { continue }
                        output[rank] = (BPEModel.pairKey(a, b), Int32(truncatingIfNeeded: merged))
                    }
                }
            }
        }
        var table = MergeTable(capacity: count)
        var missing: Int?
        for (rank, rule) in resolved.enumerated() {
            guard rule.merged >= 0 else {
                missing = rank
                break
            }
            table.insert(rule.key, (Int32(truncatingIfNeeded: rank), rule.merged))
        }
        if let rank = missing {
            let (left, right) = merges.pairs[rank]
            let text =
                String(decoding: merges.bytes[left], as: UTF8.self) + " "
                + String(decoding: merges.bytes[right], as: UTF8.self)
            throw .invalidField(
                jsonPath: "$.model.merges[\(rank)]", reason: "'\(text)' uses tokens missing from the vocabulary")
        }
        self.merges = table
        var scalarIds: [UInt32: Int] = [:]
        vocab.forEachEntry { token, id in
            // One scalar: 1 to 4 bytes whose first byte announces exactly that length.
            guard let first = token.first, token.count <= 4 else { return }
            let length = first < 0x80 ? 1 : first >= 0xF0 ? 4 : first >= 0xE0 ? 3 : first >= 0xC0 ? 2 : 0
            guard length == token.count, let scalar = String(decoding: token, as: UTF8.self).unicodeScalars.first,
                scalarIds[scalar.value] == nil
            else { return }
            scalarIds[scalar.value] = id
        }
        self.scalarIds = scalarIds
        byteIds = (0..<256).map { vocab[ByteFallback.token(for: UInt8($0))] }
        byteLevelCharacterBytes = ByteLevelAlphabet.characters.map { Array(String($0).utf8) }
        byteLevelIds = byteLevelCharacterBytes.map { Int32(vocab[$0] ?? -1) }
    }

    @inline(__always) static func pairKey(_ a: Int, _ b: Int) -> UInt64 {
        UInt64(UInt32(truncatingIfNeeded: a)) << 32 | UInt64(UInt32(truncatingIfNeeded: b))
    }

    private struct Candidate: Comparable {
        var rank: Int32
        var left: Int32
        var result: Int32
        var rightId: Int32
        static func < (a: Candidate, b: Candidate) -> Bool { a.rank < b.rank || (a.rank == b.rank && a.left < b.left) }
    }

    /// A symbol of a word being merged, in a linked list; `range` is in the caller's units.
    struct Symbol {
        var id: Int
        var range: Range<Int>
        var previous: Int
        var next: Int
    }

    /// Applies the merges to a word's symbols (linked in order), lowest rank first, leftmost on ties;
    /// afterwards the symbols reachable from index 0 through `next` are the tokens.
    func merge(_ symbols: inout [Symbol]) {
        symbols[symbols.count - 1].next = -1
        guard symbols.count > 1 else { return }
        var queue = PriorityQueue<Candidate>()
        func consider(_ left: Int) {
            let right = symbols[left].next
            guard left >= 0, right >= 0, let merge = merges[BPEModel.pairKey(symbols[left].id, symbols[right].id)]
            else { return }
            queue.push(
                Candidate(rank: merge.rank, left: Int32(left), result: merge.result, rightId: Int32(symbols[right].id)))
        }
        for index in 0..<(symbols.count - 1) { consider(index) }
        while let best = queue.pop() {
            let left = Int(best.left)
            let right = symbols[left].next
            // Skip candidates made stale by an earlier merge of either symbol.
            guard symbols[left].id >= 0, right >= 0, symbols[right].id == Int(best.rightId),
                merges[BPEModel.pairKey(symbols[left].id, symbols[right].id)]?.rank == best.rank
            else { continue }
            symbols[left].id = Int(best.result)
            symbols[left].range = symbols[left].range.lowerBound..<symbols[right].range.upperBound
            symbols[left].next = symbols[right].next
            symbols[right].id = -1
            if symbols[left].next >= 0 { symbols[symbols[left].next].previous = left }
            if symbols[left].previous >= 0 { consider(symbols[left].previous) }
            consider(left)
        }
    }

    /// Appends the tokens of one word (`tokens` ranges are relative to the word's start).
    func tokenize(_ word: ArraySlice<Unicode.Scalar>, into tokens: inout [ModelToken]) {
        guard !word.isEmpty else { return }
        if ignoreMerges || (wholeNewlineRuns && word.allSatisfy({ $0 == "\n" })),
            let id = vocab[Array(String(String.UnicodeScalarView(word)).utf8)]
        {
            tokens.append(ModelToken(id: id, range: 0..<word.count))
            return
        }
        var symbols: [Symbol] = []
        symbols.reserveCapacity(word.count)
        let plain = continuingPrefix.isEmpty && endOfWordSuffix.isEmpty
        var pendingUnknown: Range<Int>?
        func add(_ id: Int, _ range: Range<Int>) {
            symbols.append(Symbol(id: id, range: range, previous: symbols.count - 1, next: symbols.count + 1))
        }
        func flushUnknown() {
            if let range = pendingUnknown, let unknownId { add(unknownId, range) }
            pendingUnknown = nil
        }
        for (index, scalar) in word.enumerated() {
            var found: Int?
            var text: [UInt8] = []
            if plain {
                found = scalarIds[scalar.value]
                if found == nil, byteFallback { text = Array(String(scalar).utf8) }
            } else {
                if index > 0 { text += continuingPrefix }
                text += Array(String(scalar).utf8)
                if index == word.count - 1 { text += endOfWordSuffix }
                found = vocab[text]
            }
            if let found {
                flushUnknown()
                add(found, index..<(index + 1))
                continue
            }
            if byteFallback, text.allSatisfy({ byteIds[Int($0)] != nil }) {
                for byte in text { if let id = byteIds[Int(byte)] { add(id, index..<(index + 1)) } }
                continue
            }
            guard unknownId != nil else { continue }
            if fuseUnknown, let range = pendingUnknown {
                pendingUnknown = range.lowerBound..<(index + 1)
            } else {
                flushUnknown()
                pendingUnknown = index..<(index + 1)
            }
        }
        flushUnknown()
        guard !symbols.isEmpty else { return }
        merge(&symbols)
        var index = 0
        while index >= 0 {
            tokens.append(ModelToken(id: symbols[index].id, range: symbols[index].range))
            index = symbols[index].next
        }
    }
}

/// `<0xHH>` byte tokens.
enum ByteFallback {
    static func token(for byte: UInt8) -> [UInt8] {
        let digits = Array("0123456789ABCDEF".utf8)
        return Array("<0x".utf8) + [digits[Int(byte >> 4)], digits[Int(byte & 15)], UInt8(ascii: ">")]
    }

    /// The byte a `<0xHH>` token stands for.
    static func byte(of token: String) -> UInt8? {
        let scalars = Array(token.unicodeScalars)
        guard scalars.count == 6, token.hasPrefix("<0x"), scalars[5] == ">" else { return nil }
        return UInt8(String(String.UnicodeScalarView(scalars[3..<5])), radix: 16)
    }
}
