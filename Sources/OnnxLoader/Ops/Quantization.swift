import TensorCore

/// QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, MatMulInteger, ConvInteger,
/// QLinearMatMul and QLinearConv (8- and 16-bit integer types).
func registerQuantization(_ registry: inout OperatorRegistry) {
    registry.register("QuantizeLinear", since: [10, 13, 19, 21, 23, 24]) { attributes in
        let axis = attributes.int("axis", default: 1), block = attributes.int("block_size", default: 0)
        let saturate = attributes.int("saturate", default: 1) == 1
        let outputCode = attributes.int("output_dtype", default: 0)
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            let zeroPoint = inputs.optional(2)
            let target: DType
            if let zeroPoint {
                target = zeroPoint.dtype
            } else if outputCode != 0 {
                guard let dtype = OnnxDataType.dtype(outputCode) else {
                    throw TensorError.invalidArgument(
                        op: inputs.op, reason: "output type \(OnnxDataType.name(outputCode)) is not supported")
                }
                target = dtype
            } else {
                target = .uint8
            }
            let scale = try quantizationParameter(try inputs.required(1), like: x, axis: axis, block: block)
            let zero = try zeroPoint.map { try quantizationParameter($0, like: x, axis: axis, block: block) }
            let floatTarget = target.isNarrow && ![DType.int4, .uint4, .int2, .uint2].contains(target)
            // x / scale in the input's precision (float32 for float32 and narrower inputs), as the
            // reference and onnxruntime do: a float64 quotient can fall on the other side of a
            // rounding tie. Float targets round on their own grid; integer targets to integers first.
            let precision: DType = x.dtype == .float64 ? .float64 : .float32
            var y = try Tensor.binary(.div, x.cast(to: precision), scale.cast(to: precision))
            if !floatTarget { y = try y.unary(.round) }
            if let zero { y = try Tensor.binary(.add, y, zero.cast(to: precision)) }
            return [
                floatTarget
                    ? try y.cast(to: target, saturate: saturate) : try saturated(y.cast(to: .float64), to: target)
            ]
        }
    }
    registry.register("DequantizeLinear", since: [10, 13, 19, 21, 23, 24]) { attributes in
        let axis = attributes.int("axis", default: 1), block = attributes.int("block_size", default: 0)
        return ClosureOperator { inputs in
            let x = try inputs.required(0), rawScale = try inputs.required(1)
            let scale = try quantizationParameter(rawScale, like: x, axis: axis, block: block)
            var y = try x.cast(to: .float64)
            if let zeroPoint = inputs.optional(2) {
                y = try Tensor.binary(
                    .sub, y, quantizationParameter(zeroPoint, like: x, axis: axis, block: block).cast(to: .float64))
            }
            return [try Tensor.binary(.mul, y, scale.cast(to: .float64)).cast(to: rawScale.dtype)]
        }
    }
    registry.register("DynamicQuantizeLinear", since: [11]) { _ in
        ClosureOperator { inputs in
            let x = try inputs.required(0)
            let values = try x.cast(to: .float32).scalars(as: Float.self)
            let low = min(0, values.min() ?? 0), high = max(0, values.max() ?? 0)
            let scale = (high - low) / 255
            let zero = scale == 0 ? Float(0) : min(255, max(0, (0 - low / scale).rounded(.toNearestOrEven)))
            let quantized = values.map {
                scale == 0 ? zero : min(255, max(0, ($0 / scale).rounded(.toNearestOrEven) + zero))
            }
            return [
                try Tensor(shape: x.shape, scalars: quantized.map { UInt8($0) }), Tensor(scalar: scale),
                Tensor(scalar: UInt8(zero)),
            ]
        }
    }
    registry.register("MatMulInteger", since: [10]) { _ in
        ClosureOperator { inputs in
            let a = try centered(inputs.required(0), inputs.optional(2), axis: -2)
            let b = try centered(inputs.required(1), inputs.optional(3), axis: -1)
            return [try Tensor.matmul(a, b)]
        }
    }
    registry.register("QLinearMatMul", since: [10, 21]) { _ in
        ClosureOperator { inputs in
            let a = try centered(inputs.required(0), inputs.optional(2), axis: -2)
            let b = try centered(inputs.required(3), inputs.optional(5), axis: -1)
            let product = try Tensor.matmul(a, b).cast(to: .float64)
            let factor = try Tensor.binary(
                .div,
                Tensor.binary(
                    .mul, inputs.required(1).cast(to: .float64),
                    inputs.required(4).cast(to: .float64)),
                inputs.required(6).cast(to: .float64))
            var y = try Tensor.binary(.mul, product, factor)
            let zero = inputs.optional(7)
            if let zero { y = try Tensor.binary(.add, y, zero.cast(to: .float64)) }
            return [try saturated(y.unary(.round), to: zero?.dtype ?? inputs.required(0).dtype)]
        }
    }
    registry.register("ConvInteger", since: [10]) { attributes in
        let conv = try integerConvolution(attributes)
        return ClosureOperator { inputs in
            let x = try centered(inputs.required(0), inputs.optional(2), axis: nil)
            let w = try centered(inputs.required(1), inputs.optional(3), axis: 0)
            return [try conv(x, w, nil).cast(to: .int32)]
        }
    }
    registry.register("QLinearConv", since: [10]) { attributes in
        let conv = try integerConvolution(attributes)
        return ClosureOperator { inputs in
            let x = try centered(inputs.required(0), inputs.optional(2), axis: nil)
            let w = try centered(inputs.required(3), inputs.optional(5), axis: 0)
            let bias = try inputs.optional(8).map { try $0.cast(to: .float32) }
            let accumulated = try conv(x, w, bias).cast(to: .float64)
            // Per-output-channel weight scales apply along axis 1 of the result.
            var weightScale = try inputs.required(4).cast(to: .float64)
            if weightScale.count > 1 {
                weightScale = try weightScale.reshaped(
                    [weightScale.count] + Array(repeating: 1, count: accumulated.rank - 2))
            }
            let factor = try Tensor.binary(
                .div, Tensor.binary(.mul, inputs.required(1).cast(to: .float64), weightScale),
                inputs.required(6).cast(to: .float64))
            var y = try Tensor.binary(.mul, accumulated, factor)
            let zero = inputs.optional(7)
            if let zero { y = try Tensor.binary(.add, y, zero.cast(to: .float64)) }
            return [try saturated(y.unary(.round), to: zero?.dtype ?? inputs.required(0).dtype)]
        }
    }
}

