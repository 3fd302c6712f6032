import Foundation
import TestSupport
import XCTest

/// Flags and files a person (or a script) gets wrong: every one a non-zero exit with a message
/// naming the option or field and what it accepts.
final class HostileOptionTests: XCTestCase {
    private var smolLM2: String {
        HostileFixtures.models.appendingPathComponent("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").path
    }

    /// A tiny generated GGUF model: generation in milliseconds even in a debug build.
    private static let tinyModel = Result { try TinyModelFile.write() }

    func testNonFiniteAndOutOfRangeSamplingFlagsAreRejected() throws {
        let model = try HostileOptionTests.tinyModel.get()
        let cases: [([String], String)] = [
            (["--temp", "nan"], "--temp is nan"), (["--temp", "inf"], "--temp is inf"),
            (["--top-p", "nan"], "--top-p is nan"), (["--top-p", "2"], "--top-p is 2.0; accepted: 0 to 1"),
            (["--min-p", "nan"], "--min-p is nan"), (["--repeat-penalty", "nan"], "--repeat-penalty is nan"),
            (["--repeat-penalty", "0"], "--repeat-penalty is 0.0"), (["--repeat-last-n=-2"], "--repeat-last-n is -2"),
            (["-c", "0"], "--ctx-size must be 1 to"), (["-t", "100000"], "--threads must be 1 to 1024"),
        ]
        for (flags, message) in cases {
            let result = try runBounded(["generate", "--model", model, "--prompt", "hi", "-n", "2"] + flags)
            XCTAssertEqual(result.reason, .exit, "\(flags)")
            XCTAssertEqual(result.status, 2, "\(flags): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(flags): \(result.stderr)")
            XCTAssertEqual(result.stdout, "", "\(flags): nothing generated")
        }
    }

    func testBatchLinesWithBadSamplingFieldsBecomeErrorRecords() throws {
        let model = try HostileOptionTests.tinyModel.get()
        let lines = """
            {"id": "a", "prompt": "hi", "temp": 0, "n": 2}
            {"id": "b", "prompt": "hi", "top_p": 7, "n": 2}
            {"id": "c", "prompt": "hi", "n": 2, "temp": 0}
            """
        let result = try runBounded(["generate", "--model", model, "--batch"], stdin: Data((lines + "\n").utf8))
        XCTAssertEqual(result.status, 1, result.stderr)
        let records = result.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        XCTAssertEqual(records.map { $0["id"] as? String }, ["a", "b", "c"])
        guard records.count == 3 else { return }
        XCTAssertNotNil(records[0]["ids"])
        XCTAssertEqual(records[1]["error"] as? String, "line 2: \"top_p\" is 7.0; accepted: 0 to 1")
        XCTAssertNotNil(records[2]["ids"])
    }

    func testHugeSizesFromFlagsAndFilesAreTypedErrors() throws {
        // A key/value cache of a million positions is larger than the memory budget (1 GiB here).
        if FileManager.default.fileExists(atPath: smolLM2) {
            let cache = try runBounded([
                "generate", "--model", smolLM2, "--prompt", "hi", "-c", "1048576", "--max-memory", "1024",
            ])
            XCTAssertEqual(cache.status, 2, cache.stderr)
            XCTAssertTrue(cache.stderr.contains("larger than the memory budget of 1.0 GiB"), cache.stderr)
        }
        let photo = HostileFixtures.models.appendingPathComponent("images/chelsea.png").path
        let model = HostileFixtures.models.appendingPathComponent("opennsfw/open-nsfw.onnx").path
        if FileManager.default.fileExists(atPath: model) {
            let resize = try runBounded(["classify", "--model", model, photo, "--resize", "100000"])
            XCTAssertNotEqual(resize.status, 0)
            XCTAssertEqual(resize.reason, .exit)
            XCTAssertTrue(resize.stderr.contains("exceeds the largest image"), resize.stderr)
        }
        // A tokenizer.json that pads every text to a trillion tokens.
        let minilm = HostileFixtures.root.deletingLastPathComponent().appendingPathComponent(
            "tokenizers/minilm/tokenizer.json")
        var json = try XCTUnwrap(String(data: Data(contentsOf: minilm), encoding: .utf8))
        let fixed = try XCTUnwrap(json.range(of: "\"Fixed\": 128") ?? json.range(of: "\"Fixed\":128"))
        json.replaceSubrange(fixed, with: "\"Fixed\": 1000000000000")
        let hostile = FileManager.default.temporaryDirectory.appendingPathComponent("pad-\(getpid()).json")
        try Data(json.utf8).write(to: hostile)
        defer { try? FileManager.default.removeItem(at: hostile) }
        let padded = try runBounded(["tokenize", "--tokenizer", hostile.path], stdin: Data("hello\n".utf8))
        XCTAssertEqual(padded.status, 2, padded.stderr)
        XCTAssertTrue(padded.stderr.contains("$.padding.strategy.Fixed"), padded.stderr)
    }
}
