import Classification
import Dispatch
import Embeddings
import Foundation
import GGUF
import Generation
import OnnxLoader
import Synchronization
import TensorCore

/// A model the server was asked to load: `NAME=PATH`.
public struct ModelSpec: Sendable, Equatable {
    public var name: String
    public var path: String

    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }

    /// Parses `NAME=PATH`; a bare path is named after its file (without the extension).
    public init(argument: String) throws(ServerError) {
        if let equals = argument.firstIndex(of: "=") {
            name = String(argument[..<equals])
            path = String(argument[argument.index(after: equals)...])
        } else {
            path = argument
            name = ((argument as NSString).lastPathComponent as NSString).deletingPathExtension
        }
        guard !name.isEmpty, !path.isEmpty else { throw .invalidModelArgument(argument) }
    }
}

/// Why the server could not start.
public enum ServerError: Error, CustomStringConvertible {
    case invalidModelArgument(String)
    case duplicateModelName(String)
    case cannotLoad(name: String, path: String, reason: String)
    case invalidSetting(String)

    public var description: String {
        switch self {
        case let .invalidModelArgument(argument): return "--model expects NAME=PATH, got '\(argument)'"
        case let .duplicateModelName(name): return "two models are named '\(name)'"
        case let .cannotLoad(name, path, reason): return "model '\(name)' (\(path)): \(reason)"
        case let .invalidSetting(message): return message
        }
    }
}

/// A GGUF language model and the scheduler that decodes its requests together.
final class TextModel: Sendable {
    let name: String
    let generator: TextGenerator
    let scheduler: GenerationScheduler
    let created: Int

    init(name: String, generator: TextGenerator, scheduler: GenerationScheduler) {
        self.name = name
        self.generator = generator
        self.scheduler = scheduler
        created = Int(Date().timeIntervalSince1970)
    }
}

/// An ONNX model for `/predict` and KServe, with its classifier view when it is one, and a
/// bounded queue that runs its inferences off the HTTP threads.
final class OnnxModel: Sendable {
    let name: String
    let session: InferenceSession
    let classifier: ImageClassifier?
    let queue: InferenceQueue
    let created: Int

    init(name: String, session: InferenceSession, classifier: ImageClassifier?, queue: InferenceQueue) {
        self.name = name
        self.session = session
        self.classifier = classifier
        self.queue = queue
        created = Int(Date().timeIntervalSince1970)
    }
}

/// A sentence-embedding model for `/v1/embeddings`, with its bounded queue.
final class EmbeddingModel: Sendable {
    let name: String
    let embedder: Embedder
    let queue: InferenceQueue
    let created: Int

    init(name: String, embedder: Embedder, queue: InferenceQueue) {
        self.name = name
        self.embedder = embedder
        self.queue = queue
        created = Int(Date().timeIntervalSince1970)
    }
}

/// Runs blocking inferences one at a time on a thread of their own, with at most `limit` waiting;
/// more are refused (429).
final class InferenceQueue: Sendable {
    private let queue: DispatchQueue
    private let waiting = Mutex(0)
    let limit: Int
    private let onDepth: @Sendable (Int) -> Void

    init(label: String, limit: Int, onDepth: @escaping @Sendable (Int) -> Void) {
        queue = DispatchQueue(label: label)
        self.limit = limit
        self.onDepth = onDepth
    }

    /// Runs `body` on the queue's thread; throws 429 when `limit` calls already wait.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let depth: Int? = waiting.withLock {
            guard $0 <= limit else { return nil }
            $0 += 1
            return $0
        }
        guard let depth else {
            throw APIError.busy("the server is busy: \(limit) inferences are already waiting; retry later")
        }
        onDepth(depth - 1)
        defer {
            let now = waiting.withLock {
                $0 -= 1
                return $0
            }
            onDepth(max(0, now - 1))
        }
        return try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}

/// Every model the server serves, by name; empty until loading has finished.
final class ModelRegistry: Sendable {
    private struct Loaded {
        var text: [String: TextModel] = [:]
        var onnx: [String: OnnxModel] = [:]
        var embedding: [String: EmbeddingModel] = [:]
        var textOrder: [String] = []
        var onnxOrder: [String] = []
        var embeddingOrder: [String] = []
        var ready = false
    }
    private let loaded = Mutex(Loaded())

