import Classification
import Foundation
import OnnxLoader
import TensorCore
import XCTest

/// The classifier's own preprocessing, labels and ranking, against hand-computed values and
/// onnxruntime's recorded output.
final class ClassifierTests: XCTestCase {
    private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")

    func testPreprocessingNormalisesAndReordersChannels() throws {
        // 2 x 2 pixels; crop 2 with no resize beyond it keeps the pixels as they are.
        let pixels: [UInt8] = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]
        let image = try RGBImage(width: 2, height: 2, rgb: pixels)
        var p = ImagePreprocessing()
        p.resizeShorterSide = 2
        p.cropSize = 2
        p.channelOrder = .bgr
        p.scale = 1
        p.mean = [1, 2, 3]
        p.std = [2, 4, 8]
        let nchw = try p.tensor(from: image, layout: .nchw).scalars(as: Float.self)
        var expected = [Float](repeating: 0, count: 12)
        for pixel in 0..<4 {
            for c in 0..<3 {
                // BGR: output channel c reads source channel 2 - c.
                expected[c * 4 + pixel] = (Float(pixels[pixel * 3 + 2 - c]) - p.mean[c]) / p.std[c]
            }
        }
        XCTAssertEqual(nchw, expected)
        let nhwc = try p.tensor(from: image, layout: .nhwc)
        XCTAssertEqual(nhwc.shape, [1, 2, 2, 3])
        XCTAssertEqual(try nhwc.scalars(as: Float.self)[3...5].map { $0 }, [expected[1], expected[5], expected[9]])
    }

    func testPixelCountMustMatchTheSize() {
        XCTAssertThrowsError(try RGBImage(width: 2, height: 2, rgb: [1, 2, 3]))
        XCTAssertThrowsError(try RGBImage(width: Int.max, height: 2, rgb: []))
    }

    func testLabelsFileAndMissingFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("labels-\(getpid()).txt").path
        FileManager.default.createFile(atPath: path, contents: Data("cat\ndog\n".utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertEqual(try ImageClassifier.labels(contentsOfFile: path), ["cat", "dog"])
        XCTAssertThrowsError(try ImageClassifier.labels(contentsOfFile: "/no/such/labels.txt")) { error in
            XCTAssertEqual("\(error)", "cannot read labels file /no/such/labels.txt")
        }
    }

    func testRankingMatchesOnnxruntimesLogits() throws {
        let directory = fixtures.appendingPathComponent("onnx-models/tiny_mobilenet")
        let names = (0..<10).map { "class-\($0)" }
        let classifier = try ImageClassifier(path: directory.appendingPathComponent("model.onnx").path, labels: names)
        XCTAssertEqual(classifier.layout, .nchw)
        XCTAssertEqual(classifier.spatialSize?.height, 64)
        let input = try TensorFile.read(path: directory.appendingPathComponent("test_data_set_0/input_0.pb").path)
            .tensor
        let logits = try TensorFile.read(path: directory.appendingPathComponent("test_data_set_0/output_0.pb").path)
            .tensor
            .scalars(as: Float.self)
        let ranked = try classifier.classify(input, topK: 3)[0]
        let order = logits.indices.sorted { logits[$0] > logits[$1] }
        XCTAssertEqual(ranked.map(\.index), Array(order.prefix(3)))
        XCTAssertEqual(ranked.map(\.label), order.prefix(3).map { names[$0] })
        // Probabilities are the softmax of onnxruntime's logits.
        let peak = logits.max() ?? 0
        let total = logits.reduce(0.0) { $0 + exp(Double($1 - peak)) }
        for prediction in ranked {
            XCTAssertEqual(
                Double(prediction.probability), exp(Double(logits[prediction.index] - peak)) / total, accuracy: 1e-5)
        }
    }

    func testClassifiesAnImageThroughItsOwnPreprocessing() throws {
        let directory = fixtures.appendingPathComponent("onnx-models/tiny_mobilenet")
        let classifier = try ImageClassifier(path: directory.appendingPathComponent("model.onnx").path)
        let image = try RGBImage(width: 80, height: 96, rgb: (0..<(80 * 96 * 3)).map { UInt8(($0 * 37) % 251) })
        let direct = try classifier.classify(image, topK: 10)
        let manual = try classifier.classify(
            classifier.preprocessing.tensor(from: image, layout: .nchw, size: (64, 64)), topK: 10)[0]
        XCTAssertEqual(direct, manual)
        XCTAssertEqual(direct.map(\.label), direct.map { "class \($0.index)" }, "no labels, 10 classes: numbered")
        XCTAssertThrowsError(try classifier.classify(imageAt: "/no/such.png", topK: 1))
    }
}
