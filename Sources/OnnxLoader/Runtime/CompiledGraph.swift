import Dispatch
import TensorCore

/// Values visible while a graph runs: its own, then (for subgraphs) the enclosing graphs'.
final class ValueScope {
    var values: [String: Value]
    let parent: ValueScope?

    init(_ values: [String: Value], parent: ValueScope?) {
        self.values = values
        self.parent = parent
    }

    func lookup(_ name: String) -> Value? {
        if let value = values[name] { return value }
        return parent?.lookup(name)
    }
}

/// A graph with every node resolved and ordered, ready to run many times: the main graph of a
/// session, or the body of a control-flow node. Intermediates are freed after their last use.
final class CompiledGraph: Sendable {
    let graph: Graph
    /// Names this graph reads from enclosing scopes (for control-flow bodies).
    let outerReferences: Set<String>
    let steps: [Step]
    private let releases: [[String]]
    /// Initializers plus the values folded from constant subgraphs at load.
    private let constants: [String: Value]

    /// One node to run: the node (after fusion, the first node of a fused chain with the chain's
    /// inputs and last output), its operator, and every value it reads (subgraph references too).
    struct Step {
        var node: Node
        var op: any OnnxOperator
        var needs: [String]
    }

    /// Resolves, orders and builds every node. `outerNames` are values enclosing graphs provide.
    init(graph: Graph, opsets: [String: Int], outerNames: Set<String> = []) throws(OnnxError) {
        self.graph = graph
        let registry = OperatorRegistry.standard
        var unsupported: [OnnxError.UnsupportedNode] = []
        CompiledGraph.collectUnsupported(graph, opsets: opsets, into: &unsupported)
        if !unsupported.isEmpty { throw .unsupportedOperators(unsupported) }

        // Each node's dependencies: its inputs plus whatever its subgraphs read from outside.
        let local = Set(graph.initializers.keys).union(graph.inputs.map(\.name))
        var produced = local
        for node in graph.nodes { produced.formUnion(node.outputs) }
        var pending: [(Node, [String])] = graph.nodes.enumerated().map { index, node in
            var named = node
            named.name = InferenceSession.displayName(node, index: index)
            return (named, node.inputs + CompiledGraph.subgraphReferences(of: node).sorted())
        }
        var available = local.union(outerNames)
        available.insert("")
        var ordered: [(Node, [String])] = []
        while !pending.isEmpty {
            var progressed = false
            var remaining: [(Node, [String])] = []
            for entry in pending {
                // A name no node here produces must come from an enclosing scope.
                if entry.1.allSatisfy({ available.contains($0) || (!produced.contains($0) && !outerNames.isEmpty) }) {
                    ordered.append(entry)
                    available.formUnion(entry.0.outputs)
                    progressed = true
                } else {
                    remaining.append(entry)
                }
            }
            if !progressed {
                let (node, needs) = remaining[0]
                let missing = needs.filter { !available.contains($0) }
                throw .invalidGraph(
                    reason:
                        "node '\(node.name)' (\(node.opType)) reads \(missing.map { "'\($0)'" }.joined(separator: ", ")), which no node, input or initializer produces (or the graph has a cycle)"
                )
            }
            pending = remaining
        }
        for output in graph.outputs
        where !available.contains(output.name) && (outerNames.isEmpty || produced.contains(output.name)) {
            throw .invalidGraph(reason: "graph output '\(output.name)' is produced by no node, input or initializer")
        }
        var references = Set<String>()
        for (_, needs) in ordered {
            for name in needs where !name.isEmpty && !produced.contains(name) { references.insert(name) }
        }
        for output in graph.outputs where !produced.contains(output.name) { references.insert(output.name) }
        outerReferences = references

        var built: [Step] = []
        let visible = available
        for (node, needs) in ordered {
            guard
                let factory = registry.resolve(
                    domain: node.domain, opType: node.opType, opset: opsets[node.domain] ?? 1)
            else { continue }
            let attributes = NodeAttributes(
                node: node, opset: opsets[node.domain] ?? 1, opsets: opsets, visibleNames: visible, graph: graph)
            do {
                built.append(Step(node: node, op: try factory(attributes), needs: needs))
            } catch let error as OnnxError {
                throw error
            } catch {
                throw .invalidNode(node: node.name, op: node.opType, reason: "\(error)")
            }
        }
        // Initializers a caller may override (they double as graph inputs) are not constants.
        let overridable = Set(graph.inputs.map(\.name))
        var constants = graph.initializers.filter { !overridable.contains($0.key) }.mapValues(Value.tensor)
        built = GraphRewrite.foldConstants(built, into: &constants)
        built = GraphRewrite.fuseConvolutions(
            built, constants: constants, graphOutputs: Set(graph.outputs.map(\.name)), opsets: opsets)
        built = GraphRewrite.fuseInvertedResiduals(
            built, constants: constants, graphOutputs: Set(graph.outputs.map(\.name)))
        built = GraphRewrite.prepareWinograd(built, constants: constants)
        for (name, tensor) in graph.initializers where overridable.contains(name) { constants[name] = .tensor(tensor) }
        self.constants = constants
        steps = built

        var lastUse: [String: Int] = [:]
        for (index, step) in built.enumerated() {
            for name in step.needs where !name.isEmpty { lastUse[name] = index }
        }
        let kept = Set(graph.outputs.map(\.name)).union(graph.initializers.keys)
        var releases = [[String]](repeating: [], count: built.count)
        for (value, index) in lastUse where !kept.contains(value) && produced.contains(value) {
            releases[index].append(value)
        }
        self.releases = releases
    }

