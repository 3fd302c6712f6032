import Foundation
import XCTest

/// `run` and `inspect` on the fixture models, as scripts drive them.
final class OnnxCLITests: XCTestCase {
    private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures/onnx-models")

    func testRunPrintsOutputsAsJSON() throws {
        let model = fixtures.appendingPathComponent("tiny_cnn/model.onnx").path
        let input = fixtures.appendingPathComponent("tiny_cnn/test_data_set_0/input_0.pb").path
        let result = try runCLI(["run", model, input])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: [String: Any]]
        let probs = try XCTUnwrap(object?["probs"])
        XCTAssertEqual(probs["dtype"] as? String, "float32")
        XCTAssertEqual(probs["shape"] as? [Int], [1, 10])
        let data = try XCTUnwrap(probs["data"] as? [Double])
        XCTAssertEqual(data.reduce(0, +), 1, accuracy: 1e-5, "softmax output")
    }

    func testRunWritesOutputFilesThatMatchTheReference() throws {
        let directory = fixtures.appendingPathComponent("tiny_mobilenet")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("infer-run-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try runCLI([
            "run", directory.appendingPathComponent("model.onnx").path,
            "--input", "input=" + directory.appendingPathComponent("test_data_set_0/input_0.pb").path,
            "--output-dir", out, "--threads", "1",
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "")
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/output_0.pb"))
        let npy = try runCLI([
            "run", directory.appendingPathComponent("model.onnx").path,
            directory.appendingPathComponent("test_data_set_0/input_0.pb").path,
            "--output-dir", out, "--output-format", "npy",
        ])
        XCTAssertEqual(npy.status, 0, npy.stderr)
        let header = try Data(contentsOf: URL(fileURLWithPath: out + "/output_0.npy")).prefix(6)
        XCTAssertEqual(Array(header), [0x93] + Array("NUMPY".utf8))
    }

    func testInspectDescribesTheModel() throws {
        let result = try runCLI([
            "inspect", fixtures.appendingPathComponent("tiny_llama_kv_op23/model.onnx").path, "--json",
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((object["opsets"] as? [String: Int])?["ai.onnx"], 23)
        XCTAssertEqual((object["operators"] as? [String: Int])?["Attention"], 2)
        XCTAssertEqual((object["unsupported"] as? [Any])?.count, 0)
        XCTAssertEqual((object["inputs"] as? [[String: Any]])?.first?["name"] as? String, "input_ids")
    }

    func testErrorsExit2WithAMessage() throws {
        let model = fixtures.appendingPathComponent("tiny_cnn/model.onnx").path
        for arguments in [
            ["run", "/no/such.onnx"], ["run", model], ["run", model, "/no/such/input.pb"],
            ["run", model, "--input", "bogus=/tmp/x.pb"], ["inspect", #filePath],
        ] {
            let result = try runCLI(arguments)
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.hasPrefix("infer-cli: "), result.stderr)
            XCTAssertEqual(result.stdout, "")
        }
        let json = FileManager.default.temporaryDirectory.appendingPathComponent("infer-bad-\(getpid()).json").path
        FileManager.default.createFile(atPath: json, contents: Data("{\"shape\": [2], \"data\": [1, 2, 3]}".utf8))
        defer { try? FileManager.default.removeItem(atPath: json) }
        let bad = try runCLI(["run", model, json])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains(json) && bad.stderr.contains("needs 2 values, got 3"), bad.stderr)
    }
}
