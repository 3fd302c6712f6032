import Foundation
import XCTest

@testable import Tokenizers

/// One expected encoding of a component variant (Fixtures/tokenizers/components/generate.py).
struct ComponentRecord: Decodable {
    let variant: String
    let index: Int
    let ids: [Int]
    let tokens: [String]
    let offsets: [[Int]]
    let type_ids: [Int]
    let special_tokens_mask: [Int]
    let attention_mask: [Int]
    let decoded: String
    let pair: Bool?
    let overflowing_ids: [[Int]]?
}

/// The components the six real tokenizers do not use, each in a small tokenizer trained with
/// Hugging Face `tokenizers` 0.23.3 and compared with its output: BertProcessing, RobertaProcessing,
/// the ByteLevel post-processor, WordLevel, BPE with `##`/`</w>`, Unigram with byte fallback,
/// NFC/NFD/NFKD/StripAccents/Lowercase/Strip/Prepend/Replace(regex)/Precompiled (SentencePiece's
/// nmt_nfkc_cf map), Whitespace, WhitespaceSplit,
/// Punctuation, Digits, Split (every behavior, inverted, string and regex), UnicodeScripts,
/// CharDelimiterSplit, Metaspace `never`, and the BPEDecoder/CTC/Fuse/Strip/Replace decoders, plus
/// truncation (LongestFirst with stride, OnlySecond from the left) and padding (left to a multiple,
/// fixed) over batches of pairs.
final class ComponentTests: XCTestCase {
    static let directory = TokenizerConformanceTests.fixtures.appendingPathComponent("components")

    func testEveryComponentVariantMatchesHuggingFace() throws {
        let records = try loadLines(ComponentRecord.self, Self.directory.appendingPathComponent("expected.jsonl"))
        struct Text: Decodable {
            let text: String
            let text_pair: String?
        }
        let samples = try loadLines(Text.self, Self.directory.appendingPathComponent("sample.jsonl")).map(\.text)
        let pairs = try loadLines(Text.self, Self.directory.appendingPathComponent("pairs.jsonl"))
        let byVariant = Dictionary(grouping: records, by: \.variant)
        XCTAssertEqual(byVariant.count, 15)
        for (variant, expected) in byVariant.sorted(by: { $0.key < $1.key }) {
            let tokenizer = try Tokenizer(path: Self.directory.appendingPathComponent("\(variant).json").path)
            let encodings: [Encoding]
            if expected.first?.pair == true {
                encodings = tokenizer.encodeBatch(pairs.map(\.text), pairs: pairs.map { $0.text_pair ?? "" })
            } else {
                encodings = samples.map { tokenizer.encode($0) }
            }
            var failures: [String] = []
            for record in expected {
                let encoding = encodings[record.index]
                var problems: [String] = []
                if encoding.ids != record.ids { problems.append("ids") }
                if encoding.tokens != record.tokens { problems.append("tokens") }
                if encoding.offsets.map({ [$0.0, $0.1] }) != record.offsets { problems.append("offsets") }
                if encoding.typeIds != record.type_ids { problems.append("type ids") }
                if encoding.specialTokensMask != record.special_tokens_mask { problems.append("special tokens mask") }
                if encoding.attentionMask != record.attention_mask { problems.append("attention mask") }
                if (try? tokenizer.decode(encoding.ids)) != record.decoded { problems.append("decoded") }
                if let overflow = record.overflowing_ids, encoding.overflowing.map(\.ids) != overflow {
                    problems.append("overflowing ids")
                }
                if !problems.isEmpty {
                    failures.append("\(variant) record \(record.index): \(problems.joined(separator: ", ")) differ")
                }
            }
            print("\(variant): \(expected.count - failures.count) of \(expected.count) match")
            for failure in failures.prefix(3) { XCTFail(failure) }
        }
    }
}
