import ArgumentParser
import Foundation
import OnnxLoader
import TensorCore

/// `infer-cli inspect`: what a model file holds and whether this engine can run it.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract:
            "Describe a model: ONNX (producer, opsets, inputs and outputs, weights, operators, unsupported operators) or GGUF (metadata, tensors by type, parameters, hyperparameters).",
        discussion: "Example: infer-cli inspect model.onnx --json; infer-cli inspect SmolLM2-135M-Instruct.Q4_1.gguf")

    @Argument(help: "The model file.") var model: String
    @Flag(help: "One JSON object on stdout.") var json = false

    func run() throws {
        if model.lowercased().hasSuffix(".gguf") {
            try InspectGGUF.run(path: model, json: json)
            return
        }
        let decoded: OnnxModel
        do { decoded = try OnnxModel(contentsOf: model) } catch { throw CommandError("\(model): \(error)") }
        let graph = decoded.graph
        let weights = graph.initializers.values.reduce(0) { $0 + $1.count * max($1.dtype.byteSize, 1) }
        var census: [String: Int] = [:]
        for node in graph.nodes {
            census[(node.domain.isEmpty ? "" : node.domain + "::") + node.opType, default: 0] += 1
        }
        let operators = census.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        let unsupported = InferenceSession.unsupportedNodes(in: decoded)
        let feedable = graph.inputs.filter { graph.initializers[$0.name] == nil }
        if json {
            func value(_ info: ValueInfo) -> [String: Any] {
                guard case let .tensor(code, shape)? = info.type else { return ["name": info.name] }
                return [
                    "name": info.name, "dtype": OnnxDataType.name(code),
                    "shape": shape.map {
                        $0.map { dim -> Any in
                            if case let .value(v) = dim { return v }
                            return dim.description
                        }
                    } ?? NSNull(),
                ]
            }
            let object: [String: Any] = [
                "path": model, "producer": decoded.producerName, "producer_version": decoded.producerVersion,
                "ir_version": decoded.irVersion,
                "opsets": Dictionary(
                    uniqueKeysWithValues: decoded.opsetImports.map { ($0.key.isEmpty ? "ai.onnx" : $0.key, $0.value) }),
                "inputs": feedable.map(value), "outputs": graph.outputs.map(value),
                "initializers": ["count": graph.initializers.count, "bytes": weights],
                "nodes": graph.nodes.count,
                "operators": Dictionary(uniqueKeysWithValues: operators.map { ($0.key, $0.value) }),
                "unsupported": unsupported.map {
                    [
                        "domain": $0.domain.isEmpty ? "ai.onnx" : $0.domain, "op_type": $0.opType, "opset": $0.opset,
                        "node": $0.nodeName,
                    ]
                },
            ]
            let data = try JSONSerialization.data(
                withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("model: \(model)")
        print("producer: \(decoded.producerName) \(decoded.producerVersion)".trimmingCharacters(in: .whitespaces))
        print("ir_version: \(decoded.irVersion)")
        print(
            "opsets: "
                + decoded.opsetImports.sorted { $0.key < $1.key }.map {
                    "\($0.key.isEmpty ? "ai.onnx" : $0.key) \($0.value)"
                }.joined(separator: ", "))
        print("inputs:")
        for info in feedable { print("  " + TensorInputs.describe(info)) }
        print("outputs:")
        for info in graph.outputs { print("  " + TensorInputs.describe(info)) }
        print("initializers: \(graph.initializers.count) (\(Self.bytes(weights)))")
        print("nodes: \(graph.nodes.count)")
        print("operators: " + operators.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        if unsupported.isEmpty {
            print("unsupported: none")
        } else {
            print("unsupported: \(unsupported.count) node(s)")
            for node in unsupported { print("  \(node)") }
        }
    }

    static func bytes(_ count: Int) -> String {
        if count >= 1 << 20 { return String(format: "%.1f MiB", Double(count) / Double(1 << 20)) }
        if count >= 1 << 10 { return String(format: "%.1f KiB", Double(count) / Double(1 << 10)) }
        return "\(count) B"
    }
}
