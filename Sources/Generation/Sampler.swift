import Foundation

/// Sampling settings, with llama.cpp's defaults.
public struct SamplingParameters: Sendable, Equatable {
    /// 0 or below: greedy (the highest logit, lowest id on ties).
    public var temperature: Float = 0.8
    /// Keep the `topK` highest logits (0 or below: all).
    public var topK: Int = 40
    /// Keep the smallest prefix of the sorted distribution whose probability reaches `topP` (1: all).
    public var topP: Float = 0.95
    /// Drop tokens less likely than `minP` times the most likely one (0: none).
    public var minP: Float = 0.05
    /// Divide positive logits (multiply negative ones) of recently seen tokens (1: off).
    public var repeatPenalty: Float = 1.0
    /// How many recent tokens the penalties look at (0: none, -1: the whole context).
    public var repeatLastN: Int = 64
    /// Subtract `count × frequencyPenalty` from the logit of each recent token.
    public var frequencyPenalty: Float = 0
    /// Subtract `presencePenalty` from the logit of each token seen at least once recently.
    public var presencePenalty: Float = 0
    /// The random seed; the same seed gives the same output.
    public var seed: UInt64 = 0

    public init() {}

    /// The settings' names (as this type spells them), in the order ``validate()`` checks them.
    public enum Field: String, Sendable, CaseIterable {
        case temperature, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty, presencePenalty
    }

    /// Fails on the first setting outside its accepted range, naming it and the range: NaN and
    /// infinities anywhere, `topP` and `minP` outside 0...1, a penalty of 0 or below, a window
    /// below -1.
    public func validate() throws(GenerationError) {
        func finite(_ field: Field, _ value: Float, _ range: ClosedRange<Float>? = nil, accepted: String)
            throws(GenerationError)
        {
            guard value.isFinite, range.map({ $0.contains(value) }) ?? true else {
                throw .invalidSamplingParameter(field, value: "\(value)", accepted: accepted)
            }
        }
        try finite(.temperature, temperature, accepted: "a finite number (0 or below: greedy)")
        try finite(.topP, topP, 0...1, accepted: "0 to 1")
        try finite(.minP, minP, 0...1, accepted: "0 to 1")
        try finite(.repeatPenalty, repeatPenalty, accepted: "a finite number above 0 (1: off)")
        guard repeatPenalty > 0 else {
            throw .invalidSamplingParameter(
                .repeatPenalty, value: "\(repeatPenalty)", accepted: "a finite number above 0 (1: off)")
        }
        guard repeatLastN >= -1 else {
            throw .invalidSamplingParameter(.repeatLastN, value: "\(repeatLastN)", accepted: "-1 (all) or more")
        }
        try finite(.frequencyPenalty, frequencyPenalty, accepted: "a finite number")
        try finite(.presencePenalty, presencePenalty, accepted: "a finite number")
    }
}

/// A token and its (transformed) logit.
public struct Candidate: Sendable, Equatable {
    public var id: Int
    public var logit: Float
    public init(id: Int, logit: Float) {
        self.id = id
        self.logit = logit
    }
}

/// The sampling chain llama.cpp applies: penalties → top-k → top-p → min-p → temperature → draw.
/// Each step is a static function over candidates sorted by descending logit where it matters.
public struct Sampler: Sendable {
    public var parameters: SamplingParameters
    private var generator: SplitMix64

    public init(parameters: SamplingParameters) {
        self.parameters = parameters
        generator = SplitMix64(seed: parameters.seed)
    }

    /// The next token for `logits`, given the tokens so far (prompt and generated).
    public mutating func sample(_ logits: [Float], history: [Int]) -> Int {
        var candidates = logits.enumerated().map { Candidate(id: $0.offset, logit: $0.element) }
        let recent = parameters.repeatLastN < 0 ? history[...] : history.suffix(max(0, parameters.repeatLastN))
        Sampler.applyPenalties(
            &candidates, recent: Array(recent), repeat: parameters.repeatPenalty,
            frequency: parameters.frequencyPenalty, presence: parameters.presencePenalty)
        if parameters.temperature <= 0 { return Sampler.greedy(candidates) }
        Sampler.topK(&candidates, parameters.topK)
        Sampler.topP(&candidates, parameters.topP)
        Sampler.minP(&candidates, parameters.minP)
        Sampler.temperature(&candidates, parameters.temperature)
        return Sampler.draw(candidates, uniform: Float(generator.nextDouble()))
    }

