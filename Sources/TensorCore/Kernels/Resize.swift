#if canImport(Glibc)
    import Glibc
#endif

/// How ``Tensor/resized(outputShape:scales:roi:options:)`` interpolates (the ONNX Resize attributes).
public struct ResizeOptions: Sendable {
    public enum Mode: String, Sendable { case nearest, linear, cubic }
    public var mode: Mode = .nearest
    /// half_pixel, half_pixel_symmetric, pytorch_half_pixel, align_corners, asymmetric, tf_crop_and_resize.
    public var coordinateTransformation = "half_pixel"
    /// round_prefer_floor, round_prefer_ceil, floor, ceil.
    public var nearestMode = "round_prefer_floor"
    public var cubicCoefficient = -0.75
    public var excludeOutside = false
    public var extrapolationValue = 0.0
    public var antialias = false

    public init() {}
}

extension Tensor {
    /// Resizes by separable 1-D interpolation along every axis whose size, scale or region changes.
    /// `scales[d]` is the factor for axis d (output / input); `roi` holds all starts then all ends
    /// (normalised coordinates, used by tf_crop_and_resize).
    public func resized(outputShape: [Int], scales: [Double], roi: [Double]? = nil, options: ResizeOptions)
        throws(TensorError) -> Tensor
    {
        let op = "resize"
        guard dtype.isNumeric else { throw .unsupportedDType(op: op, dtype: dtype) }
        guard outputShape.count == rank, scales.count == rank, roi.map({ $0.count == 2 * rank }) ?? true else {
            throw .invalidArgument(
                op: op,
                reason: "output shape \(outputShape), scales \(scales) and roi must cover all \(rank) axes of \(shape)")
        }
        _ = try Shape.elementCount(outputShape, op: op)
        var current = try cast(to: .float64)
        for axis in 0..<rank {
            let unchanged =
                abs(scales[axis] - 1) < 1e-9 && outputShape[axis] == current.shape[axis]
                && (roi.map { abs($0[axis]) < 1e-9 && abs($0[axis + rank] - 1) < 1e-9 } ?? true)
            if unchanged { continue }
            guard scales[axis] > 0, outputShape[axis] >= 0 else {
                throw .invalidArgument(
                    op: op,
                    reason: "scale \(scales[axis]) and size \(outputShape[axis]) of axis \(axis) must be positive")
            }
            current = try current.resizedAlong(
                axis: axis, size: outputShape[axis], scale: scales[axis],
                roi: roi.map { ($0[axis], $0[axis + rank]) }, options: options)
        }
        return dtype == .float64 ? current : try current.cast(to: dtype)
    }

    /// One axis of a float64 tensor.
    private func resizedAlong(axis: Int, size: Int, scale: Double, roi: (Double, Double)?, options: ResizeOptions)
        throws(TensorError) -> Tensor
    {
        let inputWidth = shape[axis]
        var outShape = shape
        outShape[axis] = size
        let outer = Shape.product(shape[..<axis]), inner = Shape.product(shape[(axis + 1)...])
        let source = try typedScalars(Double.self, "resize")
        var result = [Double](repeating: 0, count: outer * size * inner)
        guard inputWidth > 0 || size == 0 else {
            throw .invalidArgument(op: "resize", reason: "cannot resize an empty axis \(axis) to \(size)")
        }
        let outputWidth = scale * Double(inputWidth)
        for y in 0..<size {
            let (position, extrapolated) = sourceCoordinate(
                Double(y), mode: options.coordinateTransformation, scale: scale,
                inputWidth: inputWidth, outputWidth: outputWidth, outputCount: size, roi: roi)
            let base = position.rounded(.down)
            let ratio = position == base ? 1 : position - base
            var weights = coefficients(ratio: ratio, scale: scale, options: options)
            let n = weights.count
            // The n taps nearest the position (ties toward lower indexes), counted as the spec does.
            let pad = (n + 1) / 2
            let padded = position + Double(pad)
            let floorPadded = padded.rounded(.down)
            let fraction = padded - floorPadded
            let offset =
                n % 2 == 0
                ? (fraction == 0 ? -(n / 2) : -(n / 2) + 1) : (fraction <= 0.5 ? -((n - 1) / 2) : -((n - 1) / 2) + 1)
            let start = Int(saturating: floorPadded) + offset - pad
            if options.excludeOutside {
                for k in 0..<n where start + k < 0 || start + k >= inputWidth { weights[k] = 0 }
                let total = weights.reduce(0, +)
                if total != 0 { weights = weights.map { $0 / total } }
            }
            for o in 0..<outer {
                for i in 0..<inner {
                    var value = 0.0
                    if extrapolated {
                        value = options.extrapolationValue
                    } else {
                        for k in 0..<n where weights[k] != 0 {
                            let index = min(max(start + k, 0), inputWidth - 1)
                            value += weights[k] * source[(o * inputWidth + index) * inner + i]
                        }
                    }
                    result[(o * size + y) * inner + i] = value
                }
            }
        }
        return try Tensor(shape: outShape, scalars: result)
    }

