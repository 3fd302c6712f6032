import ArgumentParser
import Foundation
import GGUF
import Generation
import Tokenizers

/// Lines of standard input as raw bytes, split at "\n" only (U+2028 and friends are text).
struct StandardInputLines: Sequence, IteratorProtocol {
    private var buffer: [UInt8] = []
    private var finished = false

    mutating func next() -> [UInt8]? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                return line
            }
            if finished {
                guard !buffer.isEmpty else { return nil }
                defer { buffer = [] }
                return buffer
            }
            let chunk = FileHandle.standardInput.availableData
            if chunk.isEmpty { finished = true } else { buffer += chunk }
        }
    }
}

/// Writes one line to stdout, unbuffered, so pipelines see results as they come.
func emitLine(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

func loadTokenizer(_ path: String) throws -> Tokenizer {
    do { return try Tokenizer(path: path) } catch { throw CommandError("\(error)") }
}

/// `infer-cli tokenize`: text to token ids.
struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Turn text into token ids with a tokenizer.json or a GGUF vocabulary.",
        discussion: """
            Plain mode: each stdin line (or --text) becomes a line of space-separated ids.
            --jsonl: each stdin line is {"text": ...}; each output line is {"ids", "tokens", "offsets"} (offsets in Unicode scalars).
            Example: echo 'Hello world' | infer-cli tokenize --tokenizer tokenizer.json
            """)

    @Option(help: "A tokenizer.json or a .gguf.") var tokenizer: String
    @Option(help: "Tokenize this text instead of stdin.") var text: String?
    @Flag(help: "Do not add the template's special tokens.") var noSpecial = false
    @Flag(help: "JSON lines in and out.") var jsonl = false
    @Flag(
        help:
            "Apply the truncation and padding stored in the tokenizer.json (off by default: every line gets its whole encoding)."
    )
    var storedTruncationAndPadding = false

    private struct Record: Decodable { let text: String }

    func run() throws {
        var model = try loadTokenizer(tokenizer)
        if !storedTruncationAndPadding {
            model.truncation = nil
            model.padding = nil
        }
        if let text {
            emitLine(try format(model.encode(text, addSpecialTokens: !noSpecial)))
            return
        }
        var failures = 0
        let decoder = JSONDecoder()
        for (number, bytes) in StandardInputLines().enumerated() {
            do {
                guard let line = String(validating: bytes, as: UTF8.self) else {
                    throw CommandError("line \(number + 1) is not valid UTF-8")
                }
                var input = line
                if jsonl {
                    // JSONDecoder keeps a leading U+FEFF in the text, which JSONSerialization drops.
                    guard let record = try? decoder.decode(Record.self, from: Data(bytes)) else {
                        throw CommandError("line \(number + 1) is not a JSON object with a \"text\" string")
                    }
                    input = record.text
                }
                emitLine(try format(model.encode(input, addSpecialTokens: !noSpecial)))
            } catch {
                // One bad line gets an error (a record in --jsonl mode, an empty line and a message
                // on stderr otherwise) and the run goes on; the exit code reports it at the end.
                failures += 1
                if jsonl {
                    emitLine(
                        String(
                            decoding: try JSONSerialization.data(withJSONObject: ["error": "\(error)"]), as: UTF8.self))
                } else {
                    FileHandle.standardError.write(Data("infer-cli tokenize: \(error)\n".utf8))
                    emitLine("")
                }
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }

    private func format(_ encoding: Encoding) throws -> String {
        guard jsonl else { return encoding.ids.map(String.init).joined(separator: " ") }
        let object: [String: Any] = [
            "ids": encoding.ids, "tokens": encoding.tokens, "offsets": encoding.offsets.map { [$0.0, $0.1] },
        ]
        return String(
            decoding: try JSONSerialization.data(
                withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
    }
}

/// `infer-cli detokenize`: token ids back to text.
struct Detokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detokenize",
        abstract: "Turn token ids (space-separated per line, or JSONL {\"ids\": [...]}) back into text.",
        discussion: "Example: echo '101 7592 2088 102' | infer-cli detokenize --tokenizer tokenizer.json --skip-special"
    )

    @Option(help: "A tokenizer.json or a .gguf.") var tokenizer: String
    @Flag(help: "Leave special tokens out.") var skipSpecial = false

    func run() throws {
        let model = try loadTokenizer(tokenizer)
        var failures = 0
        for (number, bytes) in StandardInputLines().enumerated() {
            let line = String(decoding: bytes, as: UTF8.self)
            let isJSON = line.trimmingCharacters(in: .whitespaces).hasPrefix("{")
            do {
                let ids: [Int]
                if isJSON {
                    guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
                        let list = object["ids"] as? [Any]
                    else {
                        throw CommandError("line \(number + 1) is not a JSON object with an \"ids\" array")
                    }
                    ids = try list.map { item in
                        guard let id = (item as? NSNumber)?.intValue else {
                            throw CommandError("line \(number + 1): ids must be integers")
                        }
                        return id
                    }
                } else {
                    ids = try line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map { word in
                        guard let id = Int(word) else {
                            throw CommandError("line \(number + 1): '\(word)' is not a token id")
                        }
                        return id
                    }
                }
                let text: String
                do { text = try model.decode(ids, skipSpecialTokens: skipSpecial) } catch {
                    throw CommandError("line \(number + 1): \(error)")
                }
                emitLine(
                    isJSON
                        ? String(decoding: try JSONSerialization.data(withJSONObject: ["text": text]), as: UTF8.self)
                        : text)
            } catch {
                failures += 1
                if isJSON {
                    emitLine(
                        String(
                            decoding: try JSONSerialization.data(withJSONObject: ["error": "\(error)"]), as: UTF8.self))
                } else {
                    throw error
                }
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }
}
