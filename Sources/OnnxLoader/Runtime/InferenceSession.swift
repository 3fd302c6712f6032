import TensorCore

/// A loaded ONNX model, ready to run: nodes resolved against the operator registry and put in
/// topological order at load; each run frees every intermediate right after its last use.
public final class InferenceSession: Sendable {
    /// The decoded model.
    public let model: OnnxModel
    /// Graph inputs the caller feeds (graph inputs that are not initializers), in order.
    public let inputs: [ValueInfo]
    /// Graph outputs, in order.
    public let outputs: [ValueInfo]

    private let main: CompiledGraph

    /// Loads and prepares the model at `path`: every node (subgraphs included) resolved against
    /// the operator registry, all unsupported ones reported at once, nodes put in order.
    public init(path: String) throws(OnnxError) {
        model = try OnnxModel(contentsOf: path)
        let graph = model.graph
        inputs = graph.inputs.filter { graph.initializers[$0.name] == nil }
        outputs = graph.outputs
        try GraphValidation.check(model)
        main = try CompiledGraph(graph: graph, opsets: model.opsetImports)
    }

    /// Every node (subgraphs included) whose (domain, op type, opset) this engine cannot run.
    public static func unsupportedNodes(in model: OnnxModel) -> [OnnxError.UnsupportedNode] {
        var list: [OnnxError.UnsupportedNode] = []
        CompiledGraph.collectUnsupported(model.graph, opsets: model.opsetImports, into: &list)
        return list
    }

    /// A node's name, or its position and op type when it has none.
    static func displayName(_ node: Node, index: Int) -> String {
        node.name.isEmpty ? "#\(index) \(node.opType)" : node.name
    }

    /// Runs the model on `feeds` (by input name) and returns every graph output by name; with a
    /// `profile`, adds each node's time to it.
    public func run(_ feeds: [String: Tensor], profile: NodeProfile? = nil) throws(OnnxError) -> [String: Tensor] {
        try checkFeeds(feeds)
        let results = try main.run(feeds.mapValues(Value.tensor), parent: nil, profile: profile)
        var named: [String: Tensor] = [:]
        for (info, value) in zip(outputs, results) {
            guard let tensor = value.tensor else {
                throw .invalidGraph(reason: "output '\(info.name)' is a sequence or an empty optional; use runValues")
            }
            named[info.name] = tensor
        }
        return named
    }

    /// Runs with any kind of value (tensors, sequences, optionals) bound to inputs in the order
    /// of ``inputs``; returns the outputs in the order of ``outputs``.
    public func runValues(_ ordered: [Value]) throws(OnnxError) -> [Value] {
        guard ordered.count == inputs.count else {
            throw .inputMismatch(
                reason: "\(ordered.count) input(s) given, the model takes \(inputs.count): \(describe(inputs))")
        }
        var feeds: [String: Value] = [:]
        for (info, value) in zip(inputs, ordered) { feeds[info.name] = value }
        return try main.run(feeds, parent: nil)
    }

    /// Runs with inputs in the order of ``inputs`` and returns outputs in the order of ``outputs``.
    public func run(_ ordered: [Tensor], profile: NodeProfile? = nil) throws(OnnxError) -> [Tensor] {
        guard ordered.count == inputs.count else {
            throw .inputMismatch(
                reason: "\(ordered.count) input(s) given, the model takes \(inputs.count): \(describe(inputs))")
        }
        var feeds: [String: Tensor] = [:]
        for (info, tensor) in zip(inputs, ordered) { feeds[info.name] = tensor }
        let named = try run(feeds, profile: profile)
        return outputs.compactMap { named[$0.name] }
    }

    private func describe(_ infos: [ValueInfo]) -> String {
        infos.map { info in
            if case let .tensor(type, shape)? = info.type {
                let dims = shape.map { "[" + $0.map(\.description).joined(separator: ", ") + "]" } ?? "(any shape)"
                return "\(info.name) \(OnnxDataType.name(type)) \(dims)"
            }
            return info.name
        }.joined(separator: ", ")
    }

    private func checkFeeds(_ feeds: [String: Tensor]) throws(OnnxError) {
        let expected = Set(inputs.map(\.name))
        let missing = inputs.filter { feeds[$0.name] == nil }
        let extra = feeds.keys.filter { !expected.contains($0) && model.graph.initializers[$0] == nil }.sorted()
        if !missing.isEmpty || !extra.isEmpty {
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing \(missing.map(\.name).joined(separator: ", "))") }
            if !extra.isEmpty { parts.append("unknown \(extra.joined(separator: ", "))") }
            throw .inputMismatch(reason: parts.joined(separator: "; ") + "; the model takes \(describe(inputs))")
        }
        for info in inputs {
            guard let tensor = feeds[info.name], case let .tensor(type, shape)? = info.type else { continue }
            if let dtype = OnnxDataType.dtype(type), dtype != tensor.dtype {
                throw .inputMismatch(reason: "input '\(info.name)' expects \(dtype), given \(tensor.dtype)")
            }
            guard let shape else { continue }
            let fits =
                shape.count == tensor.rank
                && zip(shape, tensor.shape).allSatisfy { dim, given in
                    if case let .value(v) = dim { return v == given }
                    return true
                }
            if !fits {
                throw .inputMismatch(
                    reason:
                        "input '\(info.name)' expects shape [\(shape.map(\.description).joined(separator: ", "))], given \(tensor.shape)"
                )
            }
        }
    }
}
