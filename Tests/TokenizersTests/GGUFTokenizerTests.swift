import Foundation
import GGUF
import TestSupport
import Tokenizers
import XCTest

/// Tokenizers built from GGUF metadata against llama.cpp's own outputs.
final class GGUFTokenizerTests: XCTestCase {
    struct Record: Decodable {
        let id: Int
        let text: String
        let ids_nospecial: [Int]
        let decoded: String
    }
    struct Probe: Decodable {
        let text: String
        let ids: [Int]
    }

    /// The `smollm2_digits` goldens match llama.cpp on the whole corpus (fixtures README), and the
    /// GGUF declares the `smollm` split: the GGUF tokenizer must give exactly those ids.
    func testSmolLM2VocabGGUFMatchesLlamaCppOnTheCorpus() throws {
        let tokenizer = try Tokenizer(gguf: try GGUFFile(path: FixturePaths.smolLM2Vocab))
        let records = try FixturePaths.jsonLines("tokenizers/smollm2_digits/expected_public.jsonl", as: Record.self)
        var failures: [String] = []
        for record in records {
            let ids = tokenizer.encode(record.text, addSpecialTokens: true, parseSpecial: true).ids
            if ids != record.ids_nospecial { failures.append("record \(record.id): ids differ") }
            if (try? tokenizer.decode(record.ids_nospecial)) != record.decoded {
                failures.append("record \(record.id): decoded text differs")
            }
        }
        print("smollm2 GGUF: \(records.count - failures.count) of \(records.count) records match")
        for failure in failures.prefix(10) { XCTFail(failure) }
        XCTAssertEqual(records.count, 5372)
    }

    /// `llama_tokenize(add_special=false, parse_special=false)` probes from llama.cpp.
    func testSmolLM2ProbesWithoutSpecialParsing() throws {
        let tokenizer = try Tokenizer(gguf: try GGUFFile(path: FixturePaths.smolLM2Vocab))
        let probes = try FixturePaths.jsonLines("llm/smollm2_tokenize.jsonl", as: Probe.self)
        XCTAssertEqual(probes.count, 13)
        for probe in probes {
            XCTAssertEqual(
                tokenizer.encode(probe.text, addSpecialTokens: true, parseSpecial: false).ids, probe.ids, probe.text)
        }
    }

    /// The vocab-only GGUF and the full model file give the same tokenizer.
    func testFullModelGGUFGivesTheSameIdsAsTheVocabOnlyFile() throws {
        let full = try Tokenizer(gguf: try FixturePaths.smolLM2())
        let vocabOnly = try Tokenizer(gguf: try GGUFFile(path: FixturePaths.smolLM2Vocab))
        let records = try FixturePaths.jsonLines("tokenizers/smollm2_digits/expected_public.jsonl", as: Record.self)
        for record in records.prefix(1500) {
            XCTAssertEqual(full.encode(record.text).ids, vocabOnly.encode(record.text).ids, "record \(record.id)")
        }
    }

    /// llama.cpp's own vocabulary test for the Llama SentencePiece vocabulary (`.inp` cases, `.out` ids).
    func testLlamaSPMVocabTestFromLlamaCpp() throws {
        XCTAssertEqual(try Self.failuresOfVocabTest(FixturePaths.llamaSPMVocab), [])
    }

    /// llama.cpp's own vocab tests for every vocabulary it ships (fetched with
    /// `Fixtures/fetch.sh llama-vocabs` from the llama-cpp-python 0.3.36 sdist): gpt2 with each
    /// pre-tokenizer, llama (SentencePiece) and bert (WordPiece).
    func testEveryLlamaCppVocabTest() throws {
        let directory = FixturePaths.path("models/llama-vocabs")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            return XCTFail("\(directory) is missing: run Fixtures/fetch.sh llama-vocabs")
        }
        let vocabularies = names.filter { $0.hasSuffix(".gguf") && names.contains($0 + ".inp") }.sorted()
        XCTAssertGreaterThanOrEqual(vocabularies.count, 15)
        var checked = 0
        for name in vocabularies {
            // Other families are reported as unsupported, by name.
            let model = try GGUFFile(path: directory + "/" + name)["tokenizer.ggml.model"]?.string ?? ""
            guard ["gpt2", "llama", "bert", "gemma4"].contains(model) else {
                XCTAssertThrowsError(try Tokenizer(gguf: try GGUFFile(path: directory + "/" + name))) { error in
                    XCTAssertTrue("\(error)".contains("'\(model)' is not supported"), "\(error)")
                }
                continue
            }
            checked += 1
            let failures: [String]
            do { failures = try Self.failuresOfVocabTest(directory + "/" + name) } catch {
                XCTFail("\(name): \(error)")
                continue
            }
            print("\(name): \(failures.isEmpty ? "every case matches" : "\(failures.count) cases differ")")
            for failure in failures.prefix(3) { XCTFail("\(name): \(failure)") }
        }
        XCTAssertGreaterThanOrEqual(checked, 15)
    }

    /// The cases of a `.gguf.inp`/`.gguf.out` pair whose ids differ (none when all match).
    static func failuresOfVocabTest(_ path: String) throws -> [String] {
        let tokenizer = try Tokenizer(gguf: try GGUFFile(path: path))
        guard let inputs = FileManager.default.contents(atPath: path + ".inp"),
            let outputs = FileManager.default.contents(atPath: path + ".out")
        else {
            return ["\(path).inp/.out missing"]
        }
        // Every case, the last included, ends with the separator.
        var cases = String(decoding: inputs, as: UTF8.self).components(separatedBy: "\n__ggml_vocab_test__\n")
        if cases.last == "" { cases.removeLast() }
        var expected = String(decoding: outputs, as: UTF8.self).components(separatedBy: "\n")
        if expected.last == "" { expected.removeLast() }
        guard cases.count == expected.count else {
            return ["\(cases.count) cases but \(expected.count) expected lines"]
        }
        var failures: [String] = []
        for (text, line) in zip(cases, expected) {
            let ids = line.split(separator: " ").compactMap { Int($0) }
            let got = tokenizer.encode(text, addSpecialTokens: false, parseSpecial: false).ids
            if got != ids { failures.append("\(text.debugDescription): expected \(ids), got \(got)") }
        }
        return failures
    }

    func testUnsupportedPreTokenizerIsNamed() {
        let vocabulary = GGUFVocabulary(
            model: "gpt2", pre: "future-split", tokens: [Array("a".utf8)], scores: [], tokenTypes: [], merges: [],
            bosId: nil, eosId: nil, unknownId: nil, addBOS: false, addEOS: false, addSpacePrefix: false)
        XCTAssertThrowsError(try Tokenizer(gguf: vocabulary)) { error in
            XCTAssertTrue("\(error)".contains("tokenizer.ggml.pre = 'future-split'"), "\(error)")
            XCTAssertTrue("\(error)".contains("smollm"), "\(error)")
        }
        var other = vocabulary
        other.model = "rwkv"
        XCTAssertThrowsError(try Tokenizer(gguf: other)) { error in
            XCTAssertEqual(
                "\(error)", "tokenizer.ggml.model = 'rwkv' is not supported (supported: bert, gemma4, gpt2, llama)")
        }
    }
}
