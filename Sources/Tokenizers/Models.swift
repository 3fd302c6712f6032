/// One token a model produced for a word: its id, its text when that is not the vocabulary entry
/// (Unigram's unknown pieces keep the text they stand for), and the word's scalars it covers.
struct ModelToken: Sendable {
    var id: Int
    var value: String? = nil
    var range: Range<Int>
}

/// The `tokenizer.json` model (or a GGUF vocabulary's) that turns words into ids.
enum TokenizerModel: Sendable {
    case wordPiece(WordPiece)
    case bpe(BPEModel)
    case wordLevel(WordLevel)
    case unigram(Unigram)
    case sentencePiece(SentencePieceModel)

    /// Appends the tokens of one word (ranges relative to the word's start).
    func tokenize(_ word: ArraySlice<Unicode.Scalar>, into tokens: inout [ModelToken]) {
        switch self {
        case let .wordPiece(model): model.tokenize(word, into: &tokens)
        case let .bpe(model): model.tokenize(word, into: &tokens)
        case let .wordLevel(model): model.tokenize(word, into: &tokens)
        case let .unigram(model): model.tokenize(word, into: &tokens)
        case let .sentencePiece(model):
            for (id, range) in model.encode(Array(word)) { tokens.append(ModelToken(id: id, range: range)) }
        }
    }
}

/// WordLevel: each word is one vocabulary entry, or the unknown token.
struct WordLevel: Sendable {
    let vocab: VocabularyTable
    let unknownId: Int?

    func tokenize(_ word: ArraySlice<Unicode.Scalar>, into tokens: inout [ModelToken]) {
        guard !word.isEmpty else { return }
        if let id = vocab[Array(String(String.UnicodeScalarView(word)).utf8)] ?? unknownId {
            tokens.append(ModelToken(id: id, range: 0..<word.count))
        }
    }
}
