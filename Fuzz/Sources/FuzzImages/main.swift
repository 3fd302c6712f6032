// PNG and JPEG decoding, then torchvision's preprocessing to a 224x224 input.
import CFuzzerDriver
import Classification
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzImages(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    guard let image = try? RGBImage(data: Array(UnsafeBufferPointer(start: data, count: size))) else { return 0 }
    _ = try? ImagePreprocessing().tensor(from: image, layout: .nchw)
    return 0
}

exit(FuzzFile.runDriver(fuzzImages))
