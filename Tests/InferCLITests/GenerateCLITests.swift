import Foundation
import XCTest

/// `infer-cli generate`, `bench` and `tokenize` on the SmolLM2 GGUF, run as a process.
final class GenerateCLITests: XCTestCase {
    static let model = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").path

    func modelPath() throws -> String {
        guard FileManager.default.fileExists(atPath: Self.model) else {
            throw XCTSkip("run Fixtures/fetch.sh smollm2 first")
        }
        return Self.model
    }

    func json(_ line: Substring) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    func testGreedyJSONMatchesLlamaCpp() throws {
        let result = try runCLI([
            "generate", "--model", try modelPath(), "--prompt", "The capital of France is", "-n", "8", "--temp", "0",
            "--json", "-t", "1",
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try json(result.stdout.split(separator: "\n")[0])
        XCTAssertEqual(object["prompt_ids"] as? [Int], [504, 3575, 282, 4649, 314])
        XCTAssertEqual(object["ids"] as? [Int], [7042, 30, 198, 198, 504, 1797, 1918, 553])
        XCTAssertEqual(object["text"] as? String, " Paris.\n\nThe United States has")
        XCTAssertEqual(object["finish_reason"] as? String, "length")
        let timings = try XCTUnwrap(object["timings"] as? [String: Any])
        XCTAssertNotNil(timings["load_ms"] as? Double)
        XCTAssertNotNil(timings["prefill_tok_s"] as? Double)
        XCTAssertNotNil(timings["decode_tok_s"] as? Double)
        XCTAssertTrue(result.stderr.contains("seed"), result.stderr)
    }

    func testStreamingStopStringAndChat() throws {
        let model = try modelPath()
        let streamed = try runCLI([
            "generate", "--model", model, "--prompt", "The capital of France is", "-n", "32", "--temp", "0", "--stop",
            "United",
        ])
        XCTAssertEqual(streamed.status, 0, streamed.stderr)
        XCTAssertEqual(streamed.stdout, " Paris.\n\nThe \n")
        let chat = try runCLI([
            "generate", "--model", model, "--prompt",
            "What color is the sky on a clear day? Answer in one short sentence.",
            "--chat", "-n", "32", "--temp", "0", "--json",
        ])
        XCTAssertEqual(chat.status, 0, chat.stderr)
        let object = try json(chat.stdout.split(separator: "\n")[0])
        XCTAssertEqual((object["prompt_ids"] as? [Int])?.prefix(3), [1, 9690, 198])
        XCTAssertEqual(object["finish_reason"] as? String, "eog")
        XCTAssertEqual((object["ids"] as? [Int])?.last, 2, "ids end with the <|im_end|> that stopped generation")
    }

    func testSeededSamplingIsReproducible() throws {
        let model = try modelPath()
        let arguments = [
            "generate", "--model", model, "--prompt", "Once upon a time", "-n", "12", "--temp", "0.9", "--seed", "42",
            "--json",
        ]
        let first = try runCLI(arguments), second = try runCLI(arguments)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(
            try json(first.stdout.split(separator: "\n")[0])["ids"] as? [Int],
            try json(second.stdout.split(separator: "\n")[0])["ids"] as? [Int])
    }

    func testBatchKeepsOrderAndReportsBadLines() throws {
        let input = """
            {"id": "a", "prompt": "The capital of France is", "n": 3, "temp": 0}
            {"id": "b", "prompt": 42}
            not json
            {"id": 7, "prompt": "2+2?", "chat": true, "n": 2, "temp": 0}

            """
        let result = try runCLI(["generate", "--model", try modelPath(), "--batch"], stdin: Data(input.utf8))
        XCTAssertEqual(result.status, 1, "some records failed")
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 4)
        let first = try json(lines[0]), second = try json(lines[1]), third = try json(lines[2]),
            fourth = try json(lines[3])
        XCTAssertEqual(first["id"] as? String, "a")
        XCTAssertEqual(first["ids"] as? [Int], [7042, 30, 198])
        XCTAssertEqual(second["id"] as? String, "b")
        XCTAssertTrue((second["error"] as? String)?.contains("prompt") == true, "\(second)")
        XCTAssertTrue(third["error"] is String)
        XCTAssertEqual(fourth["id"] as? Int, 7)
        XCTAssertEqual((fourth["ids"] as? [Int])?.count, 2)
    }

    func testErrorsExitTwoWithAMessage() throws {
        let notGGUF = FileManager.default.temporaryDirectory.appendingPathComponent(
            "not-a-model-\(UUID().uuidString).gguf"
        ).path
        try Data("hello, this is text".utf8).write(to: URL(fileURLWithPath: notGGUF))
        defer { try? FileManager.default.removeItem(atPath: notGGUF) }
        let bad = try runCLI(["generate", "--model", notGGUF, "--prompt", "x"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("is not a GGUF file"), bad.stderr)
        let missing = try runCLI(["generate", "--model", "/nonexistent.gguf", "--prompt", "x"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("/nonexistent.gguf"), missing.stderr)
        let model = try modelPath()
        let long = String(repeating: "word ", count: 40)
        let tooLong = try runCLI(["generate", "--model", model, "--prompt", long, "-c", "16", "-n", "2"])
        XCTAssertEqual(tooLong.status, 2)
        XCTAssertTrue(tooLong.stderr.contains("longer than the context of 16"), tooLong.stderr)
        let truncated = try runCLI([
            "generate", "--model", model, "--prompt", long, "-c", "16", "-n", "2", "--truncate", "--json", "--temp",
            "0",
        ])
        XCTAssertEqual(truncated.status, 0, truncated.stderr)
        let usage = try runCLI(["generate", "--model", model])
        XCTAssertEqual(usage.status, 2)
        let empty = try runCLI(["generate", "--model", model, "--prompt", ""])
        XCTAssertEqual(empty.status, 2)
        XCTAssertTrue(empty.stderr.contains("the prompt is empty"), empty.stderr)
    }

    func testBenchAndTokenizeOnGGUF() throws {
        let model = try modelPath()
        let bench = try runCLI([
            "bench", "--model", model, "-p", "8", "-n", "4", "--runs", "1", "--warmup", "0", "--json", "-t", "1",
        ])
        XCTAssertEqual(bench.status, 0, bench.stderr)
        let object = try json(bench.stdout.split(separator: "\n")[0])
        for key in ["load_ms", "prefill_tok_s", "decode_tok_s", "peak_rss_mb"] {
            XCTAssertNotNil(object[key] as? Double, key)
        }
        let tokens = try runCLI(["tokenize", "--tokenizer", model, "--text", "The capital of France is"])
        XCTAssertEqual(tokens.status, 0, tokens.stderr)
        XCTAssertEqual(tokens.stdout, "504 3575 282 4649 314\n")
        let text = try runCLI(["detokenize", "--tokenizer", model], stdin: Data("504 3575 282 4649 314\n".utf8))
        XCTAssertEqual(text.stdout, "The capital of France is\n")
    }
}

extension GenerateCLITests {
    func testInspectGGUF() throws {
        let model = try modelPath()
        let text = try runCLI(["inspect", model])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("architecture: llama"), text.stdout)
        XCTAssertTrue(text.stdout.contains("Q4_1   210 tensors"), text.stdout)
        XCTAssertTrue(text.stdout.contains("tokenizer.ggml.tokens = [\"<|endoftext|>\""), text.stdout)
        let json = try runCLI(["inspect", model, "--json"])
        let object = try self.json(json.stdout.split(separator: "\n")[0])
        XCTAssertEqual(object["tensor_count"] as? Int, 272)
        XCTAssertEqual((object["hyperparameters"] as? [String: Any])?["layers"] as? Int, 30)
        XCTAssertEqual(
            ((object["metadata"] as? [String: Any])?["tokenizer.ggml.tokens"] as? [String: Any])?["count"] as? Int,
            49152)
    }
}
