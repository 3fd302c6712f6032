import Foundation
import XCTest
@testable import Tokenizers

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
        var checked = 0, failures: [String] = []
        for line in data.split(separator: UInt8(ascii: "\n")) {
            guard let record = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any], let text = record["text"] as? String else { continue }
            checked += 1
            let encoding = tokenizer.encode(text)
            let expectedIds = record["ids"] as? [Int] ?? []
            let expectedOffsets = (record["offsets"] as? [[Int]]) ?? []
            var problems: [String] = []
            if encoding.ids != expectedIds { problems.append("ids") }
            if encoding.tokens != (record["tokens"] as? [String] ?? []) { problems.append("tokens") }
            if encoding.offsets.map({ [$0.0, $0.1] }) != expectedOffsets { problems.append("offsets") }
            if tokenizer.encode(text, addSpecialTokens: false).ids != (record["ids_nospecial"] as? [Int] ?? []) { problems.append("ids_nospecial") }
            if (try? tokenizer.decode(expectedIds)) != record["decoded"] as? String { problems.append("decoded") }
            if (try? tokenizer.decode(expectedIds, skipSpecialTokens: false)) != record["decoded_keep_special"] as? String { problems.append("decoded_keep_special") }
            if !problems.isEmpty {
                let decoded = (try? tokenizer.decode(expectedIds)) ?? "?"
                failures.append("record \(record["id"] ?? "?"): \(problems.joined(separator: ", ")) differ; decoded \(decoded.debugDescription) vs \((record["decoded"] as? String ?? "").debugDescription)")
            }
        }
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
