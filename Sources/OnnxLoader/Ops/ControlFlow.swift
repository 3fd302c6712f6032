import TensorCore

/// If, Loop and Scan: their bodies are compiled once at load and run with the enclosing scope visible.
func registerControlFlow(_ registry: inout OperatorRegistry) {
    registry.register("If", since: [1, 11, 13, 16, 19, 21]) { attributes in
        IfOperator(
            thenBranch: try attributes.compiledGraph("then_branch"),
            elseBranch: try attributes.compiledGraph("else_branch"))
    }
    registry.register("Loop", since: [1, 11, 13, 16, 19, 21]) { attributes in
        LoopOperator(body: try attributes.compiledGraph("body"))
    }
    registry.register("Scan", since: [8]) { attributes in
        guard let scanInputs = attributes.int("num_scan_inputs") else {
            throw attributes.error("num_scan_inputs is required")
        }
        return BatchedScanOperator(
            scan: ScanOperator(
                body: try attributes.compiledGraph("body"), scanInputCount: scanInputs,
                inputDirections: attributes.ints("directions"), outputDirections: nil,
                inputAxes: nil, outputAxes: nil))
    }
    registry.register("Scan", since: [9, 11, 16, 19, 21]) { attributes in
        guard let scanInputs = attributes.int("num_scan_inputs") else {
            throw attributes.error("num_scan_inputs is required")
        }
        return ScanOperator(
            body: try attributes.compiledGraph("body"), scanInputCount: scanInputs,
            inputDirections: attributes.ints("scan_input_directions"),
            outputDirections: attributes.ints("scan_output_directions"),
            inputAxes: attributes.ints("scan_input_axes"), outputAxes: attributes.ints("scan_output_axes"))
    }
}

private func flag(_ tensor: Tensor, _ op: String) throws -> Bool {
    guard tensor.count == 1 else {
        throw TensorError.invalidArgument(op: op, reason: "condition must hold one value, got shape \(tensor.shape)")
    }
    return try tensor.cast(to: .bool).scalars(as: Bool.self)[0]
}

struct IfOperator: ValueOperator {
    let thenBranch: CompiledGraph
    let elseBranch: CompiledGraph

    func run(values inputs: OpValues, scope: ValueScope) throws -> [Value] {
        let branch = try flag(inputs.requiredTensor(0), "If") ? thenBranch : elseBranch
        return try branch.run([:], parent: scope)
    }
}

struct LoopOperator: ValueOperator {
    let body: CompiledGraph

    func run(values inputs: OpValues, scope: ValueScope) throws -> [Value] {
        let maxTrips = try inputs.tensor(0).map { Int64(try $0.scalarDouble(inputs.op)) }
        var condition = try inputs.tensor(1).map { try flag($0, "Loop") } ?? true
        var carried: [Value] = try (2..<max(inputs.count, 2)).map { index in
            guard let value = inputs[index] else {
                throw TensorError.invalidArgument(op: inputs.op, reason: "loop-carried input \(index) is missing")
            }
            return value
        }
        let names = body.graph.inputs.map(\.name)
        guard names.count == carried.count + 2 else {
            throw TensorError.invalidArgument(
                op: inputs.op,
                reason:
                    "body takes \(names.count) inputs, the loop carries \(carried.count) values plus the iteration count and condition"
            )
        }
        let scanCount = body.graph.outputs.count - 1 - carried.count
        guard scanCount >= 0 else {
            throw TensorError.invalidArgument(op: inputs.op, reason: "body returns fewer outputs than it carries")
        }
        var scans = [[Tensor]](repeating: [], count: scanCount)
        var iteration: Int64 = 0
        while condition, maxTrips.map({ iteration < $0 }) ?? true {
            var feeds: [String: Value] = [
                names[0]: .tensor(Tensor(scalar: iteration)), names[1]: .tensor(Tensor(scalar: condition)),
            ]
            for (name, value) in zip(names.dropFirst(2), carried) { feeds[name] = value }
            let results = try body.run(feeds, parent: scope)
            guard let next = results[0].tensor else {
                throw TensorError.invalidArgument(op: inputs.op, reason: "the body's condition must be a tensor")
            }
            condition = try flag(next, "Loop")
            carried = Array(results[1..<(1 + carried.count)])
            for k in 0..<scanCount {
                guard let step = results[1 + carried.count + k].tensor else {
                    throw TensorError.invalidArgument(op: inputs.op, reason: "scan outputs must be tensors")
                }
                scans[k].append(step)
            }
            iteration += 1
            if maxTrips == nil && iteration > Int64(Shape.maxElementCount) {
                throw TensorError.invalidArgument(op: inputs.op, reason: "runs without end")
            }
        }
        let stacked = try scans.map { steps -> Tensor in
            guard !steps.isEmpty else { return try Tensor(zeros: [0], dtype: .float32) }
            return try Tensor.concat(steps.map { try $0.unsqueezed(axes: [0]) }, axis: 0)
        }
        return carried + stacked.map(Value.tensor)
    }
}

struct ScanOperator: ValueOperator {
    let body: CompiledGraph
    let scanInputCount: Int
    let inputDirections: [Int]?
    let outputDirections: [Int]?
    let inputAxes: [Int]?
    let outputAxes: [Int]?

