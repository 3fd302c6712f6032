import Foundation

/// Byte-level BPE without the general pipeline's intermediate copies: the family's scanner splits
/// the text, each word's UTF-8 bytes start as the ids of their byte-alphabet characters, merge, and
/// every token reports the scalars its bytes came from. Results are cached per word.
extension BPEModel {
    /// Encodes `text` (a run of the original text that starts at scalar `origin`, with no normaliser)
    /// as `ByteLevel` pre-tokenisation with `family`'s split and this model would.
    func encodeByteLevel(
        _ text: ArraySlice<Unicode.Scalar>, family: GPT2Split.Family, origin: Int, typeId: Int,
        vocabulary: [String?], into encoding: inout Encoding
    ) {
        let words = GPT2Split.split(text, family: family)
        var bytes: [UInt8] = []
        var scalarOfByte: [Int32] = []
        var pieces: [WordCache.Piece] = []
        let base = text.startIndex
        for word in words {
            bytes.removeAll(keepingCapacity: true)
            scalarOfByte.removeAll(keepingCapacity: true)
            for offset in word {
                let scalar = text[base + offset]
                if scalar.value < 0x80 {
                    bytes.append(UInt8(truncatingIfNeeded: scalar.value))
                    scalarOfByte.append(Int32(offset))
                } else {
                    for byte in String(scalar).utf8 {
                        bytes.append(byte)
                        scalarOfByte.append(Int32(offset))
                    }
                }
            }
            pieces.removeAll(keepingCapacity: true)
            if !cache.lookup(bytes, into: &pieces) {
                byteLevelPieces(bytes, into: &pieces)
                cache.store(bytes, pieces)
            }
            for piece in pieces {
                let id = Int(piece.id)
                let first = Int(scalarOfByte[Int(piece.start)]), last = Int(scalarOfByte[Int(piece.end) - 1])
                encoding.append(
                    id: id, token: (id < vocabulary.count ? vocabulary[id] : nil) ?? "",
                    offsets: (origin + first, origin + last + 1),
                    typeId: typeId, special: false, sequence: 0)
            }
        }
    }

    /// The tokens of one word's bytes, each with the byte range it covers.
    private func byteLevelPieces(_ bytes: [UInt8], into pieces: inout [WordCache.Piece]) {
        if ignoreMerges {
            var key: [UInt8] = []
            key.reserveCapacity(bytes.count * 2)
            for byte in bytes { key += byteLevelCharacterBytes[Int(byte)] }
            if let id = vocab[key] {
                pieces.append(WordCache.Piece(id: Int32(id), start: 0, end: Int32(bytes.count)))
                return
            }
        }
        var symbols: [Symbol] = []
        symbols.reserveCapacity(bytes.count)
        for (index, byte) in bytes.enumerated() {
            let id = byteLevelIds[Int(byte)]
            // A byte whose character the vocabulary lacks is unknown (or dropped without an unknown token).
            guard let id = id >= 0 ? Int(id) : unknownId else { continue }
            symbols.append(
                Symbol(id: id, range: index..<(index + 1), previous: symbols.count - 1, next: symbols.count + 1))
        }
        guard !symbols.isEmpty else { return }
        merge(&symbols)
        var index = 0
        while index >= 0 {
            pieces.append(
                WordCache.Piece(
                    id: Int32(symbols[index].id), start: Int32(symbols[index].range.lowerBound),
                    end: Int32(symbols[index].range.upperBound)))
            index = symbols[index].next
        }
    }
}

/// Tokens of recently seen words (by UTF-8 bytes), shared by the threads of a batch.
// @unchecked Sendable: `entries` is read and written only while holding `lock`.
final class WordCache: @unchecked Sendable {
    struct Piece: Sendable {
        var id: Int32
        var start: Int32
        var end: Int32
    }

    private var entries: [[UInt8]: [Piece]] = [:]
    private let lock = NSLock()
    private let capacity: Int
    /// Words longer than this many bytes are not kept.
    private let longestWord = 64

    init(capacity: Int = 20_000) { self.capacity = capacity }

    func lookup(_ word: [UInt8], into pieces: inout [Piece]) -> Bool {
        guard word.count <= longestWord else { return false }
        lock.lock()
        defer { lock.unlock() }
        guard let found = entries[word] else { return false }
        pieces += found
        return true
    }

    func store(_ word: [UInt8], _ pieces: [Piece]) {
        guard word.count <= longestWord else { return }
        lock.lock()
        defer { lock.unlock() }
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[word] = pieces
    }
}
