import TensorCore

/// How an image becomes a model input: resize, crop, channel order, scaling and normalisation.
/// The defaults are torchvision's ImageNet evaluation transform.
public struct ImagePreprocessing: Sendable {
    public enum ChannelOrder: String, Sendable { case rgb, bgr }
    public enum Layout: String, Sendable { case nchw, nhwc }

    /// The shorter side is resized to this, keeping the aspect ratio.
    public var resizeShorterSide = 256
    /// Then the centre crop of this square size (or the model's own spatial size).
    public var cropSize = 224
    public var channelOrder = ChannelOrder.rgb
    /// Pixel values (0...255) are multiplied by this...
    public var scale: Float = 1.0 / 255
    /// ...then have the mean subtracted and are divided by the standard deviation, per channel
    /// (in the order of `channelOrder`).
    public var mean: [Float] = [0.485, 0.456, 0.406]
    public var std: [Float] = [0.229, 0.224, 0.225]

    public init() {}

    /// The image as a `[1, 3, size, size]` (NCHW) or `[1, size, size, 3]` (NHWC) float tensor.
    public func tensor(from image: RGBImage, layout: Layout, size: (height: Int, width: Int)? = nil) throws -> Tensor {
        let (targetHeight, targetWidth) = size ?? (cropSize, cropSize)
        guard mean.count == 3, std.count == 3, std.allSatisfy({ $0 != 0 && $0.isFinite }), mean.allSatisfy(\.isFinite),
            scale.isFinite
        else {
            throw ImageClassifier.ClassifierError.badInput(
                "preprocessing needs 3 finite means, 3 finite non-zero standard deviations and a finite scale")
        }
        guard targetHeight > 0, targetWidth > 0, resizeShorterSide > 0 else {
            throw ImageClassifier.ClassifierError.badInput(
                "the crop \(targetWidth)x\(targetHeight) and resize \(resizeShorterSide) must be positive")
        }
        let shorter = max(min(image.width, image.height), 1)
        let ratio = Double(max(resizeShorterSide, max(targetHeight, targetWidth))) / Double(shorter)
        let width = max(Int(saturating: (Double(image.width) * ratio).rounded()), targetWidth)
        let height = max(Int(saturating: (Double(image.height) * ratio).rounded()), targetHeight)
        // The resized image is the largest allocation here: bound it like a decoded one.
        let (area, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, area <= RGBImage.maxPixels else {
            throw ImageClassifier.ClassifierError.badInput(
                "resizing \(image.width)x\(image.height) to \(width)x\(height) exceeds the largest image (\(RGBImage.maxPixels) pixels)"
            )
        }
        try MemoryBudget.check(bytes: area * 3, op: "image resize")
        let resized = image.resized(width: width, height: height)
        let cropped = resized.centerCropped(width: targetWidth, height: targetHeight)
        let plane = targetHeight * targetWidth
        var values = [Float](repeating: 0, count: plane * 3)
        for p in 0..<plane {
            for c in 0..<3 {
                let source = channelOrder == .rgb ? c : 2 - c
                let value = (Float(cropped.pixels[p * 3 + source]) * scale - mean[c]) / std[c]
                values[layout == .nchw ? c * plane + p : p * 3 + c] = value
            }
        }
        let shape = layout == .nchw ? [1, 3, targetHeight, targetWidth] : [1, targetHeight, targetWidth, 3]
        return try Tensor(shape: shape, scalars: values)
    }
}
