import Foundation
import XCTest
@testable import Tokenizers

/// One line of an expected-output file (JSONDecoder keeps a text's leading U+FEFF, which
/// JSONSerialization drops).
struct GoldenRecord: Decodable {
    let id: Int
    let text: String
    let ids: [Int]
    let ids_nospecial: [Int]
    let tokens: [String]
    let offsets: [[Int]]
    let decoded: String
    let decoded_keep_special: String

    static func load(_ data: Data) throws -> [GoldenRecord] {
        let decoder = JSONDecoder()
        return try data.split(separator: UInt8(ascii: "\n")).map { try decoder.decode(GoldenRecord.self, from: Data($0)) }
    }

    /// What differs between `tokenizer`'s results and this record.
    func problems(_ tokenizer: Tokenizer) -> [String] {
        let encoding = tokenizer.encode(text)
        var problems: [String] = []
        if encoding.ids != ids { problems.append("ids") }
        if encoding.tokens != tokens { problems.append("tokens") }
        if encoding.offsets.map({ [$0.0, $0.1] }) != offsets { problems.append("offsets") }
        if tokenizer.encode(text, addSpecialTokens: false).ids != ids_nospecial { problems.append("ids_nospecial") }
        if (try? tokenizer.decode(ids)) != decoded { problems.append("decoded") }
        if (try? tokenizer.decode(ids, skipSpecialTokens: false)) != decoded_keep_special { problems.append("decoded_keep_special") }
        return problems
    }
}

/// MiniLM's WordPiece tokenizer against Hugging Face `tokenizers` 0.23.3 on the public corpus.
final class WordPieceTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tokenizers")

    func testMiniLMMatchesHuggingFaceOnEveryRecord() throws {
        let expectedFile = Self.fixtures.appendingPathComponent("minilm/expected_public.jsonl")
        guard let data = FileManager.default.contents(atPath: expectedFile.path) else {
            return XCTFail("Fixtures/tokenizers/minilm/expected_public.jsonl is missing (Fixtures/tokenizers/generate_goldens.py makes it)")
        }
        let tokenizer = try Tokenizer(path: Self.fixtures.appendingPathComponent("minilm/tokenizer.json").path)
        let records = try GoldenRecord.load(data)
        let failures = records.compactMap { record -> String? in
            let problems = record.problems(tokenizer)
            return problems.isEmpty ? nil : "record \(record.id): \(problems.joined(separator: ", ")) differ"
        }
        let checked = records.count
        XCTAssertGreaterThan(checked, 5000)
        print("minilm: \(checked - failures.count) of \(checked) records match")
        for failure in failures.prefix(20) { XCTFail(failure) }
        XCTAssertEqual(failures.count, 0)
    }

    func testUnknownComponentsAndBadIdsAreErrors() throws {
        XCTAssertThrowsError(try Tokenizer(json: ["model": ["type": "Mystery"]])) {
            XCTAssertEqual($0 as? TokenizerError, .unsupportedComponent(jsonPath: "$.model", type: "Mystery"))
        }
        let tokenizer = try Tokenizer(path: Self.fixtures.appendingPathComponent("minilm/tokenizer.json").path)
        XCTAssertThrowsError(try tokenizer.decode([101, 999_999])) { XCTAssertEqual($0 as? TokenizerError, .unknownId(999_999)) }
        XCTAssertThrowsError(try Tokenizer(path: "/no/such/tokenizer.json"))
    }
}

/// SmolLM2's byte-level BPE tokenizer.json against Hugging Face `tokenizers` 0.23.3.
final class ByteLevelBPETests: XCTestCase {
    func testSmolLM2MatchesHuggingFaceOnEveryRecord() throws {
        let directory = WordPieceTests.fixtures.appendingPathComponent("smollm2")
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent("expected_public.jsonl").path) else {
            return XCTFail("run Fixtures/fetch.sh tokenizers first (it unpacks the goldens)")
        }
        let start = Date()
        let tokenizer = try Tokenizer(path: directory.appendingPathComponent("tokenizer.json").path)
        print("smollm2: tokenizer.json loaded in \(Int(Date().timeIntervalSince(start) * 1000)) ms")
        let records = try GoldenRecord.load(data)
        let failures = records.compactMap { record -> String? in
            let problems = record.problems(tokenizer)
            return problems.isEmpty ? nil : "record \(record.id): \(problems.joined(separator: ", ")) differ"
        }
        let checked = records.count
        print("smollm2: \(checked - failures.count) of \(checked) records match")
        XCTAssertGreaterThan(checked, 5000)
        for failure in failures.prefix(20) { XCTFail(failure) }
        XCTAssertEqual(failures.count, 0)
    }
}
