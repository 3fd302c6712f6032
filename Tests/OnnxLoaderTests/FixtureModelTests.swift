import Foundation
import TensorCore
import XCTest

@testable import OnnxLoader

/// The tiny models in `Fixtures/onnx-models` (random weights; outputs from onnxruntime 1.32)
/// run through the engine and match within the fixtures' suggested tolerance.
final class FixtureModelTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures/onnx-models")

    private func check(_ name: String, absolute: Double = 1e-5, relative: Double = 1e-4) throws {
        let directory = Self.root.appendingPathComponent(name)
        let session = try InferenceSession(path: directory.appendingPathComponent("model.onnx").path)
        let sets = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter {
            $0.hasPrefix("test_data_set_")
        }.sorted()
        XCTAssertFalse(sets.isEmpty)
        for set in sets {
            let folder = directory.appendingPathComponent(set)
            let inputs = try (0..<session.inputs.count).map {
                try TensorFile.read(path: folder.appendingPathComponent("input_\($0).pb").path).tensor
            }
            let outputs = try session.run(inputs)
            for (index, got) in outputs.enumerated() {
                let expected = try TensorFile.read(path: folder.appendingPathComponent("output_\(index).pb").path)
                    .tensor
                XCTAssertEqual(got.shape, expected.shape, "\(name) \(set) output \(index)")
                XCTAssertEqual(got.dtype, expected.dtype, "\(name) \(set) output \(index)")
                let a = try got.cast(to: .float64).scalars(as: Double.self),
                    b = try expected.cast(to: .float64).scalars(as: Double.self)
                var worst = 0.0
                for (x, y) in zip(a, b) where abs(x - y) > absolute + relative * abs(y) {
                    worst = max(worst, abs(x - y))
                }
                XCTAssertEqual(
                    worst, 0,
                    "\(name) \(set) output \(index) (\(session.outputs[index].name)): largest error beyond tolerance \(worst)"
                )
            }
        }
    }

    func testTinyCNN() throws { try check("tiny_cnn") }
    func testTinyCNNLegacyExporter() throws { try check("tiny_cnn_legacy") }
    func testTinyMobileNet() throws { try check("tiny_mobilenet") }
    func testTinyGPT2WithPast() throws { try check("tiny_gpt2_kv", absolute: 1e-4) }
    func testTinyLlamaWithPast() throws { try check("tiny_llama_kv", absolute: 1e-4) }
    func testTinyLlamaWithPastLegacyExporter() throws { try check("tiny_llama_kv_legacy", absolute: 1e-4) }
    func testTinyLlamaWithPastOpset23() throws { try check("tiny_llama_kv_op23", absolute: 1e-4) }
}
