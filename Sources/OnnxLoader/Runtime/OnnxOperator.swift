import TensorCore

/// A resolved, ready-to-run operator: built once per node at load, run every inference.
protocol OnnxOperator: Sendable {
    /// Runs on the node's inputs; returns its outputs in order.
    func run(_ inputs: OpInputs) throws -> [Tensor]
}

/// A node's attributes, read with the node named in every error.
struct NodeAttributes: Sendable {
    let node: Node
    /// The opset version of the node's domain in this model.
    let opset: Int
    /// Every domain's opset version (for compiling subgraphs).
    var opsets: [String: Int] = [:]
    /// Value names visible where the node sits (for subgraphs' outer references).
    var visibleNames: Set<String> = []
    /// The graph the node belongs to (Gradient differentiates the nodes before it).
    var graph: Graph? = nil

    /// Compiles the graph attribute `name`, which may read the values visible at this node.
    func compiledGraph(_ name: String) throws -> CompiledGraph {
        guard let body = graphAttribute(name) else { throw error("graph attribute '\(name)' is required") }
        return try CompiledGraph(graph: body, opsets: opsets, outerNames: visibleNames.union(["__outer__"]))
    }

    func error(_ reason: String) -> OnnxError { .invalidNode(node: node.name, op: node.opType, reason: reason) }

    /// Fails at load unless the node has `count` inputs (omitted trailing optional inputs, written
    /// as empty names, do not count).
    func requireInputs(_ count: ClosedRange<Int>) throws(OnnxError) {
        var given = node.inputs.count
        while given > 0 && node.inputs[given - 1].isEmpty { given -= 1 }
        guard count.contains(given) else {
            let expected =
                count.lowerBound == count.upperBound
                ? "\(count.lowerBound)" : "\(count.lowerBound) to \(count.upperBound)"
            throw error("takes \(expected) input\(count.upperBound == 1 ? "" : "s"), got \(given)")
        }
    }

    func int(_ name: String) -> Int? {
        if case let .int(value)? = node.attributes[name] { return Int(clamping: value) }
        return nil
    }
    func int(_ name: String, default value: Int) -> Int { int(name) ?? value }

    func float(_ name: String) -> Float? {
        if case let .float(value)? = node.attributes[name] { return value }
        return nil
    }
    func float(_ name: String, default value: Float) -> Float { float(name) ?? value }

    func ints(_ name: String) -> [Int]? {
        if case let .ints(values)? = node.attributes[name] { return values.map { Int(clamping: $0) } }
        return nil
    }

    func floats(_ name: String) -> [Float]? {
        if case let .floats(values)? = node.attributes[name] { return values }
        return nil
    }

    func string(_ name: String) -> String? {
        if case let .string(bytes)? = node.attributes[name] { return String(decoding: bytes, as: UTF8.self) }
        return nil
    }
    func string(_ name: String, default value: String) -> String { string(name) ?? value }

    func tensor(_ name: String) -> Tensor? {
        if case let .tensor(value)? = node.attributes[name] { return value }
        return nil
    }

    func graphAttribute(_ name: String) -> Graph? {
        if case let .graph(value)? = node.attributes[name] { return value }
        return nil
    }
}

/// A node's inputs as its operator sees them (nil where an optional input is omitted), with the
/// node's op type, which the runtime supplies so that errors name it.
struct NodeInputs<Element>: RandomAccessCollection {
    let items: [Element?]
    /// The op type of the node being run.
    let op: String

    init(_ items: [Element?], op: String) {
        self.items = items
        self.op = op
    }

    var startIndex: Int { items.startIndex }
    var endIndex: Int { items.endIndex }
    subscript(position: Int) -> Element? { items[position] }
}

/// The inputs of a plain operator: tensors.
typealias OpInputs = NodeInputs<Tensor>

extension NodeInputs where Element == Tensor {
    /// Input `index`, which the op requires.
    func required(_ index: Int) throws -> Tensor {
        guard index < count, let tensor = items[index] else {
            throw TensorError.invalidArgument(op: op, reason: "input \(index) is required")
        }
        return tensor
    }

    /// Input `index` if present.
    func optional(_ index: Int) -> Tensor? {
        index < count ? items[index] : nil
    }
}

extension Tensor {
    /// The elements of an integer tensor (int32 or int64) as `[Int]`: shapes, axes, pads.
    func intValues(_ op: String) throws -> [Int] {
        switch dtype {
        case .int64: return try scalars(as: Int64.self).map { Int(clamping: $0) }
        case .int32: return try scalars(as: Int32.self).map { Int($0) }
        default: throw TensorError.unsupportedDType(op: op, dtype: dtype)
        }
    }

    /// The single value of a scalar (or one-element) numeric tensor as an Int: integers exactly,
    /// floats truncated toward zero and saturated at Int's bounds (so a huge k or depth becomes an
    /// out-of-range error where it is checked, never a trap); NaN is an error.
    func scalarInt(_ op: String) throws -> Int {
        guard count == 1 else {
            throw TensorError.invalidArgument(op: op, reason: "expected a single value, got shape \(shape)")
        }
        switch dtype {
        case .int64, .int32, .int16, .int8, .uint8, .uint16, .uint32:
            return Int(try cast(to: .int64).scalars(as: Int64.self)[0])
        default:
            let value = try scalarDouble(op)
            guard !value.isNaN else { throw TensorError.invalidArgument(op: op, reason: "expected a number, got NaN") }
            if value >= 9.223372036854775807e18 { return Int.max }
            if value <= -9.223372036854775808e18 { return Int.min }
            return Int(value)
        }
    }

    /// The single value of a scalar (or one-element) numeric tensor as Double.
    func scalarDouble(_ op: String) throws -> Double {
        guard count == 1 else {
            throw TensorError.invalidArgument(op: op, reason: "expected a single value, got shape \(shape)")
        }
        return try cast(to: .float64).scalars(as: Double.self)[0]
    }
}
