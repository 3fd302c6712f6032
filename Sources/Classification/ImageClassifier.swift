import Foundation
import OnnxLoader
import TensorCore

/// An ONNX image classifier: one float input `[N, 3, H, W]` or `[N, H, W, 3]`, one output of
/// scores `[N, classes]` (logits or probabilities).
///
/// The classifier owns its preprocessing (``ImagePreprocessing``) and class names, so callers hand
/// it images or files. It is immutable: concurrent tasks may share one.
public final class ImageClassifier: Sendable {
    /// One ranked class.
    public struct Prediction: Sendable, Equatable {
        public let index: Int
        public let label: String
        public let probability: Float
    }

    public let session: InferenceSession
    public let layout: ImagePreprocessing.Layout
    /// The model's static spatial size, when it declares one.
    public let spatialSize: (height: Int, width: Int)?
    /// Values per sample of the input (3 x H x W), when static.
    public let sampleCount: Int?
    /// Class names by index; nil: ImageNet-1k's for 1000-class models, else `class N`.
    public let labels: [String]?
    /// How images become inputs.
    public let preprocessing: ImagePreprocessing

    public enum ClassifierError: Error, CustomStringConvertible {
        case unsupportedModel(String)
        case badInput(String)
        case cannotReadLabels(path: String)
        public var description: String {
            switch self {
            case let .unsupportedModel(reason): return "not an image classifier: \(reason)"
            case let .badInput(reason): return reason
            case let .cannotReadLabels(path): return "cannot read labels file \(path)"
            }
        }
    }

    /// Loads the model; `labels` name the classes (ImageNet-1k when nil and the model has 1000);
    /// images are prepared with `preprocessing` (torchvision's ImageNet transform by default).
    public convenience init(
        path: String, labels: [String]? = nil, preprocessing: ImagePreprocessing = ImagePreprocessing()
    ) throws {
        try self.init(session: InferenceSession(path: path), labels: labels, preprocessing: preprocessing)
    }

    /// A classifier over an already loaded model (shared with other users of `session`).
    public init(
        session: InferenceSession, labels: [String]? = nil, preprocessing: ImagePreprocessing = ImagePreprocessing()
    )
        throws
    {
        self.preprocessing = preprocessing
        self.session = session
        guard session.inputs.count == 1, case let .tensor(_, shape?)? = session.inputs[0].type, shape.count == 4 else {
            throw ClassifierError.unsupportedModel(
                "it needs one 4-D image input, it takes \(session.inputs.count) input(s)")
        }
        func value(_ dim: OnnxLoader.Dimension) -> Int? {
            if case let .value(v) = dim { return v }
            return nil
        }
        if value(shape[1]) == 3 {
            layout = .nchw
            spatialSize = value(shape[2]).flatMap { h in value(shape[3]).map { (h, $0) } }
        } else if value(shape[3]) == 3 {
            layout = .nhwc
            spatialSize = value(shape[1]).flatMap { h in value(shape[2]).map { (h, $0) } }
        } else {
            throw ClassifierError.unsupportedModel(
                "its input \(shape.map(\.description)) has no 3-channel axis (NCHW or NHWC)")
        }
        sampleCount = spatialSize.map { $0.height * $0.width * 3 }
        self.labels = labels
    }

    /// Class names from a text file, one per line (a trailing empty line is ignored).
    public static func labels(contentsOfFile path: String) throws(ClassifierError) -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { throw .cannotReadLabels(path: path) }
        var names = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(
            String.init)
        if names.last == "" { names.removeLast() }
        return names
    }

    /// The model input for `image`: resized, cropped to the model's size, normalised and laid out.
    public func input(for image: RGBImage) throws -> Tensor {
        try preprocessing.tensor(from: image, layout: layout, size: spatialSize)
    }

    /// Top-`k` classes of `image`.
    public func classify(_ image: RGBImage, topK k: Int) throws -> [Prediction] {
        try classify(input(for: image), topK: k)[0]
    }

    /// Top-`k` classes of the PNG or JPEG file at `path`.
    public func classify(imageAt path: String, topK k: Int) throws -> [Prediction] {
        try classify(RGBImage(contentsOf: path), topK: k)
    }

    /// Top-`k` classes for each sample of an input batch already laid out for the model.
    public func classify(_ input: Tensor, topK k: Int) throws -> [[Prediction]] {
        let scores = try session.run([input])[0]
        guard scores.rank >= 1 else { throw ClassifierError.unsupportedModel("its output is a scalar") }
        let rows = try scores.reshaped([scores.shape[0], -1]).cast(to: .float32)
        let values = try rows.scalars(as: Float.self)
        let classes = rows.shape[1]
        return (0..<rows.shape[0]).map { r in
            var row = Array(values[(r * classes)..<((r + 1) * classes)])
            // Logits unless the row already is a distribution.
            let sum = row.reduce(0, +)
            if row.contains(where: { $0 < 0 || $0 > 1 }) || abs(sum - 1) > 1e-3 {
                let peak = row.max() ?? 0
                let exps = row.map { Foundation.exp(Double($0 - peak)) }
                let total = exps.reduce(0, +)
                row = exps.map { Float($0 / total) }
            }
            let order = row.indices.sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }
            return order.prefix(max(k, 0)).map { index in
                Prediction(index: index, label: label(index, classes: classes), probability: row[index])
            }
        }
    }

    private func label(_ index: Int, classes: Int) -> String {
        if let labels, index < labels.count { return labels[index] }
        if labels == nil, classes == ImageNetLabels.names.count { return ImageNetLabels.names[index] }
        return "class \(index)"
    }

    /// A batch tensor from raw per-sample values (the `/predict` JSON layout), shaped for the model.
    public func batch(fromSamples samples: [[Float]]) throws -> Tensor {
        guard let first = samples.first else { throw ClassifierError.badInput("the batch is empty") }
        let perSample = first.count
        guard samples.allSatisfy({ $0.count == perSample }) else {
            throw ClassifierError.badInput("samples differ in length")
        }
        if let sampleCount, perSample != sampleCount {
            throw ClassifierError.badInput(
                "a sample has \(perSample) values; the model takes \(sampleCount) (\(layout == .nchw ? "3 x H x W" : "H x W x 3"))"
            )
        }
        let side = Int(Double(perSample / 3).squareRoot())
        let (h, w) = spatialSize ?? (side, side)
        guard h * w * 3 == perSample else {
            throw ClassifierError.badInput("\(perSample) values are not 3 x H x W for a square image")
        }
        let shape = layout == .nchw ? [samples.count, 3, h, w] : [samples.count, h, w, 3]
        return try Tensor(shape: shape, scalars: samples.flatMap { $0 })
    }
}
