import Foundation
import XCTest

@testable import Tokenizers

/// SentencePiece-style BPE pieces (Metaspace, byte fallback, unknown fusing, the Llama decoder
/// chain) on a small hand-built vocabulary, worked out from the component definitions.
final class SentencePieceComponentTests: XCTestCase {
    private func tokenizer() throws -> Tokenizer {
        let vocab: [String: Int] = [
            "<unk>": 0, "<s>": 1, "\u{2581}": 3, "a": 4, "b": 5, "\u{2581}a": 6, "<0xE2>": 7, "<0x82>": 8, "<0xAC>": 9,
        ]
        return try Tokenizer(json: [
            "added_tokens": [["id": 1, "content": "<s>", "special": true]],
            "pre_tokenizer": [
                "type": "Metaspace", "replacement": "\u{2581}", "prepend_scheme": "first", "split": false,
            ],
            "model": [
                "type": "BPE", "vocab": vocab, "merges": [["\u{2581}", "a"]], "byte_fallback": true, "fuse_unk": true,
                "unk_token": "<unk>",
            ],
            "post_processor": [
                "type": "TemplateProcessing",
                "single": [["SpecialToken": ["id": "<s>", "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]]],
                "special_tokens": ["<s>": ["id": "<s>", "ids": [1], "tokens": ["<s>"]]],
            ],
            "decoder": [
                "type": "Sequence",
                "decoders": [
                    ["type": "Replace", "pattern": ["String": "\u{2581}"], "content": " "], ["type": "ByteFallback"],
                    ["type": "Fuse"],
                    ["type": "Strip", "content": " ", "start": 1, "stop": 0],
                ],
            ],
        ])
    }

    func testMetaspaceByteFallbackAndDecoderChain() throws {
        let t = try tokenizer()
        let encoding = t.encode("a b\u{20AC}")
        XCTAssertEqual(encoding.ids, [1, 6, 3, 5, 7, 8, 9])
        XCTAssertEqual(
            encoding.offsets.map { [$0.0, $0.1] }, [[0, 0], [0, 1], [1, 2], [2, 3], [3, 4], [3, 4], [3, 4]])
        XCTAssertEqual(try t.decode(encoding.ids), "a b\u{20AC}")
        XCTAssertEqual(try t.decode(encoding.ids, skipSpecialTokens: false), "<s> a b\u{20AC}")
        // Characters without byte tokens fall to <unk>, and a run of them fuses into one.
        XCTAssertEqual(t.encode("ab\u{4E00}\u{4E01}", addSpecialTokens: false).ids, [6, 5, 0])
        // A lone byte token that is not valid UTF-8 decodes to U+FFFD.
        XCTAssertEqual(try t.decode([7]), "\u{FFFD}")
    }
}
