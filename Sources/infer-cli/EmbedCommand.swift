import ArgumentParser
import Embeddings
import Foundation
import TensorCore

/// `infer-cli embed`: sentence embeddings from a BERT-style encoder.
struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Sentence embeddings from a sentence-transformers directory, an ONNX encoder or a BERT GGUF.",
        discussion: """
            --model is a sentence-transformers / Hugging Face directory (config.json, model.safetensors, tokenizer.json,
            modules.json, 1_Pooling/config.json, sentence_bert_config.json), a .onnx encoder with tokenizer.json beside it
            (or --tokenizer), or a GGUF whose architecture is bert. Pooling, normalisation and the maximum length come from
            the model's files; the flags override them. Longer texts are truncated (said on stderr).
            Input: --text (repeatable), or `-` for stdin: one text per line, or with --jsonl records {"id"?, "text"}.
            Output: one JSON line per input {"id"?, "embedding": [...], "tokens": N} in input order (a bad line gives
            {"id", "error"} and the job goes on, exit 1), or with --output npy one float32 matrix (rows of a bad line are
            NaN). Example: infer-cli embed --model all-MiniLM-L6-v2 --text "a cat" --text "a dog"
            """)

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case jsonl, npy
    }

    @Option(help: "The model directory, .onnx or .gguf file.") var model: String
    @Option(help: "A tokenizer.json to use (default: the one beside the model).") var tokenizer: String?
    @Option(help: "A text to embed (repeatable).") var text: [String] = []
    @Argument(help: "- to read texts from stdin.") var source: String?
    @Flag(help: "stdin lines are JSON records {\"id\"?, \"text\"}.") var jsonl = false
    @Option(help: "Pooling: mean, cls, last, max or none (default: the model's).")
    var pooling: String?
    @Flag(inversion: .prefixedNo, help: "Scale each vector to unit length (default: the model's setting).")
    var normalize: Bool?
    @Option(help: "Truncate inputs to this many tokens (default: the model's maximum sequence length).")
    var maxLength: Int?
    @Option(help: "Texts per forward pass (sorted by length into batches).") var batchSize = 32
    @Option(help: "jsonl or npy.") var output: OutputFormat = .jsonl
    @OptionGroup var threadOptions: ThreadOptions

    func validate() throws {
        guard (1...4096).contains(batchSize) else {
            throw ValidationError("--batch-size must be 1 to 4096, got \(batchSize)")
        }
        if let pooling, Pooling(rawValue: pooling) == nil {
            throw ValidationError(
                "--pooling must be one of \(Pooling.allCases.map(\.rawValue).joined(separator: ", ")), got '\(pooling)'"
            )
        }
        if let maxLength, maxLength < 1 { throw ValidationError("--max-length must be at least 1, got \(maxLength)") }
        if let source, source != "-" {
            throw ValidationError("the only positional argument is -, for stdin; got '\(source)'")
        }
        guard (source == "-") != !text.isEmpty else {
            throw ValidationError("give texts with --text, or - to read them from stdin (not both)")
        }
        if jsonl && source != "-" { throw ValidationError("--jsonl describes stdin; add -") }
        if output == .npy && pooling == Pooling.none.rawValue {
            throw ValidationError("--output npy writes one vector per text; --pooling none gives a matrix per text")
        }
    }

    func run() throws {
        try threadOptions.apply()
        if output == .npy && isatty(STDOUT_FILENO) == 1 {
            throw CommandError("--output npy writes binary to stdout; redirect it to a file")
        }
        let options = Embedder.Options(
            pooling: pooling.flatMap(Pooling.init(rawValue:)), normalize: normalize, maxLength: maxLength,
            tokenizerPath: tokenizer)
        let embedder: Embedder
        do { embedder = try Embedder(path: model, options: options) } catch { throw CommandError("\(error)") }
        var writer = EmbeddingWriter(format: output, dimension: embedder.dimension)
        if source == "-" {
            // Progress on a terminal only: stdout stays the results, stderr of a pipeline stays quiet.
            let progress = isatty(STDERR_FILENO) == 1
            var pending: [Record] = []
            var done = 0
            let started = ContinuousClock.now
            func flushPending() throws {
                done += pending.count
                try flush(&pending, embedder, &writer)
                if progress {
                    let elapsed = started.duration(to: .now).components
                    let seconds = max(1e-3, Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18)
                    StandardError.write(
                        String(
                            format: "\r%d texts, %d failed, %.1f texts/s", done, writer.failures, Double(done) / seconds
                        ))
                }
            }
            for (number, bytes) in StandardInputLines().enumerated() {
                guard let record = record(bytes, line: number + 1) else { continue }
                pending.append(record)
                if pending.count >= batchSize * 16 { try flushPending() }
            }
            try flushPending()
            if progress { StandardError.write("\n") }
        } else {
            var records = text.enumerated().map { Record(line: $0.offset + 1, id: nil, text: $0.element, error: nil) }
            try flush(&records, embedder, &writer)
        }
        try writer.finish()
        if writer.failures > 0 { throw ExitCode(1) }
    }

    /// One input line: its text, or why it has none.
    struct Record {
        let line: Int
        let id: Any?
        let text: String?
        let error: String?
    }

    /// The record a stdin line holds (nil for a blank line in JSONL mode).
    private func record(_ bytes: [UInt8], line: Int) -> Record? {
        guard jsonl else {
            guard var text = String(validating: bytes, as: UTF8.self) else {
                return Record(line: line, id: NSNull(), text: nil, error: "line \(line) is not valid UTF-8")
            }
            if text.hasSuffix("\r") { text.removeLast() }
            return Record(line: line, id: nil, text: text, error: nil)
        }
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return nil }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            return Record(line: line, id: NSNull(), text: nil, error: "line \(line) is not a JSON object")
        }
        let id = object["id"] ?? NSNull()
        guard let text = object["text"] as? String else {
            let reason = object["text"] == nil ? "has no \"text\"" : "has a \"text\" that is not a string"
            return Record(line: line, id: id, text: nil, error: "line \(line) \(reason)")
        }
        return Record(line: line, id: id, text: text, error: nil)
    }

    /// Embeds the good records among `records` as one length-sorted job and writes every record in order.
    private func flush(_ records: inout [Record], _ embedder: Embedder, _ writer: inout EmbeddingWriter) throws {
        guard !records.isEmpty else { return }
        let good = records.filter { $0.text != nil }
        let embeddings: [Embedding]
        do { embeddings = try embedder.embed(good.map { $0.text! }, batchSize: batchSize) } catch {
            throw CommandError("lines \(records[0].line)-\(records[records.count - 1].line): \(error)")
        }
        let truncated = embeddings.filter(\.truncated).count
        if truncated > 0 {
            // On a terminal, clear the progress line first.
            StandardError.write(
                (isatty(STDERR_FILENO) == 1 ? "\r\u{1B}[K" : "")
                    + "embed: lines \(records[0].line)-\(records[records.count - 1].line): \(truncated) of \(good.count) texts"
                    + " were longer than \(embedder.maxLength) tokens and were truncated\n")
        }
        var next = embeddings.makeIterator()
        for record in records {
            if let error = record.error {
                try writer.write(failure: error, id: record.id, line: record.line)
            } else {
                try writer.write(next.next()!, id: record.id, pooled: embedder.pooling != .none)
            }
        }
        records.removeAll(keepingCapacity: true)
    }
}

