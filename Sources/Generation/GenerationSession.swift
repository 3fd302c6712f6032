/// The state of one sequence (a conversation, a request): its key/value cache and the token ids
/// the cache holds. Each caller owns its session; the model behind it is shared. Passing the same
/// session to successive ``TextGenerator/generate(_:session:onText:)`` calls continues the
/// conversation: the part of a new prompt that the cache already holds is not computed again.
public final class GenerationSession {
    /// The sequence's keys and values.
    public let cache: KVCache
    /// Ids whose keys and values are in ``cache``, in order.
    public private(set) var tokens: [Int] = []

    /// A session over `cache` (empty or not: its contents are forgotten).
    public init(cache: KVCache) {
        cache.reset()
        self.cache = cache
    }

    /// Positions the session can hold.
    public var contextLength: Int { cache.capacity }

    /// Forgets everything.
    public func reset() {
        cache.reset()
        tokens = []
    }

    /// Keeps the first `count` tokens and their cache entries.
    public func rewind(to count: Int) {
        let kept = max(0, min(count, tokens.count))
        cache.rewind(to: kept)
        tokens.removeLast(tokens.count - kept)
    }

    /// Runs `ids` through `model` after the tokens already held and returns the logits after the last.
    public func forward(_ ids: [Int], model: any CausalLanguageModel) throws(GenerationError) -> [Float] {
        let logits = try model.forward(ids, cache: cache)
        tokens += ids
        return logits
    }

    /// How many leading ids of `prompt` the session already holds, leaving at least one to run
    /// (its logits start the generation).
    func reusablePrefix(of prompt: [Int]) -> Int {
        var shared = 0
        while shared < min(tokens.count, prompt.count - 1), tokens[shared] == prompt[shared] { shared += 1 }
        return shared
    }
}
