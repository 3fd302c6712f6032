import Foundation
import XCTest

/// The built `infer-cli` next to the test bundle.
let cliBinary = Bundle.main.bundleURL.appendingPathComponent("infer-cli")

/// Runs `infer-cli` as a process, the way scripts do: arguments, bytes on stdin, and what comes back.
func runCLI(_ arguments: [String], stdin: Data? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = cliBinary
    process.arguments = arguments
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = stdin == nil ? FileHandle.nullDevice : input
    try process.run()
    if let stdin {
        input.fileHandleForWriting.write(stdin)
        try input.fileHandleForWriting.close()
    }
    let stdout = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
}

/// Runs the built `infer-cli` as a process, the way scripts do.
final class CLITests: XCTestCase {


    func testVersion() throws {
        let result = try runCLI(["--version"])
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "infer-cli 0.1.0")
    }

    func testHelpListsEverySubcommand() throws {
        let result = try runCLI(["--help"])
        XCTAssertEqual(result.status, 0)
        for name in ["classify", "generate", "embed", "run", "inspect", "tokenize", "detokenize", "bench"] {
            XCTAssertTrue(result.stdout.contains("  \(name) "), "help lacks \(name):\n\(result.stdout)")
        }
    }

    func testSubcommandsNotYetBuiltSaySoAndExit2() throws {
        for name in ["embed"] {
            let result = try runCLI([name, "model.onnx", "--some-flag", "1"])
            XCTAssertEqual(result.status, 2, name)
            XCTAssertTrue(result.stderr.contains("infer-cli \(name): not implemented yet"), result.stderr)
            XCTAssertEqual(result.stdout, "", "stdout stays clean")
        }
    }

    func testUsageErrorsExit2() throws {
        let result = try runCLI(["no-such-command"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("no-such-command"), result.stderr)
    }

    func testSubcommandHelpShowsAnExample() throws {
        let result = try runCLI(["generate", "--help"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("Example: infer-cli generate"), result.stdout)
    }
}

/// `run` and `inspect` on the fixture models, as scripts drive them.
final class OnnxCLITests: XCTestCase {
    private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
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
        let result = try runCLI(["run", directory.appendingPathComponent("model.onnx").path,
                              "--input", "input=" + directory.appendingPathComponent("test_data_set_0/input_0.pb").path,
                              "--output-dir", out, "--threads", "1"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "")
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/output_0.pb"))
        let npy = try runCLI(["run", directory.appendingPathComponent("model.onnx").path, directory.appendingPathComponent("test_data_set_0/input_0.pb").path,
                           "--output-dir", out, "--output-format", "npy"])
        XCTAssertEqual(npy.status, 0, npy.stderr)
        let header = try Data(contentsOf: URL(fileURLWithPath: out + "/output_0.npy")).prefix(6)
        XCTAssertEqual(Array(header), [0x93] + Array("NUMPY".utf8))
    }

    func testInspectDescribesTheModel() throws {
        let result = try runCLI(["inspect", fixtures.appendingPathComponent("tiny_llama_kv_op23/model.onnx").path, "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((object["opsets"] as? [String: Int])?["ai.onnx"], 23)
        XCTAssertEqual((object["operators"] as? [String: Int])?["Attention"], 2)
        XCTAssertEqual((object["unsupported"] as? [Any])?.count, 0)
        XCTAssertEqual((object["inputs"] as? [[String: Any]])?.first?["name"] as? String, "input_ids")
    }

    func testErrorsExit2WithAMessage() throws {
        let model = fixtures.appendingPathComponent("tiny_cnn/model.onnx").path
        for arguments in [["run", "/no/such.onnx"], ["run", model], ["run", model, "/no/such/input.pb"],
                          ["run", model, "--input", "bogus=/tmp/x.pb"], ["inspect", #filePath]] {
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

/// `classify` on the real open-nsfw model and photos from `Fixtures/fetch.sh`.
final class ClassifyCLITests: XCTestCase {
    private let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/models")
    private let openNSFW = ["--channel-order", "bgr", "--scale", "1", "--mean", "104,117,123", "--std", "1,1,1"]


    override func setUpWithError() throws {
        guard FileManager.default.fileExists(atPath: models.appendingPathComponent("opennsfw/open-nsfw.onnx").path) else {
            throw XCTSkip("run Fixtures/fetch.sh first (the README's test command does)")
        }
    }

    func testClassifiesPhotosEndToEnd() throws {
        let model = models.appendingPathComponent("opennsfw/open-nsfw.onnx").path
        let photos = ["chelsea.png", "coffee.png", "rocket.jpg"].map { models.appendingPathComponent("images/\($0)").path }
        let result = try runCLI(["classify", "--model", model] + photos + openNSFW + ["--top-k", "2", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let entries = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(entries.count, 3)
        for entry in entries {
            let ranked = try XCTUnwrap(entry["top_k"] as? [[String: Any]])
            XCTAssertEqual(ranked.count, 2)
            let probabilities = ranked.compactMap { $0["probability"] as? Double }
            XCTAssertEqual(probabilities.reduce(0, +), 1, accuracy: 1e-4)
            XCTAssertEqual(ranked.first?["index"] as? Int, 0, "ordinary photos are safe for work: \(entry)")
        }
    }

    func testJSONLBatchKeepsGoingAfterBadRecords() throws {
        let model = models.appendingPathComponent("opennsfw/open-nsfw.onnx").path
        let photo = models.appendingPathComponent("images/coffee.png").path
        let records = "{\"id\": \"good\", \"path\": \"\(photo)\"}\nnot json\n{\"id\": \"missing\", \"path\": \"/no/such.png\"}\n{\"id\": \"short\", \"input\": [1, 2, 3]}\n{\"id\": \"again\", \"path\": \"\(photo)\"}\n"
        let result = try runCLI(["classify", "--model", model, "-"] + openNSFW, stdin: Data(records.utf8))
        XCTAssertEqual(result.status, 1, "some records failed")
        let lines = result.stdout.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        XCTAssertEqual(lines.count, 5)
        XCTAssertEqual(lines.map { $0?["id"] as? String }, ["good", nil, "missing", "short", "again"])
        XCTAssertNotNil(lines[0]?["top_k"])
        XCTAssertNotNil(lines[1]?["error"])
        XCTAssertTrue((lines[2]?["error"] as? String ?? "").contains("/no/such.png"))
        XCTAssertTrue((lines[3]?["error"] as? String ?? "").contains("150528"), "\(String(describing: lines[3]))")
        XCTAssertNotNil(lines[4]?["top_k"])
    }

    func testBadImagesAndJSONAreErrorsNotCrashes() throws {
        let model = models.appendingPathComponent("opennsfw/open-nsfw.onnx").path
        let png = try Data(contentsOf: models.appendingPathComponent("images/chelsea.png"))
        let directory = FileManager.default.temporaryDirectory
        let truncated = directory.appendingPathComponent("infer-truncated-\(getpid()).png").path
        FileManager.default.createFile(atPath: truncated, contents: png.prefix(png.count / 2))
        let json = directory.appendingPathComponent("infer-record-\(getpid()).json").path
        FileManager.default.createFile(atPath: json, contents: Data("{\"pixels\": [1, 2]}".utf8))
        defer { try? FileManager.default.removeItem(atPath: truncated); try? FileManager.default.removeItem(atPath: json) }
        let bad = try runCLI(["classify", "--model", model, truncated] + openNSFW)
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains(truncated), bad.stderr)
        let record = try runCLI(["classify", "--model", model, json])
        XCTAssertEqual(record.status, 2)
        XCTAssertTrue(record.stderr.contains(json) && record.stderr.contains("\"input\""), record.stderr)
    }
}

/// `tokenize` and `detokenize` as scripts drive them.
final class TokenizeCLITests: XCTestCase {
    private let tokenizers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tokenizers")


    func testPlainAndJSONLModes() throws {
        let minilm = tokenizers.appendingPathComponent("minilm/tokenizer.json").path
        let plain = try runCLI(["tokenize", "--tokenizer", minilm], stdin: Data("Hello, world!\nsecond line\n".utf8))
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertEqual(plain.stdout, "101 7592 1010 2088 999 102\n101 2117 2240 102\n")
        // MiniLM stores truncation 128 and Fixed(128) padding; applied only when asked.
        let stored = try runCLI(["tokenize", "--tokenizer", minilm, "--stored-truncation-and-padding", "--text", "Hello"], stdin: Data())
        XCTAssertEqual(stored.stdout.split(separator: " ").count, 128, stored.stdout)
        // A line that is not UTF-8 becomes an empty line and a message; the lines after it still come.
        var mixed = Data("one\n".utf8)
        mixed.append(contentsOf: [0xC3, 0x28, 0x0A])
        mixed.append(Data("two\n".utf8))
        let partial = try runCLI(["tokenize", "--tokenizer", minilm], stdin: mixed)
        XCTAssertEqual(partial.status, 1)
        XCTAssertEqual(partial.stdout, "101 2028 102\n\n101 2048 102\n")
        XCTAssertTrue(partial.stderr.contains("line 2 is not valid UTF-8"), partial.stderr)
        let smollm = tokenizers.appendingPathComponent("smollm2/tokenizer.json").path
        var input = Data("{\"text\": \"a\\u2028b\"}\n".utf8)
        input.append(contentsOf: [0xFF, 0xFE, 0x0A])
        input.append(Data("{\"text\": \"ok\"}\n".utf8))
        let jsonl = try runCLI(["tokenize", "--tokenizer", smollm, "--jsonl"], stdin: input)
        XCTAssertEqual(jsonl.status, 1, "one record failed")
        let lines = jsonl.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3)
        XCTAssertTrue(lines[0].contains("\"offsets\":[[0,1],[1,2],[1,2],[2,3]]"), lines[0])
        XCTAssertTrue(lines[1].contains("not valid UTF-8"), lines[1])
        XCTAssertTrue(lines[2].contains("\"ids\":[2231]"), lines[2])
    }

    func testDetokenizeAndItsErrors() throws {
        let minilm = tokenizers.appendingPathComponent("minilm/tokenizer.json").path
        let text = try runCLI(["detokenize", "--tokenizer", minilm, "--skip-special"], stdin: Data("101 7592 1010 2088 999 102\n".utf8))
        XCTAssertEqual(text.stdout, "hello, world!\n")
        let bad = try runCLI(["detokenize", "--tokenizer", minilm], stdin: Data("{\"ids\": [101, 99999999]}\n{\"ids\": [101]}\n".utf8))
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stdout.contains("99999999"), bad.stdout)
        XCTAssertTrue(bad.stdout.contains("\"text\":\"[CLS]\""), bad.stdout)
        let missing = try runCLI(["tokenize", "--tokenizer", "/no/such/tokenizer.json", "--text", "x"], stdin: Data())
        XCTAssertEqual(missing.status, 2)
    }
}