/// A scale or zero point shaped to broadcast against `x`: a scalar as is, a 1-D tensor along
/// `axis` (per-axis), or a blocked tensor repeated `block` times along `axis`.
private func quantizationParameter(_ parameter: Tensor, like x: Tensor, axis: Int, block: Int) throws -> Tensor {
    if parameter.count == 1 { return try parameter.reshaped([]) }
    let axis = try Shape.normalizeAxis(axis, rank: x.rank, op: "quantize")
    if block > 0 {
        guard parameter.rank == x.rank else {
            throw TensorError.shapeMismatch(
                op: "quantize", shapes: [parameter.shape, x.shape], reason: "blocked parameters need the input's rank")
        }
        let indices = try Tensor(shape: [x.shape[axis]], scalars: (0..<x.shape[axis]).map { Int64($0 / block) })
        return try parameter.gather(indices: indices, axis: axis)
    }
    guard parameter.rank == 1, parameter.count == x.shape[axis] else {
        throw TensorError.shapeMismatch(
            op: "quantize", shapes: [parameter.shape, x.shape],
            reason: "per-axis parameters need \(x.shape[axis]) values (axis \(axis))")
    }
    var shape = [Int](repeating: 1, count: x.rank)
    shape[axis] = parameter.count
    return try parameter.reshaped(shape)
}

/// Rounds-already values clipped to the integer type's range, then converted.
private func saturated(_ values: Tensor, to dtype: DType) throws -> Tensor {
    let (low, high): (Double, Double)
    switch dtype {
    case .int8: (low, high) = (-128, 127)
    case .uint8: (low, high) = (0, 255)
    case .int16: (low, high) = (-32768, 32767)
    case .uint16: (low, high) = (0, 65535)
    case .int32: (low, high) = (-2147483648, 2147483647)
    case .uint32: (low, high) = (0, 4294967295)
    case .int4: (low, high) = (-8, 7)
    case .uint4: (low, high) = (0, 15)
    case .int2: (low, high) = (-2, 1)
    case .uint2: (low, high) = (0, 3)
    default: throw TensorError.unsupportedDType(op: "quantize", dtype: dtype)
    }
    let clipped = try Tensor.binary(.min, Tensor.binary(.max, values, Tensor(scalar: low)), Tensor(scalar: high))
    return try clipped.cast(to: dtype)
}

/// `x - zeroPoint` in int32; a per-row/column/channel zero point lies along `axis`.
private func centered(_ x: Tensor, _ zeroPoint: Tensor?, axis: Int?) throws -> Tensor {
    let wide = try x.cast(to: .int32)
    guard let zeroPoint else { return wide }
    var zero = try zeroPoint.cast(to: .int32)
    if zero.count > 1, let axis {
        let normalized = try Shape.normalizeAxis(axis, rank: x.rank, op: "quantize")
        var shape = [Int](repeating: 1, count: x.rank)
        shape[normalized] = zero.count
        zero = try zero.reshaped(shape)
    }
    return try Tensor.binary(.sub, wide, zero)
}

/// A float32 convolution with the node's geometry, exact for integer inputs of quantized sizes.
private func integerConvolution(_ attributes: NodeAttributes) throws
    -> @Sendable (Tensor, Tensor, Tensor?) throws -> Tensor
{
    let autoPad = attributes.string("auto_pad", default: "NOTSET")
    let strides = attributes.ints("strides"), dilations = attributes.ints("dilations"), pads = attributes.ints("pads")
    let groups = attributes.int("group", default: 1)
    return { x, w, bias in
        let spatial = Array(x.shape.dropFirst(2)), kernel = Array(w.shape.dropFirst(2))
        let s = strides ?? Array(repeating: 1, count: spatial.count),
            d = dilations ?? Array(repeating: 1, count: spatial.count)
        let resolved = try resolvePads(
            autoPad: autoPad, pads: pads, spatial: spatial, kernel: kernel, strides: s, dilations: d, op: "ConvInteger")
        return try Tensor.conv(
            x.cast(to: .float32), weight: w.cast(to: .float32), bias: bias, strides: s, pads: resolved, dilations: d,
            groups: groups)
    }
}
