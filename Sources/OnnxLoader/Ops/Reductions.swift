import TensorCore

/// Reduce* (axes as an attribute before opset 18 — 13 for ReduceSum — and as an input after),
/// ArgMax and ArgMin.
func registerReductions(_ registry: inout OperatorRegistry) {
    let reductions: [(String, ReduceOp, Int)] = [
        ("ReduceSum", .sum, 13), ("ReduceMean", .mean, 18), ("ReduceMax", .max, 18), ("ReduceMin", .min, 18),
        ("ReduceProd", .prod, 18), ("ReduceL1", .l1, 18), ("ReduceL2", .l2, 18), ("ReduceSumSquare", .sumSquare, 18),
        ("ReduceLogSum", .logSum, 18), ("ReduceLogSumExp", .logSumExp, 18),
    ]
    for (name, op, axesInputSince) in reductions {
        registry.register(name, since: [1, 11, 13, 18, 20]) { attributes in
            let keepDims = attributes.int("keepdims", default: 1) == 1
            let noop = attributes.int("noop_with_empty_axes", default: 0) == 1
            let fromInput = attributes.opset >= axesInputSince
            let attributeAxes = attributes.ints("axes")
            return ClosureOperator { inputs in
                let x = try inputs.required(0)
                let axes = fromInput ? try inputs.optional(1)?.intValues(name) : attributeAxes
                if x.dtype == .bool && (op == .max || op == .min) {
                    // Max of bools is any, min is all.
                    return [
                        try x.cast(to: .uint8).reduce(op, axes: axes, keepDims: keepDims, noopWithEmptyAxes: noop).cast(
                            to: .bool)
                    ]
                }
                return [try x.reduce(op, axes: axes, keepDims: keepDims, noopWithEmptyAxes: noop)]
            }
        }
    }
    for (name, op) in [("ArgMax", ReduceOp.max), ("ArgMin", .min)] {
        registry.register(name, since: [1, 11, 12, 13]) { attributes in
            let axis = attributes.int("axis", default: 0), keepDims = attributes.int("keepdims", default: 1) == 1
            let last = attributes.int("select_last_index", default: 0) == 1
            return ClosureOperator { inputs in
                [try inputs.required(0).argExtreme(op, axis: axis, keepDims: keepDims, selectLastIndex: last)]
            }
        }
    }
}
