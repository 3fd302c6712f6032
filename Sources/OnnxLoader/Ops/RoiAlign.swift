import TensorCore

/// RoiAlign: each region of interest (`[x1, y1, x2, y2]` scaled by `spatial_scale`, of the image
/// `batch_indices` names) divided into `output_height x output_width` bins, each bin the average
/// (or, as onnxruntime defines max mode, the largest bilinear corner term) of a grid of bilinear
/// samples (`sampling_ratio` per side, else ceil(bin size)). `half_pixel` shifts coordinates by
/// -0.5; `output_half_pixel` (opset 10's only mode) does not and makes regions at least 1x1.
func registerRoiAlign(_ registry: inout OperatorRegistry) {
    registry.register("RoiAlign", since: [10, 16, 22]) { attributes in
        let halfPixel =
            attributes.string(
                "coordinate_transformation_mode", default: attributes.opset < 16 ? "output_half_pixel" : "half_pixel")
            == "half_pixel"
        let maxMode = attributes.string("mode", default: "avg") == "max"
        let outHeight = attributes.int("output_height", default: 1),
            outWidth = attributes.int("output_width", default: 1)
        let ratio = attributes.int("sampling_ratio", default: 0)
        let scale = Double(attributes.float("spatial_scale", default: 1))
        guard outHeight > 0, outWidth > 0, ratio >= 0 else {
            throw attributes.error("output_height/width must be positive and sampling_ratio non-negative")
        }
        return ClosureOperator { inputs in
            let x = try inputs.required(0), rois = try inputs.required(1), batches = try inputs.required(2)
            guard x.rank == 4, rois.rank == 2, rois.shape[1] == 4, batches.shape == [rois.shape[0]] else {
                throw TensorError.shapeMismatch(
                    op: inputs.op, shapes: [x.shape, rois.shape, batches.shape],
                    reason: "needs X [N, C, H, W], rois [R, 4] and batch_indices [R]")
            }
            let (n, channels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
            let data = try x.cast(to: .float64).scalars(as: Double.self)
            let boxes = try rois.cast(to: .float64).scalars(as: Double.self)
            let images = try batches.intValues(inputs.op)
            let count = rois.shape[0]
            var output = [Double](repeating: 0, count: count * channels * outHeight * outWidth)
            for roi in 0..<count {
                let image = images[roi]
                guard image >= 0, image < n else {
                    throw TensorError.invalidArgument(
                        op: inputs.op, reason: "batch index \(image) is outside the \(n) images")
                }
                let offset = halfPixel ? 0.5 : 0
                let startX = boxes[roi * 4] * scale - offset, startY = boxes[roi * 4 + 1] * scale - offset
                var roiWidth = boxes[roi * 4 + 2] * scale - offset - startX,
                    roiHeight = boxes[roi * 4 + 3] * scale - offset - startY
                if !halfPixel {
                    roiWidth = max(roiWidth, 1)
                    roiHeight = max(roiHeight, 1)
                }
                let binHeight = roiHeight / Double(outHeight), binWidth = roiWidth / Double(outWidth)
                let gridHeight = ratio > 0 ? ratio : Int((roiHeight / Double(outHeight)).rounded(.up))
                let gridWidth = ratio > 0 ? ratio : Int((roiWidth / Double(outWidth)).rounded(.up))
                let samples = max(gridHeight * gridWidth, 1)
                // Each sample's four corner positions and weights (zero weights outside the image).
                struct Corner {
                    var positions: (Int, Int, Int, Int) = (0, 0, 0, 0)
                    var weights: (Double, Double, Double, Double) = (0, 0, 0, 0)
                }
                func corner(_ sampleY: Double, _ sampleX: Double) -> Corner {
                    guard sampleY >= -1, sampleY <= Double(height), sampleX >= -1, sampleX <= Double(width) else {
                        return Corner()
                    }
                    var y = max(sampleY, 0), x = max(sampleX, 0)
                    var yLow = Int(y), xLow = Int(x), yHigh = yLow + 1, xHigh = xLow + 1
                    if yLow >= height - 1 {
                        yLow = height - 1
                        yHigh = yLow
                        y = Double(yLow)
                    }
                    if xLow >= width - 1 {
                        xLow = width - 1
                        xHigh = xLow
                        x = Double(xLow)
                    }
                    let ly = y - Double(yLow), lx = x - Double(xLow), hy = 1 - ly, hx = 1 - lx
                    return Corner(
                        positions: (
                            yLow * width + xLow, yLow * width + xHigh, yHigh * width + xLow, yHigh * width + xHigh
                        ),
                        weights: (hy * hx, hy * lx, ly * hx, ly * lx))
                }
                var corners: [Corner] = []
                corners.reserveCapacity(outHeight * outWidth * gridHeight * gridWidth)
                for py in 0..<outHeight {
                    for px in 0..<outWidth {
                        for iy in 0..<gridHeight {
                            let y =
                                startY + Double(py) * binHeight + (Double(iy) + 0.5) * binHeight / Double(gridHeight)
                            for ix in 0..<gridWidth {
                                corners.append(
                                    corner(
                                        y,
                                        startX + Double(px) * binWidth + (Double(ix) + 0.5) * binWidth
                                            / Double(gridWidth)))
                            }
                        }
                    }
                }
                for channel in 0..<channels {
                    let plane = (image * channels + channel) * height * width
                    var next = 0
                    for bin in 0..<(outHeight * outWidth) {
                        var value = 0.0
                        for sample in 0..<(gridHeight * gridWidth) {
                            let c = corners[next]
                            next += 1
                            let terms = (
                                c.weights.0 * data[plane + c.positions.0], c.weights.1 * data[plane + c.positions.1],
                                c.weights.2 * data[plane + c.positions.2], c.weights.3 * data[plane + c.positions.3]
                            )
                            if maxMode {
                                let largest = max(terms.0, terms.1, terms.2, terms.3)
                                value = sample == 0 ? largest : max(value, largest)
                            } else {
                                value += terms.0 + terms.1 + terms.2 + terms.3
                            }
                        }
                        output[((roi * channels + channel) * outHeight * outWidth) + bin] =
                            maxMode ? value : value / Double(samples)
                    }
                }
            }
            return [try Tensor(shape: [count, channels, outHeight, outWidth], scalars: output).cast(to: x.dtype)]
        }
    }
}
