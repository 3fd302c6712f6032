/// Structural checks a model must pass before it is compiled: things the decoder accepts as
/// well-formed protobuf but no valid ONNX model contains.
enum GraphValidation {
    /// Opset versions within what the engine knows for each domain it implements, and every value
    /// produced by exactly one node (nor also a graph input or initializer), subgraphs included.
    static func check(_ model: OnnxModel, registry: OperatorRegistry = .standard) throws(OnnxError) {
        for (domain, version) in model.opsetImports.sorted(by: { $0.key < $1.key }) {
            let name = domain.isEmpty ? "ai.onnx" : domain
            guard version >= 1 else { throw .invalidGraph(reason: "opset import \(name) \(version) is not a version") }
            if let newest = registry.newestVersion(of: domain), version > newest {
                throw .invalidGraph(
                    reason: "opset import \(name) \(version) is newer than this engine knows (newest: \(newest))")
            }
        }
        try checkProducers(model.graph)
    }

    private static func checkProducers(_ graph: Graph) throws(OnnxError) {
        var produced = Set(graph.inputs.map(\.name)).union(graph.initializers.keys)
        for node in graph.nodes {
            for output in node.outputs where !output.isEmpty {
                guard produced.insert(output).inserted else {
                    throw .invalidGraph(
                        reason: "value '\(output)' is written twice (again by node '\(node.name)' \(node.opType))")
                }
            }
            for attribute in node.attributes.values {
                switch attribute {
                case let .graph(body): try checkProducers(body)
                case let .graphs(bodies): for body in bodies { try checkProducers(body) }
                default: break
                }
            }
        }
    }
}
