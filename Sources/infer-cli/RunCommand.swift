import ArgumentParser
import Foundation
import OnnxLoader
import TensorCore

/// `infer-cli run`: one inference of an ONNX model on tensors from files.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an ONNX model on input tensors (.pb, .npy, .json) and print or write its outputs.",
        discussion: """
            Positional inputs bind to the graph inputs that are not initializers, in order; --input NAME=PATH binds by name.
            Without --output-dir the outputs are printed as JSON: {"NAME": {"dtype", "shape", "data"}}.
            Example: infer-cli run model.onnx test_data_set_0/input_0.pb --output-dir out/
            """)

    @Argument(help: "The ONNX model file.") var model: String
    @Argument(help: "Input tensor files, in graph-input order.") var inputs: [String] = []
    @Option(name: .customLong("input"), help: "An input by name: NAME=PATH (repeatable).") var namedInputs: [String] =
        []
    @Option(help: "Write output_K.pb / output_K.npy files here instead of printing JSON.") var outputDir: String?
    @Option(help: "Output file format: pb, npy or json.") var outputFormat: OutputFormat?
    @OptionGroup var threadOptions: ThreadOptions

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case pb, npy, json
    }

    func run() throws {
        try threadOptions.apply()
        let session: InferenceSession
        do { session = try InferenceSession(path: model) } catch { throw CommandError("\(model): \(error)") }
        var feeds: [String: Tensor] = [:]
        let expected = session.inputs
        guard inputs.count <= expected.count else {
            throw CommandError(
                "\(inputs.count) positional inputs given, the model takes \(expected.count): \(expected.map(TensorInputs.describe).joined(separator: ", "))"
            )
        }
        for (info, path) in zip(expected, inputs) {
            feeds[info.name] = try TensorInputs.read(path: path, dtype: TensorInputs.declaredType(info))
        }
        for binding in namedInputs {
            guard let equals = binding.firstIndex(of: "=") else {
                throw CommandError("--input expects NAME=PATH, got '\(binding)'")
            }
            let name = String(binding[..<equals]), path = String(binding[binding.index(after: equals)...])
            guard let info = expected.first(where: { $0.name == name }) else {
                throw CommandError(
                    "the model has no input '\(name)'; it takes \(expected.map(TensorInputs.describe).joined(separator: ", "))"
                )
            }
            feeds[name] = try TensorInputs.read(path: path, dtype: TensorInputs.declaredType(info))
        }
        let results: [String: Tensor]
        do { results = try session.run(feeds) } catch { throw CommandError("\(model): \(error)") }
        let ordered = session.outputs.map { ($0.name, results[$0.name]) }
        if let outputDir {
            try FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true)
            let format = outputFormat ?? .pb
            for (index, (name, tensor)) in ordered.enumerated() {
                guard let tensor else { continue }
                let bytes: [UInt8]
                switch format {
                case .pb: bytes = TensorFile.encode(tensor, name: name)
                case .npy:
                    do { bytes = try NumpyFile.encode(tensor) } catch {
                        throw CommandError("output '\(name)': \(error)")
                    }
                case .json: bytes = Array(try Self.json([(name, tensor)]).utf8)
                }
                let path = (outputDir as NSString).appendingPathComponent("output_\(index).\(format.rawValue)")
                guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
                    throw CommandError("cannot write \(path)")
                }
            }
        } else {
            print(try Self.json(ordered.compactMap { name, tensor in tensor.map { (name, $0) } }))
        }
    }

    /// `{"NAME": {"dtype", "shape", "data"}, ...}` in the given order.
    static func json(_ outputs: [(String, Tensor)]) throws -> String {
        var parts: [String] = []
        for (name, tensor) in outputs {
            let key = String(
                decoding: try JSONSerialization.data(withJSONObject: name, options: [.fragmentsAllowed]), as: UTF8.self)
            let value = String(
                decoding: try JSONSerialization.data(withJSONObject: TensorJSON.object(tensor), options: [.sortedKeys]),
                as: UTF8.self)
            parts.append("\(key): \(value)")
        }
        return "{" + parts.joined(separator: ", ") + "}"
    }
}
