// Chat templates: parsing, then rendering a short conversation with the variables models use.
import CFuzzerDriver
import Foundation
import FuzzSupport
import Tokenizers

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzJinja(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let source = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let template = try? ChatTemplate(source, bosToken: "<s>", eosToken: "</s>") else { return 0 }
    _ = try? template.render([.system("Be brief."), .user("Hi"), .assistant("Hello"), .user("Bye")])
    return 0
}

exit(FuzzFile.runDriver(fuzzJinja))
