import ArgumentParser
import Classification
import Foundation
import TensorCore

/// `infer-cli classify`: top-k classes for images, JSON/npy tensors, or a JSONL stream of them.
struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract:
            "Classify images (PNG/JPEG) or tensors (.json {\"input\": [...]}, .npy) with an ONNX image classifier.",
        discussion: """
            Images are resized (shorter side --resize), centre-cropped (--size, or the model's own size), put in
            --channel-order, multiplied by --scale, normalised by --mean/--std, laid out NCHW or NHWC as the model takes.
            `-` reads JSONL records {"id", "input"|"path"} from stdin and writes one JSON line each, in order.
            Example: infer-cli classify --model resnet18.onnx photo.jpg --top-k 5
            """)

    @Option(help: "The ONNX classifier.") var model: String
    @Argument(help: "Images, .json or .npy files, or - for JSONL on stdin.") var inputs: [String]
    @Option(help: "Class names, one per line (default: ImageNet-1k for 1000-class models).") var labels: String?
    @Option(help: "How many classes to report.") var topK = 5
    @Flag(help: "JSON output.") var json = false
    @OptionGroup var preprocessingOptions: PreprocessingOptions
    @OptionGroup var threadOptions: ThreadOptions

    func run() throws {
        try threadOptions.apply()
        let names: [String]?
        do { names = try labels.map(ImageClassifier.labels(contentsOfFile:)) } catch { throw CommandError(error) }
        let classifier: ImageClassifier
        do {
            classifier = try ImageClassifier(
                path: model, labels: names, preprocessing: try preprocessingOptions.preprocessing())
        } catch let error as CommandError { throw error } catch { throw CommandError("\(model): \(error)") }
        if inputs == ["-"] {
            try streamRecords(classifier)
            return
        }
        var results: [[String: Any]] = []
        for path in inputs {
            let predictions = try classifyFile(path, classifier)
            for (sample, ranked) in predictions.enumerated() {
                var entry: [String: Any] = ["input": path, "top_k": ranked.map(Self.object)]
                if predictions.count > 1 { entry["sample"] = sample }
                results.append(entry)
                if !json {
                    print(predictions.count > 1 ? "\(path) [\(sample)]" : path)
                    for p in ranked {
                        print(String(format: "  %5d  %-40@ %.4f", p.index, p.label as NSString, p.probability))
                    }
                }
            }
        }
        if json {
            let value: Any = results.count == 1 ? results[0] : results
            print(
                String(
                    decoding: try JSONSerialization.data(
                        withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self))
        }
    }

    /// Predictions for every sample in one file.
    private func classifyFile(_ path: String, _ classifier: ImageClassifier) throws -> [[ImageClassifier.Prediction]] {
        let lower = path.lowercased()
        let input: Tensor
        if lower.hasSuffix(".json") {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CommandError("cannot read \(path)")
            }
            guard let object = try? JSONSerialization.jsonObject(with: data) else {
                throw CommandError("\(path) is not valid JSON")
            }
            input = try tensor(fromRecord: object, classifier, name: path)
        } else if lower.hasSuffix(".npy") {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CommandError("cannot read \(path)")
            }
            var array = try NumpyFile.decode(Array(data), path: path).cast(to: .float32)
            if array.rank == 3 { array = try array.unsqueezed(axes: [0]) }
            input = array
        } else {
            let image: RGBImage
            do { image = try RGBImage(contentsOf: path) } catch { throw CommandError("\(error)") }
            input = try classifier.input(for: image)
        }
        do { return try classifier.classify(input, topK: topK) } catch { throw CommandError("\(path): \(error)") }
    }

    /// `{"input": [floats]}` or `{"input": [[floats], ...]}` as a batch tensor.
    private func tensor(fromRecord object: Any, _ classifier: ImageClassifier, name: String) throws -> Tensor {
        guard let record = object as? [String: Any], let raw = record["input"] else {
            throw CommandError(
                "\(name): expected an object with an \"input\" array of floats (or of arrays for a batch)")
        }
        func floats(_ value: Any) throws -> [Float] {
            guard let list = value as? [Any] else { throw CommandError("\(name): \"input\" must be an array") }
            return try list.map { item in
                guard let number = item as? NSNumber else {
                    throw CommandError("\(name): \"input\" holds a non-number")
                }
                return number.floatValue
            }
        }
        guard let list = raw as? [Any] else { throw CommandError("\(name): \"input\" must be an array") }
        let samples = list.first is [Any] ? try list.map(floats) : [try floats(list)]
        do { return try classifier.batch(fromSamples: samples) } catch { throw CommandError("\(name): \(error)") }
    }

    /// JSONL on stdin: one result line per record, in order; a bad record yields {"id", "error"}.
    private func streamRecords(_ classifier: ImageClassifier) throws {
        var failures = 0
        var lineNumber = 0
        while let line = readLine(strippingNewline: true) {
            lineNumber += 1
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            var output: [String: Any] = [:]
            var id: Any = lineNumber
            do {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    throw CommandError("line \(lineNumber) is not a JSON object")
                }
                id = object["id"] ?? lineNumber
                let predictions: [[ImageClassifier.Prediction]]
                if let path = object["path"] as? String {
                    predictions = try classifyFile(path, classifier)
                } else {
                    let input = try tensor(fromRecord: object, classifier, name: "line \(lineNumber)")
                    do { predictions = try classifier.classify(input, topK: topK) } catch {
                        throw CommandError("line \(lineNumber): \(error)")
                    }
                }
                output["top_k"] =
                    predictions.count == 1 ? predictions[0].map(Self.object) : predictions.map { $0.map(Self.object) }
            } catch {
                failures += 1
                output["error"] = "\(error)"
            }
            output["id"] = id
            let data =
                (try? JSONSerialization.data(withJSONObject: output, options: [.sortedKeys, .withoutEscapingSlashes]))
                ?? Data("{\"error\":\"unencodable\"}".utf8)
            // Written unbuffered: each record reaches the pipe as soon as it is done.
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        }
        if failures > 0 { throw ExitCode(1) }
    }

    static func object(_ prediction: ImageClassifier.Prediction) -> [String: Any] {
        ["index": prediction.index, "label": prediction.label, "probability": Double(prediction.probability)]
    }
}

