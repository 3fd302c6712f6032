import Foundation
import GGUF
import Generation
import TestSupport
import Tokenizers
import XCTest

/// The generator's requests and sessions: chat prompts through the model's template, sessions
/// that continue a conversation, and one shared model serving concurrent generations.
final class TextGeneratorTests: XCTestCase {
    private static let tinyModel = Result { try TinyModelFile.write() }

    private func tinyGenerator() throws -> TextGenerator {
        try TextGenerator(path: TextGeneratorTests.tinyModel.get(), contextLength: 128)
    }

    private func greedy(_ request: GenerationRequest, tokens: Int = 12) -> GenerationRequest {
        var request = request
        request.maxTokens = tokens
        request.sampling.temperature = 0
        return request
    }

    /// The SmolLM2 GGUF's own template renders the chat prompts exactly as llama.cpp's fixtures did.
    func testModelTemplateRendersTheFixturePrompts() throws {
        let generator = try TextGenerator(path: FixturePaths.smolLM2ModelOrSkip(), contextLength: 256)
        let goldens = try FixturePaths.jsonLines("llm/smollm2_greedy.jsonl", as: GreedyGenerationTests.Golden.self)
        for golden in goldens where golden.chat {
            let request = GenerationRequest(messages: [.user(golden.prompt)])
            XCTAssertEqual(try generator.renderedPrompt(request), golden.prompt_rendered, golden.id)
            XCTAssertEqual(try generator.promptIds(request), golden.prompt_ids, golden.id)
            XCTAssertEqual(
                try generator.tokenizer.applyChatTemplate([.user(golden.prompt)]), golden.prompt_ids, golden.id)
        }
    }

    /// A session keeps its cache between calls: a prompt that shares a prefix with what the session
    /// holds computes only the rest, and gives the same tokens as a fresh session.
    func testSessionReusesTheSharedPrefix() throws {
        let generator = try tinyGenerator()
        let first = greedy(GenerationRequest(messages: [.system("You are terse."), .user("Name a colour.")]))
        let second = greedy(GenerationRequest(messages: [.system("You are terse."), .user("Name a fruit, please.")]))
        let session = try generator.makeSession()
        let firstResult = try generator.generate(first, session: session)
        XCTAssertEqual(firstResult.reusedPromptTokens, 0)
        XCTAssertEqual(Array(session.tokens.prefix(firstResult.promptIds.count)), firstResult.promptIds)
        let continued = try generator.generate(second, session: session)
        let shared = zip(firstResult.promptIds, continued.promptIds).prefix { $0 == $1 }.count
        XCTAssertGreaterThan(shared, 10, "the system turn is shared")
        XCTAssertEqual(continued.reusedPromptTokens, shared)
        let fresh = try generator.generate(second)
        XCTAssertEqual(fresh.reusedPromptTokens, 0)
        XCTAssertFalse(fresh.ids.isEmpty)
        XCTAssertEqual(continued.ids, fresh.ids)

        // Continuing the conversation reuses the whole previous exchange.
        let reply = ChatMessage.assistant(continued.text)
        let third = greedy(
            GenerationRequest(messages: [
                .system("You are terse."), .user("Name a fruit, please."), reply, .user("Another."),
            ]))
        let next = try generator.generate(third, session: session)
        XCTAssertGreaterThanOrEqual(next.reusedPromptTokens, continued.promptIds.count)
    }

    /// One loaded model, two generations at once from two tasks: the same ids as one after the other.
    func testConcurrentGenerationsOnOneModelMatchSequentialOnes() async throws {
        let generator = try tinyGenerator()
        var sampled = GenerationRequest(prompt: "Once upon a time")
        sampled.maxTokens = 24
        sampled.sampling.seed = 42
        let requests = [greedy(GenerationRequest(messages: [.user("Hello there")]), tokens: 24), sampled]
        let sequential = try requests.map { try generator.generate($0).ids }
        XCTAssertTrue(sequential.allSatisfy { $0.count >= 8 }, "long enough to overlap: \(sequential)")
        for _ in 0..<3 {
            let concurrent = try await withThrowingTaskGroup(of: (Int, [Int]).self) { group in
                for (index, request) in requests.enumerated() {
                    group.addTask { (index, try generator.generate(request).ids) }
                }
                var results = [[Int]](repeating: [], count: requests.count)
                for try await (index, ids) in group { results[index] = ids }
                return results
            }
            XCTAssertEqual(concurrent, sequential)
        }
    }

    func testContextLengthsAreChecked() throws {
        let generator = try tinyGenerator()
        XCTAssertThrowsError(try generator.makeSession(contextLength: 0))
        XCTAssertThrowsError(try generator.makeSession(contextLength: 1 << 40))
        let session = try generator.makeSession(contextLength: 8)
        XCTAssertThrowsError(
            try generator.generate(GenerationRequest(prompt: String(repeating: "long ", count: 10)), session: session)
        ) {
            XCTAssertEqual("\($0)", "the prompt is 50 tokens, longer than the context of 8")
        }
    }
}
