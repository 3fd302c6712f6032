import Foundation
import GGUF
import XCTest

/// Paths of the committed fixtures and the fetched model.
public enum FixturePaths {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    public static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
    public static let smolLM2Vocab = path("tokenizers/smollm2/smollm2-135m-instruct.vocab.gguf")
    public static let smolLM2Model = path("models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    public static let llamaSPMVocab = path("tokenizers/llama_spm/ggml-vocab-llama-spm.gguf")

    /// JSONL lines of a file, split on `\n` only.
    public static func jsonLines<T: Decodable>(_ relative: String, as: T.Type) throws -> [T] {
        guard let data = FileManager.default.contents(atPath: path(relative)) else {
            throw XCTSkip("\(relative) is missing: run Fixtures/fetch.sh first")
        }
        return try data.split(separator: UInt8(ascii: "\n")).map { try JSONDecoder().decode(T.self, from: Data($0)) }
    }

    /// The SmolLM2 model path, or a skip when it has not been fetched.
    public static func smolLM2ModelOrSkip() throws -> String {
        guard FileManager.default.fileExists(atPath: smolLM2Model) else {
            throw XCTSkip("run Fixtures/fetch.sh smollm2 first")
        }
        return smolLM2Model
    }

    /// The SmolLM2 model file, or a skip when it has not been fetched.
    public static func smolLM2() throws -> GGUFFile {
        guard FileManager.default.fileExists(atPath: smolLM2Model) else {
            throw XCTSkip("run Fixtures/fetch.sh smollm2 first")
        }
        return try GGUFFile(path: smolLM2Model)
    }
}
