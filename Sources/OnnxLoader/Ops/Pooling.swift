import TensorCore

/// MaxPool, AveragePool, GlobalMaxPool, GlobalAveragePool.
func registerPooling(_ registry: inout OperatorRegistry) {
    for (name, kind) in [("MaxPool", PoolKind.max), ("AveragePool", .average)] {
        registry.register(name, since: [1, 7, 8, 10, 11, 12, 19, 22]) { attributes in
            guard let kernel = attributes.ints("kernel_shape") else { throw attributes.error("kernel_shape is required") }
            let wantsIndices = kind == .max && attributes.node.outputs.count > 1 && !attributes.node.outputs[1].isEmpty
            let columnMajor = attributes.int("storage_order", default: 0) == 1
            let autoPad = attributes.string("auto_pad", default: "NOTSET")
            let strides = attributes.ints("strides") ?? Array(repeating: 1, count: kernel.count)
            let dilations = attributes.ints("dilations") ?? Array(repeating: 1, count: kernel.count)
            let pads = attributes.ints("pads")
            let ceilMode = attributes.int("ceil_mode", default: 0) == 1
            let includePad = attributes.int("count_include_pad", default: 0) == 1
            return ClosureOperator { inputs in
                let x = try inputs.required(0, name)
                let spatial = Array(x.shape.dropFirst(2))
                let resolved = try resolvePads(autoPad: autoPad, pads: pads, spatial: spatial, kernel: kernel, strides: strides, dilations: dilations, op: name)
                let window = WindowGeometry(kernel: kernel, strides: strides, dilations: dilations, pads: resolved)
                if wantsIndices {
                    let (values, indices) = try Tensor.maxPoolWithIndices(x, window: window, ceilMode: ceilMode, columnMajor: columnMajor)
                    return [values, indices]
                }
                // 8-bit integers (MaxPool since opset 12) pool exactly as float32.
                if kind == .max, x.dtype == .uint8 || x.dtype == .int8 {
                    return [try Tensor.pool(.max, x.cast(to: .float32), window: window, ceilMode: ceilMode).cast(to: x.dtype)]
                }
                return [try Tensor.pool(kind, x, window: window, ceilMode: ceilMode, countIncludePad: includePad)]
            }
        }
    }
    registry.register("LpPool", since: [1, 2, 11, 18, 22]) { attributes in
        guard let kernel = attributes.ints("kernel_shape") else { throw attributes.error("kernel_shape is required") }
        let p = Double(attributes.int("p", default: 2))
        let autoPad = attributes.string("auto_pad", default: "NOTSET"), ceilMode = attributes.int("ceil_mode", default: 0) == 1
        let strides = attributes.ints("strides") ?? Array(repeating: 1, count: kernel.count)
        let dilations = attributes.ints("dilations") ?? Array(repeating: 1, count: kernel.count)
        let pads = attributes.ints("pads")
        return ClosureOperator { inputs in
            let x = try inputs.required(0, "LpPool")
            let spatial = Array(x.shape.dropFirst(2))
            let resolved = try resolvePads(autoPad: autoPad, pads: pads, spatial: spatial, kernel: kernel, strides: strides, dilations: dilations, op: "LpPool")
            let window = WindowGeometry(kernel: kernel, strides: strides, dilations: dilations, pads: resolved)
            // (sum |x|^p)^(1/p): the window sum is the average times the full window size.
            let powered = try Tensor.binary(.pow, x.cast(to: .float64).unary(.abs), Tensor(scalar: p))
            let mean = try Tensor.pool(.average, powered, window: window, ceilMode: ceilMode, countIncludePad: true).cast(to: .float64)
            let sum = try Tensor.binary(.mul, mean, Tensor(scalar: Double(kernel.reduce(1, *))))
            return [try Tensor.binary(.pow, sum, Tensor(scalar: 1 / p)).cast(to: x.dtype)]
        }
    }
    registry.register("GlobalLpPool", since: [1, 2, 22]) { attributes in
        let p = Double(attributes.int("p", default: 2))
        return ClosureOperator { inputs in
            let x = try inputs.required(0, "GlobalLpPool")
            let powered = try Tensor.binary(.pow, x.cast(to: .float64).unary(.abs), Tensor(scalar: p))
            let sum = try powered.reduce(.sum, axes: Array(2..<x.rank), keepDims: true)
            return [try Tensor.binary(.pow, sum, Tensor(scalar: 1 / p)).cast(to: x.dtype)]
        }
    }
    for (name, kind) in [("GlobalMaxPool", PoolKind.max), ("GlobalAveragePool", .average)] {
        registry.register(name, since: [1, 22]) { _ in
            ClosureOperator { inputs in [try Tensor.globalPool(kind, inputs.required(0, name))] }
        }
    }
}
