import TensorCore

/// Resize (opsets 10-19) and the older Upsample.
func registerResize(_ registry: inout OperatorRegistry) {
    registry.register("Resize", since: [10, 11, 13, 18, 19]) { attributes in
        var options = ResizeOptions()
        guard let mode = ResizeOptions.Mode(rawValue: attributes.string("mode", default: "nearest")) else {
            throw attributes.error("unknown mode '\(attributes.string("mode", default: ""))'")
        }
        options.mode = mode
        let legacy = attributes.opset < 11
        options.coordinateTransformation =
            legacy ? "asymmetric" : attributes.string("coordinate_transformation_mode", default: "half_pixel")
        options.nearestMode = legacy ? "floor" : attributes.string("nearest_mode", default: "round_prefer_floor")
        options.cubicCoefficient = Double(attributes.float("cubic_coeff_a", default: -0.75))
        options.excludeOutside = attributes.int("exclude_outside", default: 0) == 1
        options.extrapolationValue = Double(attributes.float("extrapolation_value", default: 0))
        options.antialias = attributes.int("antialias", default: 0) == 1
        let axesAttribute = attributes.ints("axes")
        let policy = attributes.string("keep_aspect_ratio_policy", default: "stretch")
        let settings = options
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            let rank = x.rank
            let roiInput = legacy ? nil : inputs.optional(1)
            let scalesInput = legacy ? inputs.optional(1) : inputs.optional(2)
            let sizesInput = legacy ? nil : inputs.optional(3)
            let axes = try (axesAttribute ?? Array(0..<rank)).map {
                try Shape.normalizeAxis($0, rank: rank, op: inputs.op)
            }
            var scales = [Double](repeating: 1, count: rank)
            var outputShape = x.shape
            var roi: [Double]?
            if let roiInput, roiInput.count > 0 {
                let values = try roiInput.cast(to: .float64).scalars(as: Double.self)
                var full = [Double](repeating: 0, count: rank) + [Double](repeating: 1, count: rank)
                guard values.count == 2 * axes.count else {
                    throw TensorError.invalidArgument(op: inputs.op, reason: "roi needs \(2 * axes.count) values")
                }
                for (i, axis) in axes.enumerated() {
                    full[axis] = values[i]
                    full[axis + rank] = values[i + axes.count]
                }
                roi = full
            }
            if let sizesInput, sizesInput.count > 0 {
                let sizes = try sizesInput.intValues(inputs.op)
                guard sizes.count == axes.count else {
                    throw TensorError.invalidArgument(op: inputs.op, reason: "sizes needs \(axes.count) values")
                }
                for (i, axis) in axes.enumerated() {
                    scales[axis] = Double(sizes[i]) / Double(max(x.shape[axis], 1))
                    outputShape[axis] = sizes[i]
                }
                if policy != "stretch" {
                    let chosen = axes.map { scales[$0] }
                    let scale = policy == "not_larger" ? chosen.min() ?? 1 : chosen.max() ?? 1
                    for axis in axes {
                        scales[axis] = scale
                        outputShape[axis] = Int(saturating: scale * Double(x.shape[axis]) + 0.5)
                    }
                }
            } else if let scalesInput {
                let values = try scalesInput.cast(to: .float64).scalars(as: Double.self)
                guard values.count == axes.count else {
                    throw TensorError.invalidArgument(op: inputs.op, reason: "scales needs \(axes.count) values")
                }
                for (i, axis) in axes.enumerated() {
                    guard values[i].isFinite, values[i] > 0 else {
                        throw TensorError.invalidArgument(
                            op: inputs.op,
                            reason: "scale \(values[i]) for axis \(axis) must be a positive finite number")
                    }
                    scales[axis] = values[i]
                    outputShape[axis] = Int(saturating: values[i] * Double(x.shape[axis]))
                }
            } else {
                throw TensorError.invalidArgument(op: inputs.op, reason: "needs scales or sizes")
            }
            return [try x.resized(outputShape: outputShape, scales: scales, roi: roi, options: settings)]
        }
    }
    registry.register("Upsample", since: [7, 9]) { attributes in
        var options = ResizeOptions()
        options.mode =
            attributes.string("mode", default: "nearest") == "linear"
                || attributes.string("mode", default: "") == "bilinear" ? .linear : .nearest
        options.coordinateTransformation = "asymmetric"
        options.nearestMode = "floor"
        let attributeScales = attributes.floats("scales")
        let fromInput = attributes.opset >= 9
        let settings = options
        return ClosureOperator { inputs in
            let x = try inputs.required(0)
            let scales =
                fromInput
                ? try inputs.required(1).cast(to: .float64).scalars(as: Double.self)
                : (attributeScales ?? []).map { Double($0) }
            guard scales.count == x.rank else {
                throw TensorError.invalidArgument(op: inputs.op, reason: "scales needs \(x.rank) values")
            }
            if let bad = scales.first(where: { !$0.isFinite || $0 <= 0 }) {
                throw TensorError.invalidArgument(
                    op: inputs.op, reason: "scale \(bad) must be a positive finite number")
            }
            let shape = (0..<x.rank).map { Int(saturating: scales[$0] * Double(x.shape[$0])) }
            return [try x.resized(outputShape: shape, scales: scales, options: settings)]
        }
    }
}
