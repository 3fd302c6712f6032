// Tensor input files as `infer-cli run` reads them: TensorProto (.pb), NumPy (.npy) and JSON, the
// format chosen by the input's first byte so one corpus covers all three.
import CFuzzerDriver
import Foundation
import FuzzSupport
import OnnxLoader
import TensorCore

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzTensorFiles(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    switch bytes[0] {
    case 0x93: _ = try? NumpyFile.decode(bytes, path: "<fuzz>")
    case UInt8(ascii: "{"), UInt8(ascii: "["):
        if let object = try? JSONSerialization.jsonObject(with: Data(bytes)) {
            _ = try? TensorJSON.tensor(from: object)
        }
    default: _ = try? TensorFile.read(path: FuzzFile.write(data, size, suffix: "pb"))
    }
    return 0
}

exit(FuzzFile.runDriver(fuzzTensorFiles))