    func run(values inputs: OpValues, scope: ValueScope) throws -> [Value] {
        let all = try inputs.indices.map { try inputs.requiredTensor($0) }
        let stateCount = all.count - scanInputCount
        guard stateCount >= 0 else {
            throw TensorError.invalidArgument(op: inputs.op, reason: "more scan inputs than inputs")
        }
        var states = Array(all.prefix(stateCount))
        let sequences = Array(all.suffix(scanInputCount))
        let axes = try sequences.enumerated().map { i, t in
            try Shape.normalizeAxis(inputAxes?[i] ?? 0, rank: t.rank, op: inputs.op)
        }
        let length = sequences.first.map { $0.shape[axes[0]] } ?? 0
        for (i, sequence) in sequences.enumerated() where sequence.shape[axes[i]] != length {
            throw TensorError.shapeMismatch(
                op: inputs.op, shapes: sequences.map(\.shape), reason: "scan inputs must share their sequence length")
        }
        let names = body.graph.inputs.map(\.name)
        guard names.count == all.count else {
            throw TensorError.invalidArgument(
                op: inputs.op, reason: "body takes \(names.count) inputs, Scan was given \(all.count)")
        }
        let outputCount = body.graph.outputs.count - stateCount
        var collected = [[Tensor]](repeating: [], count: max(outputCount, 0))
        for step in 0..<length {
            var feeds: [String: Value] = [:]
            for (i, state) in states.enumerated() { feeds[names[i]] = .tensor(state) }
            for (i, sequence) in sequences.enumerated() {
                let reverse = (inputDirections?[i] ?? 0) == 1
                let position = reverse ? length - 1 - step : step
                feeds[names[stateCount + i]] = .tensor(
                    try sequence.sliced(axis: axes[i], start: position, end: position + 1).squeezed(axes: [axes[i]])
                        .contiguous())
            }
            let results = try body.run(feeds, parent: scope).map { value -> Tensor in
                guard let tensor = value.tensor else {
                    throw TensorError.invalidArgument(op: inputs.op, reason: "body outputs must be tensors")
                }
                return tensor
            }
            states = Array(results.prefix(stateCount))
            for k in 0..<collected.count { collected[k].append(results[stateCount + k]) }
        }
        let outputs = try collected.enumerated().map { k, steps -> Tensor in
            guard let first = steps.first else { return try Tensor(zeros: [0], dtype: .float32) }
            let ordered = (outputDirections?[k] ?? 0) == 1 ? steps.reversed() : steps
            let axis = try Shape.normalizeAxis(outputAxes?[k] ?? 0, rank: first.rank + 1, op: inputs.op)
            return try Tensor.concat(ordered.map { try $0.unsqueezed(axes: [axis]) }, axis: axis)
        }
        return (states + outputs).map(Value.tensor)
    }
}

/// Scan as opset 8 defines it: every input and output carries a leading batch axis, and an
/// optional first input, `sequence_lens`, gives each batch entry's length (the full scan length
/// when absent). Each entry runs as an opset-9 Scan; scan outputs of shorter entries are padded
/// with zeros to the full length.
struct BatchedScanOperator: ValueOperator {
    let scan: ScanOperator

    func run(values inputs: OpValues, scope: ValueScope) throws -> [Value] {
        let op = "Scan"
        guard !inputs.isEmpty else {
            throw TensorError.invalidArgument(
                op: op, reason: "takes sequence_lens (may be empty) and the scanned inputs")
        }
        let tensors = try (1..<inputs.count).map { try inputs.requiredTensor($0) }
        guard let batch = tensors.first?.shape.first, tensors.allSatisfy({ $0.rank >= 1 && $0.shape[0] == batch })
        else {
            throw TensorError.shapeMismatch(
                op: op, shapes: tensors.map(\.shape), reason: "every input needs the same leading batch axis")
        }
        let sequences = tensors.suffix(scan.scanInputCount)
        let fullLength = sequences.first.map { $0.rank >= 2 ? $0.shape[1] : 0 } ?? 0
        let lengths = try inputs.tensor(0).map { try $0.intValues(op) } ?? Array(repeating: fullLength, count: batch)
        guard lengths.count == batch, lengths.allSatisfy({ $0 >= 0 && $0 <= fullLength }) else {
            throw TensorError.invalidArgument(
                op: op, reason: "sequence_lens needs \(batch) lengths between 0 and \(fullLength), got \(lengths)")
        }
        let stateCount = tensors.count - scan.scanInputCount
        var perEntry: [[Tensor]] = []
        for entry in 0..<batch {
            let slices = try tensors.enumerated().map { index, tensor -> Value in
                var slice = try tensor.sliced(axis: 0, start: entry, end: entry + 1).squeezed(axes: [0])
                if index >= stateCount { slice = try slice.sliced(axis: 0, start: 0, end: lengths[entry]) }
                return .tensor(slice.contiguous())
            }
            let results = try scan.run(values: OpValues(slices, op: op), scope: scope).map { value -> Tensor in
                guard let tensor = value.tensor else {
                    throw TensorError.invalidArgument(op: op, reason: "body outputs must be tensors")
                }
                return tensor
            }
            // Scan outputs of a shorter entry: zeros after its last step.
            perEntry.append(
                try results.enumerated().map { index, tensor in
                    guard index >= stateCount, lengths[entry] < fullLength, tensor.rank >= 1 else { return tensor }
                    var pads = [Int](repeating: 0, count: 2 * tensor.rank)
                    pads[tensor.rank] = fullLength - tensor.shape[0]
                    return try tensor.padded(pads)
                })
        }
        let outputCount = perEntry.first?.count ?? 0
        return try (0..<outputCount).map { k in
            .tensor(try Tensor.concat(perEntry.map { try $0[k].unsqueezed(axes: [0]) }, axis: 0))
        }
    }
}
