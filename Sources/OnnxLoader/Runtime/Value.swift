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
    func run(values inputs: [Value?], scope: ValueScope) throws -> [Value]
}

extension ValueOperator {
    func run(_ inputs: [Tensor?]) throws -> [Tensor] {
        try run(values: inputs.map { $0.map(Value.tensor) }, scope: ValueScope([:], parent: nil)).compactMap(\.tensor)
    }
}

/// A value operator defined by a closure.
struct ValueClosureOperator: ValueOperator {
    let body: @Sendable ([Value?]) throws -> [Value]
    func run(values inputs: [Value?], scope: ValueScope) throws -> [Value] { try body(inputs) }
}

extension Array where Element == Value? {
    /// Input `index` as a sequence, which the op requires.
    func sequence(_ index: Int, _ op: String) throws -> [Tensor] {
        guard index < count, let value = self[index], let sequence = value.sequence else {
            throw TensorError.invalidArgument(op: op, reason: "input \(index) must be a sequence")
        }
        return sequence
    }

    /// Input `index` as a tensor, if present.
    func tensor(_ index: Int) -> Tensor? { index < count ? self[index]?.tensor : nil }

    /// Input `index` as a tensor, which the op requires.
    func requiredTensor(_ index: Int, _ op: String) throws -> Tensor {
        guard let tensor = tensor(index) else { throw TensorError.invalidArgument(op: op, reason: "input \(index) must be a tensor") }
        return tensor
    }
}
