import ArgumentParser
import Foundation
import Generation
import TensorCore
import Tokenizers

/// Sampling flags shared by `generate` (llama.cpp's names and defaults).
struct SamplingOptions: ParsableArguments {
    @Option(name: .customShort("n"), help: "Most tokens to generate.") var maxTokens = 128
    @Option(name: .customLong("temp"), help: "Temperature; 0 is greedy.") var temperature: Float = 0.8
    @Option(name: .customLong("top-k"), help: "Keep the k most likely tokens (0: all).") var topK = 40
    @Option(name: .customLong("top-p"), help: "Nucleus sampling threshold (1: off).") var topP: Float = 0.95
    @Option(name: .customLong("min-p"), help: "Drop tokens below min-p times the top probability (0: off).") var minP:
        Float = 0.05
    @Option(name: .customLong("repeat-penalty"), help: "Penalty for recently seen tokens (1: off).") var repeatPenalty:
        Float = 1.0
    @Option(name: .customLong("repeat-last-n"), help: "How many recent tokens the penalties see (-1: all).")
    var repeatLastN = 64
    @Option(name: .customLong("frequency-penalty"), help: "Subtract count × this from recent tokens' logits.")
    var frequencyPenalty: Float = 0
    @Option(name: .customLong("presence-penalty"), help: "Subtract this from the logits of recent tokens.")
    var presencePenalty: Float = 0
    @Option(help: "Random seed (default: random, printed to stderr).") var seed: UInt64?
    @Option(help: "Stop when the text contains this string (repeatable).") var stop: [String] = []

    func parameters(seed resolved: UInt64) -> SamplingParameters {
        var p = SamplingParameters()
        p.temperature = temperature
        p.topK = topK
        p.topP = topP
        p.minP = minP
        p.repeatPenalty = repeatPenalty
        p.repeatLastN = repeatLastN
        p.frequencyPenalty = frequencyPenalty
        p.presencePenalty = presencePenalty
        p.seed = resolved
        return p
    }
}

