// Classifies a photo with an ONNX image classifier and prints the top classes.
// Usage: ClassifyPhoto MODEL.onnx PHOTO.(png|jpg) [LABELS.txt] [--caffe]
// --caffe: BGR, 0-255 pixels minus the per-channel mean (open-nsfw's preprocessing); the default
// is torchvision's ImageNet transform.
import Classification
import Foundation

var arguments = Array(CommandLine.arguments.dropFirst())
let caffe = arguments.contains("--caffe")
arguments.removeAll { $0 == "--caffe" }
guard arguments.count == 2 || arguments.count == 3 else {
    FileHandle.standardError.write(Data("usage: ClassifyPhoto MODEL.onnx PHOTO [LABELS.txt] [--caffe]\n".utf8))
    exit(2)
}

do {
    var preprocessing = ImagePreprocessing()
    if caffe {
        preprocessing.channelOrder = .bgr
        preprocessing.scale = 1
        preprocessing.mean = [104, 117, 123]
        preprocessing.std = [1, 1, 1]
    }
    let labels = try arguments.count == 3 ? ImageClassifier.labels(contentsOfFile: arguments[2]) : nil
    let classifier = try ImageClassifier(path: arguments[0], labels: labels, preprocessing: preprocessing)
    for prediction in try classifier.classify(imageAt: arguments[1], topK: 2) {
        print(prediction.index, prediction.label, String(format: "%.4f", prediction.probability))
    }
} catch {
    FileHandle.standardError.write(Data("ClassifyPhoto: \(error)\n".utf8))
    exit(1)
}
