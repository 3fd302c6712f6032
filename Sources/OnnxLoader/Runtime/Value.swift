import TensorCore

/// A value flowing through a graph: a tensor, a sequence of tensors, or an optional.
public indirect enum Value: Sendable {
    case tensor(Tensor)
    case sequence([Tensor])
    /// An optional value; nil is the empty optional.
    case optional(Value?)

    /// The tensor this value holds (through a non-empty optional), or nil.
    public var tensor: Tensor? {
        switch self {
        case let .tensor(t): return t
        case let .optional(inner): return inner?.tensor
        case .sequence: return nil
        }
    }

    /// The sequence this value holds (through a non-empty optional), or nil.
    public var sequence: [Tensor]? {
        switch self {
        case let .sequence(s): return s
        case let .optional(inner): return inner?.sequence
        case .tensor: return nil
        }
    }
}

/// An operator that consumes or produces sequences and optionals (or runs subgraphs that may):
/// it sees the values as they are, where plain operators see tensors.
protocol ValueOperator: OnnxOperator {
    func run(values inputs: OpValues, scope: ValueScope) throws -> [Value]
}

extension ValueOperator {
    func run(_ inputs: OpInputs) throws -> [Tensor] {
        let values = OpValues(inputs.items.map { $0.map(Value.tensor) }, op: inputs.op)
        return try run(values: values, scope: ValueScope([:], parent: nil)).compactMap(\.tensor)
    }
}

/// A value operator defined by a closure.
struct ValueClosureOperator: ValueOperator {
    let body: @Sendable (OpValues) throws -> [Value]
    func run(values inputs: OpValues, scope: ValueScope) throws -> [Value] { try body(inputs) }
}

/// The inputs of a value operator: tensors, sequences or optionals.
typealias OpValues = NodeInputs<Value>

extension NodeInputs where Element == Value {
    /// Input `index` as a sequence, which the op requires.
    func sequence(_ index: Int) throws -> [Tensor] {
        guard index < count, let value = items[index], let sequence = value.sequence else {
            throw TensorError.invalidArgument(op: op, reason: "input \(index) must be a sequence")
        }
        return sequence
    }

    /// Input `index` as a tensor, if present.
    func tensor(_ index: Int) -> Tensor? { index < count ? items[index]?.tensor : nil }

    /// Input `index` as a tensor, which the op requires.
    func requiredTensor(_ index: Int) throws -> Tensor {
        guard let tensor = tensor(index) else {
            throw TensorError.invalidArgument(op: op, reason: "input \(index) must be a tensor")
        }
        return tensor
    }
}
