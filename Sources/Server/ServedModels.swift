import Classification
import Dispatch
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
        var textOrder: [String] = []
        var onnxOrder: [String] = []
        var ready = false
    }
    private let loaded = Mutex(Loaded())

    var isReady: Bool { loaded.withLock { $0.ready } }

    func install(text: [TextModel], onnx: [OnnxModel]) {
        loaded.withLock {
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

/// Loads models, telling their kind from the file: GGUF (text generation) or ONNX.
enum ModelLoader {
    /// Checks every spec names a distinct, readable file before anything loads.
    static func validate(_ specs: [ModelSpec]) throws(ServerError) {
        var names: Set<String> = []
        for spec in specs {
            guard names.insert(spec.name).inserted else { throw .duplicateModelName(spec.name) }
            guard FileManager.default.isReadableFile(atPath: spec.path) else {
                throw .cannotLoad(name: spec.name, path: spec.path, reason: "no such readable file")
            }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: spec.path, isDirectory: &isDirectory), isDirectory.boolValue {
                throw .cannotLoad(
                    name: spec.name, path: spec.path,
                    reason: "is a directory; serve takes a GGUF language model or an ONNX model file")
            }
        }
    }

    static func isGGUF(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 4)) == Data("GGUF".utf8)
    }

    static func load(_ specs: [ModelSpec], configuration: ServerConfiguration, metrics: ServerMetrics)
        throws(ServerError)
        -> (text: [TextModel], onnx: [OnnxModel])
    {
        var text: [TextModel] = [], onnx: [OnnxModel] = []
        for spec in specs {
            if isGGUF(spec.path) {
                text.append(try loadText(spec, configuration: configuration, metrics: metrics))
            } else {
                onnx.append(try loadOnnx(spec, configuration: configuration, metrics: metrics))
            }
        }
        return (text, onnx)
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

    private static func loadOnnx(_ spec: ModelSpec, configuration: ServerConfiguration, metrics: ServerMetrics)
        throws(ServerError) -> OnnxModel
    {
        let session: InferenceSession
        do { session = try InferenceSession(path: spec.path) } catch {
            throw .cannotLoad(name: spec.name, path: spec.path, reason: "not a GGUF file, and as ONNX: \(error)")
        }
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
