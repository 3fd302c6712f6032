import Foundation
import XCTest

/// `tokenize` and `detokenize` as scripts drive them.
final class TokenizeCLITests: XCTestCase {
    private let tokenizers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tokenizers")

    func testPlainAndJSONLModes() throws {
        let minilm = tokenizers.appendingPathComponent("minilm/tokenizer.json").path
        let plain = try runCLI(["tokenize", "--tokenizer", minilm], stdin: Data("Hello, world!\nsecond line\n".utf8))
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertEqual(plain.stdout, "101 7592 1010 2088 999 102\n101 2117 2240 102\n")
        // MiniLM stores truncation 128 and Fixed(128) padding; applied only when asked.
        let stored = try runCLI(
            ["tokenize", "--tokenizer", minilm, "--stored-truncation-and-padding", "--text", "Hello"], stdin: Data())
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
        let text = try runCLI(
            ["detokenize", "--tokenizer", minilm, "--skip-special"], stdin: Data("101 7592 1010 2088 999 102\n".utf8))
        XCTAssertEqual(text.stdout, "hello, world!\n")
        let bad = try runCLI(
            ["detokenize", "--tokenizer", minilm], stdin: Data("{\"ids\": [101, 99999999]}\n{\"ids\": [101]}\n".utf8))
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stdout.contains("99999999"), bad.stdout)
        XCTAssertTrue(bad.stdout.contains("\"text\":\"[CLS]\""), bad.stdout)
        let missing = try runCLI(["tokenize", "--tokenizer", "/no/such/tokenizer.json", "--text", "x"], stdin: Data())
        XCTAssertEqual(missing.status, 2)
    }
}
