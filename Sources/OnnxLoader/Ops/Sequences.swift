import TensorCore

/// Sequence and Optional operators.
func registerSequences(_ registry: inout OperatorRegistry) {
    registry.register("SequenceEmpty", since: [11]) { _ in ValueClosureOperator { _ in [.sequence([])] } }
    registry.register("SequenceConstruct", since: [11]) { _ in
        ValueClosureOperator { inputs in [.sequence(try inputs.indices.map { try inputs.requiredTensor($0) })] }
    }
    registry.register("SequenceLength", since: [11]) { _ in
        ValueClosureOperator { inputs in [.tensor(Tensor(scalar: Int64(try inputs.sequence(0).count)))] }
    }
    registry.register("SequenceAt", since: [11]) { _ in
        ValueClosureOperator { inputs in
            let sequence = try inputs.sequence(0)
            let position = try sequencePosition(
                inputs.requiredTensor(1), count: sequence.count, inserting: false, op: inputs.op)
            return [.tensor(sequence[position])]
        }
    }
    registry.register("SequenceInsert", since: [11]) { _ in
        ValueClosureOperator { inputs in
            var sequence = try inputs.sequence(0)
            let tensor = try inputs.requiredTensor(1)
            let position =
                try inputs.tensor(2).map {
                    try sequencePosition($0, count: sequence.count, inserting: true, op: inputs.op)
                } ?? sequence.count
            sequence.insert(tensor, at: position)
            return [.sequence(sequence)]
        }
    }
    registry.register("SequenceErase", since: [11]) { _ in
        ValueClosureOperator { inputs in
            var sequence = try inputs.sequence(0)
            guard !sequence.isEmpty else {
                throw TensorError.invalidArgument(op: inputs.op, reason: "the sequence is empty")
            }
            let position =
                try inputs.tensor(1).map {
                    try sequencePosition($0, count: sequence.count, inserting: false, op: inputs.op)
                } ?? sequence.count - 1
            sequence.remove(at: position)
            return [.sequence(sequence)]
        }
    }
    registry.register("SplitToSequence", since: [11]) { attributes in
        let axis = attributes.int("axis", default: 0), keepDims = attributes.int("keepdims", default: 1) == 1
        return ValueClosureOperator { inputs in
            let x = try inputs.requiredTensor(0)
            let normalized = try Shape.normalizeAxis(axis, rank: x.rank, op: inputs.op)
            guard let split = inputs.tensor(1) else {
                // No split: pieces of one along the axis, squeezed unless keepdims.
                let pieces = try x.split(axis: normalized, parts: x.shape[normalized])
                return [
                    .sequence(
                        try pieces.map { keepDims ? $0.contiguous() : try $0.squeezed(axes: [normalized]).contiguous() }
                    )
                ]
            }
            let sizes = try split.intValues(inputs.op)
            if split.rank == 0 {
                let size = sizes[0]
                guard size > 0 else {
                    throw TensorError.invalidArgument(op: inputs.op, reason: "split must be positive")
                }
                let dim = x.shape[normalized]
                let counts = stride(from: 0, to: dim, by: size).map { Swift.min(size, dim - $0) }
                return [.sequence(try x.split(axis: normalized, sizes: counts).map { $0.contiguous() })]
            }
            return [.sequence(try x.split(axis: normalized, sizes: sizes).map { $0.contiguous() })]
        }
    }
    registry.register("ConcatFromSequence", since: [11]) { attributes in
        let axis = attributes.int("axis", default: 0), newAxis = attributes.int("new_axis", default: 0) == 1
        return ValueClosureOperator { inputs in
            let sequence = try inputs.sequence(0)
            guard let first = sequence.first else {
                throw TensorError.invalidArgument(op: inputs.op, reason: "the sequence is empty")
            }
            if newAxis {
                let normalized = try Shape.normalizeAxis(axis, rank: first.rank + 1, op: inputs.op)
                return [
                    .tensor(try Tensor.concat(sequence.map { try $0.unsqueezed(axes: [normalized]) }, axis: normalized))
                ]
            }
            return [.tensor(try Tensor.concat(sequence, axis: axis))]
        }
    }
    registry.register("Optional", since: [15]) { _ in
        ValueClosureOperator { inputs in [.optional(inputs.first ?? nil)] }
    }
    registry.register("OptionalHasElement", since: [15, 18]) { _ in
        ValueClosureOperator { inputs in
            let present: Bool
            switch inputs.first ?? nil {
            case .none, .optional(nil)?: present = false
            default: present = true
            }
            return [.tensor(Tensor(scalar: present))]
        }
    }
    registry.register("OptionalGetElement", since: [15, 18]) { _ in
        ValueClosureOperator { inputs in
            switch inputs.first ?? nil {
            case let .optional(inner?)?: return [inner]
            case .optional(nil)?, .none:
                throw TensorError.invalidArgument(op: inputs.op, reason: "the optional is empty")
            case let value?: return [value]
            }
        }
    }
    registry.register("SequenceMap", since: [17]) { attributes in
        SequenceMapOperator(body: try attributes.compiledGraph("body"))
    }
}

/// A position in a sequence (negative counts from the end); inserting allows the end itself.
private func sequencePosition(_ tensor: Tensor, count: Int, inserting: Bool, op: String) throws -> Int {
    let raw = try tensor.scalarInt(op)
    let bound = inserting ? count + 1 : count
    let position = raw < 0 ? raw + count : raw
    guard position >= 0, position < bound else { throw TensorError.indexOutOfRange(op: op, index: raw, bound: count) }
    return position
}

/// SequenceMap: runs the body once per element of the input sequences (tensors are passed whole).
struct SequenceMapOperator: ValueOperator {
    let body: CompiledGraph

    func run(values inputs: OpValues, scope: ValueScope) throws -> [Value] {
        let length = try inputs.sequence(0).count
        let names = body.graph.inputs.map(\.name)
        var outputs = [[Tensor]](repeating: [], count: body.graph.outputs.count)
        for i in 0..<length {
            var feeds: [String: Value] = [:]
            for (index, name) in names.enumerated() where index < inputs.count {
                guard let value = inputs[index] else { continue }
                if let sequence = value.sequence {
                    guard i < sequence.count else {
                        throw TensorError.invalidArgument(op: inputs.op, reason: "input sequences differ in length")
                    }
                    feeds[name] = .tensor(sequence[i])
                } else {
                    feeds[name] = value
                }
            }
            for (k, value) in try body.run(feeds, parent: scope).enumerated() {
                guard let tensor = value.tensor else {
                    throw TensorError.invalidArgument(op: inputs.op, reason: "body outputs must be tensors")
                }
                outputs[k].append(tensor)
            }
        }
        return outputs.map(Value.sequence)
    }
}