/// How images become model inputs, shared by `classify` and `serve`.
struct PreprocessingOptions: ParsableArguments {
    @Option(help: "rgb or bgr.") var channelOrder = "rgb"
    @Option(help: "Pixel (0-255) multiplier, before mean/std.") var scale: Float = 1.0 / 255
    @Option(help: "Per-channel mean, comma-separated.") var mean = "0.485,0.456,0.406"
    @Option(help: "Per-channel standard deviation, comma-separated.") var std = "0.229,0.224,0.225"
    @Option(help: "Centre-crop size (default 224, or the model's own spatial size).") var size: Int?
    @Option(help: "Shorter side after resizing.") var resize = 256

    func preprocessing() throws -> ImagePreprocessing {
        var p = ImagePreprocessing()
        guard let order = ImagePreprocessing.ChannelOrder(rawValue: channelOrder.lowercased()) else {
            throw CommandError("--channel-order must be rgb or bgr")
        }
        p.channelOrder = order
        p.scale = scale
        func triple(_ text: String, _ flag: String) throws -> [Float] {
            let values = text.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
            guard values.count == 3 else {
                throw CommandError("\(flag) needs three comma-separated numbers, got '\(text)'")
            }
            return values
        }
        p.mean = try triple(mean, "--mean")
        p.std = try triple(std, "--std")
        guard p.std.allSatisfy({ $0 != 0 }) else { throw CommandError("--std values must not be 0") }
        if let size { p.cropSize = size }
        p.resizeShorterSide = resize
        return p
    }
}
