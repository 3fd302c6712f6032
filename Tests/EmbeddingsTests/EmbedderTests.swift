import Embeddings
import Foundation
import TestSupport
import XCTest

/// Pooling and normalisation choices, batching, and the load errors a person can act on.
final class EmbedderTests: XCTestCase {
    private func modelDirectory() throws -> String {
        let path = FixturePaths.path("models/all-minilm-l6-v2")
        guard FileManager.default.fileExists(atPath: path + "/model.safetensors") else {
            throw XCTSkip("run Fixtures/fetch.sh minilm first")
        }
        return path
    }

    private let texts = [
        "A man is eating food.", "Ein Mann isst.", "", "日本語のテキスト", String(repeating: "long text ", count: 400),
    ]

    /// Token states (pooling none) pooled by hand equal each pooling mode the embedder offers.
    func testPoolingModesAgreeWithTokenStates() throws {
        let path = try modelDirectory()
        let states = try Embedder(path: path, options: .init(pooling: Embeddings.Pooling.none, normalize: false))
            .embed(texts)
        let width = 384
        for mode in [Embeddings.Pooling.mean, .cls, .last, .max] {
            let pooled = try Embedder(path: path, options: .init(pooling: mode, normalize: false)).embed(texts)
            for (index, (vector, tokens)) in zip(pooled, states).enumerated() {
                XCTAssertEqual(vector.values.count, width)
                XCTAssertEqual(tokens.values.count, tokens.tokens * width)
                for j in 0..<width {
                    let column = (0..<tokens.tokens).map { tokens.values[$0 * width + j] }
                    let expected: Float
                    switch mode {
                    case .mean: expected = column.reduce(0, +) / Float(column.count)
                    case .cls: expected = column[0]
                    case .last: expected = column[column.count - 1]
                    default: expected = column.max()!
                    }
                    XCTAssertEqual(vector.values[j], expected, accuracy: 1e-5, "\(mode) text \(index) dim \(j)")
                }
            }
        }
    }

    /// Batching (any batch size, any order of lengths) does not change a text's vector.
    func testBatchSizeDoesNotChangeResults() throws {
        let embedder = try Embedder(path: try modelDirectory())
        let one = try embedder.embed(texts, batchSize: 1)
        let all = try embedder.embed(texts, batchSize: 64)
        for (a, b) in zip(one, all) {
            XCTAssertEqual(a.tokens, b.tokens)
            for (x, y) in zip(a.values, b.values) { XCTAssertEqual(x, y, accuracy: 1e-6) }
        }
        XCTAssertTrue(all[4].truncated)
        XCTAssertEqual(all[4].tokens, 256)
        XCTAssertEqual(all[2].tokens, 2, "an empty text is [CLS] [SEP]")
    }

    func testMaxLengthOverride() throws {
        let embedder = try Embedder(path: try modelDirectory(), options: .init(maxLength: 16))
        let result = try embedder.embed(texts)
        XCTAssertEqual(result[4].tokens, 16)
        XCTAssertTrue(result[4].truncated)
        XCTAssertThrowsError(try Embedder(path: try modelDirectory(), options: .init(maxLength: 10_000))) {
            XCTAssertTrue("\($0)".contains("1 to 512"), "\($0)")
        }
    }

    /// A scratch copy of the model directory with some files left out or replaced.
    private func variant(without omitted: Set<String>, replacing: [String: String] = [:]) throws -> String {
        let source = try modelDirectory()
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("embed-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: target) }
        for name in ["config.json", "model.safetensors", "tokenizer.json", "modules.json", "sentence_bert_config.json"]
        where !omitted.contains(name) {
            if let text = replacing[name] {
                try text.write(toFile: target + "/" + name, atomically: true, encoding: .utf8)
            } else {
                try FileManager.default.createSymbolicLink(
                    atPath: target + "/" + name, withDestinationPath: source + "/" + name)
            }
        }
        try FileManager.default.createSymbolicLink(
            atPath: target + "/1_Pooling", withDestinationPath: source + "/1_Pooling")
        return target
    }

    private func assertLoadError(_ path: String, options: Embedder.Options = .init(), mentions: [String]) {
        XCTAssertThrowsError(try Embedder(path: path, options: options)) { error in
            for text in mentions { XCTAssertTrue("\(error)".contains(text), "'\(error)' lacks '\(text)'") }
        }
    }

    func testDirectoryWithoutWeightsOrTokenizer() throws {
        assertLoadError(try variant(without: ["model.safetensors"]), mentions: ["model.safetensors"])
        assertLoadError(try variant(without: ["tokenizer.json"]), mentions: ["tokenizer.json", "--tokenizer"])
        assertLoadError(try variant(without: ["config.json"]), mentions: ["config.json"])
        assertLoadError("/no/such/model", mentions: ["no such file"])
    }

    func testDecoderArchitectureIsRefused() throws {
        let config = #"{"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4}"#
        assertLoadError(
            try variant(without: [], replacing: ["config.json": config]), mentions: ["llama", "not a text encoder"])
        assertLoadError(try FixturePaths.smolLM2ModelOrSkip(), mentions: ["llama", "not a text encoder"])
    }

    func testTokenizerLargerThanTheEmbeddingTableIsRefused() throws {
        let other = FixturePaths.path("models/smollm2")  // a 49k-token tokenizer vs a 30k-row table
        let tokenizer = FixturePaths.path("tokenizers/smollm2/tokenizer.json")
        guard FileManager.default.fileExists(atPath: tokenizer) else {
            throw XCTSkip("\(other): run Fixtures/fetch.sh")
        }
        assertLoadError(
            try modelDirectory(), options: .init(tokenizerPath: tokenizer),
            mentions: ["tokenizer", "tokens but", "do not belong together"])
    }

    func testBadConfigurationValuesAreNamed() throws {
        let config =
            #"{"model_type": "bert", "hidden_size": 384, "num_hidden_layers": 6, "num_attention_heads": 7, "intermediate_size": 1536}"#
        assertLoadError(try variant(without: [], replacing: ["config.json": config]), mentions: ["num_attention_heads"])
        let pooling =
            #"[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},{"idx":1,"name":"1","path":"2_Dense","type":"sentence_transformers.models.Dense"}]"#
        assertLoadError(
            try variant(without: [], replacing: ["modules.json": pooling]), mentions: ["Dense", "modules.json"])
        assertLoadError(
            try variant(without: [], replacing: ["config.json": "{not json"]), mentions: ["config.json", "JSON"])
    }
}
