import Foundation
import TensorCore
import XCTest

/// `embed` as scripts drive it: texts in, one JSON line (or one .npy matrix) out, bad lines kept.
final class EmbedCLITests: XCTestCase {
    private let model = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures/models/all-minilm-l6-v2").path

    override func setUpWithError() throws {
        guard FileManager.default.fileExists(atPath: model + "/model.safetensors") else {
            throw XCTSkip("run Fixtures/fetch.sh minilm first")
        }
    }

    private func vectors(_ output: String) throws -> [[String: Any]] {
        try output.split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    func testTextsGiveUnitVectorsInOrder() throws {
        let result = try runCLI([
            "embed", "--model", model, "--text", "a cat", "--text", "a kitten", "--text", "tax law",
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        let rows = try vectors(result.stdout)
        XCTAssertEqual(rows.count, 3)
        let embeddings = try rows.map { try XCTUnwrap($0["embedding"] as? [Double]) }
        XCTAssertEqual(rows.map { $0["tokens"] as? Int }, [4, 4, 4], "[CLS] a cat [SEP], ...")
        XCTAssertNil(rows[0]["id"])
        for vector in embeddings {
            XCTAssertEqual(vector.count, 384)
            XCTAssertEqual(vector.map { $0 * $0 }.reduce(0, +), 1, accuracy: 1e-5)
        }
        func cosine(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).map(*).reduce(0, +) }
        XCTAssertGreaterThan(cosine(embeddings[0], embeddings[1]), cosine(embeddings[0], embeddings[2]))
    }

    func testJSONLKeepsIdsAndBadLines() throws {
        let input = """
            {"id": "a", "text": "first"}
            not json
            {"id": 7, "text": 12}

            {"text": "no id"}
            {"id": ["x"], "text": "list id"}

            """
        let result = try runCLI(["embed", "--model", model, "--jsonl", "-"], stdin: Data(input.utf8))
        XCTAssertEqual(result.status, 1, "some records failed")
        let rows = try vectors(result.stdout)
        XCTAssertEqual(rows.count, 5)
        XCTAssertEqual(rows[0]["id"] as? String, "a")
        XCTAssertNotNil(rows[0]["embedding"])
        XCTAssertTrue((rows[1]["error"] as? String)?.contains("line 2 is not a JSON object") == true, "\(rows[1])")
        XCTAssertEqual(rows[2]["id"] as? Int, 7)
        XCTAssertTrue((rows[2]["error"] as? String)?.contains("\"text\" that is not a string") == true, "\(rows[2])")
        XCTAssertTrue(rows[3]["id"] is NSNull)
        XCTAssertNotNil(rows[3]["embedding"])
        XCTAssertEqual(rows[4]["id"] as? [String], ["x"])
    }

    func testPlainLinesAndNpyOutput() throws {
        var input = Data("one\n".utf8)
        input.append(contentsOf: [0xC3, 0x28, 0x0A])
        input.append(Data("three\n".utf8))
        let jsonl = try runCLI(["embed", "--model", model, "-"], stdin: input)
        XCTAssertEqual(jsonl.status, 1)
        let rows = try vectors(jsonl.stdout)
        XCTAssertEqual(rows.count, 3)
        XCTAssertTrue((rows[1]["error"] as? String)?.contains("not valid UTF-8") == true, "\(rows[1])")
        let npy = try runCLIBytes(["embed", "--model", model, "--output", "npy", "-"], stdin: input)
        XCTAssertEqual(npy.status, 1)
        XCTAssertTrue(npy.stderr.contains("not valid UTF-8"), npy.stderr)
        let matrix = try NumpyFile.decode(Array(npy.stdout), path: "stdout")
        XCTAssertEqual(matrix.shape, [3, 384])
        let values = try matrix.scalars(as: Float.self)
        XCTAssertTrue(values[384..<768].allSatisfy(\.isNaN), "the bad line's row is NaN")
        let first = try XCTUnwrap(rows[0]["embedding"] as? [Double])
        for j in 0..<384 { XCTAssertEqual(Double(values[j]), first[j], accuracy: 1e-7) }
    }

    func testPoolingFlagsAndTokenStates() throws {
        let states = try runCLI([
            "embed", "--model", model, "--pooling", "none", "--no-normalize", "--text", "hello there",
        ])
        XCTAssertEqual(states.status, 0, states.stderr)
        let row = try XCTUnwrap(try vectors(states.stdout).first)
        let tokens = try XCTUnwrap(row["embedding"] as? [[Double]])
        XCTAssertEqual(tokens.count, row["tokens"] as? Int)
        XCTAssertEqual(tokens[0].count, 384)
        let raw = try runCLI(["embed", "--model", model, "--no-normalize", "--pooling", "cls", "--text", "hello there"])
        let cls = try XCTUnwrap(try vectors(raw.stdout).first?["embedding"] as? [Double])
        for j in 0..<384 { XCTAssertEqual(cls[j], tokens[0][j], accuracy: 1e-6) }
    }

    func testUsageAndLoadErrorsExit2() throws {
        for (arguments, message) in [
            (["embed", "--model", model], "give texts with --text"),
            (["embed", "--model", model, "--text", "x", "--pooling", "sum"], "--pooling must be one of"),
            (["embed", "--model", model, "--text", "x", "--batch-size", "0"], "--batch-size"),
            (["embed", "--model", "/no/such/dir", "--text", "x"], "no such file or directory"),
            (["embed", "--model", model, "--text", "x", "--max-length", "100000"], "1 to 512"),
        ] {
            let result = try runCLI(arguments)
            XCTAssertEqual(result.status, 2, "\(arguments)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }
}