/// `infer-cli generate`: text generation with a GGUF Llama-family model.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text with a GGUF Llama-family model, streaming tokens to stdout.",
        discussion: """
            Text streams to stdout as it is generated; load time, speed and the seed go to stderr.
            --json prints one object {"prompt_ids","ids","text","finish_reason","timings"} instead.
            --batch reads JSONL from stdin ({"id","prompt","chat"?,"system"?,"n"?,"temp"?,"top_k"?,"top_p"?,"min_p"?,
            "repeat_penalty"?,"repeat_last_n"?,"seed"?,"stop"?}) and writes one result line per input line, in order.
            Example: infer-cli generate --model SmolLM2-135M-Instruct.Q4_1.gguf --prompt 'The capital of France is' -n 32 --temp 0
            """)

    @Option(help: "A GGUF model file.") var model: String
    @Option(help: "The prompt text, or - to read it from stdin.") var prompt: String?
    @Flag(help: "Render the prompt through the model's chat template as a user message.") var chat = false
    @Option(help: "System message for --chat.") var system: String?
    @Option(
        name: [.customShort("c"), .customLong("ctx-size")], help: "Context length (default: the model's, at most 4096)."
    ) var contextSize: Int?
    @Flag(help: "Keep the last tokens of a prompt longer than the context instead of failing.") var truncate = false
    @Flag(help: "Print one JSON object instead of streaming text.") var json = false
    @Flag(help: "JSONL requests on stdin, one JSON result per line on stdout.") var batch = false
    @OptionGroup var sampling: SamplingOptions
    @OptionGroup var threadOptions: ThreadOptions

    func validate() throws {
        if batch == (prompt != nil) { throw ValidationError("give --prompt TEXT (or - for stdin), or --batch") }
        if sampling.maxTokens < 0 { throw ValidationError("-n must not be negative") }
        if let contextSize, contextSize < 1 || contextSize > 1 << 20 {
            throw ValidationError("--ctx-size must be 1 to \(1 << 20), got \(contextSize)")
        }
        do { try sampling.parameters(seed: 0).validate() } catch {
            throw ValidationError(Generate.explain(error, names: Generate.flagNames))
        }
    }

    /// The command-line flag of each sampling setting.
    static let flagNames: [SamplingParameters.Field: String] = [
        .temperature: "--temp", .topP: "--top-p", .minP: "--min-p", .repeatPenalty: "--repeat-penalty",
        .repeatLastN: "--repeat-last-n", .frequencyPenalty: "--frequency-penalty",
        .presencePenalty: "--presence-penalty",
    ]

    /// The batch-line field of each sampling setting.
    static let fieldNames: [SamplingParameters.Field: String] = [
        .temperature: "\"temp\"", .topP: "\"top_p\"", .minP: "\"min_p\"", .repeatPenalty: "\"repeat_penalty\"",
        .repeatLastN: "\"repeat_last_n\"", .frequencyPenalty: "\"frequency_penalty\"",
        .presencePenalty: "\"presence_penalty\"",
    ]

    func run() throws {
        try threadOptions.apply()
        let start = DispatchTime.now().uptimeNanoseconds
        if isatty(STDERR_FILENO) == 1 { StandardError.write("loading \(model)...\n") }
        let generator: TextGenerator
        do { generator = try TextGenerator(path: model, contextLength: contextSize) } catch {
            throw CommandError(error)
        }
        let loadMilliseconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        if batch {
            try runBatch(generator, loadMilliseconds: loadMilliseconds)
            return
        }
        let text =
            prompt == "-"
            ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) : prompt ?? ""
        var request = Generate.request(text, chat: chat, system: system)
        request.maxTokens = sampling.maxTokens
        request.stop = sampling.stop
        request.truncatePrompt = truncate
        let seed = sampling.seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        request.sampling = sampling.parameters(seed: seed)
        StandardError.write("seed \(seed)\n")
        let result: GenerationResult
        do {
            result = try generator.generate(request) { piece in
                if !json { FileHandle.standardOutput.write(Data(piece.utf8)) }
            }
        } catch { throw CommandError(Generate.explain(error)) }
        if json {
            emitLine(try Generate.resultJSON(result, loadMilliseconds: loadMilliseconds, id: nil))
        } else {
            FileHandle.standardOutput.write(Data("\n".utf8))
        }
        StandardError.write(
            String(
                format: "load %.0f ms, prompt %d tokens at %.1f tok/s, generated %d tokens at %.1f tok/s (%@)\n",
                loadMilliseconds, result.promptIds.count, result.prefillTokensPerSecond, result.ids.count,
                result.decodeTokensPerSecond, result.finishReason.rawValue))
    }

    private func runBatch(_ generator: TextGenerator, loadMilliseconds: Double) throws {
        var failures = 0
        let progress = isatty(STDERR_FILENO) == 1
        for (number, bytes) in StandardInputLines().enumerated() {
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            var id: Any = NSNull()
            do {
                guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
                    throw CommandError("line \(number + 1) is not a JSON object")
                }
                id = object["id"] ?? NSNull()
                let request = try batchRequest(bytes, line: number + 1)
                let result: GenerationResult
                do { result = try generator.generate(request) } catch {
                    throw CommandError("line \(number + 1): \(Generate.explain(error))")
                }
                emitLine(try Generate.resultJSON(result, loadMilliseconds: loadMilliseconds, id: id))
            } catch {
                failures += 1
                let record: [String: Any] = ["id": id, "error": "\(error)"]
                emitLine(
                    String(
                        decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]),
                        as: UTF8.self))
            }
            if progress { StandardError.write("\r\(number + 1) records, \(failures) failed") }
        }
        if progress { StandardError.write("\n") }
        if failures > 0 { throw ExitCode(1) }
    }

    /// The fields a batch line may carry.
    struct BatchLine: Decodable {
        let prompt: String
        let chat: Bool?
        let system: String?
        let n: Int?
        let max_tokens: Int?
        let temp: Float?
        let temperature: Float?
        let top_k: Int?
        let top_p: Float?
        let min_p: Float?
        let repeat_penalty: Float?
        let repeat_last_n: Int?
        let frequency_penalty: Float?
        let presence_penalty: Float?
        let seed: UInt64?
        let stop: [String]?
    }

    /// A request from one batch line: the command-line settings, overridden by the line's fields.
    private func batchRequest(_ bytes: [UInt8], line: Int) throws -> GenerationRequest {
        let fields: BatchLine
        do { fields = try JSONDecoder().decode(BatchLine.self, from: Data(bytes)) } catch let DecodingError.keyNotFound(
            key, _)
        {
            throw CommandError("line \(line): \"\(key.stringValue)\" is missing")
        } catch let DecodingError.typeMismatch(_, context) {
            throw CommandError(
                "line \(line): \"\(context.codingPath.map(\.stringValue).joined(separator: "."))\" has the wrong type")
        } catch {
            throw CommandError("line \(line): \(error)")
        }
        var request = Generate.request(fields.prompt, chat: fields.chat ?? chat, system: fields.system ?? system)
        request.maxTokens = fields.n ?? fields.max_tokens ?? sampling.maxTokens
        guard request.maxTokens >= 0 else { throw CommandError("line \(line): \"n\" must not be negative") }
        request.stop = fields.stop ?? sampling.stop
        request.truncatePrompt = truncate
        var p = sampling.parameters(seed: fields.seed ?? sampling.seed ?? UInt64.random(in: 0...UInt64(UInt32.max)))
        p.temperature = fields.temp ?? fields.temperature ?? p.temperature
        p.topK = fields.top_k ?? p.topK
        p.topP = fields.top_p ?? p.topP
        p.minP = fields.min_p ?? p.minP
        p.repeatPenalty = fields.repeat_penalty ?? p.repeatPenalty
        p.repeatLastN = fields.repeat_last_n ?? p.repeatLastN
        p.frequencyPenalty = fields.frequency_penalty ?? p.frequencyPenalty
        p.presencePenalty = fields.presence_penalty ?? p.presencePenalty
        request.sampling = p
        do { try p.validate() } catch {
            throw CommandError("line \(line): \(Generate.explain(error, names: Generate.fieldNames))")
        }
        return request
    }

    /// A raw-text request, or with `chat` a conversation of an optional system message and `text`
    /// as the user's message.
    static func request(_ text: String, chat: Bool, system: String?) -> GenerationRequest {
        guard chat else { return GenerationRequest(prompt: text) }
        return GenerationRequest(messages: (system.map { [ChatMessage.system($0)] } ?? []) + [.user(text)])
    }

    /// The library's message in the command's terms: sampling settings by the flag or field that
    /// set them, and the flag that helps with a long prompt.
    static func explain(_ error: GenerationError, names: [SamplingParameters.Field: String] = flagNames) -> String {
        switch error {
        case .promptTooLong: return "\(error) (use --truncate to keep its last tokens)"
        case let .invalidSamplingParameter(field, value, accepted):
            return "\(names[field] ?? field.rawValue) is \(value); accepted: \(accepted)"
        default: return "\(error)"
        }
    }

    /// The `--json` object (plus `"id"` in batch mode).
    static func resultJSON(_ result: GenerationResult, loadMilliseconds: Double, id: Any?) throws -> String {
        var object: [String: Any] = [
            "prompt_ids": result.promptIds, "ids": result.ids, "text": result.text,
            "finish_reason": result.finishReason.rawValue,
            "timings": [
                "load_ms": (loadMilliseconds * 10).rounded() / 10,
                "prefill_tok_s": (result.prefillTokensPerSecond * 10).rounded() / 10,
                "decode_tok_s": (result.decodeTokensPerSecond * 10).rounded() / 10,
            ],
        ]
        if let id { object["id"] = id }
        return String(
            decoding: try JSONSerialization.data(
                withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
    }
}
