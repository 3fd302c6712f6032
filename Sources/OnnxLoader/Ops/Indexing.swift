import TensorCore

/// Concat, Split, Slice, Gather, GatherElements, GatherND, ScatterElements (and its opset 9
/// name, Scatter), Tile, Pad.
func registerIndexing(_ registry: inout OperatorRegistry) {
    registry.register("Concat", since: [1, 4, 11, 13]) { attributes in
        let axis = attributes.int("axis", default: 1)
        return ClosureOperator { inputs in [try Tensor.concat(inputs.compactMap { $0 }, axis: axis)] }
    }
    registry.register("Split", since: [1, 2, 11, 13, 18]) { attributes in
        let axis = attributes.int("axis", default: 0)
        let attributeSplit = attributes.ints("split")
        let parts = attributes.int("num_outputs") ?? attributes.node.outputs.count
        let fromInput = attributes.opset >= 13
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            let sizes = fromInput ? try inputs.optional(1)?.intValues(inputs.op) : attributeSplit
            let pieces = try sizes.map { try x.split(axis: axis, sizes: $0) } ?? x.split(axis: axis, parts: parts)
            return pieces.map { $0.contiguous() }
        }
    }
    registry.register("Slice", since: [1, 10, 11, 13]) { attributes in
        let legacy = attributes.opset < 10
        let attrStarts = attributes.ints("starts") ?? [], attrEnds = attributes.ints("ends") ?? [],
            attrAxes = attributes.ints("axes")
        return ClosureOperator { inputs in
            var x = try inputs.required(0)
            let starts = legacy ? attrStarts : try inputs.required(1).intValues(inputs.op)
            let ends = legacy ? attrEnds : try inputs.required(2).intValues(inputs.op)
            let axes =
                legacy
                ? (attrAxes ?? Array(0..<starts.count))
                : try inputs.optional(3)?.intValues(inputs.op) ?? Array(0..<starts.count)
            let steps =
                legacy
                ? Array(repeating: 1, count: starts.count)
                : try inputs.optional(4)?.intValues(inputs.op) ?? Array(repeating: 1, count: starts.count)
            guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count else {
                throw TensorError.invalidArgument(
                    op: inputs.op,
                    reason: "starts \(starts), ends \(ends), axes \(axes), steps \(steps) must have one length")
            }
            for i in 0..<starts.count {
                x = try x.sliced(axis: axes[i], start: starts[i], end: ends[i], step: steps[i])
            }
            return [x.contiguous()]
        }
    }
    registry.register("Gather", since: [1, 11, 13]) { attributes in
        let axis = attributes.int("axis", default: 0)
        return ClosureOperator { inputs in [try inputs.required(0).gather(indices: inputs.required(1), axis: axis)] }
    }
    registry.register("GatherElements", since: [11, 13]) { attributes in
        let axis = attributes.int("axis", default: 0)
        return ClosureOperator { inputs in
            [try inputs.required(0).gatherElements(indices: inputs.required(1), axis: axis)]
        }
    }
    registry.register("GatherND", since: [11, 12, 13]) { attributes in
        let batchDims = attributes.int("batch_dims", default: 0)
        return ClosureOperator { inputs in
            [try inputs.required(0).gatherND(indices: inputs.required(1), batchDims: batchDims)]
        }
    }
    registry.register("ScatterElements", since: [11, 13, 16, 18]) { attributes in
        let axis = attributes.int("axis", default: 0)
        guard let reduction = ScatterReduction(rawValue: attributes.string("reduction", default: "none")) else {
            throw attributes.error("unknown reduction '\(attributes.string("reduction", default: ""))'")
        }
        return ClosureOperator { inputs in
            [
                try inputs.required(0).scatterElements(
                    indices: inputs.required(1),
                    updates: inputs.required(2), axis: axis, reduction: reduction)
            ]
        }
    }
    // Scatter (opset 9-10) is ScatterElements without reductions.
    registry.register("Scatter", since: [9]) { attributes in
        let axis = attributes.int("axis", default: 0)
        return ClosureOperator { inputs in
            [
                try inputs.required(0).scatterElements(
                    indices: inputs.required(1), updates: inputs.required(2),
                    axis: axis, reduction: .none)
            ]
        }
    }
    registry.register("Tile", since: [1, 6, 13]) { _ in
        ClosureOperator { inputs in [try inputs.required(0).tiled(inputs.required(1).intValues(inputs.op))] }
    }
    registry.register("Pad", since: [1, 2, 11, 13, 18, 19, 21]) { attributes in
        let legacy = attributes.opset < 11
        guard let mode = PadMode(rawValue: attributes.string("mode", default: "constant")) else {
            throw attributes.error("unknown pad mode '\(attributes.string("mode", default: ""))'")
        }
        let attrPads = attributes.ints("pads") ?? attributes.ints("paddings") ?? []
        let attrValue = attributes.float("value", default: 0)
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            var pads = legacy ? attrPads : try inputs.required(1).intValues(inputs.op)
            var value: Tensor? = legacy ? try Tensor(scalar: attrValue).cast(to: x.dtype) : inputs.optional(2)
            if let given = value, given.count == 0 { value = nil }
            if let given = value { value = try given.reshaped([]) }
            if !legacy, let axesTensor = inputs.optional(3) {
                // Pads given for some axes only (opset 18): spread them over every axis.
                let axes = try axesTensor.intValues(inputs.op).map { $0 < 0 ? $0 + x.rank : $0 }
                var full = [Int](repeating: 0, count: 2 * x.rank)
                for (i, axis) in axes.enumerated() where axis >= 0 && axis < x.rank {
                    full[axis] = pads[i]
                    full[axis + x.rank] = pads[i + axes.count]
                }
                pads = full
            }
            return [try x.padded(pads, mode: mode, value: value)]
        }
    }
}
