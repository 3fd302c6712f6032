import TensorCore

/// Conv, with every auto_pad mode.
func registerConvolution(_ registry: inout OperatorRegistry) {
    registry.register("Conv", since: [1, 11, 22]) { attributes in ConvOperator(attributes) }
}

/// ONNX Conv; as built by graph fusion, also the Add of a residual (input 3) and an activation
/// that followed it in the graph, applied in the convolution's output pass.
struct ConvOperator: OnnxOperator {
    let autoPad: String
    let strides: [Int]?, dilations: [Int]?, pads: [Int]?, kernelShape: [Int]?
    let groups: Int
    var activation: FusedActivation = .identity
    /// Winograd-transformed weights, when they are a suitable constant (set at load).
    var winograd: WinogradWeights?

    init(_ attributes: NodeAttributes) {
        autoPad = attributes.string("auto_pad", default: "NOTSET")
        strides = attributes.ints("strides")
        dilations = attributes.ints("dilations")
        pads = attributes.ints("pads")
        groups = attributes.int("group", default: 1)
        kernelShape = attributes.ints("kernel_shape")
    }

    func run(_ inputs: OpInputs) throws -> [Tensor] {
        let x = try inputs.required(0), w = try inputs.required(1)
        let spatial = Array(x.shape.dropFirst(2))
        let kernel = kernelShape ?? Array(w.shape.dropFirst(2))
        let s = strides ?? Array(repeating: 1, count: spatial.count)
        let d = dilations ?? Array(repeating: 1, count: spatial.count)
        let resolved = try resolvePads(
            autoPad: autoPad, pads: pads, spatial: spatial, kernel: kernel, strides: s, dilations: d, op: inputs.op)
        let bias = inputs.optional(2)
        guard let residual = inputs.optional(3) else {
            return [
                try Tensor.conv(
                    x, weight: w, bias: bias, strides: s, pads: resolved, dilations: d, groups: groups,
                    activation: activation,
                    winograd: winograd)
            ]
        }
        let geometry = WindowGeometry(kernel: Array(w.shape.dropFirst(2)), strides: s, dilations: d, pads: resolved)
        let outputShape =
            try Array(x.shape.prefix(1)) + Array(w.shape.prefix(1))
            + geometry.outputSize(spatial: spatial, op: inputs.op)
        if x.dtype == .float32, residual.dtype == .float32, residual.shape == outputShape {
            return [
                try Tensor.conv(
                    x, weight: w, bias: bias, strides: s, pads: resolved, dilations: d, groups: groups,
                    residual: residual, activation: activation, winograd: winograd)
            ]
        }
        let y = try Tensor.conv(x, weight: w, bias: bias, strides: s, pads: resolved, dilations: d, groups: groups)
        // A broadcast residual or another dtype: the Add and the activation as separate passes.
        let sum = try Tensor.binary(.add, y, residual)
        guard activation != .identity else { return [sum] }
        return [
            try sum.dtype == .float32
                ? sum.activated(activation) : sum.cast(to: .float32).activated(activation).cast(to: sum.dtype)
        ]
    }
}

/// A `[1x1 Conv ->] 3x3 depthwise Conv -> 1x1 Conv [-> Add residual]` chain (MobileNetV2's
/// inverted-residual block) merged at load into one step: input 0 the block's input, input 1
/// the residual when there is one.
struct InvertedResidualOperator: OnnxOperator {
    let block: InvertedResidualBlock

    func run(_ inputs: OpInputs) throws -> [Tensor] {
        let x = try inputs.required(0)
        guard let residual = inputs.optional(1) else { return [try block(x)] }
        if residual.dtype == .float32, residual.shape == block.outputShape(input: x.shape) {
            return [try block(x, residual: residual)]
        }
        // A broadcast residual (the fusion only allows one when the projection has no activation).
        return [try Tensor.binary(.add, block(x), residual)]
    }
}