    var isReady: Bool { loaded.withLock { $0.ready } }

    func install(text: [TextModel], onnx: [OnnxModel], embedding: [EmbeddingModel]) {
        loaded.withLock {
            for model in embedding {
                $0.embedding[model.name] = model
                $0.embeddingOrder.append(model.name)
            }
            for model in text {
                $0.text[model.name] = model
                $0.textOrder.append(model.name)
            }
            for model in onnx {
                $0.onnx[model.name] = model
                $0.onnxOrder.append(model.name)
            }
            $0.ready = true
        }
    }

    var textModels: [TextModel] { loaded.withLock { state in state.textOrder.compactMap { state.text[$0] } } }
    var onnxModels: [OnnxModel] { loaded.withLock { state in state.onnxOrder.compactMap { state.onnx[$0] } } }
    var embeddingModels: [EmbeddingModel] {
        loaded.withLock { state in state.embeddingOrder.compactMap { state.embedding[$0] } }
    }

    /// The embedding model `name` (the first loaded one when nil); 503 while loading, 404 when absent.
    func embeddingModel(_ name: String?) throws -> EmbeddingModel {
        let (model, names, ready): (EmbeddingModel?, [String], Bool) = loaded.withLock { state in
            let chosen = name.map { state.embedding[$0] } ?? state.embeddingOrder.first.flatMap { state.embedding[$0] }
            return (chosen, state.embeddingOrder, state.ready)
        }
        guard ready else { throw APIError.unavailable("the models are still loading") }
        guard let model else { throw APIError.modelNotFound(name ?? "(default embedding model)", available: names) }
        return model
    }

    /// The text model `name` (the first loaded one when nil); 503 while loading, 404 when absent.
    func textModel(_ name: String?) throws -> TextModel {
        let (model, names, ready): (TextModel?, [String], Bool) = loaded.withLock { state in
            let chosen = name.map { state.text[$0] } ?? state.textOrder.first.flatMap { state.text[$0] }
            return (chosen, state.textOrder, state.ready)
        }
        guard ready else { throw APIError.unavailable("the models are still loading") }
        guard let model else { throw APIError.modelNotFound(name ?? "(default text model)", available: names) }
        return model
    }

    /// The ONNX model `name` (the first loaded one when nil); 503 while loading, 404 when absent.
    func onnxModel(_ name: String?) throws -> OnnxModel {
        let (model, names, ready): (OnnxModel?, [String], Bool) = loaded.withLock { state in
            let chosen = name.map { state.onnx[$0] } ?? state.onnxOrder.first.flatMap { state.onnx[$0] }
            return (chosen, state.onnxOrder, state.ready)
        }
        guard ready else { throw APIError.unavailable("the models are still loading") }
        guard let model else { throw APIError.modelNotFound(name ?? "(default ONNX model)", available: names) }
        return model
    }
}

/// Loads models, telling their kind from the file: a model directory or a `bert` GGUF (sentence
/// embeddings), another GGUF (text generation), an ONNX text encoder with `tokenizer.json` beside
/// it (sentence embeddings), or any other ONNX model (`/predict`, KServe).
enum ModelLoader {
    /// Checks every spec names a distinct, readable file before anything loads.
    static func validate(_ specs: [ModelSpec]) throws(ServerError) {
        var names: Set<String> = []
        for spec in specs {
            guard names.insert(spec.name).inserted else { throw .duplicateModelName(spec.name) }
            guard FileManager.default.isReadableFile(atPath: spec.path) else {
                throw .cannotLoad(name: spec.name, path: spec.path, reason: "no such readable file or directory")
            }
        }
    }