    /// Runs with `inputs` bound to graph inputs by name; returns the graph outputs in order.
    func run(_ inputs: [String: Value], parent: ValueScope?, profile: NodeProfile? = nil) throws(OnnxError) -> [Value] {
        var values = constants
        for (name, value) in inputs { values[name] = value }
        let scope = ValueScope(values, parent: parent)
        for (index, step) in steps.enumerated() {
            let arguments: [Value?] = step.node.inputs.map { $0.isEmpty ? nil : scope.lookup($0) }
            let started = profile == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            let results: [Value]
            do {
                if let valueOperator = step.op as? any ValueOperator {
                    results = try valueOperator.run(values: OpValues(arguments, op: step.node.opType), scope: scope)
                } else {
                    let tensors: [Tensor?] = try arguments.enumerated().map { position, value in
                        guard let value else { return nil }
                        if case .optional(nil) = value { return nil }
                        guard let tensor = value.tensor else {
                            throw TensorError.invalidArgument(
                                op: step.node.opType, reason: "input \(position) is a sequence; the op takes tensors")
                        }
                        return tensor
                    }
                    results = try step.op.run(OpInputs(tensors, op: step.node.opType)).map(Value.tensor)
                }
            } catch let error as TensorError {
                throw .kernelFailed(node: step.node.name, op: step.node.opType, error: error)
            } catch let error as OnnxError {
                throw error
            } catch {
                throw .invalidNode(node: step.node.name, op: step.node.opType, reason: "\(error)")
            }
            if let profile {
                profile.add(
                    node: step.node.name, opType: step.node.opType,
                    nanoseconds: DispatchTime.now().uptimeNanoseconds - started)
            }
            for (name, tensor) in zip(step.node.outputs, results) where !name.isEmpty { scope.values[name] = tensor }
            for name in releases[index] { scope.values[name] = nil }
        }
        var outputs: [Value] = []
        for output in graph.outputs {
            guard let tensor = scope.lookup(output.name) else {
                throw .invalidGraph(reason: "graph output '\(output.name)' was not produced")
            }
            outputs.append(tensor)
        }
        return outputs
    }

    /// Every node (subgraphs included) whose (domain, op type, opset) the registry cannot run.
    static func collectUnsupported(_ graph: Graph, opsets: [String: Int], into list: inout [OnnxError.UnsupportedNode])
    {
        let registry = OperatorRegistry.standard
        for (index, node) in graph.nodes.enumerated() {
            let opset = opsets[node.domain] ?? 1
            if registry.resolve(domain: node.domain, opType: node.opType, opset: opset) == nil {
                list.append(
                    .init(
                        domain: node.domain, opType: node.opType, opset: opset,
                        nodeName: InferenceSession.displayName(node, index: index)))
            }
            for body in subgraphs(of: node) { collectUnsupported(body, opsets: opsets, into: &list) }
        }
    }

    static func subgraphs(of node: Node) -> [Graph] {
        node.attributes.values.flatMap { attribute -> [Graph] in
            switch attribute {
            case let .graph(g): return [g]
            case let .graphs(gs): return gs
            default: return []
            }
        }
    }

    /// Names a node's subgraphs read that they do not define themselves (recursively).
    static func subgraphReferences(of node: Node) -> Set<String> {
        var result = Set<String>()
        for body in subgraphs(of: node) {
            var defined = Set(body.initializers.keys).union(body.inputs.map(\.name))
            for inner in body.nodes { defined.formUnion(inner.outputs) }
            for inner in body.nodes {
                for name in inner.inputs where !name.isEmpty && !defined.contains(name) { result.insert(name) }
                for name in subgraphReferences(of: inner) where !defined.contains(name) { result.insert(name) }
            }
            for output in body.outputs where !defined.contains(output.name) { result.insert(output.name) }
        }
        return result
    }
}
