import TensorCore

/// Load-time rewrites of a compiled graph's steps: constant subgraphs folded into values, a
/// convolution merged with the residual Add and activation that follow it, and MobileNet-style
/// expansion, depthwise and projection convolutions merged into one block.
enum GraphRewrite {
    /// Ops whose result is not a function of their inputs (or that read subgraphs): never folded.
    private static let unfoldable: Set<String> = [
        "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli", "Dropout",
    ]

    /// A folded result larger than this stays a run-time step (it would be held for the session's life).
    private static let foldedBytesLimit = 64 << 20

    /// Runs once every step whose inputs are all constants and removes it; its outputs join `constants`.
    /// A step whose kernel fails stays, so the error surfaces at run time, naming the node.
    static func foldConstants(_ steps: [CompiledGraph.Step], into constants: inout [String: Value]) -> [CompiledGraph
        .Step]
    {
        var remaining: [CompiledGraph.Step] = []
        for step in steps {
            let node = step.node
            let foldable =
                !(step.op is any ValueOperator) && !unfoldable.contains(node.opType)
                && CompiledGraph.subgraphs(of: node).isEmpty
                && step.needs.allSatisfy { $0.isEmpty || constants[$0]?.tensor != nil }
            guard foldable else {
                remaining.append(step)
                continue
            }
            let arguments: [Tensor?] = node.inputs.map { $0.isEmpty ? nil : constants[$0]?.tensor }
            guard let results = try? step.op.run(OpInputs(arguments, op: node.opType)),
                results.count >= node.outputs.filter({ !$0.isEmpty }).count,
                results.reduce(0, { $0 + $1.count * $1.dtype.byteSize }) <= foldedBytesLimit
            else {
                remaining.append(step)
                continue
            }
            for (name, tensor) in zip(node.outputs, results) where !name.isEmpty { constants[name] = .tensor(tensor) }
        }
        return remaining
    }

    /// Merges `Conv -> [Add residual] -> [Relu | LeakyRelu | Clip]` chains into one Conv step whose
    /// kernel adds the residual and applies the activation in its output pass. A link joins only
    /// when its input is read by that one node and is not a graph output.
    static func fuseConvolutions(
        _ steps: [CompiledGraph.Step], constants: [String: Value], graphOutputs: Set<String>,
        opsets: [String: Int]
    ) -> [CompiledGraph.Step] {
        var uses: [String: Int] = [:]
        var consumer: [String: Int] = [:]
        for (index, step) in steps.enumerated() {
            for name in step.needs where !name.isEmpty {
                uses[name, default: 0] += 1
                consumer[name] = index
            }
        }
        var result = steps.map { Optional($0) }
        /// Steps already merged into a chain (their slot is empty or holds the chain).
        var taken = Set<Int>()
        /// The one step that reads `value`, when fusing across it hides nothing.
        func soleReader(of value: String) -> Int? {
            guard uses[value] == 1, !graphOutputs.contains(value), let reader = consumer[value], !taken.contains(reader)
            else { return nil }
            return reader
        }
        for (index, step) in steps.enumerated() {
            guard step.node.domain.isEmpty, var conv = step.op as? ConvOperator, step.node.inputs.count >= 2,
                step.node.inputs.count <= 3, step.node.outputs.count == 1, !taken.contains(index)
            else { continue }
            var fused = step.node
            var needs = step.needs
            var chain: [Int] = []
            var current = step.node.outputs[0]
            if let next = soleReader(of: current), steps[next].node.domain.isEmpty, steps[next].node.opType == "Add",
                steps[next].node.inputs.count == 2, steps[next].node.outputs.count == 1
            {
                let add = steps[next].node
                let residual = add.inputs[0] == current ? add.inputs[1] : add.inputs[0]
                fused.inputs = [
                    fused.inputs[0], fused.inputs[1], fused.inputs.count > 2 ? fused.inputs[2] : "", residual,
                ]
                needs.append(residual)
                chain.append(next)
                current = add.outputs[0]
            }
            if let next = soleReader(of: current),
                let activation = activation(of: steps[next].node, constants: constants, opsets: opsets)
            {
                conv.activation = activation
                chain.append(next)
                current = steps[next].node.outputs[0]
            }
            guard let last = chain.last else { continue }
            fused.outputs = [current]
            taken.insert(index)
            for link in chain {
                taken.insert(link)
                result[link] = nil
            }
            result[index] = nil
            // The chain runs where its last node ran: by then the residual exists too.
            result[last] = CompiledGraph.Step(node: fused, op: conv, needs: needs)
        }
        return result.compactMap { $0 }
    }

