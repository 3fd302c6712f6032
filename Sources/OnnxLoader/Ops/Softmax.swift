import TensorCore

/// Softmax, LogSoftmax (before opset 13: over all dims from `axis` on, default 1; after: one axis, default -1).
func registerSoftmax(_ registry: inout OperatorRegistry) {
    for (name, logarithmic) in [("Softmax", false), ("LogSoftmax", true)] {
        registry.register(name, since: [1, 11, 13]) { attributes in
            let legacy = attributes.opset < 13
            let axis = attributes.int("axis", default: legacy ? 1 : -1)
            return ClosureOperator { inputs in
                let x = try inputs.required(0)
                if legacy {
                    let flat = try x.flattened(axis: axis < 0 ? axis + x.rank : axis)
                    let result = logarithmic ? try flat.logSoftmax(axis: 1) : try flat.softmax(axis: 1)
                    return [try result.reshaped(x.shape)]
                }
                return [logarithmic ? try x.logSoftmax(axis: axis) : try x.softmax(axis: axis)]
            }
        }
    }
}
