import Foundation
import TensorCore
import XCTest

@testable import OnnxLoader

final class LoaderErrorTests: XCTestCase {
    private let cnn = FixtureModelTests.root.appendingPathComponent("tiny_cnn/model.onnx").path

    private func temporary(_ bytes: [UInt8], _ name: String) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("infer-\(getpid())-\(name)").path
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testNotAFileNotONNXAndTruncatedFilesNameTheProblem() throws {
        XCTAssertThrowsError(try InferenceSession(path: "/no/such/model.onnx")) { error in
            guard case .cannotRead(let path, _)? = error as? OnnxError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "/no/such/model.onnx")
        }
        XCTAssertThrowsError(try InferenceSession(path: temporary(Array("hello, world".utf8), "text.onnx"))) { error in
            XCTAssertTrue("\(error)".hasPrefix("not a valid ONNX model:"), "\(error)")
        }
        let whole = try Array(Data(contentsOf: URL(fileURLWithPath: cnn)))
        for cut in [1, 17, whole.count / 3, whole.count - 7] {
            XCTAssertThrowsError(try InferenceSession(path: temporary(Array(whole.prefix(cut)), "cut\(cut).onnx"))) {
                error in
                guard case .invalidModel(_, let offset)? = error as? OnnxError else {
                    return XCTFail("cut at \(cut): \(error)")
                }
                XCTAssertLessThanOrEqual(offset, cut, "the offset points inside the file")
                XCTAssertTrue("\(error)".contains("at byte"), "\(error)")
            }
        }
        XCTAssertThrowsError(try InferenceSession(path: temporary([], "empty.onnx")))
    }

    func testFuzzedBytesNeverCrash() throws {
        let whole = try Array(Data(contentsOf: URL(fileURLWithPath: cnn)))
        var rng = SystemRandomNumberGenerator()
        for trial in 0..<200 {
            var bytes = whole
            for _ in 0..<8 {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            let path = temporary(bytes, "fuzz\(trial).onnx")
            // Any outcome but a crash is fine: a typed error, or a model that loads and runs or fails cleanly.
            if let session = try? InferenceSession(path: path) {
                _ = try? session.run([try Tensor(zeros: [1, 3, 32, 32], dtype: .float32)])
            }
        }
    }

    func testUnsupportedOperatorsAreAllListed() throws {
        var model = ProtoWriter()
        // opset import ai.onnx 20; graph with two nodes of unknown ops.
        var opset = ProtoWriter()
        opset.writeVarintField(2, 20)
        model.writeVarintField(1, 10)
        model.writeBytesField(8, opset.bytes)
        var graph = ProtoWriter()
        for (name, op) in [("first", "FancyOp"), ("second", "OtherOp")] {
            var node = ProtoWriter()
            node.writeBytesField(1, Array("x".utf8))
            node.writeBytesField(2, Array("\(name)_out".utf8))
            node.writeBytesField(3, Array(name.utf8))
            node.writeBytesField(4, Array(op.utf8))
            graph.writeBytesField(1, node.bytes)
        }
        var input = ProtoWriter()
        input.writeBytesField(1, Array("x".utf8))
        graph.writeBytesField(11, input.bytes)
        model.writeBytesField(7, graph.bytes)
        XCTAssertThrowsError(try InferenceSession(path: temporary(model.bytes, "unsupported.onnx"))) { error in
            XCTAssertEqual(
                error as? OnnxError,
                .unsupportedOperators([
                    .init(domain: "", opType: "FancyOp", opset: 20, nodeName: "first"),
                    .init(domain: "", opType: "OtherOp", opset: 20, nodeName: "second"),
                ]))
            XCTAssertTrue("\(error)".contains("ai.onnx::FancyOp (opset 20) in node 'first'"), "\(error)")
        }
    }

    func testInputMismatchesListTheExpectedInputs() throws {
        let session = try InferenceSession(path: cnn)
        XCTAssertThrowsError(try session.run([:])) { error in
            XCTAssertEqual(
                "\(error)",
                "inputs do not match the model: missing input; the model takes input float32 [batch_size, 3, 32, 32]")
        }
        XCTAssertThrowsError(
            try session.run([
                "input": try Tensor(zeros: [1, 3, 32, 32], dtype: .float32), "extra": Tensor(scalar: Float(1)),
            ])
        ) { error in
            XCTAssertTrue("\(error)".contains("unknown extra"), "\(error)")
        }
        XCTAssertThrowsError(try session.run(["input": try Tensor(zeros: [1, 3, 32, 32], dtype: .float64)])) { error in
            XCTAssertEqual("\(error)", "inputs do not match the model: input 'input' expects float32, given float64")
        }
        XCTAssertThrowsError(try session.run(["input": try Tensor(zeros: [1, 3, 30, 32], dtype: .float32)])) { error in
            XCTAssertEqual(
                "\(error)",
                "inputs do not match the model: input 'input' expects shape [batch_size, 3, 32, 32], given [1, 3, 30, 32]"
            )
        }
    }

    func testTensorFileRoundTrip() throws {
        for tensor in [
            try Tensor(shape: [2, 2], scalars: [Float(1), -2, 3.5, .infinity]),
            try Tensor(shape: [3], scalars: [Int64(-1), 0, 1 << 40]),
            try Tensor(shape: [2], strings: ["a", "βγ"]), try Tensor(shape: [], scalars: [true]),
        ] {
            let path = temporary(TensorFile.encode(tensor, name: "t"), "t.pb")
            let (name, back) = try TensorFile.read(path: path)
            XCTAssertEqual(name, "t")
            XCTAssertEqual(back.dtype, tensor.dtype)
            XCTAssertEqual(back.shape, tensor.shape)
            if tensor.dtype == .string {
                XCTAssertEqual(try back.stringScalars(), try tensor.stringScalars())
            } else {
                XCTAssertEqual(
                    try back.cast(to: .float64).scalars(as: Double.self),
                    try tensor.cast(to: .float64).scalars(as: Double.self))
            }
        }
    }
}