    /// Merges each `[1x1 Conv ->] 3x3 depthwise Conv -> 1x1 Conv` chain of fused convolutions
    /// (after ``fuseConvolutions``: activations and the projection's residual already inside)
    /// into one ``InvertedResidualOperator`` step, which keeps the expanded tensor in cache.
    /// Every weight and bias must be a float32 constant; the depthwise convolution must have
    /// padding 1 and stride 1 or 2; the values between the convolutions must be read by the
    /// next one only and not be graph outputs.
    static func fuseInvertedResiduals(
        _ steps: [CompiledGraph.Step], constants: [String: Value], graphOutputs: Set<String>
    ) -> [CompiledGraph.Step] {
        var uses: [String: Int] = [:]
        var producer: [String: Int] = [:]
        for (index, step) in steps.enumerated() {
            for name in step.needs where !name.isEmpty { uses[name, default: 0] += 1 }
            for name in step.node.outputs where !name.isEmpty { producer[name] = index }
        }
        /// The step producing `value` when only one step reads it and it is not a graph output.
        func privateProducer(of value: String) -> Int? {
            guard uses[value] == 1, !graphOutputs.contains(value) else { return nil }
            return producer[value]
        }
        /// A Conv step's weights, bias and activation when it has the geometry asked for and no residual.
        func stage(
            _ step: CompiledGraph.Step, kernel: Int, groups: (_ groups: Int, _ weight: Tensor) -> Bool,
            strides: Set<[Int]>, pads: [Int]
        )
            -> (weight: Tensor, bias: Tensor?, activation: FusedActivation, stride: Int)?
        {
            let node = step.node
            guard node.domain.isEmpty, let conv = step.op as? ConvOperator, conv.autoPad == "NOTSET",
                node.outputs.count == 1,
                (2...4).contains(node.inputs.count),
                let weight = constants[node.inputs[1]]?.tensor, weight.dtype == .float32, weight.rank == 4,
                weight.shape[2] == kernel, weight.shape[3] == kernel, groups(conv.groups, weight),
                (conv.kernelShape ?? [kernel, kernel]) == [kernel, kernel], (conv.dilations ?? [1, 1]) == [1, 1],
                (conv.pads ?? [0, 0, 0, 0]) == pads, strides.contains(conv.strides ?? [1, 1])
            else { return nil }
            var bias: Tensor?
            if node.inputs.count > 2, !node.inputs[2].isEmpty {
                guard let constant = constants[node.inputs[2]]?.tensor, constant.dtype == .float32 else { return nil }
                bias = constant
            }
            return (weight, bias, conv.activation, (conv.strides ?? [1, 1])[0])
        }
        var result = steps.map { Optional($0) }
        for (index, step) in steps.enumerated() {
            // The projection: 1x1, ungrouped, stride 1, maybe with a residual (input 3).
            guard
                let projection = stage(
                    step, kernel: 1, groups: { groups, _ in groups == 1 }, strides: [[1, 1]], pads: [0, 0, 0, 0]),
                let depthwiseIndex = privateProducer(of: step.node.inputs[0]), result[depthwiseIndex] != nil,
                let depthwise = stage(
                    steps[depthwiseIndex], kernel: 3,
                    groups: { groups, weight in groups == weight.shape[0] && weight.shape[1] == 1 },
                    strides: [[1, 1], [2, 2]], pads: [1, 1, 1, 1]),
                steps[depthwiseIndex].node.inputs.count <= 3
            else { continue }
            var chain = [depthwiseIndex]
            var blockInput = steps[depthwiseIndex].node.inputs[0]
            var expansion: (weight: Tensor, bias: Tensor?, activation: FusedActivation)?
            if let expansionIndex = privateProducer(of: blockInput), result[expansionIndex] != nil,
                steps[expansionIndex].node.inputs.count <= 3,
                let found = stage(
                    steps[expansionIndex], kernel: 1, groups: { groups, _ in groups == 1 }, strides: [[1, 1]],
                    pads: [0, 0, 0, 0])
            {
                expansion = (found.weight, found.bias, found.activation)
                chain.append(expansionIndex)
                blockInput = steps[expansionIndex].node.inputs[0]
            }
            guard
                let block = try? InvertedResidualBlock(
                    expansion: expansion,
                    depthwise: (depthwise.weight, depthwise.bias, depthwise.activation),
                    stride: depthwise.stride,
                    projection: (projection.weight, projection.bias, projection.activation))
            else { continue }
            let residual = step.node.inputs.count > 3 ? step.node.inputs[3] : ""
            // A residual that turns out to broadcast is added after the block: only right without an activation.
            guard residual.isEmpty || projection.activation == .identity else { continue }
            var fused = step.node
            fused.name = (chain.reversed().map { steps[$0].node.name } + [step.node.name]).joined(separator: "+")
            fused.inputs = residual.isEmpty ? [blockInput] : [blockInput, residual]
            fused.attributes = [:]
            for link in chain { result[link] = nil }
            result[index] = CompiledGraph.Step(
                node: fused, op: InvertedResidualOperator(block: block), needs: fused.inputs)
        }
        return result.compactMap { $0 }
    }