/// Explicit begin/end pads for an ONNX `auto_pad` setting (NOTSET uses `pads`, default zeros).
func resolvePads(
    autoPad: String, pads: [Int]?, spatial: [Int], kernel: [Int], strides: [Int], dilations: [Int], op: String
) throws -> [Int] {
    let rank = spatial.count
    switch autoPad {
    case "NOTSET", "":
        return pads ?? Array(repeating: 0, count: 2 * rank)
    case "VALID":
        return Array(repeating: 0, count: 2 * rank)
    case "SAME_UPPER", "SAME_LOWER":
        guard kernel.count == rank, strides.count == rank, dilations.count == rank else {
            throw TensorError.invalidArgument(
                op: op,
                reason: "kernel \(kernel), strides \(strides), dilations \(dilations) do not fit \(rank) spatial dims")
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

/// ConvTranspose, with output_shape, output_padding and every auto_pad mode.
func registerConvTranspose(_ registry: inout OperatorRegistry) {
    registry.register("ConvTranspose", since: [1, 11, 22]) { attributes in
        let autoPad = attributes.string("auto_pad", default: "NOTSET")
        let stridesAttribute = attributes.ints("strides"), dilationsAttribute = attributes.ints("dilations")
        let padsAttribute = attributes.ints("pads"), outputPaddingAttribute = attributes.ints("output_padding")
        let outputShapeAttribute = attributes.ints("output_shape")
        let groups = attributes.int("group", default: 1)
        return ClosureOperator { inputs in
            let x = try inputs.required(0), w = try inputs.required(1)
            let rank = x.rank - 2
            guard rank >= 1, w.rank == x.rank else {
                throw TensorError.shapeMismatch(
                    op: inputs.op, shapes: [x.shape, w.shape],
                    reason: "needs [N, C, spatial...] and a weight of the same rank")
            }
            let kernel = Array(w.shape.dropFirst(2))
            let strides = stridesAttribute ?? Array(repeating: 1, count: rank)
            let dilations = dilationsAttribute ?? Array(repeating: 1, count: rank)
            let outputPadding = outputPaddingAttribute ?? Array(repeating: 0, count: rank)
            guard strides.count == rank, dilations.count == rank, outputPadding.count >= rank else {
                throw TensorError.invalidArgument(
                    op: inputs.op, reason: "strides, dilations and output_padding need \(rank) entries")
            }
            let spatial = Array(x.shape.dropFirst(2))
            // The full (unpadded) output extent per dim.
            var full: [Int] = []
            for d in 0..<rank {
                let span: Int = (kernel[d] - 1) * dilations[d] + 1
                full.append(strides[d] * (spatial[d] - 1) + outputPadding[d] + span)
            }
            var pads: [Int]
            var outputShape: [Int]
            if let requested = outputShapeAttribute.map({ Array($0.suffix(rank)) }) {
                outputShape = requested
                pads = splitPadding(total: (0..<rank).map { full[$0] - requested[$0] }, upper: autoPad != "SAME_LOWER")
            } else if autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER" {
                outputShape = (0..<rank).map { spatial[$0] * strides[$0] }
                pads = splitPadding(
                    total: (0..<rank).map { full[$0] - outputShape[$0] }, upper: autoPad == "SAME_UPPER")
            } else {
                pads =
                    autoPad == "VALID"
                    ? Array(repeating: 0, count: 2 * rank) : (padsAttribute ?? Array(repeating: 0, count: 2 * rank))
                outputShape = (0..<rank).map { full[$0] - pads[$0] - pads[$0 + rank] }
            }
            return [
                try Tensor.convTranspose(
                    x, weight: w, bias: inputs.optional(2), outputShape: outputShape, strides: strides,
                    pads: pads, dilations: dilations, groups: groups)
            ]
        }
    }
}

/// Begin and end pads from a total per dim: the smaller half first for SAME_UPPER, last otherwise.
private func splitPadding(total: [Int], upper: Bool) -> [Int] {
    let small = total.map { $0 / 2 }, large = zip(total, small).map { $0 - $1 }
    return upper ? small + large : large + small
}
