import Foundation
import TensorCore
import XCTest

@testable import OnnxLoader

/// Real models from `Fixtures/fetch.sh`, against onnxruntime 1.32's outputs on the same inputs.
final class RealModelTests: XCTestCase {
    func testOpenNSFWMatchesOnnxruntime() throws {
        let directory = FixtureModelTests.root.deletingLastPathComponent().appendingPathComponent("models/opennsfw")
        let model = directory.appendingPathComponent("open-nsfw.onnx").path
        let data = directory.appendingPathComponent("test_data_set_0")
        guard FileManager.default.fileExists(atPath: data.appendingPathComponent("output_0.pb").path) else {
            throw XCTSkip("run Fixtures/fetch.sh first (the README's test command does)")
        }
        let session = try InferenceSession(path: model)
        let input = try TensorFile.read(path: data.appendingPathComponent("input_0.pb").path).tensor
        let expected = try TensorFile.read(path: data.appendingPathComponent("output_0.pb").path).tensor
        let got = try session.run([input])[0]
        XCTAssertEqual(got.shape, expected.shape)
        let a = try got.scalars(as: Float.self), b = try expected.scalars(as: Float.self)
        for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-5 + 1e-4 * abs(y)) }
    }
}
