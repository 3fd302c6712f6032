import TensorCore

/// MaxPool, AveragePool, GlobalMaxPool, GlobalAveragePool.
func registerPooling(_ registry: inout OperatorRegistry) {
    for (name, kind) in [("MaxPool", PoolKind.max), ("AveragePool", .average)] {
        registry.register(name, since: [1, 7, 8, 10, 11, 12, 19, 22]) { attributes in
            guard let kernel = attributes.ints("kernel_shape") else {
                throw attributes.error("kernel_shape is required")
            }
            let wantsIndices = kind == .max && attributes.node.outputs.count > 1 && !attributes.node.outputs[1].isEmpty
            let columnMajor = attributes.int("storage_order", default: 0) == 1
            let autoPad = attributes.string("auto_pad", default: "NOTSET")
            let strides = attributes.ints("strides") ?? Array(repeating: 1, count: kernel.count)
            let dilations = attributes.ints("dilations") ?? Array(repeating: 1, count: kernel.count)
            let pads = attributes.ints("pads")
            let ceilMode = attributes.int("ceil_mode", default: 0) == 1
            let includePad = attributes.int("count_include_pad", default: 0) == 1
            return ClosureOperator { inputs in
                let x = try inputs.required(0)
                let spatial = Array(x.shape.dropFirst(2))
                let resolved = try resolvePads(
                    autoPad: autoPad, pads: pads, spatial: spatial, kernel: kernel, strides: strides,
                    dilations: dilations, op: name)
                let window = WindowGeometry(kernel: kernel, strides: strides, dilations: dilations, pads: resolved)
                if wantsIndices {
                    let (values, indices) = try Tensor.maxPoolWithIndices(
                        x, window: window, ceilMode: ceilMode, columnMajor: columnMajor)
                    return [values, indices]
                }
                // 8-bit integers (MaxPool since opset 12) pool exactly as float32.
                if kind == .max, x.dtype == .uint8 || x.dtype == .int8 {
                    return [
                        try Tensor.pool(.max, x.cast(to: .float32), window: window, ceilMode: ceilMode).cast(
                            to: x.dtype)
                    ]
                }
                return [try Tensor.pool(kind, x, window: window, ceilMode: ceilMode, countIncludePad: includePad)]
            }
        }
    }
    registry.register("LpPool", since: [1, 2, 11, 18, 22]) { attributes in
        guard let kernel = attributes.ints("kernel_shape") else { throw attributes.error("kernel_shape is required") }
        let p = Double(attributes.int("p", default: 2))
        let autoPad = attributes.string("auto_pad", default: "NOTSET"),
            ceilMode = attributes.int("ceil_mode", default: 0) == 1
        let strides = attributes.ints("strides") ?? Array(repeating: 1, count: kernel.count)
        let dilations = attributes.ints("dilations") ?? Array(repeating: 1, count: kernel.count)
        let pads = attributes.ints("pads")
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            let spatial = Array(x.shape.dropFirst(2))
            let resolved = try resolvePads(
                autoPad: autoPad, pads: pads, spatial: spatial, kernel: kernel, strides: strides, dilations: dilations,
                op: inputs.op)
            let window = WindowGeometry(kernel: kernel, strides: strides, dilations: dilations, pads: resolved)
            // (sum |x|^p)^(1/p): the window sum is the average times the full window size.
            let powered = try Tensor.binary(.pow, x.cast(to: .float64).unary(.abs), Tensor(scalar: p))
            let mean = try Tensor.pool(.average, powered, window: window, ceilMode: ceilMode, countIncludePad: true)
                .cast(to: .float64)
            let sum = try Tensor.binary(.mul, mean, Tensor(scalar: Double(kernel.reduce(1, *))))
            return [try Tensor.binary(.pow, sum, Tensor(scalar: 1 / p)).cast(to: x.dtype)]
        }
    }
    registry.register("GlobalLpPool", since: [1, 2, 22]) { attributes in
        let p = Double(attributes.int("p", default: 2))
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            let powered = try Tensor.binary(.pow, x.cast(to: .float64).unary(.abs), Tensor(scalar: p))
            let sum = try powered.reduce(.sum, axes: Array(2..<x.rank), keepDims: true)
            return [try Tensor.binary(.pow, sum, Tensor(scalar: 1 / p)).cast(to: x.dtype)]
        }
    }
    for (name, kind) in [("GlobalMaxPool", PoolKind.max), ("GlobalAveragePool", .average)] {
        registry.register(name, since: [1, 22]) { _ in
            ClosureOperator { inputs in [try Tensor.globalPool(kind, inputs.required(0))] }
        }
    }
}

/// MaxUnpool: each value of X written at the flat position its index (from MaxPool's Indices)
/// names in the unpooled shape; zeros elsewhere. `output_shape` (input 2) may be larger than the
/// inferred shape: the unpooled block then sits at its start.
func registerMaxUnpool(_ registry: inout OperatorRegistry) {
    registry.register("MaxUnpool", since: [9, 11, 22]) { attributes in
        guard let kernel = attributes.ints("kernel_shape") else { throw attributes.error("kernel_shape is required") }
        let strides = attributes.ints("strides") ?? Array(repeating: 1, count: kernel.count)
        let pads = attributes.ints("pads") ?? Array(repeating: 0, count: 2 * kernel.count)
        return ClosureOperator { inputs in
            let x = try inputs.required(0), indices = try inputs.required(1)
            let rank = kernel.count
            guard x.rank == rank + 2, strides.count == rank, pads.count == 2 * rank, indices.shape == x.shape else {
                throw TensorError.shapeMismatch(
                    op: inputs.op, shapes: [x.shape, indices.shape],
                    reason: "X and I must share an [N, C, \(rank) spatial] shape matching kernel_shape \(kernel)")
            }
            var inferred = Array(x.shape.prefix(2))
            for axis in 0..<rank {
                inferred.append(
                    (x.shape[axis + 2] - 1) * strides[axis] - (pads[axis] + pads[axis + rank]) + kernel[axis])
            }
            let requested = try inputs.optional(2).map { try $0.intValues(inputs.op) } ?? inferred
            guard requested.count == inferred.count, zip(requested, inferred).allSatisfy({ $0 >= $1 }),
                inferred.allSatisfy({ $0 > 0 })
            else {
                throw TensorError.invalidArgument(
                    op: inputs.op, reason: "output_shape \(requested) must cover the unpooled shape \(inferred)")
            }
            let values = try x.cast(to: .float64).scalars(as: Double.self)
            let targets = try indices.intValues(inputs.op)
            let total = inferred.reduce(1, *)
            var unpooled = [Double](repeating: 0, count: total)
            for (value, target) in zip(values, targets) {
                guard target >= 0, target < total else {
                    throw TensorError.invalidArgument(
                        op: inputs.op, reason: "index \(target) is outside the unpooled shape \(inferred)")
                }
                unpooled[target] = value
            }
            var result = try Tensor(shape: inferred, scalars: unpooled)
            if requested != inferred {
                let padding = zip(requested, inferred).map { $0 - $1 }
                result = try result.padded(Array(repeating: 0, count: padding.count) + padding)
            }
            return [try result.cast(to: x.dtype)]
        }
    }
}
