import ArgumentParser
import Classification
import Dispatch
import Foundation
import Server
import Synchronization

/// `infer-cli serve`: the HTTP server (OpenAI, /predict, KServe v2, /tokenize, /metrics).
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract:
            "Serve language, embedding and ONNX models over HTTP (OpenAI-compatible, /predict, KServe v2).",
        discussion: """
            Each --model NAME=PATH is a GGUF language model (/v1/chat/completions, /v1/completions, /tokenize), an
            embedding model (a sentence-transformers directory, a bert GGUF or an ONNX encoder with tokenizer.json
            beside it: /v1/embeddings) or an ONNX model (/predict, /v2/models/NAME/infer); the kind is read from the file. The port opens at once and
            /health answers 503 until every model has loaded. Requests to one language model are decoded together
            (continuous batching, --parallel sequences); up to --queue more wait, beyond that 429. With --api-key every
            route but the health probes needs 'Authorization: Bearer KEY'. SIGTERM or SIGINT stops accepting
            requests, ends streams with a final chunk and exits 0. One log line per request goes to stderr.
            Example: infer-cli serve --model smollm2=SmolLM2-135M-Instruct.Q4_1.gguf --model nsfw=open_nsfw.onnx
            """)

    @Option(name: .customLong("model"), help: "A model to serve: NAME=PATH (repeatable).") var models: [String] = []
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port, printed on stderr).") var port = 8080
    @Option(help: "An API key clients must send as 'Authorization: Bearer KEY'.") var apiKey: String?
    @Option(help: "A file of API keys, one per line.") var apiKeyFile: String?
    @Option(help: "Sequences decoded together per language model.") var parallel = 4
    @Option(help: "Requests that may wait per model beyond those being served (more get 429).") var queue = 64
    @Option(help: "Context positions per sequence (default: the model's, at most 4096).") var ctxSize: Int?
    @Option(help: "Largest request body in bytes (more get 413).") var maxBodyBytes = 8 << 20
    @Option(help: "Longest a request may run, in seconds; a generation still going then ends.") var timeout = 600.0
    @Option(help: "Class names for ONNX classifiers, one per line (default: ImageNet-1k for 1000 classes).")
    var labels: String?
    @OptionGroup var preprocessingOptions: PreprocessingOptions
    @OptionGroup var threadOptions: ThreadOptions

    func run() throws {
        try threadOptions.apply()
        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.port = port
        guard apiKey == nil || apiKeyFile == nil else {
            throw CommandError("give --api-key or --api-key-file, not both")
        }
        if let apiKey {
            guard !apiKey.isEmpty else { throw CommandError("--api-key must not be empty") }
            configuration.apiKeys = [apiKey]
        }
        if let apiKeyFile {
            guard let data = FileManager.default.contents(atPath: apiKeyFile) else {
                throw CommandError("cannot read --api-key-file \(apiKeyFile)")
            }
            let keys = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !keys.isEmpty else { throw CommandError("--api-key-file \(apiKeyFile) holds no key") }
            configuration.apiKeys = Set(keys)
        }
        configuration.parallel = parallel
        configuration.queueLimit = queue
        configuration.contextLength = ctxSize
        configuration.maxBodyBytes = maxBodyBytes
        guard timeout.isFinite, timeout > 0, timeout <= 1e9 else {
            throw CommandError("--timeout must be a number of seconds above 0, got \(timeout)")
        }
        configuration.timeout = .milliseconds(Int64(timeout * 1000))
        configuration.preprocessing = try preprocessingOptions.preprocessing()
        do { configuration.labels = try labels.map(ImageClassifier.labels(contentsOfFile:)) } catch {
            throw CommandError(error)
        }
        let specs: [ModelSpec]
        let server: InferServer
        do {
            specs = try models.map(ModelSpec.init(argument:))
            server = try InferServer(models: specs, configuration: configuration)
        } catch { throw CommandError(error) }
        let outcome = ServeOutcome(), host = configuration.host
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                try await server.run { port in
                    StandardError.write("listening on http://\(host):\(port)\n")
                }
            } catch { outcome.set("\(error)") }
            done.signal()
        }
        done.wait()
        if let failure = outcome.failure { throw CommandError(failure) }
    }
}

/// How the server task ended, read by the waiting main thread.
final class ServeOutcome: Sendable {
    private let message = Mutex<String?>(nil)
    func set(_ text: String) { message.withLock { $0 = text } }
    var failure: String? { message.withLock { $0 } }
}
