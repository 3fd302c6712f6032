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
        return try data.split(separator: UInt8(ascii: "\n")).map {
            try decoder.decode(GoldenRecord.self, from: Data($0))
        }
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
        if (try? tokenizer.decode(ids, skipSpecialTokens: false)) != decoded_keep_special {
            problems.append("decoded_keep_special")
        }
        return problems
    }
}

/// A pair golden: both texts encoded together with the pair template.
struct PairRecord: Decodable {
    let text: String
    let text_pair: String
    let ids: [Int]
    let type_ids: [Int]
    let tokens: [String]
    let offsets: [[Int]]
    let sequence_ids: [Int?]
    let special_tokens_mask: [Int]
}

/// A golden encoded with the truncation and padding stored in the tokenizer.json.
struct ConfiguredRecord: Decodable {
    let id: Int
    let text: String
    let ids: [Int]
    let type_ids: [Int]
    let attention_mask: [Int]
    let special_tokens_mask: [Int]
    let tokens: [String]
    let offsets: [[Int]]
    let overflowing_ids: [[Int]]
}

func loadLines<T: Decodable>(_ type: T.Type, _ url: URL) throws -> [T] {
    guard let data = FileManager.default.contents(atPath: url.path) else {
        throw XCTSkip("\(url.path) is missing: run Fixtures/fetch.sh tokenizers (it unpacks the goldens)")
    }
    let decoder = JSONDecoder()
    return try data.split(separator: UInt8(ascii: "\n")).map { try decoder.decode(T.self, from: Data($0)) }
}

