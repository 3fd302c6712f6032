import TensorCore

/// Conv, with every auto_pad mode.
func registerConvolution(_ registry: inout OperatorRegistry) {
    registry.register("Conv", since: [1, 11, 22]) { attributes in
        let autoPad = attributes.string("auto_pad", default: "NOTSET")
        let strides = attributes.ints("strides"), dilations = attributes.ints("dilations"), pads = attributes.ints("pads")
        let groups = attributes.int("group", default: 1)
        let kernelShape = attributes.ints("kernel_shape")
        return ClosureOperator { inputs in
            let x = try inputs.required(0, "Conv"), w = try inputs.required(1, "Conv")
            let spatial = Array(x.shape.dropFirst(2))
            let kernel = kernelShape ?? Array(w.shape.dropFirst(2))
            let s = strides ?? Array(repeating: 1, count: spatial.count)
            let d = dilations ?? Array(repeating: 1, count: spatial.count)
            let resolved = try resolvePads(autoPad: autoPad, pads: pads, spatial: spatial, kernel: kernel, strides: s, dilations: d, op: "Conv")
            return [try Tensor.conv(x, weight: w, bias: inputs.optional(2), strides: s, pads: resolved, dilations: d, groups: groups)]
        }
    }
}

/// Explicit begin/end pads for an ONNX `auto_pad` setting (NOTSET uses `pads`, default zeros).
func resolvePads(autoPad: String, pads: [Int]?, spatial: [Int], kernel: [Int], strides: [Int], dilations: [Int], op: String) throws -> [Int] {
    let rank = spatial.count
    switch autoPad {
    case "NOTSET", "":
        return pads ?? Array(repeating: 0, count: 2 * rank)
    case "VALID":
        return Array(repeating: 0, count: 2 * rank)
    case "SAME_UPPER", "SAME_LOWER":
        guard kernel.count == rank, strides.count == rank, dilations.count == rank else {
            throw TensorError.invalidArgument(op: op, reason: "kernel \(kernel), strides \(strides), dilations \(dilations) do not fit \(rank) spatial dims")
        }
        var begin = [Int](), end = [Int]()
        for i in 0..<rank {
            let output = (spatial[i] + strides[i] - 1) / max(strides[i], 1)
            let span = dilations[i] * (kernel[i] - 1) + 1
            let total = max(0, (output - 1) * strides[i] + span - spatial[i])
            let small = total / 2, large = total - small
            begin.append(autoPad == "SAME_UPPER" ? small : large)
            end.append(autoPad == "SAME_UPPER" ? large : small)
        }
        return begin + end
    default:
        throw TensorError.invalidArgument(op: op, reason: "unknown auto_pad '\(autoPad)'")
    }
}
