import Foundation
import Generation
import Synchronization
import TestSupport
import Tokenizers
import XCTest

/// Continuous batching: sequences decoded together give the tokens each gives alone; the queue
/// limit, cancellation, deadlines and shutdown end requests as documented.
final class GenerationSchedulerTests: XCTestCase {
    private static let tinyModel = Result { try TinyModelFile.write() }

    private func greedy(_ text: String, tokens: Int) -> GenerationRequest {
        var request = GenerationRequest(messages: [.user(text)])
        request.maxTokens = tokens
        request.sampling.temperature = 0
        return request
    }

    /// Collects a stream's text and its summary.
    private func collect(_ stream: AsyncStream<GenerationEvent>) async -> (String, GenerationSummary?, SchedulerError?)
    {
        var text = ""
        for await event in stream {
            switch event {
            case let .text(piece): text += piece
            case let .finished(summary): return (text, summary, nil)
            case let .failed(error): return (text, nil, error)
            }
        }
        return (text, nil, nil)
    }

    /// Eight different SmolLM2 chats submitted at once (prompts of different lengths, prefilled in
    /// chunks beside sequences already decoding, then again with cached prompt prefixes) give
    /// exactly the greedy tokens each gives alone.
    func testBatchedGreedyEqualsAlone() async throws {
        let generator = try TextGenerator(path: FixturePaths.smolLM2ModelOrSkip(), contextLength: 512)
        var configuration = GenerationScheduler.Configuration()
        configuration.parallel = 8
        configuration.prefillChunk = 24
        let scheduler = try GenerationScheduler(generator: generator, configuration: configuration)
        let prompts = [
            "What is the capital of France?", "Write a haiku about the sea.", "List three prime numbers.",
            "Explain gravity to a child in two sentences.", "Hi", "Translate 'good morning' into Spanish.",
            "What colour is the sky on a clear day, and why does it look that way to us?", "Count from one to ten.",
        ]
        let requests = prompts.enumerated().map { greedy($0.element, tokens: 24 + 4 * $0.offset) }
        let alone = try requests.map { try generator.generate($0) }
        // The second round finds the chat template's system turn (and whole prompts) in the
        // slots' caches and skips it: the tokens are still those of a fresh run.
        for round in 0..<2 {
            let streams = try requests.map { try scheduler.submit($0).events }
            for (index, stream) in streams.enumerated() {
                let (text, summary, error) = await collect(stream)
                XCTAssertNil(error)
                XCTAssertEqual(text, alone[index].text, "round \(round): \(prompts[index])")
                XCTAssertEqual(summary?.text, alone[index].text, prompts[index])
                XCTAssertEqual(summary?.completionTokens, alone[index].ids.count, prompts[index])
                XCTAssertEqual(summary?.promptTokens, alone[index].promptIds.count)
                XCTAssertEqual(summary?.finishReason, alone[index].finishReason, prompts[index])
            }
        }
        scheduler.shutdown()
    }

    /// With every slot busy and the queue full, a request is refused; cancelling a stream frees
    /// its slot for the next request; an invalid request fails at submission.
    func testQueueLimitCancellationAndValidation() async throws {
        let generator = try TextGenerator(path: FixturePaths.smolLM2ModelOrSkip(), contextLength: 512)
        var configuration = GenerationScheduler.Configuration()
        configuration.parallel = 1
        configuration.queueLimit = 1
        let cancelled = Counter()
        let scheduler = try GenerationScheduler(
            generator: generator, configuration: configuration, onCancel: { cancelled.increment() })
        let long = greedy("Tell me a very long story about a dragon.", tokens: 400)
        let running = try scheduler.submit(long)
        // Wait until the first request holds the slot.
        var iterator = running.events.makeAsyncIterator()
        _ = await iterator.next()
        let waiting = try scheduler.submit(greedy("Second.", tokens: 4)).events
        XCTAssertThrowsError(try scheduler.submit(greedy("Third.", tokens: 4))) { error in
            guard case .queueFull(limit: 1) = error as? SchedulerError else { return XCTFail("\(error)") }
        }
        running.cancel()
        let (_, summary, error) = await collect(waiting)
        XCTAssertNil(error)
        XCTAssertEqual(summary?.completionTokens, 4)
        XCTAssertEqual(cancelled.value, 1)

        var invalid = greedy("Hello", tokens: 4)
        invalid.sampling.topP = 2
        XCTAssertThrowsError(try scheduler.submit(invalid)) { error in
            guard case .invalidRequest(.invalidSamplingParameter(.topP, _, _)) = error as? SchedulerError else {
                return XCTFail("\(error)")
            }
        }
        scheduler.shutdown()
    }

    /// A deadline in the past ends the sequence with no more tokens; shutdown ends running
    /// sequences with a summary and refuses new requests.
    func testDeadlineAndShutdown() async throws {
        let generator = try TextGenerator(path: GenerationSchedulerTests.tinyModel.get(), contextLength: 128)
        let scheduler = try GenerationScheduler(generator: generator)
        let expired = try scheduler.submit(greedy("Hello", tokens: 50), deadline: .now - .seconds(1))
        let (_, summary, _) = await collect(expired.events)
        XCTAssertEqual(summary?.finishReason, .length)
        XCTAssertLessThan(summary?.completionTokens ?? 99, 2)

        let running = try scheduler.submit(greedy("Hello", tokens: 10_000))
        var iterator = running.events.makeAsyncIterator()
        _ = await iterator.next()
        scheduler.shutdown()
        var finished = false
        while let event = await iterator.next() {
            if case .finished(let summary) = event {
                finished = true
                XCTAssertEqual(summary.finishReason, .length)
            }
        }
        XCTAssertTrue(finished)
        XCTAssertThrowsError(try scheduler.submit(greedy("Hello", tokens: 4))) { error in
            guard case .shuttingDown = error as? SchedulerError else { return XCTFail("\(error)") }
        }
    }
}

/// A thread-safe counter for callbacks.
final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