/// Every tokenizer of the fixtures against Hugging Face `tokenizers` 0.23.3: each record of the
/// public corpus subset (ids with and without the template, tokens, offsets, both decodings), the
/// 300 pair encodings, and MiniLM's stored truncation and padding.
final class TokenizerConformanceTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tokenizers")
    static let names = ["minilm", "smollm2", "smollm2_digits", "llama_spm", "unigram_metaspace", "bpe_bytefallback"]

    /// The tokenizer as the goldens were recorded: truncation and padding off.
    static func tokenizer(_ name: String) throws -> Tokenizer {
        var tokenizer = try Tokenizer(path: fixtures.appendingPathComponent("\(name)/tokenizer.json").path)
        tokenizer.truncation = nil
        tokenizer.padding = nil
        return tokenizer
    }

    func checkCorpus(_ name: String) throws {
        let start = Date()
        let tokenizer = try Self.tokenizer(name)
        print("\(name): tokenizer.json loaded in \(Int(Date().timeIntervalSince(start) * 1000)) ms")
        let records = try loadLines(
            GoldenRecord.self, Self.fixtures.appendingPathComponent("\(name)/expected_public.jsonl"))
        XCTAssertGreaterThan(records.count, 5000)
        let failures = records.compactMap { record -> String? in
            let problems = record.problems(tokenizer)
            return problems.isEmpty ? nil : "\(name) record \(record.id): \(problems.joined(separator: ", ")) differ"
        }
        print("\(name): \(records.count - failures.count) of \(records.count) records match")
        for failure in failures.prefix(10) { XCTFail(failure) }
        XCTAssertEqual(failures.count, 0, name)
    }

    func checkPairs(_ name: String) throws {
        let tokenizer = try Self.tokenizer(name)
        let records = try loadLines(
            PairRecord.self, Self.fixtures.appendingPathComponent("\(name)/expected_pairs_public.jsonl"))
        XCTAssertEqual(records.count, 300)
        var failures: [String] = []
        for (index, record) in records.enumerated() {
            let encoding = tokenizer.encode(record.text, pair: record.text_pair)
            var problems: [String] = []
            if encoding.ids != record.ids { problems.append("ids") }
            if encoding.typeIds != record.type_ids { problems.append("type ids") }
            if encoding.tokens != record.tokens { problems.append("tokens") }
            if encoding.offsets.map({ [$0.0, $0.1] }) != record.offsets { problems.append("offsets") }
            if encoding.sequenceIds != record.sequence_ids { problems.append("sequence ids") }
            if encoding.specialTokensMask != record.special_tokens_mask { problems.append("special tokens mask") }
            if !problems.isEmpty {
                failures.append("\(name) pair \(index): \(problems.joined(separator: ", ")) differ")
            }
        }
        print("\(name): \(records.count - failures.count) of \(records.count) pairs match")
        for failure in failures.prefix(10) { XCTFail(failure) }
        XCTAssertEqual(failures.count, 0, name)
    }

    func testMiniLM() throws { try checkCorpus("minilm") }
    func testSmolLM2() throws { try checkCorpus("smollm2") }
    func testSmolLM2Digits() throws { try checkCorpus("smollm2_digits") }
    func testLlamaSPM() throws { try checkCorpus("llama_spm") }
    func testUnigramMetaspace() throws { try checkCorpus("unigram_metaspace") }
    func testBPEByteFallback() throws { try checkCorpus("bpe_bytefallback") }

    func testPairs() throws {
        for name in Self.names { try checkPairs(name) }
    }

    /// MiniLM as stored: truncation to 128 (LongestFirst) with overflow, Fixed(128) right padding.
    func testMiniLMStoredTruncationAndPadding() throws {
        let tokenizer = try Tokenizer(path: Self.fixtures.appendingPathComponent("minilm/tokenizer.json").path)
        XCTAssertEqual(tokenizer.truncation, Truncation(maxLength: 128))
        XCTAssertEqual(tokenizer.padding?.fixedLength, 128)
        let records = try loadLines(
            ConfiguredRecord.self, Self.fixtures.appendingPathComponent("minilm/expected_public_configured.jsonl"))
        XCTAssertEqual(records.count, 200)
        var failures: [String] = []
        for record in records {
            let encoding = tokenizer.encode(record.text)
            var problems: [String] = []
            if encoding.ids != record.ids { problems.append("ids") }
            if encoding.typeIds != record.type_ids { problems.append("type ids") }
            if encoding.attentionMask != record.attention_mask { problems.append("attention mask") }
            if encoding.specialTokensMask != record.special_tokens_mask { problems.append("special tokens mask") }
            if encoding.tokens != record.tokens { problems.append("tokens") }
            if encoding.offsets.map({ [$0.0, $0.1] }) != record.offsets { problems.append("offsets") }
            if encoding.overflowing.map(\.ids) != record.overflowing_ids { problems.append("overflowing ids") }
            if !problems.isEmpty { failures.append("record \(record.id): \(problems.joined(separator: ", ")) differ") }
        }
        print("minilm configured: \(records.count - failures.count) of \(records.count) records match")
        for failure in failures.prefix(10) { XCTFail(failure) }
        XCTAssertEqual(failures.count, 0)
        // A batch pads to the fixed length too, in parallel, in order.
        let batch = tokenizer.encodeBatch(records.map(\.text))
        XCTAssertEqual(batch.map(\.ids), records.map(\.ids))
    }

    func testUnknownComponentsAndBadIdsAreErrors() throws {
        XCTAssertThrowsError(try Tokenizer(json: ["model": ["type": "Mystery"]])) {
            XCTAssertEqual($0 as? TokenizerError, .unsupportedComponent(jsonPath: "$.model", type: "Mystery"))
        }
        let tokenizer = try Self.tokenizer("minilm")
        XCTAssertThrowsError(try tokenizer.decode([101, 999_999])) {
            XCTAssertEqual($0 as? TokenizerError, .unknownId(999_999))
        }
        XCTAssertThrowsError(try Tokenizer(path: "/no/such/tokenizer.json"))
        // Unknown component types anywhere are named with their JSON path.
        let model: [String: Any] = ["type": "WordLevel", "vocab": ["a": 0], "unk_token": "a"]
        XCTAssertThrowsError(
            try Tokenizer(json: [
                "model": model,
                "pre_tokenizer": ["type": "Sequence", "pretokenizers": [["type": "Whitespace"], ["type": "Fancy"]]],
            ])
        ) {
            XCTAssertEqual(
                $0 as? TokenizerError,
                .unsupportedComponent(jsonPath: "$.pre_tokenizer.pretokenizers[1]", type: "Fancy"))
        }
        XCTAssertThrowsError(
            try Tokenizer(json: ["model": model, "decoder": ["type": "Sequence", "decoders": [["type": "Mystery"]]]])
        ) {
            XCTAssertEqual(
                $0 as? TokenizerError, .unsupportedComponent(jsonPath: "$.decoder.decoders[0]", type: "Mystery"))
        }
        XCTAssertThrowsError(try Tokenizer(json: ["model": model, "normalizer": ["lowercase": true]])) {
            XCTAssertEqual($0 as? TokenizerError, .invalidField(jsonPath: "$.normalizer.type", reason: "missing"))
        }
        // A truncated file names the file and the byte where it breaks, inside the deferred vocabulary too.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("truncated-tokenizer.json").path
        for text in [
            #"{"model": {"type": "BPE", "vocab": {"a": 0, "b": "#,
            #"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a a"#, "{\"model\": [",
        ] {
            FileManager.default.createFile(atPath: file, contents: Data(text.utf8))
            XCTAssertThrowsError(try Tokenizer(path: file)) { error in
                XCTAssertTrue("\(error)".contains(file) && "\(error)".contains("at byte"), "\(error)")
            }
        }
    }

    /// Huge inputs finish in linear-ish time: one 100,000-character word, and 100,000 spaces.
    func testHugeInputsFinish() throws {
        for name in ["minilm", "smollm2", "llama_spm", "unigram_metaspace", "bpe_bytefallback"] {
            let tokenizer = try Self.tokenizer(name)
            let start = Date()
            XCTAssertGreaterThan(tokenizer.encode(String(repeating: "ab", count: 50_000)).count, 0, name)
            XCTAssertGreaterThan(tokenizer.encode(String(repeating: " ", count: 100_000) + "x").count, 0, name)
            print("\(name): huge inputs in \(Int(Date().timeIntervalSince(start) * 1000)) ms")
        }
    }
}
