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

/// SentencePiece-style BPE pieces (Metaspace, byte fallback, unknown fusing, the Llama decoder
/// chain) on a small hand-built vocabulary, worked out from the component definitions.
final class SentencePieceComponentTests: XCTestCase {
    private func tokenizer() throws -> Tokenizer {
        let vocab: [String: Int] = ["<unk>": 0, "<s>": 1, "\u{2581}": 3, "a": 4, "b": 5, "\u{2581}a": 6, "<0xE2>": 7, "<0x82>": 8, "<0xAC>": 9]
        return try Tokenizer(json: [
            "added_tokens": [["id": 1, "content": "<s>", "special": true]],
            "pre_tokenizer": ["type": "Metaspace", "replacement": "\u{2581}", "prepend_scheme": "first", "split": false],
            "model": ["type": "BPE", "vocab": vocab, "merges": [["\u{2581}", "a"]], "byte_fallback": true, "fuse_unk": true, "unk_token": "<unk>"],
            "post_processor": ["type": "TemplateProcessing", "single": [["SpecialToken": ["id": "<s>", "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]]]],
            "decoder": ["type": "Sequence", "decoders": [
                ["type": "Replace", "pattern": ["String": "\u{2581}"], "content": " "], ["type": "ByteFallback"], ["type": "Fuse"],
                ["type": "Strip", "content": " ", "start": 1, "stop": 0]]],
        ])
    }

    func testMetaspaceByteFallbackAndDecoderChain() throws {
        let t = try tokenizer()
        let encoding = t.encode("a b\u{20AC}")
        XCTAssertEqual(encoding.ids, [1, 6, 3, 5, 7, 8, 9])
        XCTAssertEqual(encoding.offsets.map { [$0.0, $0.1] }, [[0, 0], [0, 1], [1, 2], [2, 3], [3, 4], [3, 4], [3, 4]])
        XCTAssertEqual(try t.decode(encoding.ids), "a b\u{20AC}")
        XCTAssertEqual(try t.decode(encoding.ids, skipSpecialTokens: false), "<s> a b\u{20AC}")
        // Characters without byte tokens fall to <unk>, and a run of them fuses into one.
        XCTAssertEqual(t.encode("ab\u{4E00}\u{4E01}", addSpecialTokens: false).ids, [6, 5, 0])
        // A lone byte token that is not valid UTF-8 decodes to U+FFFD.
        XCTAssertEqual(try t.decode([7]), "\u{FFFD}")
    }
}

/// The Llama SentencePiece vocabulary (BPE with byte fallback, Metaspace) against Hugging Face.
final class SentencePieceBPETests: XCTestCase {
    func testLlamaSPMMatchesHuggingFaceOnEveryRecord() throws {
        let directory = WordPieceTests.fixtures.appendingPathComponent("llama_spm")
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent("expected_public.jsonl").path) else {
            return XCTFail("run Fixtures/fetch.sh tokenizers first (it unpacks the goldens)")
        }
        let tokenizer = try Tokenizer(path: directory.appendingPathComponent("tokenizer.json").path)
        let records = try GoldenRecord.load(data)
        let failures = records.compactMap { record -> String? in
            let problems = record.problems(tokenizer)
            return problems.isEmpty ? nil : "record \(record.id): \(problems.joined(separator: ", ")) differ"
        }
        print("llama_spm: \(records.count - failures.count) of \(records.count) records match")
        for failure in failures.prefix(20) { XCTFail(failure) }
        XCTAssertEqual(failures.count, 0)
    }
}

/// SmolLM2's tokenizer.json with the Digits(individual) + ByteLevel pre-tokenizer sequence.
final class DigitsByteLevelTests: XCTestCase {
    func testSmolLM2DigitsMatchesHuggingFaceOnEveryRecord() throws {
        let directory = WordPieceTests.fixtures.appendingPathComponent("smollm2_digits")
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent("expected_public.jsonl").path) else {
            return XCTFail("run Fixtures/fetch.sh tokenizers first (it unpacks the goldens)")
        }
        let tokenizer = try Tokenizer(path: directory.appendingPathComponent("tokenizer.json").path)
        let records = try GoldenRecord.load(data)
        let failures = records.compactMap { record -> String? in
            let problems = record.problems(tokenizer)
            return problems.isEmpty ? nil : "record \(record.id): \(problems.joined(separator: ", ")) differ"
        }
        print("smollm2_digits: \(records.count - failures.count) of \(records.count) records match")
        for failure in failures.prefix(20) { XCTFail(failure) }
        XCTAssertEqual(failures.count, 0)
    }
}

final class JSONReaderTests: XCTestCase {
    func testValuesEscapesAndErrors() throws {
        let text = #"{"a": [1, -2, 3.5, 1e3, true, false, null], "s": "\u00e9\ud83d\ude00\n\"", "k\u0301": 7, "\ufeffbom": 1}"#
        let value = try JSONReader.parse(Array(text.utf8), name: "t")
        XCTAssertEqual(value["a"]?.array?.compactMap(\.double), [1, -2, 3.5, 1000])
        XCTAssertEqual(value["s"]?.string, "\u{e9}\u{1F600}\n\"")
        // Keys stay byte-exact: "k" + U+0301 is not "ḱ", and a leading U+FEFF survives.
        XCTAssertEqual(value["k\u{301}"]?.int, 7)
        XCTAssertNil(value["\u{1E31}"])
        XCTAssertEqual(value["\u{FEFF}bom"]?.int, 1)
        for bad in ["{", "[1,]", "{\"a\" 1}", "\"\\x\"", "01x", "[1] 2"] {
            XCTAssertThrowsError(try JSONReader.parse(Array(bad.utf8), name: "bad.json")) { error in
                XCTAssertTrue("\(error)".contains("bad.json") && "\(error)".contains("at byte"), "\(error)")
            }
        }
    }
}
