import Foundation
import GGUF
import Generation
import TestSupport
import XCTest

/// Each step of the sampling chain alone, and the chain with a seed.
final class SamplerTests: XCTestCase {
    func candidates(_ logits: [Float]) -> [Candidate] {
        logits.enumerated().map { Candidate(id: $0.offset, logit: $0.element) }
    }

    func testGreedyTakesTheLowestIdOnTies() {
        XCTAssertEqual(Sampler.greedy(candidates([1, 3, 3, 2])), 1)
        var parameters = SamplingParameters()
        parameters.temperature = 0
        var sampler = Sampler(parameters: parameters)
        XCTAssertEqual(sampler.sample([0.5, 2, 2, -1], history: []), 1)
    }

    func testPenaltiesFollowLlamaCpp() {
        var list = candidates([2, -2, 1, 4])
        // Token 0 seen twice, token 1 once; token 3 never.
        Sampler.applyPenalties(&list, recent: [0, 1, 0], repeat: 2, frequency: 0.5, presence: 0.25)
        let expected: [Float] = [0 - 0.25, -4 - 0.5 - 0.25, 1, 4]
        XCTAssertEqual(list.map(\.logit), expected)
    }

    func testTopKSortsAndKeepsK() {
        var list = candidates([0.1, 5, 3, 5, -1])
        Sampler.topK(&list, 3)
        XCTAssertEqual(list.map(\.id), [1, 3, 2])
        var all = candidates([1, 2])
        Sampler.topK(&all, 0)
        XCTAssertEqual(all.map(\.id), [1, 0])
    }

    func testTopPKeepsTheSmallestPrefixReachingP() {
        // Probabilities 0.5, 0.25, 0.125, 0.125.
        var list = candidates([log(4), log(2), 0, 0])
        Sampler.topK(&list, 0)
        Sampler.topP(&list, 0.7)
        XCTAssertEqual(list.map(\.id), [0, 1])
        var one = candidates([log(4), log(2), 0, 0])
        Sampler.topK(&one, 0)
        Sampler.topP(&one, 0.5)
        XCTAssertEqual(one.map(\.id), [0])
    }

    func testMinPDropsUnlikelyTokens() {
        var list = candidates([log(10), log(2), log(0.5)])
        Sampler.minP(&list, 0.1)
        XCTAssertEqual(list.map(\.id), [0, 1])
    }

    func testTemperatureAndDraw() {
        var list = candidates([2, 0])
        Sampler.temperature(&list, 2)
        XCTAssertEqual(list.map(\.logit), [1, 0])
        let p0 = Float(exp(1.0) / (exp(1.0) + 1))
        XCTAssertEqual(Sampler.draw(list, uniform: p0 - 0.001), 0)
        XCTAssertEqual(Sampler.draw(list, uniform: p0 + 0.001), 1)
    }

    func testSameSeedSameTokensAndTheChainRespectsTopK() {
        var parameters = SamplingParameters()
        parameters.temperature = 1.5
        parameters.topK = 3
        parameters.topP = 1
        parameters.minP = 0
        parameters.seed = 1234
        let logits: [Float] = (0..<50).map { Float($0 % 7) * 0.3 }
        var a = Sampler(parameters: parameters), b = Sampler(parameters: parameters)
        let first = (0..<200).map { _ in a.sample(logits, history: []) }
        let second = (0..<200).map { _ in b.sample(logits, history: []) }
        XCTAssertEqual(first, second)
        let allowed = Set(
            candidates(logits).sorted { $0.logit > $1.logit || ($0.logit == $1.logit && $0.id < $1.id) }.prefix(3).map(
                \.id))
        XCTAssertTrue(Set(first).isSubset(of: allowed))
        XCTAssertGreaterThan(Set(first).count, 1)
        parameters.seed = 99
        var c = Sampler(parameters: parameters)
        XCTAssertNotEqual((0..<200).map { _ in c.sample(logits, history: []) }, first)
    }

    func testUnsupportedArchitectureIsNamedWithTheSupportedOnes() throws {
        var w = GGUFWriter()
        w.header(tensors: 0, metadata: 1)
        w.string("general.architecture")
        w.u32(8)
        w.string("gptj")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("arch-\(UUID().uuidString).gguf").path
        try Data(w.bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertThrowsError(try LanguageModels.load(try GGUFFile(path: path))) { error in
            XCTAssertTrue(
                "\(error)".contains("architecture 'gptj' is not supported (supported: llama, mistral, qwen2)"),
                "\(error)")
        }
    }
}
