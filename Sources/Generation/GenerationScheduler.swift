import Foundation
import Synchronization

/// What a scheduled generation reports, in this order: text pieces as they become final, then
/// exactly one ``finished(_:)`` or ``failed(_:)``.
public enum GenerationEvent: Sendable {
    /// New text (final: it never changes or disappears).
    case text(String)
    /// The generation ended normally (or was ended early by a deadline or a shutdown).
    case finished(GenerationSummary)
    /// The generation could not go on.
    case failed(SchedulerError)
}

/// The outcome of a scheduled generation.
public struct GenerationSummary: Sendable {
    /// Tokens of the prompt (after the chat template).
    public var promptTokens: Int
    /// Generated tokens (an end-of-generation token included).
    public var completionTokens: Int
    public var finishReason: FinishReason
    /// All the generated text.
    public var text: String
    /// Seconds from submission to the first generated token (nil when none was generated).
    public var timeToFirstToken: Double?
    /// Seconds the request waited before a slot took it.
    public var queueSeconds: Double
}

/// Why a request was not accepted by a ``GenerationScheduler``.
public enum SchedulerError: Error, CustomStringConvertible, Sendable {
    /// Every slot is busy and `limit` requests are already waiting.
    case queueFull(limit: Int)
    /// The scheduler is shutting down.
    case shuttingDown
    /// The request itself is invalid (sampling settings, prompt, template), or the model failed
    /// on it.
    case invalidRequest(GenerationError)

    public var description: String {
        switch self {
        case let .queueFull(limit): return "the server is busy: \(limit) requests are already waiting"
        case .shuttingDown: return "the server is shutting down"
        case let .invalidRequest(error): return error.description
        }
    }
}

/// Continuous batching for one text model: up to `parallel` sequences decode together, each step
/// one batched forward pass over all of them (weights read once per step), with requests joining
/// between steps and leaving as they finish. Long prompts are prefilled in chunks so that they do
/// not stall the sequences already decoding. Each sequence has a slot of its own (a key/value
/// cache); its numbers, and so its greedy tokens, are the same as when it runs alone.
///
/// The decode loop runs on a thread of its own; ``submit(_:deadline:)`` may be called from any
/// thread or task. A consumer that stops reading its stream (a client gone) cancels its sequence,
/// which leaves the batch at the next step.
public final class GenerationScheduler: Sendable {
    /// Sizes of the scheduler.
    public struct Configuration: Sendable {
        /// Sequences decoded together (slots).
        public var parallel = 4
        /// Requests that may wait for a slot; more are refused with ``SchedulerError/queueFull(limit:)``.
        public var queueLimit = 64
        /// Positions of each slot's cache (nil: the generator's context length).
        public var contextLength: Int?
        /// Most prompt tokens prefilled in one step, over all sequences.
        public var prefillChunk = 256

        public init() {}
    }

    /// How busy the scheduler is, reported after every change.
    public struct Occupancy: Sendable, Equatable {
        public var active: Int
        public var queued: Int
    }

    public let generator: TextGenerator
    public let configuration: Configuration
    /// The positions of each slot's cache.
    public let contextLength: Int
    private let state: SchedulerState

    /// A scheduler over `generator`'s model; reserves `parallel` caches and starts the decode
    /// thread. `onOccupancy` is called (on any thread) whenever the active or queued count changes;
    /// `onCancel` when an abandoned request leaves the queue or the batch.
    public init(
        generator: TextGenerator, configuration: Configuration = Configuration(),
        onOccupancy: @escaping @Sendable (Occupancy) -> Void = { _ in },
        onCancel: @escaping @Sendable () -> Void = {}
    ) throws(GenerationError) {
        guard configuration.parallel >= 1, configuration.queueLimit >= 0, configuration.prefillChunk >= 2 else {
            throw .invalidMetadata(key: "scheduler", reason: "needs parallel ≥ 1, queue ≥ 0 and prefill chunk ≥ 2")
        }
        self.generator = generator
        self.configuration = configuration
        let contextLength = configuration.contextLength ?? generator.contextLength
        self.contextLength = contextLength
        var caches: [KVCache] = []
        for _ in 0..<configuration.parallel {
            caches.append(try generator.model.makeCache(contextLength: contextLength))
        }
        state = SchedulerState(onOccupancy: onOccupancy, onCancel: onCancel)
        let engine = DecodeLoop(
            generator: generator, state: state, caches: caches, prefillChunk: configuration.prefillChunk)
        let thread = Thread { engine.run() }
        thread.name = "infer-decode"
        thread.start()
    }

    /// Queues `request`. The prompt is tokenized and checked here, so an invalid request fails
    /// at once; an accepted one reports through the returned stream. After `deadline` the
    /// sequence ends as if it had reached its token limit.
    public func submit(_ request: GenerationRequest, deadline: ContinuousClock.Instant? = nil) throws(SchedulerError)
        -> ScheduledGeneration
    {
        let promptIds: [Int]
        do throws(GenerationError) {
            try request.sampling.validate()
            guard request.maxTokens >= 0 else { throw .invalidMaxTokens(request.maxTokens) }
            promptIds = try generator.promptIds(request, contextLength: contextLength)
        } catch { throw .invalidRequest(error) }
        let (stream, continuation) = AsyncStream<GenerationEvent>.makeStream()
        let job = ScheduledJob(
            request: request, promptIds: promptIds, continuation: continuation, deadline: deadline,
            submitted: ContinuousClock.now)
        try state.enqueue(job, limit: configuration.queueLimit, slots: configuration.parallel)
        let state = self.state, id = job.id
        continuation.onTermination = { reason in
            if case .cancelled = reason { state.cancel(id) }
        }
        return ScheduledGeneration(events: stream, state: state, id: id)
    }

    /// Sequences decoding now and requests waiting.
    public var occupancy: Occupancy { state.occupancy }

    /// Stops taking requests and ends every sequence at the next step with what it has
    /// (finish reason ``FinishReason/length``); waiting requests fail with
    /// ``SchedulerError/shuttingDown``. The decode thread then exits.
    public func shutdown() { state.shutdown() }
}

/// An accepted request: its events, and a way to abandon it.
public struct ScheduledGeneration: Sendable {
    /// Text pieces, then the summary or the failure.
    public let events: AsyncStream<GenerationEvent>
    let state: SchedulerState
    let id: Int

    /// Abandons the request: it leaves the queue now, or the batch at the next step (its slot is
    /// freed). Dropping ``events`` unread does the same.
    public func cancel() { state.cancel(id) }
}

/// A request waiting for, or holding, a slot.
final class ScheduledJob: Sendable {
    private static let counter = Mutex(0)
    let id: Int
    let request: GenerationRequest
    let promptIds: [Int]
    let continuation: AsyncStream<GenerationEvent>.Continuation
    let deadline: ContinuousClock.Instant?
    let submitted: ContinuousClock.Instant

    init(
        request: GenerationRequest, promptIds: [Int], continuation: AsyncStream<GenerationEvent>.Continuation,
        deadline: ContinuousClock.Instant?, submitted: ContinuousClock.Instant
    ) {
        id = ScheduledJob.counter.withLock {
            $0 += 1
            return $0
        }
        self.request = request
        self.promptIds = promptIds
        self.continuation = continuation
        self.deadline = deadline
        self.submitted = submitted
    }
}
