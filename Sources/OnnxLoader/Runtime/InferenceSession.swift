import TensorCore

/// A loaded ONNX model, ready to run: nodes resolved against the operator registry and put in
/// topological order at load; each run frees every intermediate right after its last use.
public final class InferenceSession: @unchecked Sendable {
    /// The decoded model.
    public let model: OnnxModel
    /// Graph inputs the caller feeds (graph inputs that are not initializers), in order.
    public let inputs: [ValueInfo]
    /// Graph outputs, in order.
    public let outputs: [ValueInfo]

    private let steps: [Step]
    /// For each step, the values no later step or output needs.
    private let releases: [[String]]

    private struct Step {
        let node: Node
        let op: any OnnxOperator
    }

    /// Loads and prepares the model at `path`.
    public init(path: String) throws(OnnxError) {
        model = try OnnxModel(contentsOf: path)
        let graph = model.graph
        inputs = graph.inputs.filter { graph.initializers[$0.name] == nil }
        outputs = graph.outputs

        // Resolve every node; report all unsupported ones at once.
        let unsupported = InferenceSession.unsupportedNodes(in: model)
        if !unsupported.isEmpty { throw .unsupportedOperators(unsupported) }
        let registry = OperatorRegistry.standard
        var resolved: [(Node, OperatorRegistry.Factory)] = []
        for (index, node) in graph.nodes.enumerated() {
            guard let factory = registry.resolve(domain: node.domain, opType: node.opType, opset: model.opset(for: node.domain)) else { continue }
            var named = node
            named.name = InferenceSession.displayName(node, index: index)
            resolved.append((named, factory))
        }

        // Topological order (stable: file order where the file is already sorted).
        var available = Set(graph.initializers.keys).union(graph.inputs.map(\.name))
        available.insert("")
        var pending = resolved
        var ordered: [(Node, OperatorRegistry.Factory)] = []
        while !pending.isEmpty {
            var progressed = false
            var remaining: [(Node, OperatorRegistry.Factory)] = []
            for entry in pending {
                if entry.0.inputs.allSatisfy(available.contains) {
                    ordered.append(entry)
                    entry.0.outputs.forEach { available.insert($0) }
                    progressed = true
                } else {
                    remaining.append(entry)
                }
            }
            if !progressed {
                let node = remaining[0].0
                let missing = node.inputs.filter { !available.contains($0) }
                throw .invalidGraph(reason: "node '\(node.name)' (\(node.opType)) reads \(missing.map { "'\($0)'" }.joined(separator: ", ")), which no node, input or initializer produces (or the graph has a cycle)")
            }
            pending = remaining
        }
        for output in graph.outputs where !available.contains(output.name) {
            throw .invalidGraph(reason: "graph output '\(output.name)' is produced by no node, input or initializer")
        }

        var built: [Step] = []
        for (node, factory) in ordered {
            let attributes = NodeAttributes(node: node, opset: model.opset(for: node.domain))
            do {
                built.append(Step(node: node, op: try factory(attributes)))
            } catch let error as OnnxError {
                throw error
            } catch {
                throw .invalidNode(node: node.name, op: node.opType, reason: "\(error)")
            }
        }
        steps = built

        // Last use of every intermediate value.
        var lastUse: [String: Int] = [:]
        for (index, step) in built.enumerated() {
            for input in step.node.inputs where !input.isEmpty { lastUse[input] = index }
        }
        let kept = Set(graph.outputs.map(\.name)).union(graph.initializers.keys)
        var releases = [[String]](repeating: [], count: built.count)
        for (value, index) in lastUse where !kept.contains(value) { releases[index].append(value) }
        self.releases = releases
    }

    /// Every node of the main graph whose (domain, op type, opset) this engine cannot run.
    public static func unsupportedNodes(in model: OnnxModel) -> [OnnxError.UnsupportedNode] {
        let registry = OperatorRegistry.standard
        return model.graph.nodes.enumerated().compactMap { index, node in
            let opset = model.opset(for: node.domain)
            guard registry.resolve(domain: node.domain, opType: node.opType, opset: opset) == nil else { return nil }
            return .init(domain: node.domain, opType: node.opType, opset: opset, nodeName: displayName(node, index: index))
        }
    }

    /// A node's name, or its position and op type when it has none.
    static func displayName(_ node: Node, index: Int) -> String {
        node.name.isEmpty ? "#\(index) \(node.opType)" : node.name
    }

    /// Runs the model on `feeds` (by input name) and returns every graph output by name.
    public func run(_ feeds: [String: Tensor]) throws(OnnxError) -> [String: Tensor] {
        try checkFeeds(feeds)
        var values = model.graph.initializers
        for (name, tensor) in feeds { values[name] = tensor }
        for (index, step) in steps.enumerated() {
            let arguments: [Tensor?] = step.node.inputs.map { $0.isEmpty ? nil : values[$0] }
            let results: [Tensor]
            do {
                results = try step.op.run(arguments)
            } catch let error as TensorError {
                throw .kernelFailed(node: step.node.name, op: step.node.opType, error: error)
            } catch let error as OnnxError {
                throw error
            } catch {
                throw .invalidNode(node: step.node.name, op: step.node.opType, reason: "\(error)")
            }
            for (name, tensor) in zip(step.node.outputs, results) where !name.isEmpty { values[name] = tensor }
            for name in releases[index] { values[name] = nil }
        }
        var result: [String: Tensor] = [:]
        for output in outputs {
            guard let tensor = values[output.name] else {
                throw .invalidGraph(reason: "graph output '\(output.name)' was not produced")
            }
            result[output.name] = tensor
        }
        return result
    }

    /// Runs with inputs in the order of ``inputs`` and returns outputs in the order of ``outputs``.
    public func run(_ ordered: [Tensor]) throws(OnnxError) -> [Tensor] {
        guard ordered.count == inputs.count else {
            throw .inputMismatch(reason: "\(ordered.count) input(s) given, the model takes \(inputs.count): \(describe(inputs))")
        }
        var feeds: [String: Tensor] = [:]
        for (info, tensor) in zip(inputs, ordered) { feeds[info.name] = tensor }
        let named = try run(feeds)
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
            let fits = shape.count == tensor.rank && zip(shape, tensor.shape).allSatisfy { dim, given in
                if case let .value(v) = dim { return v == given }
                return true
            }
            if !fits {
                throw .inputMismatch(reason: "input '\(info.name)' expects shape [\(shape.map(\.description).joined(separator: ", "))], given \(tensor.shape)")
            }
        }
    }
}