    /// The input coordinate an output index maps to, and whether it lies outside the crop region.
    private func sourceCoordinate(
        _ y: Double, mode: String, scale: Double, inputWidth: Int, outputWidth: Double, outputCount: Int,
        roi: (Double, Double)?
    ) -> (Double, Bool) {
        let width = Double(inputWidth)
        switch mode {
        case "align_corners": return (outputWidth == 1 ? 0 : y * (width - 1) / (outputWidth - 1), false)
        case "asymmetric": return (y / scale, false)
        case "tf_crop_and_resize":
            let (start, end) = roi ?? (0, 1)
            var x =
                outputWidth == 1 ? (end - start) * (width - 1) / 2 : y * (end - start) * (width - 1) / (outputWidth - 1)
            x += start * (width - 1)
            return (x, x < 0 || x > width - 1)
        case "pytorch_half_pixel": return (outputWidth == 1 ? -0.5 : (y + 0.5) / scale - 0.5, false)
        case "half_pixel_symmetric":
            let adjustment = Double(outputCount) / outputWidth
            let offset = width / 2 * (1 - adjustment)
            return (offset + (y + 0.5) / scale - 0.5, false)
        default: return ((y + 0.5) / scale - 0.5, false)
        }
    }

    /// Interpolation weights for the taps around a position `ratio` past its floor.
    private func coefficients(ratio: Double, scale: Double, options: ResizeOptions) -> [Double] {
        let a = options.cubicCoefficient
        switch options.mode {
        case .nearest:
            if ratio == ratio.rounded(.down) { return [0, 1] }
            switch options.nearestMode {
            case "round_prefer_ceil": return ratio < 0.5 ? [1, 0] : [0, 1]
            case "floor": return [1, 0]
            case "ceil": return [0, 1]
            default: return ratio <= 0.5 ? [1, 0] : [0, 1]
            }
        case .linear:
            guard options.antialias else { return [1 - ratio, ratio] }
            let s = min(scale, 1)
            let start = Int(saturating: (-1 / s).rounded(.down)) + 1
            let weights = (start..<(start + 2 - 2 * start)).map { max(0, min(1, 1 - abs((Double($0) - ratio) * s))) }
            let total = weights.reduce(0, +)
            return weights.map { $0 / total }
        case .cubic:
            func kernel(_ value: Double) -> Double {
                let x = abs(value)
                if x <= 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
                if x < 2 { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
                return 0
            }
            guard options.antialias else {
                return [kernel(ratio + 1), kernel(ratio), kernel(1 - ratio), kernel(2 - ratio)]
            }
            let s = min(scale, 1)
            let start = Int(saturating: (-2 / s).rounded(.down)) + 1
            let weights = (start..<(2 - start)).map { kernel(s * (Double($0) - ratio)) }
            let total = weights.reduce(0, +)
            return weights.map { $0 / total }
        }
    }
}
