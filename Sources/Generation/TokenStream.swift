import Tokenizers

/// The text side of one sequence's decoding: samples each next token, ends on an
/// end-of-generation token, a stop string, the token limit or a full context, and releases text as
/// soon as it can no longer change. ``TextGenerator`` and ``GenerationScheduler`` step it the same
/// way, so a sequence gives the same tokens and text on either.
struct TokenStream {
    private let tokenizer: Tokenizer
    private let endOfGenerationIds: Set<Int>
    private let stops: [String]
    private let maxTokens: Int
    private var sampler: Sampler
    private var history: [Int]
    private var emitted = 0
    /// Generated ids (an end-of-generation token included).
    private(set) var ids: [Int] = []
    /// The generated text so far (without a stop string).
    private(set) var text = ""
    /// Why the sequence ended; nil while it goes on.
    private(set) var finishReason: FinishReason?

    /// A stream for `request`, whose prompt tokenized to `promptIds`.
    init(generator: TextGenerator, request: GenerationRequest, promptIds: [Int]) {
        tokenizer = generator.tokenizer
        endOfGenerationIds = generator.endOfGenerationIds
        stops = request.stop
        maxTokens = request.maxTokens
        sampler = Sampler(parameters: request.sampling)
        history = promptIds
        if maxTokens <= 0 { finishReason = .length }
    }

    /// The last sampled id: the next one to run through the model.
    var lastId: Int? { ids.last }

    /// Samples the token after `logits` and returns the text that became final (at the end, all
    /// that is left). `roomInContext` tells whether the cache can take the sampled token.
    mutating func accept(_ logits: [Float], roomInContext: Bool) -> String {
        guard finishReason == nil else { return "" }
        let next = sampler.sample(logits, history: history)
        ids.append(next)
        history.append(next)
        if endOfGenerationIds.contains(next) {
            return finish(.eog)
        }
        text = (try? tokenizer.decode(ids)) ?? text
        if let cut = TokenStream.firstStop(in: text, stops: stops) {
            text = String(text[..<cut])
            return finish(.stop)
        }
        guard ids.count < maxTokens, roomInContext else { return finish(.length) }
        // Emit what can no longer change: hold back an incomplete character and any suffix that
        // could begin a stop string.
        let safe = TokenStream.stableLength(text, stops: stops)
        guard safe > emitted else { return "" }
        let scalars = Array(text.unicodeScalars)
        defer { emitted = safe }
        return String(String.UnicodeScalarView(scalars[emitted..<safe]))
    }

    /// Ends the sequence early (cancelled, shut down, out of time) as if it had reached its limit.
    mutating func stop() -> String {
        guard finishReason == nil else { return "" }
        return finish(.length)
    }

    private mutating func finish(_ reason: FinishReason) -> String {
        finishReason = reason
        if reason != .stop { text = (try? tokenizer.decode(ids)) ?? text }
        let scalars = Array(text.unicodeScalars)
        guard scalars.count > emitted else { return "" }
        defer { emitted = scalars.count }
        return String(String.UnicodeScalarView(scalars[emitted...]))
    }

    /// Where the first stop string starts in `text`, if any occurs.
    static func firstStop(in text: String, stops: [String]) -> String.Index? {
        stops.filter { !$0.isEmpty }.compactMap { text.range(of: $0)?.lowerBound }.min()
    }

    /// Scalars of `text` that are final: not a trailing U+FFFD (a character still being completed)
    /// and not a suffix that could start a stop string.
    static func stableLength(_ text: String, stops: [String]) -> Int {
        var scalars = Array(text.unicodeScalars)
        while scalars.last == "\u{FFFD}" { scalars.removeLast() }
        var keep = scalars.count
        for stop in stops where !stop.isEmpty {
            let stopScalars = Array(stop.unicodeScalars)
            for length in stride(from: min(stopScalars.count - 1, scalars.count), to: 0, by: -1)
            where Array(scalars.suffix(length)) == Array(stopScalars.prefix(length)) {
                keep = min(keep, scalars.count - length)
                break
            }
        }
        return keep
    }
}
