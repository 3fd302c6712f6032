import TensorCore

/// A decoded ONNX model: metadata, opset imports and the main graph.
public struct OnnxModel: Sendable {
    public var irVersion: Int64 = 0
    public var producerName = ""
    public var producerVersion = ""
    public var domain = ""
    public var modelVersion: Int64 = 0
    public var docString = ""
    /// Operator set version per domain ("" is the default ONNX domain).
    public var opsetImports: [String: Int] = [:]
    public var metadata: [String: String] = [:]
    public var graph = Graph()

    /// Decodes the model at `path` (mapped; initializers borrow the mapping).
    public init(contentsOf path: String) throws(OnnxError) {
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch { throw .cannotRead(path: path, reason: "\(error)") }
        var decoder = OnnxDecoder(file: file)
        self = try decoder.decodeModel()
    }

    init() {}

    /// The opset version the model imports for `domain` (1 when it imports none).
    public func opset(for domain: String) -> Int { opsetImports[domain] ?? 1 }
}

/// A computation graph (the main graph, or the body of If/Loop/Scan).
public struct Graph: Sendable {
    public var name = ""
    public var nodes: [Node] = []
    public var inputs: [ValueInfo] = []
    public var outputs: [ValueInfo] = []
    public var valueInfo: [ValueInfo] = []
    /// Weights by name.
    public var initializers: [String: Tensor] = [:]
    /// Initializer names in file order.
    public var initializerOrder: [String] = []
}

/// One operator application.
public struct Node: Sendable {
    public var name = ""
    public var opType = ""
    public var domain = ""
    /// Input value names; "" marks an omitted optional input.
    public var inputs: [String] = []
    /// Output value names; "" marks an omitted optional output.
    public var outputs: [String] = []
    public var attributes: [String: Attribute] = [:]
}

/// A node attribute value.
public enum Attribute: Sendable {
    case float(Float)
    case int(Int64)
    case string([UInt8])
    case tensor(Tensor)
    case graph(Graph)
    case floats([Float])
    case ints([Int64])
    case strings([[UInt8]])
    case tensors([Tensor])
    case graphs([Graph])
    case typeProto(ValueType)
    case typeProtos([ValueType])
    case sparseTensor
    case sparseTensors
}

/// A named, typed value of a graph's interface.
public struct ValueInfo: Sendable {
    public var name = ""
    public var type: ValueType? = nil
}

/// The type of a value: a tensor of an element type and shape, a sequence, an optional or a map.
public indirect enum ValueType: Sendable, Equatable {
    case tensor(elementType: Int, shape: [Dimension]?)
    case sequence(ValueType?)
    case optional(ValueType?)
    case map(keyType: Int, valueType: ValueType?)
    case sparseTensor(elementType: Int, shape: [Dimension]?)
}

/// One dimension of a declared shape: a number, a symbol, or unknown.
public enum Dimension: Sendable, Equatable, CustomStringConvertible {
    case value(Int)
    case symbol(String)
    case unknown

    public var description: String {
        switch self {
        case let .value(v): return String(v)
        case let .symbol(s): return s
        case .unknown: return "?"
        }
    }
}
