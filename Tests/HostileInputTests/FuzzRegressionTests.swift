import Classification
import Foundation
import GGUF
import Generation
import OnnxLoader
import TensorCore
import Tokenizers
import XCTest

/// Every input the fuzz harnesses (Fuzz/, `scripts/fuzz`) ever crashed on, kept in
/// Fuzz/regressions/TARGET and replayed here through the same library calls: any outcome but a
/// crash passes.
final class FuzzRegressionTests: XCTestCase {
    private static let regressions = HostileFixtures.root.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/regressions")

    private func inputs(_ target: String) throws -> [URL] {
        let directory = FuzzRegressionTests.regressions.appendingPathComponent(target)
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }.sorted { $0.path < $1.path }
    }

    func testTensorFiles() throws {
        for url in try inputs("tensor-files") {
            let bytes = try [UInt8](Data(contentsOf: url))
            guard let first = bytes.first else { continue }
            switch first {
            case 0x93: _ = try? NumpyFile.decode(bytes, path: url.path)
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if let object = try? JSONSerialization.jsonObject(with: Data(bytes)) {
                    _ = try? TensorJSON.tensor(from: object)
                }
            default: _ = try? TensorFile.read(path: url.path)
            }
        }
    }

    func testONNXModels() throws {
        for url in try inputs("onnx") {
            let result = try runBounded(["run", url.path])
            XCTAssertEqual(result.reason, .exit, "\(url.lastPathComponent): \(result.stderr)")
        }
    }

    func testGGUFFiles() throws {
        for url in try inputs("gguf") {
            guard let file = try? GGUFFile(path: url.path) else { continue }
            if let tokenizer = try? Tokenizer(gguf: file) { _ = tokenizer.encode("Hello, world! 123") }
            if let model = try? LanguageModels.load(file), let cache = try? model.makeCache(contextLength: 8) {
                _ = try? model.forward([0], cache: cache)
            }
        }
    }

    func testTokenizerFiles() throws {
        for url in try inputs("tokenizer-json") {
            guard let tokenizer = try? Tokenizer(path: url.path) else { continue }
            _ = try? tokenizer.decode(tokenizer.encode("Hello, world! ünïcödé", pair: "pair").ids)
        }
    }

    func testChatTemplates() throws {
        for url in try inputs("jinja") {
            let source = String(decoding: try Data(contentsOf: url), as: UTF8.self)
            _ = try? ChatTemplate(source).render([.system("s"), .user("u")])
        }
    }

    func testImages() throws {
        for url in try inputs("images") {
            guard let image = try? RGBImage(data: [UInt8](Data(contentsOf: url))) else { continue }
            _ = try? ImagePreprocessing().tensor(from: image, layout: .nchw)
        }
    }
}
