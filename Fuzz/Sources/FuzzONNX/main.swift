// ONNX model decoding and graph compilation, then one run on zero inputs of the declared shapes.
import CFuzzerDriver
import Foundation
import FuzzSupport
import OnnxLoader
import TensorCore

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzONNX(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let path = FuzzFile.write(data, size, suffix: "onnx")
    guard let session = try? InferenceSession(path: path) else { return 0 }
    var feeds: [Tensor] = []
    for input in session.inputs {
        guard case let .tensor(_, shape?)? = input.type else { return 0 }
        let dims = shape.map { dimension -> Int in
            if case let .value(v) = dimension { return min(max(v, 0), 64) }
            return 1
        }
        guard let zeros = try? Tensor(zeros: dims, dtype: .float32) else { return 0 }
        feeds.append(zeros)
    }
    _ = try? session.run(feeds)
    return 0
}

exit(FuzzFile.runDriver(fuzzONNX))