    /// Transforms, once, the weights of every 3x3 stride-1 ungrouped Conv whose weights are a
    /// float32 constant with 16 to 256 input and output channels (the layers where Winograd's
    /// F(2x2, 3x3) pays: large planes, small weights, so the 16/9 larger copy stays small).
    static func prepareWinograd(_ steps: [CompiledGraph.Step], constants: [String: Value]) -> [CompiledGraph.Step] {
        steps.map { step in
            guard var conv = step.op as? ConvOperator, conv.groups == 1, step.node.inputs.count >= 2,
                (conv.strides ?? [1, 1]) == [1, 1], (conv.dilations ?? [1, 1]) == [1, 1],
                let weight = constants[step.node.inputs[1]]?.tensor, weight.dtype == .float32, weight.rank == 4,
                weight.shape[2] == 3, weight.shape[3] == 3, (16...256).contains(weight.shape[0]),
                (16...256).contains(weight.shape[1]),
                let transformed = try? WinogradWeights(weight: weight)
            else { return step }
            conv.winograd = transformed
            var prepared = step
            prepared.op = conv
            return prepared
        }
    }

    /// The fusable activation `node` computes on its first input, if it is one.
    private static func activation(of node: Node, constants: [String: Value], opsets: [String: Int]) -> FusedActivation?
    {
        guard node.domain.isEmpty, node.outputs.count == 1 else { return nil }
        switch node.opType {
        case "Relu" where node.inputs.count == 1:
            return .relu
        case "LeakyRelu" where node.inputs.count == 1:
            if case let .float(alpha)? = node.attributes["alpha"] { return .leakyRelu(alpha: alpha) }
            return .leakyRelu(alpha: 0.01)
        case "Clip":
            if (opsets[""] ?? 1) < 11 {
                guard node.inputs.count == 1 else { return nil }
                var lower = -Float.greatestFiniteMagnitude, upper = Float.greatestFiniteMagnitude
                if case let .float(value)? = node.attributes["min"] { lower = value }
                if case let .float(value)? = node.attributes["max"] { upper = value }
                return .clip(lower: lower, upper: upper)
            }
            func bound(_ position: Int, _ missing: Float) -> Float? {
                guard position < node.inputs.count, !node.inputs[position].isEmpty else { return missing }
                guard let tensor = constants[node.inputs[position]]?.tensor, tensor.dtype == .float32,
                    tensor.count == 1,
                    let value = try? tensor.scalars(as: Float.self).first
                else { return nil }
                return value
            }
            guard let lower = bound(1, -.infinity), let upper = bound(2, .infinity) else { return nil }
            return .clip(lower: lower, upper: upper)
        default:
            return nil
        }
    }
}
