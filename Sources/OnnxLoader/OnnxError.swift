import TensorCore

/// What went wrong loading or running an ONNX model; every case says where.
public enum OnnxError: Error, Equatable, CustomStringConvertible {
    /// The file is missing or unreadable.
    case cannotRead(path: String, reason: String)
    /// The bytes are not a well-formed ONNX protobuf.
    case invalidModel(reason: String, byteOffset: Int)
    /// The model is well-formed but inconsistent (names, types, graph structure).
    case invalidGraph(reason: String)
    /// Nodes whose (domain, op, opset) this engine does not implement, all of them.
    case unsupportedOperators([UnsupportedNode])
    /// An attribute or input of a node is invalid.
    case invalidNode(node: String, op: String, reason: String)
    /// Inputs given to `run` do not match the graph's inputs.
    case inputMismatch(reason: String)
    /// A tensor kernel failed inside a node.
    case kernelFailed(node: String, op: String, error: TensorError)

    /// One node the registry cannot run.
    public struct UnsupportedNode: Equatable, Sendable, CustomStringConvertible {
        public let domain: String
        public let opType: String
        public let opset: Int
        public let nodeName: String
        public var description: String {
            "\(domain.isEmpty ? "ai.onnx" : domain)::\(opType) (opset \(opset)) in node '\(nodeName)'"
        }
    }

    public var description: String {
        switch self {
        case let .cannotRead(path, reason): return "cannot read \(path): \(reason)"
        case let .invalidModel(reason, offset): return "not a valid ONNX model: \(reason) at byte \(offset)"
        case let .invalidGraph(reason): return "invalid ONNX graph: \(reason)"
        case let .unsupportedOperators(nodes):
            return "\(nodes.count) node(s) use operators this engine does not support:\n"
                + nodes.map { "  \($0)" }.joined(separator: "\n")
        case let .invalidNode(node, op, reason): return "node '\(node)' (\(op)): \(reason)"
        case let .inputMismatch(reason): return "inputs do not match the model: \(reason)"
        case let .kernelFailed(node, op, error): return "node '\(node)' (\(op)): \(error)"
        }
    }
}