    /// The highest logit (lowest id among equals).
    public static func greedy(_ candidates: [Candidate]) -> Int {
        var best = candidates.first ?? Candidate(id: 0, logit: -.infinity)
        for c in candidates where c.logit > best.logit || (c.logit == best.logit && c.id < best.id) { best = c }
        return best.id
    }

    /// Repetition, frequency and presence penalties for the tokens in `recent`.
    public static func applyPenalties(
        _ candidates: inout [Candidate], recent: [Int], repeat penalty: Float, frequency: Float, presence: Float
    ) {
        guard !recent.isEmpty, penalty != 1 || frequency != 0 || presence != 0 else { return }
        var counts: [Int: Int] = [:]
        for token in recent { counts[token, default: 0] += 1 }
        for index in candidates.indices {
            guard let count = counts[candidates[index].id] else { continue }
            var logit = candidates[index].logit
            logit = logit <= 0 ? logit * penalty : logit / penalty
            logit -= Float(count) * frequency + presence
            candidates[index].logit = logit
        }
    }

    /// Sorts by descending logit (ties: lower id first) and keeps the first `k` (k ≤ 0: all).
    public static func topK(_ candidates: inout [Candidate], _ k: Int) {
        let ordered: (Candidate, Candidate) -> Bool = { $0.logit > $1.logit || ($0.logit == $1.logit && $0.id < $1.id) }
        if k > 0 && k < candidates.count {
            // Partial selection: keep a sorted buffer of the best k.
            var best: [Candidate] = []
            best.reserveCapacity(k + 1)
            for c in candidates {
                if best.count == k, let last = best.last, !ordered(c, last) { continue }
                let at = best.firstIndex { ordered(c, $0) } ?? best.count
                best.insert(c, at: at)
                if best.count > k { best.removeLast() }
            }
            candidates = best
        } else {
            candidates.sort(by: ordered)
        }
    }

    /// Probabilities of sorted candidates (softmax of their logits).
    public static func probabilities(_ candidates: [Candidate]) -> [Float] {
        guard let maximum = candidates.map(\.logit).max() else { return [] }
        let exps = candidates.map { expf($0.logit - maximum) }
        let sum = exps.reduce(0, +)
        return exps.map { $0 / sum }
    }

    /// Keeps the shortest prefix of the sorted candidates whose probabilities sum to at least `p`.
    public static func topP(_ candidates: inout [Candidate], _ p: Float) {
        guard p < 1, candidates.count > 1 else { return }
        var cumulative: Float = 0
        for (index, probability) in probabilities(candidates).enumerated() {
            cumulative += probability
            if cumulative >= p {
                candidates.removeSubrange((index + 1)...)
                return
            }
        }
    }

    /// Drops candidates whose probability is below `p` times the largest.
    public static func minP(_ candidates: inout [Candidate], _ p: Float) {
        guard p > 0, let maximum = candidates.map(\.logit).max() else { return }
        let threshold = maximum + logf(p)
        let kept = candidates.filter { $0.logit >= threshold }
        if !kept.isEmpty { candidates = kept }
    }

    /// Divides every logit by `t`.
    public static func temperature(_ candidates: inout [Candidate], _ t: Float) {
        for index in candidates.indices { candidates[index].logit /= t }
    }

    /// Draws from the softmax of `candidates` with `uniform` in [0, 1).
    public static func draw(_ candidates: [Candidate], uniform: Float) -> Int {
        let probabilities = probabilities(candidates)
        var cumulative: Float = 0
        for (candidate, probability) in zip(candidates, probabilities) {
            cumulative += probability
            if uniform < cumulative { return candidate.id }
        }
        return candidates.last?.id ?? 0
    }
}

/// A small, fast, seedable generator (SplitMix64): the same seed gives the same sequence everywhere.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A double in [0, 1).
    public mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}