    static func isGGUF(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 4)) == Data("GGUF".utf8)
    }

    /// Whether `path` holds a GGUF whose architecture is `bert` (an embedding model).
    static func isEmbeddingGGUF(_ path: String) -> Bool {
        (try? GGUFFile(path: path))?["general.architecture"]?.string == "bert"
    }

    /// Whether `path` is an ONNX text encoder with a tokenizer beside it.
    static func isOnnxEncoder(_ session: InferenceSession, path: String) -> Bool {
        let names = Set(session.inputs.map(\.name))
        let directory = (path as NSString).deletingLastPathComponent
        return names.contains("input_ids") && !names.contains(where: { $0.hasPrefix("past") })
            && FileManager.default.fileExists(atPath: (directory.isEmpty ? "." : directory) + "/tokenizer.json")
    }

    static func load(_ specs: [ModelSpec], configuration: ServerConfiguration, metrics: ServerMetrics)
        throws(ServerError)
        -> (text: [TextModel], onnx: [OnnxModel], embedding: [EmbeddingModel])
    {
        var text: [TextModel] = [], onnx: [OnnxModel] = [], embedding: [EmbeddingModel] = []
        for spec in specs {
            var isDirectory: ObjCBool = false
            let directory =
                FileManager.default.fileExists(atPath: spec.path, isDirectory: &isDirectory) && isDirectory.boolValue
            if directory || (isGGUF(spec.path) && isEmbeddingGGUF(spec.path)) {
                embedding.append(try loadEmbedding(spec, configuration: configuration, metrics: metrics))
            } else if isGGUF(spec.path) {
                text.append(try loadText(spec, configuration: configuration, metrics: metrics))
            } else {
                let session: InferenceSession
                do { session = try InferenceSession(path: spec.path) } catch {
                    throw .cannotLoad(
                        name: spec.name, path: spec.path,
                        reason: "not a GGUF file or model directory, and as ONNX: \(error)")
                }
                if isOnnxEncoder(session, path: spec.path) {
                    embedding.append(try loadEmbedding(spec, configuration: configuration, metrics: metrics))
                } else {
                    onnx.append(try loadOnnx(spec, session: session, configuration: configuration, metrics: metrics))
                }
            }
        }
        return (text, onnx, embedding)
    }

    private static func loadEmbedding(_ spec: ModelSpec, configuration: ServerConfiguration, metrics: ServerMetrics)
        throws(ServerError) -> EmbeddingModel
    {
        let embedder: Embedder
        do { embedder = try Embedder(path: spec.path) } catch {
            throw .cannotLoad(name: spec.name, path: spec.path, reason: error.description)
        }
        let name = spec.name
        let queue = InferenceQueue(label: "infer-embed-\(name)", limit: configuration.queueLimit) { depth in
            metrics.occupancy(model: name, active: 0, queued: depth)
        }
        metrics.occupancy(model: name, active: 0, queued: 0)
        return EmbeddingModel(name: spec.name, embedder: embedder, queue: queue)
    }

    private static func loadText(_ spec: ModelSpec, configuration: ServerConfiguration, metrics: ServerMetrics)
        throws(ServerError) -> TextModel
    {
        do throws(GenerationError) {
            let generator = try TextGenerator(path: spec.path, contextLength: configuration.contextLength)
            var settings = GenerationScheduler.Configuration()
            settings.parallel = configuration.parallel
            settings.queueLimit = configuration.queueLimit
            let name = spec.name
            let scheduler = try GenerationScheduler(
                generator: generator, configuration: settings,
                onOccupancy: { metrics.occupancy(model: name, active: $0.active, queued: $0.queued) },
                onCancel: { metrics.cancelled.increment() })
            metrics.occupancy(model: name, active: 0, queued: 0)
            return TextModel(name: spec.name, generator: generator, scheduler: scheduler)
        } catch {
            throw .cannotLoad(name: spec.name, path: spec.path, reason: error.description)
        }
    }

    private static func loadOnnx(
        _ spec: ModelSpec, session: InferenceSession, configuration: ServerConfiguration, metrics: ServerMetrics
    ) throws(ServerError) -> OnnxModel {
        // A model with one image-shaped input is also a classifier (`"image"` requests).
        let classifier = try? ImageClassifier(
            session: session, labels: configuration.labels, preprocessing: configuration.preprocessing)
        let name = spec.name
        let queue = InferenceQueue(label: "infer-onnx-\(name)", limit: configuration.queueLimit) { depth in
            metrics.occupancy(model: name, active: 0, queued: depth)
        }
        metrics.occupancy(model: name, active: 0, queued: 0)
        return OnnxModel(name: spec.name, session: session, classifier: classifier, queue: queue)
    }
}