/// Writes embeddings as JSON lines, or gathers them into one `.npy` matrix written at the end.
struct EmbeddingWriter {
    let format: Embed.OutputFormat
    let dimension: Int
    private(set) var failures = 0
    private var rows: [Float] = []
    private var count = 0

    init(format: Embed.OutputFormat, dimension: Int) {
        self.format = format
        self.dimension = dimension
    }

    mutating func write(_ embedding: Embedding, id: Any?, pooled: Bool) throws {
        switch format {
        case .npy:
            rows += embedding.values
            count += 1
        case .jsonl:
            var line = "{"
            if let id { line += "\"id\":\(try Self.json(id))," }
            line += "\"embedding\":"
            if pooled {
                line += Self.numbers(embedding.values[...])
            } else {
                let tokens = stride(from: 0, to: embedding.values.count, by: dimension).map {
                    Self.numbers(embedding.values[$0..<($0 + dimension)])
                }
                line += "[" + tokens.joined(separator: ",") + "]"
            }
            line += ",\"tokens\":\(embedding.tokens)}"
            emitLine(line)
        }
    }

    mutating func write(failure: String, id: Any?, line: Int) throws {
        failures += 1
        let line =
            "{\"error\":\(try Self.json(failure)),\"id\":\(try Self.json(id ?? NSNull())),\"line\":\(line)}"
        switch format {
        case .jsonl: emitLine(line)
        case .npy:
            StandardError.write(line + "\n")
            rows += [Float](repeating: .nan, count: dimension)
            count += 1
        }
    }

    func finish() throws {
        guard format == .npy else { return }
        let matrix = try Tensor(shape: [count, dimension], scalars: rows)
        FileHandle.standardOutput.write(Data(try NumpyFile.encode(matrix)))
    }

    private static func numbers(_ values: ArraySlice<Float>) -> String {
        "[" + values.map { $0.description }.joined(separator: ",") + "]"
    }

    private static func json(_ value: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]), as: UTF8.self)
    }
}
