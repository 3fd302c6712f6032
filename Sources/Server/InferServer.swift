import Classification
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// How `serve` runs: address, keys, limits, and what `/predict` images go through.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Accepted API keys; empty: no authentication.
    public var apiKeys: Set<String> = []
    /// Sequences decoded together per text model.
    public var parallel = 4
    /// Requests that may wait per model beyond those being served.
    public var queueLimit = 64
    /// Positions of each sequence's context (nil: the model's, at most 4096).
    public var contextLength: Int?
    /// Largest request body accepted.
    public var maxBodyBytes = 8 << 20
    /// The longest a request may run; a generation still going then ends with `length`.
    public var timeout: Duration = .seconds(600)
    /// Preprocessing of `"image"` requests to classifiers (the `classify` flags).
    public var preprocessing = ImagePreprocessing()
    /// Class names for classifiers (nil: ImageNet-1k for 1000-class models).
    public var labels: [String]?

    public init() {}

    /// Fails on a setting outside its range, naming the flag.
    public func validate() throws(ServerError) {
        guard (0...65535).contains(port) else { throw .invalidSetting("--port must be 0 to 65535, got \(port)") }
        guard (1...256).contains(parallel) else {
            throw .invalidSetting("--parallel must be 1 to 256, got \(parallel)")
        }
        guard (0...100_000).contains(queueLimit) else {
            throw .invalidSetting("--queue must be 0 to 100000, got \(queueLimit)")
        }
        guard maxBodyBytes >= 1 else {
            throw .invalidSetting("--max-body-bytes must be at least 1, got \(maxBodyBytes)")
        }
        guard timeout > .zero else { throw .invalidSetting("--timeout must be above 0 seconds") }
        if let contextLength, !(1...(1 << 20)).contains(contextLength) {
            throw .invalidSetting("--ctx-size must be 1 to \(1 << 20), got \(contextLength)")
        }
    }
}

/// The HTTP server: OpenAI-compatible routes for GGUF language models, `/predict` and KServe v2
/// for ONNX models, llama-server's `/tokenize`, health probes and Prometheus `/metrics`, on
/// Hummingbird, with graceful shutdown on SIGTERM/SIGINT through swift-service-lifecycle.
public struct InferServer: Sendable {
    public let configuration: ServerConfiguration
    public let models: [ModelSpec]
    let metrics = ServerMetrics()
    let registry = ModelRegistry()

    /// A server for `models`; checks the settings and that every model file exists.
    public init(models: [ModelSpec], configuration: ServerConfiguration) throws(ServerError) {
        guard !models.isEmpty else { throw .invalidSetting("serve needs at least one --model NAME=PATH") }
        try configuration.validate()
        try ModelLoader.validate(models)
        self.models = models
        self.configuration = configuration
    }

    /// The router with every route and middleware.
    func makeRouter() -> Router<InferRequestContext> {
        let router = Router(context: InferRequestContext.self)
        router.add(middleware: RequestLogMiddleware(metrics: metrics))
        router.add(middleware: APIKeyMiddleware(keys: configuration.apiKeys))
        let routes = Routes(registry: registry, metrics: metrics, configuration: configuration)
        routes.addHealth(to: router)
        routes.addOpenAI(to: router)
        routes.addEmbeddings(to: router)
        routes.addPredict(to: router)
        routes.addKServe(to: router)
        routes.addTokenize(to: router)
        return router
    }

    /// Opens the port, loads the models (`/health` answers 503 until they are ready), and serves
    /// until SIGTERM or SIGINT: then new requests are refused, streams in flight end with a final
    /// chunk, and the call returns. `onListening` gets the bound port (useful with port 0).
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        var logger = Logger(label: "infer-serve")
        logger.logLevel = .warning
        // Connections idle (or sending a request more slowly than this between parts) for a
        // minute are closed; responses in progress, streams included, are never cut.
        let app = Application(
            router: makeRouter(),
            server: .http1(configuration: .init(idleTimeout: .seconds(60))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "infer"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
        let loader = ModelLoadingService(
            models: models, configuration: configuration, metrics: metrics, registry: registry)
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: app),
                    .init(service: loader, successTerminationBehavior: .ignore),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}

/// Loads the models once the port is open, installs them in the registry, and at graceful
/// shutdown tells every scheduler to end its sequences.
struct ModelLoadingService: Service {
    let models: [ModelSpec]
    let configuration: ServerConfiguration
    let metrics: ServerMetrics
    let registry: ModelRegistry

    func run() async throws {
        let (models, configuration, metrics) = (self.models, self.configuration, self.metrics)
        let loaded = try await Task.detached {
            try ModelLoader.load(models, configuration: configuration, metrics: metrics)
        }.value
        registry.install(text: loaded.text, onnx: loaded.onnx, embedding: loaded.embedding)
        let summary =
            loaded.text.map { "\($0.name) (GGUF \($0.generator.model.architecture.name))" }
            + loaded.onnx.map { "\($0.name) (ONNX\($0.classifier != nil ? ", image classifier" : ""))" }
            + loaded.embedding.map { "\($0.name) (embeddings, \($0.embedder.format.rawValue))" }
        FileHandle.standardError.write(Data("models ready: \(summary.joined(separator: ", "))\n".utf8))
        try? await gracefulShutdown()
        for model in registry.textModels { model.scheduler.shutdown() }
    }
}
